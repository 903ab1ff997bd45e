import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateChangeSetCommand,
  CreateStackCommand,
  DescribeChangeSetCommand,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { TestCloud } from './support/cloud.js';
import { cfn, eventLog, settle, templateBody, templatePath } from './templates/support.js';

describe('UpdateStack and change sets', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('masks NoEcho, updates in place with UsePreviousValue, replaces through a change set, and rolls back a failed update', async () => {
    const client = cfn(cloud);
    const vpcOf = async () =>
      (await client.send(new DescribeStackResourceCommand({ StackName: 'net', LogicalResourceId: 'VPC' }))).StackResourceDetail
        ?.PhysicalResourceId;
    await client.send(
      new CreateStackCommand({
        StackName: 'net',
        TemplateBody: templateBody('update-vpc.yaml'),
        Parameters: [
          { ParameterKey: 'Cidr', ParameterValue: '10.0.0.0/16' },
          { ParameterKey: 'Secret', ParameterValue: 'hunter2' },
        ],
      }),
    );
    const created = await settle(client, 'net');
    assert.equal(created.StackStatus, 'CREATE_COMPLETE', created.StackStatusReason);
    assert.deepEqual(
      created.Parameters?.map((p) => [p.ParameterKey, p.ParameterValue]),
      [
        ['Cidr', '10.0.0.0/16'],
        ['DnsHostnames', 'false'],
        ['Secret', '****'],
      ],
    );
    const firstVpc = await vpcOf();

    // In place: only EnableDnsHostnames changes; the seed's update-stack form with UsePreviousValue.
    const upd = cloud.aws(
      'cloudformation',
      'update-stack',
      '--stack-name',
      'net',
      '--template-body',
      `file://${templatePath('update-vpc.yaml')}`,
      '--parameters',
      'ParameterKey=Cidr,UsePreviousValue=true',
      'ParameterKey=Secret,UsePreviousValue=true',
      'ParameterKey=DnsHostnames,ParameterValue=true',
    );
    assert.equal(upd.status, 0, upd.stderr);
    assert.equal((await settle(client, 'net')).StackStatus, 'UPDATE_COMPLETE');
    assert.equal(await vpcOf(), firstVpc);
    const attr = cloud.aws('ec2', 'describe-vpc-attribute', '--vpc-id', String(firstVpc), '--attribute', 'enableDnsHostnames');
    assert.equal(attr.json.EnableDnsHostnames.Value, true);
    const { lines } = await eventLog(client, 'net');
    assert.deepEqual(lines.slice(lines.indexOf('net UPDATE_IN_PROGRESS')), [
      'net UPDATE_IN_PROGRESS',
      'VPC UPDATE_IN_PROGRESS',
      'VPC UPDATE_COMPLETE',
      'net UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      'net UPDATE_COMPLETE',
    ]);

    const same = cloud.aws(
      'cloudformation',
      'update-stack',
      '--stack-name',
      'net',
      '--use-previous-template',
      '--parameters',
      'ParameterKey=Cidr,UsePreviousValue=true',
      'ParameterKey=Secret,UsePreviousValue=true',
      'ParameterKey=DnsHostnames,UsePreviousValue=true',
    );
    assert.equal(same.status, 254);
    assert.match(same.stderr, /ValidationError.*No updates are to be performed\./);

    // Replacement, previewed by a change set.
    const params = [
      { ParameterKey: 'Cidr', ParameterValue: '10.1.0.0/16' },
      { ParameterKey: 'Secret', UsePreviousValue: true },
      { ParameterKey: 'DnsHostnames', UsePreviousValue: true },
    ];
    const cs = await client.send(
      new CreateChangeSetCommand({ StackName: 'net', ChangeSetName: 'new-cidr', UsePreviousTemplate: true, Parameters: params }),
    );
    const described = await client.send(new DescribeChangeSetCommand({ ChangeSetName: cs.Id }));
    assert.equal(described.Status, 'CREATE_COMPLETE');
    assert.deepEqual(
      described.Changes?.map((c) => [c.ResourceChange?.Action, c.ResourceChange?.LogicalResourceId, c.ResourceChange?.Replacement]),
      [
        ['Modify', 'VPC', 'True'],
        ['Modify', 'Subnet', 'Conditional'],
      ],
    ); // the subnet's values come from the new VPC
    assert.deepEqual(described.Changes?.[0].ResourceChange?.Details?.[0].Target, {
      Attribute: 'Properties',
      Name: 'CidrBlock',
      RequiresRecreation: 'Always',
    });
    assert.equal(await vpcOf(), firstVpc, 'a change set changes nothing until executed');
    await client.send(new ExecuteChangeSetCommand({ ChangeSetName: cs.Id }));
    const replaced = await settle(client, 'net');
    assert.equal(replaced.StackStatus, 'UPDATE_COMPLETE', replaced.StackStatusReason);
    const secondVpc = await vpcOf();
    assert.notEqual(secondVpc, firstVpc);
    assert.equal(cloud.aws('ec2', 'describe-vpcs', '--vpc-ids', String(firstVpc)).status, 254, 'the old VPC is deleted in cleanup');
    assert.equal(replaced.Outputs?.find((o) => o.OutputKey === 'SubnetCidr')?.OutputValue, '10.1.0.0/24');
    const after = (await eventLog(client, 'net')).events;
    const vpcUpdate = after.filter((e) => e.LogicalResourceId === 'VPC' && e.ResourceStatus === 'UPDATE_IN_PROGRESS').pop();
    assert.equal(vpcUpdate?.ResourceStatusReason, 'Resource creation Initiated');
    assert.ok(
      after.some((e) => e.LogicalResourceId === 'VPC' && e.ResourceStatus === 'DELETE_COMPLETE' && e.PhysicalResourceId === firstVpc),
    );

    // A failed update rolls back to the previous VPC and removes what it made.
    await client.send(
      new UpdateStackCommand({
        StackName: 'net',
        TemplateBody: templateBody('update-vpc-fails.yaml'),
        Parameters: [
          { ParameterKey: 'Cidr', ParameterValue: '10.2.0.0/16' },
          { ParameterKey: 'Secret', UsePreviousValue: true },
          { ParameterKey: 'DnsHostnames', UsePreviousValue: true },
        ],
      }),
    );
    const rolled = await settle(client, 'net');
    assert.equal(rolled.StackStatus, 'UPDATE_ROLLBACK_COMPLETE');
    assert.equal(await vpcOf(), secondVpc);
    const stackLines = (await eventLog(client, 'net')).lines.filter((l) => l.startsWith('net ')).slice(-4);
    assert.deepEqual(stackLines, [
      'net UPDATE_IN_PROGRESS',
      'net UPDATE_ROLLBACK_IN_PROGRESS',
      'net UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
      'net UPDATE_ROLLBACK_COMPLETE',
    ]);
    const vpcs = cloud.aws('ec2', 'describe-vpcs').json.Vpcs.map((v: { VpcId: string }) => v.VpcId);
    assert.deepEqual(vpcs, [secondVpc]);
    assert.equal(rolled.Parameters?.find((p) => p.ParameterKey === 'Cidr')?.ParameterValue, '10.1.0.0/16');
  });

  it('creates a stack through a CREATE change set (REVIEW_IN_PROGRESS until executed); a change set without changes fails', async () => {
    const client = cfn(cloud);
    const body = templateBody('keypair.yaml');
    const cs = await client.send(
      new CreateChangeSetCommand({
        StackName: 'fresh',
        ChangeSetName: 'first',
        ChangeSetType: 'CREATE',
        TemplateBody: body,
        Parameters: [{ ParameterKey: 'Name', ParameterValue: 'viacs' }],
      }),
    );
    const review = (await client.send(new DescribeStacksCommand({ StackName: 'fresh' }))).Stacks?.[0];
    assert.equal(review?.StackStatus, 'REVIEW_IN_PROGRESS');
    const described = await client.send(new DescribeChangeSetCommand({ ChangeSetName: 'first', StackName: 'fresh' }));
    assert.deepEqual(
      described.Changes?.map((c) => [c.ResourceChange?.Action, c.ResourceChange?.LogicalResourceId, c.ResourceChange?.ResourceType]),
      [['Add', 'Key', 'AWS::EC2::KeyPair']],
    );
    assert.equal(described.ExecutionStatus, 'AVAILABLE');
    await client.send(new ExecuteChangeSetCommand({ ChangeSetName: cs.Id }));
    const created = await settle(client, 'fresh');
    assert.equal(created.StackStatus, 'CREATE_COMPLETE', created.StackStatusReason);
    assert.equal(created.Outputs?.find((o) => o.OutputKey === 'KeyName')?.OutputValue, 'fresh-viacs');
    await assert.rejects(client.send(new DescribeChangeSetCommand({ ChangeSetName: cs.Id })), { name: 'ChangeSetNotFoundException' });

    const none = await client.send(
      new CreateChangeSetCommand({
        StackName: 'fresh',
        ChangeSetName: 'nothing',
        UsePreviousTemplate: true,
        Parameters: [{ ParameterKey: 'Name', UsePreviousValue: true }],
      }),
    );
    const failed = await client.send(new DescribeChangeSetCommand({ ChangeSetName: none.Id }));
    assert.equal(failed.Status, 'FAILED');
    assert.equal(
      failed.StatusReason,
      "The submitted information didn't contain changes. Submit different information to create a change set.",
    );
    await assert.rejects(client.send(new ExecuteChangeSetCommand({ ChangeSetName: none.Id })), { name: 'InvalidChangeSetStatusException' });
  });

  it('reads attributes changed outside the stack again before an update', async () => {
    const client = cfn(cloud);
    await client.send(
      new CreateStackCommand({
        StackName: 'refresh',
        TemplateBody: templateBody('refresh.yaml'),
        Parameters: [{ ParameterKey: 'Label', ParameterValue: 'one' }],
      }),
    );
    const first = await settle(client, 'refresh');
    assert.equal(first.StackStatus, 'CREATE_COMPLETE', first.StackStatusReason);
    const out = (s: typeof first, key: string) => s.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
    const moved = cloud.aws(
      'ec2',
      'replace-network-acl-association',
      '--association-id',
      String(out(first, 'Association')),
      '--network-acl-id',
      String(out(first, 'Acl')),
    );
    assert.equal(moved.status, 0, moved.stderr);
    await client.send(
      new UpdateStackCommand({
        StackName: 'refresh',
        UsePreviousTemplate: true,
        Parameters: [{ ParameterKey: 'Label', ParameterValue: 'two' }],
      }),
    );
    const second = await settle(client, 'refresh');
    assert.equal(second.StackStatus, 'UPDATE_COMPLETE', second.StackStatusReason);
    assert.equal(out(second, 'Association'), moved.json.NewAssociationId);
  });
});
