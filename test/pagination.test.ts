import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListExportsCommand,
  ListImportsCommand,
  ListStackResourcesCommand,
  ListStacksCommand,
  waitUntilStackCreateComplete,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeSecurityGroupsCommand, DescribeTagsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { errorName } from './support/errors.js';
import { TestCloud } from './support/cloud.js';

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/**
 * Every paginated List/Describe through the aws CLI's auto-pagination with a small page size gives the whole,
 * correct list; a token that the service did not issue for this request is refused with the service's own code.
 */
describe('one paginator: full lists through small pages, foreign tokens refused', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('IAM ListRoles (Marker/MaxItems): --page-size 1 lists every role; a made-up or foreign marker is ValidationError', async () => {
    for (const n of [1, 2, 3])
      cloud.awsOk('iam', 'create-role', '--role-name', `paged-${n}`, '--path', '/paged/', '--assume-role-policy-document', TRUST);
    const all = cloud.awsOk('iam', 'list-roles', '--path-prefix', '/paged/', '--page-size', '1');
    assert.deepEqual(
      all.Roles.map((r: { RoleName: string }) => r.RoleName),
      ['paged-1', 'paged-2', 'paged-3'],
    );
    const iam = new IAMClient({ ...cloud.sdk, region: 'us-east-1' });
    const first = await iam.send(new ListRolesCommand({ PathPrefix: '/paged/', MaxItems: 1 }));
    assert.equal(first.IsTruncated, true);
    assert.equal(await errorName(iam.send(new ListRolesCommand({ PathPrefix: '/other/', Marker: first.Marker }))), 'ValidationError');
    assert.equal(await errorName(iam.send(new ListRolesCommand({ Marker: 'bogus' }))), 'ValidationError');
    cloud.awsFails('ValidationError', 'iam', 'list-roles', '--marker', 'bogus');
  });

  it('SSM DescribeParameters (NextToken/MaxResults): --page-size 1 lists every parameter; a foreign token is InvalidNextToken', async () => {
    for (const n of [1, 2, 3]) cloud.awsOk('ssm', 'put-parameter', '--name', `/paged/p${n}`, '--value', `v${n}`, '--type', 'String');
    const all = cloud.awsOk('ssm', 'describe-parameters', '--page-size', '1');
    assert.deepEqual(all.Parameters.map((p: { Name: string }) => p.Name).sort(), ['/paged/p1', '/paged/p2', '/paged/p3']);
    const byPath = cloud.awsOk('ssm', 'get-parameters-by-path', '--path', '/paged', '--page-size', '1');
    assert.deepEqual(byPath.Parameters.map((p: { Value: string }) => p.Value).sort(), ['v1', 'v2', 'v3']);
    const ssm = new SSMClient(cloud.sdk);
    const first = await ssm.send(new DescribeParametersCommand({ MaxResults: 1 }));
    assert.ok(first.NextToken);
    assert.equal(
      await errorName(
        ssm.send(
          new DescribeParametersCommand({
            ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: ['/other'] }],
            NextToken: first.NextToken,
          }),
        ),
      ),
      'InvalidNextToken',
    );
    cloud.awsFails('InvalidNextToken', 'ssm', 'describe-parameters', '--next-token', 'bogus');
  });

  it('CloudWatch DescribeAlarms (NextToken/MaxRecords): --page-size 1 lists every alarm; a foreign token is InvalidNextToken', async () => {
    for (const n of [1, 2, 3]) {
      cloud.awsOk(
        'cloudwatch',
        'put-metric-alarm',
        '--alarm-name',
        `paged-${n}`,
        '--namespace',
        'Paged',
        '--metric-name',
        'M',
        '--statistic',
        'Average',
        '--period',
        '60',
        '--evaluation-periods',
        '1',
        '--threshold',
        '1',
        '--comparison-operator',
        'GreaterThanThreshold',
      );
    }
    const all = cloud.awsOk('cloudwatch', 'describe-alarms', '--alarm-name-prefix', 'paged-', '--page-size', '1');
    assert.deepEqual(
      all.MetricAlarms.map((a: { AlarmName: string }) => a.AlarmName),
      ['paged-1', 'paged-2', 'paged-3'],
    );
    const cw = new CloudWatchClient(cloud.sdk);
    const first = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'paged-', MaxRecords: 1 }));
    assert.ok(first.NextToken);
    assert.equal(
      await errorName(cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'other', NextToken: first.NextToken }))),
      'InvalidNextToken',
    );
    assert.equal(await errorName(cw.send(new ListMetricsCommand({ NextToken: 'bogus' }))), 'InvalidNextToken');
    cloud.awsFails('InvalidNextToken', 'cloudwatch', 'describe-alarms', '--next-token', 'bogus');
  });

  it('EC2 DescribeSecurityGroups, DescribeVpcs, DescribeTags (NextToken/MaxResults, 5..1000): --page-size 5 lists all; bad tokens and sizes refused', async () => {
    const vpc = cloud.awsOk('ec2', 'create-vpc', '--cidr-block', '10.40.0.0/16').Vpc.VpcId;
    const made: string[] = [];
    for (let n = 1; n <= 7; n++) {
      made.push(
        cloud.awsOk(
          'ec2',
          'create-security-group',
          '--group-name',
          `paged-${n}`,
          '--description',
          'paged',
          '--vpc-id',
          vpc,
          '--tag-specifications',
          `ResourceType=security-group,Tags=[{Key=paged,Value=${n}}]`,
        ).GroupId,
      );
    }
    const groups = cloud.awsOk('ec2', 'describe-security-groups', '--filters', `Name=vpc-id,Values=${vpc}`, '--page-size', '5');
    assert.deepEqual(groups.SecurityGroups.map((g: { GroupId: string }) => g.GroupId).sort(), [...made, defaultGroupOf(cloud, vpc)].sort());
    const tags = cloud.awsOk('ec2', 'describe-tags', '--filters', 'Name=key,Values=paged', '--page-size', '5');
    assert.deepEqual(tags.Tags.map((t: { ResourceId: string }) => t.ResourceId).sort(), [...made].sort());
    const vpcs = cloud.awsOk('ec2', 'describe-vpcs', '--page-size', '5');
    assert.ok(vpcs.Vpcs.some((v: { VpcId: string }) => v.VpcId === vpc));

    const ec2 = new EC2Client(cloud.sdk);
    const first = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }], MaxResults: 5 }));
    assert.equal(first.SecurityGroups?.length, 5);
    assert.ok(first.NextToken);
    assert.equal(
      await errorName(ec2.send(new DescribeSecurityGroupsCommand({ MaxResults: 5, NextToken: first.NextToken }))),
      'InvalidPaginationToken',
    );
    assert.equal(await errorName(ec2.send(new DescribeTagsCommand({ MaxResults: 5, NextToken: 'bogus' }))), 'InvalidPaginationToken');
    assert.equal(await errorName(ec2.send(new DescribeVpcsCommand({ MaxResults: 3 }))), 'InvalidParameterValue');
    cloud.awsFails('InvalidPaginationToken', 'ec2', 'describe-security-groups', '--max-results', '5', '--next-token', 'bogus');
  });

  it("every other paginated IAM, SSM and CloudWatch List/Describe: the CLI's small pages give the same list as one page", () => {
    cloud.awsOk('iam', 'create-role', '--role-name', 'hub', '--assume-role-policy-document', TRUST);
    const doc = (n: number) =>
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: `s3:Get${n}`, Resource: '*' }] });
    const arns: string[] = [];
    for (const n of [1, 2, 3]) {
      cloud.awsOk('iam', 'put-role-policy', '--role-name', 'hub', '--policy-name', `inline-${n}`, '--policy-document', doc(n));
      arns.push(cloud.awsOk('iam', 'create-policy', '--policy-name', `managed-${n}`, '--policy-document', doc(n)).Policy.Arn);
      cloud.awsOk('iam', 'attach-role-policy', '--role-name', 'hub', '--policy-arn', arns[n - 1]);
      cloud.awsOk('iam', 'attach-role-policy', '--role-name', `paged-${n}`, '--policy-arn', arns[0]);
      cloud.awsOk('iam', 'create-instance-profile', '--instance-profile-name', `profile-${n}`);
      cloud.awsOk('iam', 'add-role-to-instance-profile', '--instance-profile-name', `profile-${n}`, '--role-name', 'hub');
    }
    for (const n of [4, 5]) cloud.awsOk('iam', 'create-policy-version', '--policy-arn', arns[0], '--policy-document', doc(n));
    samePaged(cloud, ['iam', 'list-role-policies', '--role-name', 'hub'], 'PolicyNames', 1, 3);
    samePaged(cloud, ['iam', 'list-attached-role-policies', '--role-name', 'hub'], 'AttachedPolicies', 1, 3);
    samePaged(cloud, ['iam', 'list-policies', '--scope', 'Local'], 'Policies', 1, 3);
    samePaged(cloud, ['iam', 'list-policy-versions', '--policy-arn', arns[0]], 'Versions', 1, 3);
    samePaged(cloud, ['iam', 'list-entities-for-policy', '--policy-arn', arns[0]], 'PolicyRoles', 1, 4, false);
    samePaged(cloud, ['iam', 'list-instance-profiles'], 'InstanceProfiles', 1, 3);
    samePaged(cloud, ['iam', 'list-instance-profiles-for-role', '--role-name', 'hub'], 'InstanceProfiles', 1, 3);
    samePaged(
      cloud,
      [
        'iam',
        'simulate-principal-policy',
        '--policy-source-arn',
        cloud.awsOk('iam', 'get-role', '--role-name', 'hub').Role.Arn,
        '--action-names',
        's3:Get1',
        's3:Get2',
        's3:Get3',
      ],
      'EvaluationResults',
      1,
      3,
    );
    samePaged(
      cloud,
      ['iam', 'simulate-custom-policy', '--policy-input-list', doc(1), '--action-names', 's3:Get1', 's3:Get2', 's3:Get3'],
      'EvaluationResults',
      1,
      3,
    );

    for (const n of [1, 2, 3])
      cloud.awsOk('ssm', 'put-parameter', '--name', '/history', '--value', `h${n}`, '--type', 'String', '--overwrite');
    samePaged(cloud, ['ssm', 'get-parameter-history', '--name', '/history'], 'Parameters', 1, 3);

    for (const state of ['ALARM', 'OK', 'ALARM'])
      cloud.awsOk('cloudwatch', 'set-alarm-state', '--alarm-name', 'paged-1', '--state-value', state, '--state-reason', 'test');
    // The alarm's next evaluation (no data: INSUFFICIENT_DATA) may add an item between two listings; the end date keeps
    // both listings to the same items.
    const until = new Date().toISOString();
    samePaged(cloud, ['cloudwatch', 'describe-alarm-history', '--alarm-name', 'paged-1', '--end-date', until], 'AlarmHistoryItems', 1, 3);
  });

  it('every other paginated EC2 Describe: --page-size 5 gives the same list as one page', () => {
    const vpc = cloud.awsOk('ec2', 'create-vpc', '--cidr-block', '10.41.0.0/16').Vpc.VpcId;
    const volume = (n: number) =>
      cloud.awsOk('ec2', 'create-volume', '--availability-zone', `${cloud.region}a`, '--size', String(n)).VolumeId;
    const volumes: string[] = [];
    for (let n = 1; n <= 6; n++) {
      cloud.awsOk('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', `10.41.${n}.0/24`);
      cloud.awsOk('ec2', 'create-route-table', '--vpc-id', vpc);
      cloud.awsOk('ec2', 'create-network-acl', '--vpc-id', vpc);
      cloud.awsOk('ec2', 'create-internet-gateway');
      volumes.push(volume(n));
    }
    for (let n = 1; n <= 6; n++) cloud.awsOk('ec2', 'create-snapshot', '--volume-id', volumes[0]);
    const inVpc = ['--filters', `Name=vpc-id,Values=${vpc}`];
    samePaged(cloud, ['ec2', 'describe-subnets', ...inVpc], 'Subnets', 5, 6);
    samePaged(cloud, ['ec2', 'describe-route-tables', ...inVpc], 'RouteTables', 5, 7);
    samePaged(cloud, ['ec2', 'describe-network-acls', ...inVpc], 'NetworkAcls', 5, 7);
    samePaged(cloud, ['ec2', 'describe-volumes', '--filters', `Name=volume-id,Values=${volumes.join(',')}`], 'Volumes', 5, 6);
    samePaged(
      cloud,
      ['ec2', 'describe-volume-status', '--filters', `Name=availability-zone,Values=${cloud.region}a`],
      'VolumeStatuses',
      5,
      6,
    );
    samePaged(cloud, ['ec2', 'describe-snapshots', '--owner-ids', 'self'], 'Snapshots', 5, 6);
    samePaged(cloud, ['ec2', 'describe-security-group-rules'], 'SecurityGroupRules', 5, 6);
    samePaged(cloud, ['ec2', 'describe-internet-gateways'], 'InternetGateways', 5, 6);
  });

  it('CloudFormation: stacks, events, resources, exports and imports in pages of 100 with NextToken; the CLI lists all; a foreign token is ValidationError', async () => {
    const handles = Array.from({ length: 101 }, (_, i) => i);
    const big = {
      Resources: Object.fromEntries(handles.map((i) => [`Handle${i}`, { Type: 'AWS::CloudFormation::WaitConditionHandle' }])),
      Outputs: Object.fromEntries(handles.map((i) => [`Out${i}`, { Value: `v${i}`, Export: { Name: `paged-export-${i}` } }])),
    };
    const cfn = new CloudFormationClient(cloud.sdk);
    await cfn.send(new CreateStackCommand({ StackName: 'paged-big', TemplateBody: JSON.stringify(big) }));
    await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 300, minDelay: 1 }, { StackName: 'paged-big' });
    const small = {
      Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
      Outputs: { Imported: { Value: { 'Fn::ImportValue': 'paged-export-0' } } },
    };
    await Promise.all(
      handles.map((i) => cfn.send(new CreateStackCommand({ StackName: `paged-${i}`, TemplateBody: JSON.stringify(small) }))),
    );
    for (const i of handles)
      await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 300, minDelay: 1 }, { StackName: `paged-${i}` });

    const stacks = await cfn.send(new DescribeStacksCommand({}));
    assert.equal(stacks.Stacks?.length, 100);
    const rest = await cfn.send(new DescribeStacksCommand({ NextToken: stacks.NextToken }));
    assert.equal(rest.Stacks?.length, 2);
    assert.equal(rest.NextToken, undefined);
    assert.equal(cloud.awsOk('cloudformation', 'describe-stacks').Stacks.length, 102);
    const listed = await cfn.send(new ListStacksCommand({}));
    assert.equal(listed.StackSummaries?.length, 100);
    assert.ok(listed.NextToken);
    assert.equal(cloud.awsOk('cloudformation', 'list-stacks').StackSummaries.length, 102);

    const events = await cfn.send(new DescribeStackEventsCommand({ StackName: 'paged-big' }));
    assert.equal(events.StackEvents?.length, 100);
    const allEvents = cloud.awsOk('cloudformation', 'describe-stack-events', '--stack-name', 'paged-big').StackEvents;
    // Three events per resource (in progress, creation initiated, complete), two for the stack.
    assert.equal(allEvents.length, 3 * 101 + 2);
    assert.equal(allEvents[allEvents.length - 1].ResourceStatus, 'CREATE_IN_PROGRESS');
    assert.equal(allEvents[allEvents.length - 1].LogicalResourceId, 'paged-big');
    const resources = await cfn.send(new ListStackResourcesCommand({ StackName: 'paged-big' }));
    assert.equal(resources.StackResourceSummaries?.length, 100);
    assert.equal(cloud.awsOk('cloudformation', 'list-stack-resources', '--stack-name', 'paged-big').StackResourceSummaries.length, 101);
    const exports = await cfn.send(new ListExportsCommand({}));
    assert.equal(exports.Exports?.length, 100);
    assert.equal(cloud.awsOk('cloudformation', 'list-exports').Exports.length, 101);
    const imports = await cfn.send(new ListImportsCommand({ ExportName: 'paged-export-0' }));
    assert.equal(imports.Imports?.length, 100);
    assert.deepEqual(
      cloud.awsOk('cloudformation', 'list-imports', '--export-name', 'paged-export-0').Imports.sort(),
      handles.map((i) => `paged-${i}`).sort(),
    );

    // A token is bound to its request: another stack's events, or a made-up one, are refused.
    assert.equal(
      await errorName(cfn.send(new DescribeStackEventsCommand({ StackName: 'paged-0', NextToken: events.NextToken }))),
      'ValidationError',
    );
    cloud.awsFails('ValidationError', 'cloudformation', 'list-stacks', '--next-token', 'bogus');
  });

  it('SNS ListTopics and Health DescribeEvents refuse a token they did not issue with their own codes', () => {
    cloud.awsFails('InvalidParameter', 'sns', 'list-topics', '--next-token', 'bogus');
    cloud.awsFails('InvalidPaginationToken', 'health', 'describe-events', '--next-token', 'bogus');
  });
});

/** The aws CLI's auto-pagination in pages of `size` gives exactly the list one page gives, of at least `atLeast` items. */
function samePaged(cloud: TestCloud, args: string[], key: string, size: number, atLeast: number, oneResultKey = true): void {
  const whole = cloud.awsOk(...args)[key] as unknown[];
  assert.ok(whole.length >= atLeast, `${args.join(' ')}: ${whole.length} items, expected at least ${atLeast}`);
  const paged = cloud.awsOk(...args, '--page-size', String(size))[key] as unknown[];
  assert.deepEqual(paged, whole, args.join(' '));
  // The server itself cut the first page: the CLI's resume token carries the server's token, not only a count of
  // items the CLI dropped from an oversized page (the CLI counts --max-items on the first result key only).
  if (!oneResultKey) return;
  const first = cloud.awsOk(...args, '--page-size', String(size), '--max-items', String(size));
  assert.equal((first[key] as unknown[]).length, size, args.join(' '));
  const resume = JSON.parse(Buffer.from(first.NextToken as string, 'base64').toString('utf8')) as Record<string, unknown>;
  assert.ok(
    Object.keys(resume).some((k) => k !== 'boto_truncate_amount'),
    `${args.join(' ')}: the server did not page (${JSON.stringify(resume)})`,
  );
}

function defaultGroupOf(cloud: TestCloud, vpc: string): string {
  const out = cloud.awsOk('ec2', 'describe-security-groups', '--filters', `Name=vpc-id,Values=${vpc}`, 'Name=group-name,Values=default');
  return out.SecurityGroups[0].GroupId;
}
