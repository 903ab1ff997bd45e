import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCloud } from './support/cloud.js';
import { cfn, eventLog, SEED_TEMPLATES, settle, templatePath } from './templates/support.js';

const NETWORK = [
  'VPC',
  'Subnet',
  'InternetGateway',
  'GatewayToInternet',
  'RouteTable',
  'InternetRoute',
  'RouteTableAssociation',
  'NetworkAcl',
  'NetworkAceSSH',
  'NetworkAceJenkinsHTTP',
  'NetworkAceNTP',
  'NetworkAceICMP',
  'NetworkAceHighPortsTCP',
  'NetworkAceHighPortsUDP',
  'NetworkAceEgress',
  'NetworkAclAssociation',
  'SecurityGroup',
];

describe("the seed's recovery.json through the real aws CLI", () => {
  let cloud: TestCloud;
  before(async () => {
    // 60 AWS seconds per wall second, so that --timeout-in-minutes bounds a compute resource that never gets ready.
    cloud = await TestCloud.start({ timeScale: 60 });
    assert.equal(cloud.aws('ec2', 'create-key-pair', '--key-name', 'mykey').status, 0);
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('with --disable-rollback: every network resource exists in EC2, the instance fails clearly, delete-stack removes them all', async () => {
    const r = cloud.aws(
      'cloudformation',
      'create-stack',
      '--stack-name',
      'jenkins-recovery',
      '--template-body',
      `file://${SEED_TEMPLATES}/recovery.json`,
      '--parameters',
      'ParameterKey=JenkinsAdminPassword,ParameterValue=secret1234',
      '--disable-rollback',
      '--timeout-in-minutes',
      '10',
    );
    assert.equal(r.status, 0, r.stderr);
    const client = cfn(cloud);
    const stack = await settle(client, 'jenkins-recovery');
    const resources = cloud.aws('cloudformation', 'list-stack-resources', '--stack-name', 'jenkins-recovery').json
      .StackResourceSummaries as Array<{
      LogicalResourceId: string;
      ResourceStatus: string;
      PhysicalResourceId?: string;
      ResourceStatusReason?: string;
    }>;
    const byId = Object.fromEntries(resources.map((x) => [x.LogicalResourceId, x]));
    // What the instance needs exists before it starts; the rest is complete unless the instance failed first and
    // cancelled it, as CloudFormation does.
    for (const id of ['VPC', 'Subnet', 'InternetGateway', 'GatewayToInternet', 'SecurityGroup'])
      assert.equal(byId[id]?.ResourceStatus, 'CREATE_COMPLETE', id);
    for (const id of NETWORK) {
      if (byId[id]?.ResourceStatus !== 'CREATE_COMPLETE') assert.equal(byId[id]?.ResourceStatusReason, 'Resource creation cancelled', id);
    }
    const entriesMade = NETWORK.filter((id) => id.startsWith('NetworkAce') && byId[id]?.ResourceStatus === 'CREATE_COMPLETE').length;
    // The instance runs only where its issue's runtime can (root, nftables); elsewhere it must fail with its reason.
    if (byId.Server.ResourceStatus === 'CREATE_FAILED') {
      assert.equal(stack.StackStatus, 'CREATE_FAILED');
      assert.equal(stack.StackStatusReason, 'The following resource(s) failed to create: [Server]. ');
      assert.ok(byId.Server.ResourceStatusReason, 'the failure has a reason');
      assert.equal(byId.ElasticIP, undefined, 'resources waiting on the failed one are never started');
    } else {
      assert.equal(byId.Server.ResourceStatus, 'CREATE_COMPLETE');
    }

    const vpcId = byId.VPC.PhysicalResourceId;
    const vpcs = cloud.aws('ec2', 'describe-vpcs', '--vpc-ids', String(vpcId)).json.Vpcs;
    assert.equal(vpcs[0].CidrBlock, '10.0.0.0/16');
    const tags = Object.fromEntries(vpcs[0].Tags.map((t: { Key: string; Value: string }) => [t.Key, t.Value]));
    assert.equal(tags.Name, 'jenkins-recovery');
    assert.equal(tags['aws:cloudformation:stack-name'], 'jenkins-recovery');
    assert.equal(tags['aws:cloudformation:logical-id'], 'VPC');
    assert.equal(tags['aws:cloudformation:stack-id'], stack.StackId);
    const subnets = cloud.aws('ec2', 'describe-subnets', '--filters', `Name=vpc-id,Values=${vpcId}`).json.Subnets;
    assert.deepEqual(
      subnets.map((s: { CidrBlock: string; AvailabilityZone: string }) => [s.CidrBlock, s.AvailabilityZone]),
      [['10.0.0.0/24', 'us-east-1a']],
    );
    if (byId.NetworkAcl.ResourceStatus === 'CREATE_COMPLETE') {
      const acl = cloud.aws('ec2', 'describe-network-acls', '--network-acl-ids', String(byId.NetworkAcl.PhysicalResourceId)).json
        .NetworkAcls[0];
      if (byId.NetworkAclAssociation.ResourceStatus === 'CREATE_COMPLETE') assert.equal(acl.Associations[0].SubnetId, subnets[0].SubnetId);
      assert.equal(acl.Entries.filter((e: { RuleNumber: number }) => e.RuleNumber < 32767).length, entriesMade);
    }
    if (byId.InternetRoute.ResourceStatus === 'CREATE_COMPLETE') {
      const tables = cloud.aws('ec2', 'describe-route-tables', '--route-table-ids', String(byId.RouteTable.PhysicalResourceId)).json
        .RouteTables[0];
      assert.ok(
        tables.Routes.some(
          (x: { DestinationCidrBlock: string; GatewayId: string }) =>
            x.DestinationCidrBlock === '0.0.0.0/0' && x.GatewayId === byId.InternetGateway.PhysicalResourceId,
        ),
      );
    }
    const group = cloud.aws('ec2', 'describe-security-groups', '--group-ids', String(byId.SecurityGroup.PhysicalResourceId)).json
      .SecurityGroups[0];
    assert.deepEqual(group.IpPermissions.map((p: { IpProtocol: string; FromPort: number }) => `${p.IpProtocol}:${p.FromPort}`).sort(), [
      'icmp:-1',
      'tcp:22',
      'tcp:8080',
    ]);
    assert.match(group.GroupName, /^jenkins-recovery-SecurityGroup-[A-Z0-9]+$/);

    assert.equal(cloud.aws('cloudformation', 'delete-stack', '--stack-name', 'jenkins-recovery').status, 0);
    const deleted = await settle(client, stack.StackId ?? '');
    assert.equal(deleted.StackStatus, 'DELETE_COMPLETE', deleted.StackStatusReason);
    const gone = cloud.aws('cloudformation', 'describe-stacks', '--stack-name', 'jenkins-recovery');
    assert.equal(gone.status, 254);
    assert.match(gone.stderr, /Stack with id jenkins-recovery does not exist/);
    assert.equal(cloud.aws('ec2', 'describe-vpcs', '--vpc-ids', String(vpcId)).status, 254);
  });

  it('by default rolls back: CREATE_FAILED, ROLLBACK_IN_PROGRESS, every created resource deleted, ROLLBACK_COMPLETE', async () => {
    const r = cloud.aws(
      'cloudformation',
      'create-stack',
      '--stack-name',
      'jenkins-recovery',
      '--template-body',
      `file://${templatePath('network-then-unknown-type.json')}`,
      '--parameters',
      'ParameterKey=JenkinsAdminPassword,ParameterValue=secret1234',
    );
    assert.equal(r.status, 0, r.stderr);
    const client = cfn(cloud);
    const stack = await settle(client, 'jenkins-recovery');
    assert.equal(stack.StackStatus, 'ROLLBACK_COMPLETE');
    const { lines, events } = await eventLog(client, 'jenkins-recovery');
    const stackLines = lines.filter((l) => l.startsWith('jenkins-recovery '));
    assert.deepEqual(stackLines, [
      'jenkins-recovery CREATE_IN_PROGRESS',
      'jenkins-recovery ROLLBACK_IN_PROGRESS',
      'jenkins-recovery ROLLBACK_COMPLETE',
    ]);
    assert.equal(
      events.find((e) => e.ResourceStatus === 'ROLLBACK_IN_PROGRESS')?.ResourceStatusReason,
      'The following resource(s) failed to create: [Probe]. Rollback requested by user.',
    );
    assert.match(
      events.find((e) => e.LogicalResourceId === 'Probe' && e.ResourceStatus === 'CREATE_FAILED')?.ResourceStatusReason ?? '',
      /AWS::Halo::Missing/,
    );
    for (const id of NETWORK) {
      const mine = lines.filter((l) => l.startsWith(`${id} `));
      assert.deepEqual(mine, [
        `${id} CREATE_IN_PROGRESS`,
        `${id} CREATE_IN_PROGRESS`,
        `${id} CREATE_COMPLETE`,
        `${id} DELETE_IN_PROGRESS`,
        `${id} DELETE_COMPLETE`,
      ]);
    }
    // The VPC is deleted only after everything in it.
    assert.ok(lines.indexOf('VPC DELETE_IN_PROGRESS') > lines.indexOf('Subnet DELETE_COMPLETE'));
    assert.equal(cloud.aws('ec2', 'describe-vpcs').json.Vpcs.length, 0);
    assert.equal(cloud.aws('cloudformation', 'delete-stack', '--stack-name', 'jenkins-recovery').status, 0);
    assert.equal((await settle(client, stack.StackId ?? '')).StackStatus, 'DELETE_COMPLETE');
  });
});
