import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, EnableMetricsCollectionCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { TestCloud } from './support/cloud.js';
import { waitFor } from './support/wait.js';
import { cfn, settle } from './templates/support.js';

/**
 * Group metrics collection, scaling activities of deleted groups, and scaling-policy alarm actions that repeat while
 * the alarm stays in ALARM, through the real aws CLI and the AWS SDK v3. Groups here launch nothing (desired 0, or
 * Launch suspended), so no root is needed. A time scale of 60 makes an AWS minute a second.
 */
describe("Auto Scaling metrics collection, deleted groups' activities and repeated alarm actions through the aws CLI and SDK v3", () => {
  let cloud: TestCloud;
  let asg: AutoScalingClient;
  let subnet: string;
  const as = (...args: string[]) => cloud.awsOk('autoscaling', ...args);
  const group = (name: string) => as('describe-auto-scaling-groups', '--auto-scaling-group-names', name).AutoScalingGroups[0];
  const makeGroup = (name: string, ...extra: string[]) =>
    as(
      'create-auto-scaling-group',
      '--auto-scaling-group-name',
      name,
      '--launch-configuration-name',
      'lc',
      '--min-size',
      '0',
      '--max-size',
      '3',
      '--desired-capacity',
      '0',
      '--vpc-zone-identifier',
      subnet,
      ...extra,
    );

  before(async () => {
    cloud = await TestCloud.start({ timeScale: 60 });
    asg = new AutoScalingClient(cloud.sdk);
    const vpc = cloud.awsOk('ec2', 'create-vpc', '--cidr-block', '10.21.0.0/16').Vpc.VpcId;
    subnet = cloud.awsOk('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.21.1.0/24', '--availability-zone', 'us-east-1a')
      .Subnet.SubnetId;
    as(
      'create-launch-configuration',
      '--launch-configuration-name',
      'lc',
      '--image-id',
      'ami-0123456789abcdef0',
      '--instance-type',
      't3.micro',
    );
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('enable-metrics-collection publishes the group metrics to AWS/AutoScaling each minute; EnabledMetrics; disable stops the ones named', async () => {
    const types = as('describe-metric-collection-types');
    assert.deepEqual(types.Granularities, [{ Granularity: '1Minute' }]);
    const all = types.Metrics.map((m: { Metric: string }) => m.Metric);
    for (const m of [
      'GroupMinSize',
      'GroupMaxSize',
      'GroupDesiredCapacity',
      'GroupInServiceInstances',
      'GroupPendingInstances',
      'GroupStandbyInstances',
      'GroupTerminatingInstances',
      'GroupTotalInstances',
      'WarmPoolDesiredCapacity',
      'WarmPoolWarmedCapacity',
      'GroupAndWarmPoolTotalCapacity',
    ]) {
      assert.ok(all.includes(m), m);
    }
    makeGroup('measured');
    assert.deepEqual(group('measured').EnabledMetrics, []);
    assert.match(
      cloud.awsFails(
        'ValidationError',
        'autoscaling',
        'enable-metrics-collection',
        '--auto-scaling-group-name',
        'measured',
        '--granularity',
        '5Minute',
      ),
      /granularity/i,
    );
    assert.match(
      cloud.awsFails(
        'ValidationError',
        'autoscaling',
        'enable-metrics-collection',
        '--auto-scaling-group-name',
        'measured',
        '--granularity',
        '1Minute',
        '--metrics',
        'GroupNothing',
      ),
      /GroupNothing/,
    );
    as(
      'enable-metrics-collection',
      '--auto-scaling-group-name',
      'measured',
      '--granularity',
      '1Minute',
      '--metrics',
      'GroupMaxSize',
      'GroupDesiredCapacity',
      'GroupTotalInstances',
    );
    assert.deepEqual(group('measured').EnabledMetrics, [
      { Metric: 'GroupMaxSize', Granularity: '1Minute' },
      { Metric: 'GroupDesiredCapacity', Granularity: '1Minute' },
      { Metric: 'GroupTotalInstances', Granularity: '1Minute' },
    ]);
    // The cloud's clock runs 60 times faster than the wall's: ask for whole days around it.
    const day = 86_400_000;
    const range = [
      '--start-time',
      new Date(Date.now() - 2 * day).toISOString(),
      '--end-time',
      new Date(Date.now() + 30 * day).toISOString(),
      '--period',
      '86400',
    ];
    const stats = (metric: string) => {
      const points = cloud.awsOk(
        'cloudwatch',
        'get-metric-statistics',
        '--namespace',
        'AWS/AutoScaling',
        '--metric-name',
        metric,
        '--dimensions',
        'Name=AutoScalingGroupName,Value=measured',
        ...range,
        '--statistics',
        'Maximum',
        'Minimum',
        'SampleCount',
      ).Datapoints as Array<{ Maximum: number; Minimum: number; SampleCount: number }>;
      return {
        samples: points.reduce((n, p) => n + p.SampleCount, 0),
        max: Math.max(...points.map((p) => p.Maximum)),
        min: Math.min(...points.map((p) => p.Minimum)),
        length: points.length,
      };
    };
    const maxSize = await waitFor(
      'GroupMaxSize samples',
      () => {
        const d = stats('GroupMaxSize');
        return d.samples >= 2 ? d : undefined;
      },
      30_000,
    );
    assert.deepEqual([maxSize.min, maxSize.max], [3, 3]);
    assert.equal(stats('GroupMinSize').length, 0, 'only the metrics enabled');
    const listed = cloud
      .awsOk('cloudwatch', 'list-metrics', '--namespace', 'AWS/AutoScaling')
      .Metrics.map((m: { MetricName: string }) => m.MetricName)
      .sort();
    assert.deepEqual(listed, ['GroupDesiredCapacity', 'GroupMaxSize', 'GroupTotalInstances']);

    as('disable-metrics-collection', '--auto-scaling-group-name', 'measured', '--metrics', 'GroupMaxSize');
    assert.deepEqual(
      group('measured').EnabledMetrics.map((m: { Metric: string }) => m.Metric),
      ['GroupDesiredCapacity', 'GroupTotalInstances'],
    );
    // The SDK v3: enabling every metric (none named).
    await asg.send(new EnableMetricsCollectionCommand({ AutoScalingGroupName: 'measured', Granularity: '1Minute' }));
    const sdk = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['measured'] }))).AutoScalingGroups?.[0];
    assert.equal(sdk?.EnabledMetrics?.length, all.length, 'every group metric, the warm pool ones too');
    as('disable-metrics-collection', '--auto-scaling-group-name', 'measured');
    assert.deepEqual(group('measured').EnabledMetrics, []);
    const before = stats('GroupDesiredCapacity').samples;
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(stats('GroupDesiredCapacity').samples, before, 'nothing published once disabled');
    as('delete-auto-scaling-group', '--auto-scaling-group-name', 'measured');
  });

  it('the MetricsCollection property of AWS::AutoScaling::AutoScalingGroup enables metrics collection', async () => {
    const template = JSON.stringify({
      Resources: {
        Group: {
          Type: 'AWS::AutoScaling::AutoScalingGroup',
          Properties: {
            LaunchConfigurationName: 'lc',
            MinSize: '0',
            MaxSize: '2',
            VPCZoneIdentifier: [subnet],
            MetricsCollection: [{ Granularity: '1Minute', Metrics: ['GroupInServiceInstances', 'GroupDesiredCapacity'] }],
          },
        },
      },
      Outputs: { Name: { Value: { Ref: 'Group' } } },
    });
    const create = cloud.aws('cloudformation', 'create-stack', '--stack-name', 'metrics', '--template-body', template);
    assert.equal(create.status, 0, create.stderr);
    const stack = await settle(cfn(cloud), 'metrics');
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
    const name = String(stack.Outputs?.[0].OutputValue);
    assert.deepEqual(
      group(name).EnabledMetrics.map((m: { Metric: string }) => m.Metric),
      ['GroupDesiredCapacity', 'GroupInServiceInstances'],
    );
    cloud.awsOk('cloudformation', 'delete-stack', '--stack-name', 'metrics');
    const gone = await settle(cfn(cloud), String(stack.StackId));
    assert.equal(gone.StackStatus, 'DELETE_COMPLETE', gone.StackStatusReason);
  });

  it("describe-scaling-activities --include-deleted-groups shows a deleted group's activities, with AutoScalingGroupState", () => {
    makeGroup('gone', '--health-check-type', 'ELB');
    const [activity] = as('describe-scaling-activities', '--auto-scaling-group-name', 'gone').Activities;
    assert.ok(activity);
    as('delete-auto-scaling-group', '--auto-scaling-group-name', 'gone');
    cloud.awsFails('ValidationError', 'autoscaling', 'describe-scaling-activities', '--auto-scaling-group-name', 'gone');
    assert.ok(
      !as('describe-scaling-activities').Activities.some((a: { ActivityId: string }) => a.ActivityId === activity.ActivityId),
      'not without IncludeDeletedGroups',
    );
    let kept = as('describe-scaling-activities', '--auto-scaling-group-name', 'gone', '--include-deleted-groups').Activities;
    assert.deepEqual(
      kept.map((a: any) => [a.ActivityId, a.AutoScalingGroupState]),
      [[activity.ActivityId, 'Deleted']],
    );
    // A new group of the same name does not inherit them.
    makeGroup('gone');
    assert.deepEqual(as('describe-scaling-activities', '--auto-scaling-group-name', 'gone').Activities, []);
    kept = as('describe-scaling-activities', '--include-deleted-groups').Activities.filter((a: any) => a.AutoScalingGroupName === 'gone');
    assert.deepEqual(
      kept.map((a: any) => a.AutoScalingGroupState),
      ['Deleted'],
    );
    as('delete-auto-scaling-group', '--auto-scaling-group-name', 'gone');
  });

  it('an alarm that stays in ALARM runs its step scaling policy again each minute: resuming AlarmNotification lets the next evaluation scale', async () => {
    makeGroup('scaler');
    as('suspend-processes', '--auto-scaling-group-name', 'scaler', '--scaling-processes', 'Launch', 'AlarmNotification');
    const policy = as(
      'put-scaling-policy',
      '--auto-scaling-group-name',
      'scaler',
      '--policy-name',
      'steps',
      '--policy-type',
      'StepScaling',
      '--adjustment-type',
      'ChangeInCapacity',
      '--step-adjustments',
      'MetricIntervalLowerBound=0,ScalingAdjustment=1',
    ).PolicyARN;
    cloud.awsOk(
      'cloudwatch',
      'put-metric-alarm',
      '--alarm-name',
      'queue-deep',
      '--namespace',
      'Halo/Test',
      '--metric-name',
      'QueueDepth',
      '--statistic',
      'Maximum',
      '--period',
      '60',
      '--evaluation-periods',
      '1',
      '--threshold',
      '50',
      '--comparison-operator',
      'GreaterThanThreshold',
      '--alarm-actions',
      policy,
      // Each aws CLI call blocks this process (and the feed below) for about an AWS minute: gaps keep the state.
      '--treat-missing-data',
      'ignore',
    );
    const cw = new CloudWatchClient(cloud.sdk);
    let feeding = true;
    const feed = (async () => {
      while (feeding) {
        await cw.send(new PutMetricDataCommand({ Namespace: 'Halo/Test', MetricData: [{ MetricName: 'QueueDepth', Value: 80 }] }));
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    try {
      await waitFor(
        'the alarm in ALARM',
        () =>
          cloud.awsOk('cloudwatch', 'describe-alarms', '--alarm-names', 'queue-deep').MetricAlarms[0].StateValue === 'ALARM'
            ? true
            : undefined,
        30_000,
      );
      const history = () =>
        cloud.awsOk('cloudwatch', 'describe-alarm-history', '--alarm-name', 'queue-deep', '--history-item-type', 'Action')
          .AlarmHistoryItems as Array<{ HistorySummary: string }>;
      assert.match(history()[0].HistorySummary, /No action taken .* AlarmNotification process of Auto Scaling group scaler is suspended/);
      assert.equal(group('scaler').DesiredCapacity, 0);
      as('resume-processes', '--auto-scaling-group-name', 'scaler', '--scaling-processes', 'AlarmNotification');
      // No new transition: the alarm stays in ALARM, and its next evaluation runs the policy again.
      const desired = await waitFor(
        'the repeated action to scale',
        () => (group('scaler').DesiredCapacity >= 1 ? group('scaler').DesiredCapacity : undefined),
        30_000,
      );
      assert.equal(desired, 1, 'the instance it asked for is still launching (Launch suspended): the breach adds no more');
      assert.equal(cloud.awsOk('cloudwatch', 'describe-alarms', '--alarm-names', 'queue-deep').MetricAlarms[0].StateValue, 'ALARM');
      const transitions = cloud.awsOk(
        'cloudwatch',
        'describe-alarm-history',
        '--alarm-name',
        'queue-deep',
        '--history-item-type',
        'StateUpdate',
      ).AlarmHistoryItems;
      assert.equal(transitions.length, 1, 'one transition only (INSUFFICIENT_DATA → ALARM)');
      const causes = as('describe-scaling-activities', '--auto-scaling-group-name', 'scaler')
        .Activities.map((a: { Cause: string }) => a.Cause)
        .join('\n');
      assert.doesNotMatch(causes, /from 1 to 2/);
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(group('scaler').DesiredCapacity, 1, 'three more minutes of repeats: still 1');
    } finally {
      feeding = false;
      await feed;
    }
  });
});
