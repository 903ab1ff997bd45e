import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeTagsCommand,
  SetDesiredCapacityCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { TestCloud } from './support/cloud.js';

/**
 * The Auto Scaling API through the real aws CLI and the AWS SDK v3: validation errors with AWS's codes and texts,
 * describe and pagination, tags, processes, notifications, activities. Groups here have no instances (desired 0),
 * so no root is needed.
 */
describe('Auto Scaling API through the aws CLI and SDK v3', () => {
  let cloud: TestCloud;
  let asg: AutoScalingClient;
  let subnets: string[];
  const as = (...args: string[]) => cloud.awsOk('autoscaling', ...args);

  before(async () => {
    cloud = await TestCloud.start();
    asg = new AutoScalingClient(cloud.sdk);
    const vpc = cloud.awsOk('ec2', 'create-vpc', '--cidr-block', '10.20.0.0/16').Vpc.VpcId;
    subnets = ['a', 'b'].map(
      (z, n) =>
        cloud.awsOk('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', `10.20.${n}.0/24`, '--availability-zone', `us-east-1${z}`)
          .Subnet.SubnetId,
    );
    as(
      'create-launch-configuration',
      '--launch-configuration-name',
      'lc',
      '--image-id',
      'ami-0123456789abcdef0',
      '--instance-type',
      't3.micro',
      '--user-data',
      '#!/bin/sh\necho hi',
      '--iam-instance-profile',
      'web-profile',
      '--security-groups',
      'sg-0123456789abcdef0',
      '--associate-public-ip-address',
      '--metadata-options',
      'HttpTokens=required,HttpPutResponseHopLimit=2',
      '--instance-monitoring',
      'Enabled=false',
    );
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('launch configurations: create, describe with every field, AlreadyExists, paginated describe, ResourceInUse on delete', () => {
    const lc = as('describe-launch-configurations', '--launch-configuration-names', 'lc').LaunchConfigurations[0];
    assert.equal(lc.ImageId, 'ami-0123456789abcdef0');
    assert.equal(lc.InstanceType, 't3.micro');
    assert.equal(
      Buffer.from(lc.UserData, 'base64').toString(),
      '#!/bin/sh\necho hi',
      'user data as the API got it, base64 (the CLI encodes it)',
    );
    assert.equal(lc.IamInstanceProfile, 'web-profile');
    assert.deepEqual(lc.SecurityGroups, ['sg-0123456789abcdef0']);
    assert.equal(lc.AssociatePublicIpAddress, true);
    assert.deepEqual(lc.InstanceMonitoring, { Enabled: false });
    assert.equal(lc.MetadataOptions.HttpTokens, 'required');
    assert.match(
      lc.LaunchConfigurationARN,
      /^arn:aws:autoscaling:us-east-1:\d{12}:launchConfiguration:[0-9a-f-]{36}:launchConfigurationName\/lc$/,
    );
    const exists = cloud.awsFails(
      'AlreadyExists',
      'autoscaling',
      'create-launch-configuration',
      '--launch-configuration-name',
      'lc',
      '--image-id',
      'ami-0123456789abcdef0',
      '--instance-type',
      't3.micro',
    );
    assert.match(exists, /Launch Configuration by this name already exists - A launch configuration already exists with the name lc/);
    for (const n of [1, 2, 3, 4])
      as(
        'create-launch-configuration',
        '--launch-configuration-name',
        `page-${n}`,
        '--image-id',
        'ami-0123456789abcdef0',
        '--instance-type',
        't3.nano',
      );
    // The CLI pages through with MaxRecords=2 and NextToken and joins the pages.
    const all = as('describe-launch-configurations', '--page-size', '2').LaunchConfigurations.map((x: any) => x.LaunchConfigurationName);
    assert.deepEqual(all, ['lc', 'page-1', 'page-2', 'page-3', 'page-4']);
    const first = as('describe-launch-configurations', '--max-items', '2');
    assert.equal(first.LaunchConfigurations.length, 2);
    assert.ok(first.NextToken);
    as(
      'create-auto-scaling-group',
      '--auto-scaling-group-name',
      'uses-page-1',
      '--launch-configuration-name',
      'page-1',
      '--min-size',
      '0',
      '--max-size',
      '1',
      '--vpc-zone-identifier',
      subnets[0],
    );
    const inUse = cloud.awsFails('ResourceInUse', 'autoscaling', 'delete-launch-configuration', '--launch-configuration-name', 'page-1');
    assert.match(inUse, /Cannot delete launch configuration page-1 because it is attached to AutoScalingGroup uses-page-1/);
    as('delete-auto-scaling-group', '--auto-scaling-group-name', 'uses-page-1');
    as('delete-launch-configuration', '--launch-configuration-name', 'page-1');
    cloud.awsFails('ValidationError', 'autoscaling', 'delete-launch-configuration', '--launch-configuration-name', 'page-1');
  });

  it('groups: AWS validation errors for sizes, sources, zones and names', () => {
    const base = [
      'autoscaling',
      'create-auto-scaling-group',
      '--auto-scaling-group-name',
      'bad',
      '--vpc-zone-identifier',
      subnets.join(','),
    ];
    assert.match(
      cloud.awsFails('ValidationError', ...base, '--launch-configuration-name', 'lc', '--min-size', '2', '--max-size', '1'),
      /Max bound, 1, must be greater than or equal to min bound, 2/,
    );
    assert.match(
      cloud.awsFails(
        'ValidationError',
        ...base,
        '--launch-configuration-name',
        'lc',
        '--min-size',
        '1',
        '--max-size',
        '2',
        '--desired-capacity',
        '3',
      ),
      /Desired capacity:3 must be between the specified min size:1 and max size:2/,
    );
    assert.match(
      cloud.awsFails('ValidationError', ...base, '--min-size', '0', '--max-size', '1'),
      /Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter\./,
    );
    assert.match(
      cloud.awsFails('ValidationError', ...base, '--launch-configuration-name', 'nope', '--min-size', '0', '--max-size', '1'),
      /Launch configuration name not found - Launch configuration nope not found/,
    );
    assert.match(
      cloud.awsFails(
        'ValidationError',
        'autoscaling',
        'create-auto-scaling-group',
        '--auto-scaling-group-name',
        'bad',
        '--launch-configuration-name',
        'lc',
        '--min-size',
        '0',
        '--max-size',
        '1',
      ),
      /At least one Availability Zone or VPC Subnet is required\./,
    );
    assert.match(
      cloud.awsFails(
        'ValidationError',
        ...base.slice(0, 4),
        '--vpc-zone-identifier',
        'subnet-0000000000000000f',
        '--launch-configuration-name',
        'lc',
        '--min-size',
        '0',
        '--max-size',
        '1',
      ),
      /The subnet ID 'subnet-0000000000000000f' does not exist/,
    );
    assert.match(
      cloud.awsFails(
        'ValidationError',
        'autoscaling',
        'update-auto-scaling-group',
        '--auto-scaling-group-name',
        'ghost',
        '--max-size',
        '3',
      ),
      /AutoScalingGroup name not found - AutoScalingGroup ghost not found/,
    );
    as(
      'create-auto-scaling-group',
      '--auto-scaling-group-name',
      'twice',
      '--launch-configuration-name',
      'lc',
      '--min-size',
      '0',
      '--max-size',
      '1',
      '--vpc-zone-identifier',
      subnets[0],
    );
    assert.match(
      cloud.awsFails(
        'AlreadyExists',
        'autoscaling',
        'create-auto-scaling-group',
        '--auto-scaling-group-name',
        'twice',
        '--launch-configuration-name',
        'lc',
        '--min-size',
        '0',
        '--max-size',
        '1',
        '--vpc-zone-identifier',
        subnets[0],
      ),
      /AutoScalingGroup by this name already exists - A group with the name twice already exists/,
    );
    assert.match(
      cloud.awsFails(
        'ValidationError',
        'autoscaling',
        'set-desired-capacity',
        '--auto-scaling-group-name',
        'twice',
        '--desired-capacity',
        '5',
      ),
      /New SetDesiredCapacity value 5 is above max value 1 for the AutoScalingGroup\./,
    );
    assert.match(
      cloud.awsFails(
        'ValidationError',
        'autoscaling',
        'suspend-processes',
        '--auto-scaling-group-name',
        'twice',
        '--scaling-processes',
        'Dance',
      ),
      /Process Dance is not a valid process/,
    );
    assert.match(
      cloud.awsFails(
        'ValidationError',
        'autoscaling',
        'terminate-instance-in-auto-scaling-group',
        '--instance-id',
        'i-0123456789abcdef0',
        '--no-should-decrement-desired-capacity',
      ),
      /Instance Id not found - No managed instance found for instance ID: i-0123456789abcdef0/,
    );
    as('delete-auto-scaling-group', '--auto-scaling-group-name', 'twice');
  });

  it('groups: defaults, zones from subnets, tags with filters, pagination, processes, ELB health check noted in an activity', () => {
    for (const n of [1, 2, 3]) {
      as(
        'create-auto-scaling-group',
        '--auto-scaling-group-name',
        `g${n}`,
        '--launch-configuration-name',
        'lc',
        '--min-size',
        '0',
        '--max-size',
        '2',
        '--vpc-zone-identifier',
        `${subnets[1]},${subnets[0]}`,
        '--tags',
        `Key=tier,Value=t${n % 2},PropagateAtLaunch=true`,
        'Key=owner,Value=me,PropagateAtLaunch=false',
      );
    }
    const g1 = as('describe-auto-scaling-groups', '--auto-scaling-group-names', 'g1').AutoScalingGroups[0];
    assert.deepEqual(g1.AvailabilityZones, ['us-east-1b', 'us-east-1a'], "the subnets' zones, in the subnets' order");
    assert.equal(g1.VPCZoneIdentifier, `${subnets[1]},${subnets[0]}`);
    assert.equal(g1.DesiredCapacity, 0, 'desired defaults to min');
    assert.equal(g1.DefaultCooldown, 300);
    assert.equal(g1.HealthCheckType, 'EC2');
    assert.equal(g1.HealthCheckGracePeriod, 0, 'the API default (the console sets 300)');
    assert.deepEqual(g1.TerminationPolicies, ['Default']);
    assert.deepEqual(
      g1.Tags.map((t: any) => [t.Key, t.Value, t.PropagateAtLaunch, t.ResourceType, t.ResourceId]),
      [
        ['tier', 't1', true, 'auto-scaling-group', 'g1'],
        ['owner', 'me', false, 'auto-scaling-group', 'g1'],
      ],
    );
    assert.match(g1.AutoScalingGroupARN, /^arn:aws:autoscaling:us-east-1:\d{12}:autoScalingGroup:[0-9a-f-]{36}:autoScalingGroupName\/g1$/);

    const names = (out: any) => out.AutoScalingGroups.map((g: any) => g.AutoScalingGroupName);
    assert.deepEqual(names(as('describe-auto-scaling-groups', '--page-size', '1')), ['g1', 'g2', 'g3']);
    assert.deepEqual(names(as('describe-auto-scaling-groups', '--filters', 'Name=tag:tier,Values=t1')), ['g1', 'g3']);
    assert.deepEqual(names(as('describe-auto-scaling-groups', '--filters', 'Name=tag-value,Values=t0')), ['g2']);
    assert.deepEqual(names(as('describe-auto-scaling-groups', '--filters', 'Name=tag-key,Values=owner', 'Name=tag:tier,Values=t0')), [
      'g2',
    ]);

    as('create-or-update-tags', '--tags', 'ResourceId=g2,ResourceType=auto-scaling-group,Key=tier,Value=t9,PropagateAtLaunch=false');
    as('delete-tags', '--tags', 'ResourceId=g3,ResourceType=auto-scaling-group,Key=owner');
    const tags = as('describe-tags', '--filters', 'Name=key,Values=tier').Tags.map(
      (t: any) => `${t.ResourceId}=${t.Value}:${t.PropagateAtLaunch}`,
    );
    assert.deepEqual(tags, ['g1=t1:true', 'g2=t9:false', 'g3=t1:true']);
    assert.deepEqual(
      as('describe-tags', '--filters', 'Name=auto-scaling-group,Values=g3').Tags.map((t: any) => t.Key),
      ['tier'],
    );
    assert.equal(as('describe-tags', '--page-size', '1').Tags.length, 5);
    assert.match(
      cloud.awsFails(
        'ValidationError',
        'autoscaling',
        'create-or-update-tags',
        '--tags',
        'ResourceId=g1,ResourceType=auto-scaling-group,Key=aws:x,Value=1',
      ),
      /reserved/,
    );

    as('suspend-processes', '--auto-scaling-group-name', 'g1', '--scaling-processes', 'AZRebalance', 'Launch');
    let g = as('describe-auto-scaling-groups', '--auto-scaling-group-names', 'g1').AutoScalingGroups[0];
    assert.deepEqual(
      g.SuspendedProcesses.map((p: any) => p.ProcessName),
      ['AZRebalance', 'Launch'],
    );
    as('resume-processes', '--auto-scaling-group-name', 'g1', '--scaling-processes', 'Launch');
    g = as('describe-auto-scaling-groups', '--auto-scaling-group-names', 'g1').AutoScalingGroups[0];
    assert.deepEqual(
      g.SuspendedProcesses.map((p: any) => p.ProcessName),
      ['AZRebalance'],
    );
    assert.equal(as('describe-scaling-process-types').Processes.length, 10);

    as(
      'update-auto-scaling-group',
      '--auto-scaling-group-name',
      'g1',
      '--health-check-type',
      'ELB',
      '--health-check-grace-period',
      '120',
      '--termination-policies',
      'OldestInstance',
      'Default',
      '--max-instance-lifetime',
      '86400',
      '--capacity-rebalance',
      '--new-instances-protected-from-scale-in',
      '--default-instance-warmup',
      '60',
    );
    g = as('describe-auto-scaling-groups', '--auto-scaling-group-names', 'g1').AutoScalingGroups[0];
    assert.equal(g.HealthCheckType, 'ELB');
    assert.equal(g.HealthCheckGracePeriod, 120);
    assert.deepEqual(g.TerminationPolicies, ['OldestInstance', 'Default']);
    assert.equal(g.MaxInstanceLifetime, 86400);
    assert.equal(g.CapacityRebalance, true);
    assert.equal(g.NewInstancesProtectedFromScaleIn, true);
    assert.equal(g.DefaultInstanceWarmup, 60);
    const acts = as('describe-scaling-activities', '--auto-scaling-group-name', 'g1').Activities;
    assert.equal(acts.length, 1);
    assert.match(
      acts[0].Description,
      /no load balancer is attached to the group, so its instances are checked with EC2 health checks only/,
    );
    assert.equal(acts[0].StatusCode, 'Successful');
    cloud.awsFails(
      'ValidationError',
      'autoscaling',
      'update-auto-scaling-group',
      '--auto-scaling-group-name',
      'g1',
      '--max-instance-lifetime',
      '5',
    );
    cloud.awsFails(
      'ValidationError',
      'autoscaling',
      'update-auto-scaling-group',
      '--auto-scaling-group-name',
      'g1',
      '--termination-policies',
      'Youngest',
    );
    for (const n of [1, 2, 3]) as('delete-auto-scaling-group', '--auto-scaling-group-name', `g${n}`);
    assert.deepEqual(as('describe-auto-scaling-groups').AutoScalingGroups, []);
  });

  it('account limits, types, and notification configurations with SNS', () => {
    const limits = as('describe-account-limits');
    assert.equal(limits.MaxNumberOfAutoScalingGroups, 500);
    assert.equal(limits.MaxNumberOfLaunchConfigurations, 200);
    assert.equal(typeof limits.NumberOfLaunchConfigurations, 'number');
    assert.deepEqual(as('describe-termination-policy-types').TerminationPolicyTypes, [
      'AllocationStrategy',
      'ClosestToNextInstanceHour',
      'Default',
      'NewestInstance',
      'OldestInstance',
      'OldestLaunchConfiguration',
      'OldestLaunchTemplate',
    ]);
    assert.deepEqual(
      as('describe-adjustment-types').AdjustmentTypes.map((a: any) => a.AdjustmentType),
      ['ChangeInCapacity', 'ExactCapacity', 'PercentChangeInCapacity'],
    );
    assert.deepEqual(as('describe-lifecycle-hook-types').LifecycleHookTypes, [
      'autoscaling:EC2_INSTANCE_LAUNCHING',
      'autoscaling:EC2_INSTANCE_TERMINATING',
    ]);
    assert.ok(as('describe-auto-scaling-notification-types').AutoScalingNotificationTypes.includes('autoscaling:EC2_INSTANCE_LAUNCH'));
    const topic = cloud.awsOk('sns', 'create-topic', '--name', 'asg-events').TopicArn;
    as(
      'create-auto-scaling-group',
      '--auto-scaling-group-name',
      'n',
      '--launch-configuration-name',
      'lc',
      '--min-size',
      '0',
      '--max-size',
      '1',
      '--vpc-zone-identifier',
      subnets[0],
    );
    as(
      'put-notification-configuration',
      '--auto-scaling-group-name',
      'n',
      '--topic-arn',
      topic,
      '--notification-types',
      'autoscaling:EC2_INSTANCE_LAUNCH',
      'autoscaling:EC2_INSTANCE_TERMINATE',
    );
    assert.deepEqual(as('describe-notification-configurations', '--auto-scaling-group-names', 'n').NotificationConfigurations, [
      { AutoScalingGroupName: 'n', TopicARN: topic, NotificationType: 'autoscaling:EC2_INSTANCE_LAUNCH' },
      { AutoScalingGroupName: 'n', TopicARN: topic, NotificationType: 'autoscaling:EC2_INSTANCE_TERMINATE' },
    ]);
    cloud.awsFails(
      'ValidationError',
      'autoscaling',
      'put-notification-configuration',
      '--auto-scaling-group-name',
      'n',
      '--topic-arn',
      topic,
      '--notification-types',
      'autoscaling:NOPE',
    );
    as('delete-notification-configuration', '--auto-scaling-group-name', 'n', '--topic-arn', topic);
    assert.deepEqual(as('describe-notification-configurations').NotificationConfigurations, []);
    as('delete-auto-scaling-group', '--auto-scaling-group-name', 'n');
  });

  it('the SDK v3: create, describe with pagination, update that clamps desired, error names', async () => {
    for (const n of ['s1', 's2', 's3']) {
      await asg.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: n,
          LaunchConfigurationName: 'lc',
          MinSize: 0,
          MaxSize: 3,
          AvailabilityZones: ['us-east-1a', 'us-east-1c'],
          Tags: [{ Key: 'k', Value: n }],
        }),
      );
    }
    const seen: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await asg.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 2, NextToken }));
      assert.ok((page.AutoScalingGroups?.length ?? 0) <= 2);
      seen.push(...(page.AutoScalingGroups ?? []).map((g) => g.AutoScalingGroupName as string));
      NextToken = page.NextToken;
    } while (NextToken);
    assert.deepEqual(seen, ['s1', 's2', 's3']);
    const s1 = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['s1'] }))).AutoScalingGroups?.[0];
    assert.deepEqual(s1?.AvailabilityZones, ['us-east-1a', 'us-east-1c']);
    assert.ok(s1?.CreatedTime instanceof Date);
    assert.equal(s1?.VPCZoneIdentifier, undefined);
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 's1', MinSize: 0, MaxSize: 0 }));
    assert.equal(
      (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['s1'] }))).AutoScalingGroups?.[0].MaxSize,
      0,
    );
    await assert.rejects(asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 's2', DesiredCapacity: 9 })), {
      name: 'ValidationError',
    });
    await assert.rejects(
      asg.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: 's2',
          LaunchConfigurationName: 'lc',
          MinSize: 0,
          MaxSize: 1,
          AvailabilityZones: ['us-east-1a'],
        }),
      ),
      { name: 'AlreadyExistsFault' },
    );
    await assert.rejects(asg.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 2, NextToken: 'forged' })), {
      name: 'InvalidNextToken',
    });
    const tags = await asg.send(new DescribeTagsCommand({ Filters: [{ Name: 'auto-scaling-group', Values: ['s2', 's3'] }] }));
    assert.deepEqual(
      tags.Tags?.map((t) => t.Value),
      ['s2', 's3'],
    );
  });
});
