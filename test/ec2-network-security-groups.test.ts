import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateDefaultVpcCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { TestCloud } from './support/cloud.js';
import { errorName } from './support/errors.js';

describe('EC2 security groups through the SDK and the real aws CLI', () => {
  let cloud: TestCloud;
  let ec2: EC2Client;
  let vpcId: string;
  before(async () => {
    cloud = await TestCloud.start();
    ec2 = new EC2Client(cloud.sdk);
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
  });
  after(async () => {
    ec2?.destroy();
    await cloud?.dispose();
  });

  const group = async (id: string) => (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups?.[0];

  it('names are unique per VPC; default is reserved; a VPC is needed (there is no default VPC)', async () => {
    const web = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: 'web',
        Description: 'web servers',
        VpcId: vpcId,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'tier', Value: 'front' }] }],
      }),
    );
    assert.match(web.GroupId ?? '', /^sg-[0-9a-f]{17}$/);
    assert.equal(
      await errorName(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'again', VpcId: vpcId }))),
      'InvalidGroup.Duplicate',
    );
    const otherVpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId;
    await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'same name, other VPC', VpcId: otherVpc }));
    assert.equal(
      await errorName(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'default', Description: 'x', VpcId: vpcId }))),
      'InvalidParameterValue',
    );
    assert.equal(await errorName(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'novpc', Description: 'x' }))), 'VPCIdNotSpecified');
    assert.equal(
      await errorName(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'x', VpcId: 'vpc-00000000000000000' }))),
      'InvalidVpcID.NotFound',
    );

    const byTag =
      (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:tier', Values: ['front'] }] }))).SecurityGroups ?? [];
    assert.deepEqual(
      byTag.map((g) => g.GroupId),
      [web.GroupId],
    );
    const byName =
      (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['web'] }] }))).SecurityGroups ?? [];
    assert.equal(byName.length, 2);
    const created = await group(web.GroupId ?? '');
    assert.deepEqual(created?.IpPermissions, []);
    assert.deepEqual(
      created?.IpPermissionsEgress?.map((p) => [p.IpProtocol, p.IpRanges?.map((r) => r.CidrIp)]),
      [['-1', ['0.0.0.0/0']]],
    );
    assert.equal(
      await errorName(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-00000000000000000'] }))),
      'InvalidGroup.NotFound',
    );
  });

  it('ingress rules: CIDR and group peers, protocol names and numbers, the flat form, duplicates refused', async () => {
    const app = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'app', Description: 'app', VpcId: vpcId }))).GroupId ?? '';
    const lb = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'lb', Description: 'lb', VpcId: vpcId }))).GroupId ?? '';
    const added = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: app,
        IpPermissions: [
          {
            IpProtocol: '6',
            FromPort: 8080,
            ToPort: 8080,
            UserIdGroupPairs: [{ GroupId: lb, Description: 'from the load balancer' }],
            IpRanges: [{ CidrIp: '10.0.0.0/16' }],
          },
          { IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          { IpProtocol: '-1', FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: '192.168.0.0/24' }] },
        ],
      }),
    );
    assert.equal(added.Return, true);
    assert.equal(added.SecurityGroupRules?.length, 4);
    assert.ok(
      added.SecurityGroupRules?.every(
        (r) => /^sgr-[0-9a-f]{17}$/.test(r.SecurityGroupRuleId ?? '') && r.GroupId === app && r.IsEgress === false,
      ),
    );

    // The older flat parameters (CloudFormation's CidrIp form) make one rule.
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: app, IpProtocol: 'udp', FromPort: 123, ToPort: 123, CidrIp: '0.0.0.0/0' }),
    );

    const g = await group(app);
    assert.deepEqual(
      g?.IpPermissions?.map((p) => [
        p.IpProtocol,
        p.FromPort,
        p.ToPort,
        p.IpRanges?.map((r) => r.CidrIp),
        p.UserIdGroupPairs?.map((u) => [u.GroupId, u.Description]),
      ]),
      [
        ['tcp', 8080, 8080, ['10.0.0.0/16'], [[lb, 'from the load balancer']]],
        ['icmp', 8, -1, ['0.0.0.0/0'], []],
        ['-1', undefined, undefined, ['192.168.0.0/24'], []],
        ['udp', 123, 123, ['0.0.0.0/0'], []],
      ],
    );

    assert.equal(
      await errorName(
        ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: app,
            IpProtocol: 'tcp',
            FromPort: 8080,
            ToPort: 8080,
            CidrIp: '10.0.0.0/16',
          }),
        ),
      ),
      'InvalidPermission.Duplicate',
    );
    assert.equal(
      await errorName(
        ec2.send(
          new AuthorizeSecurityGroupIngressCommand({ GroupId: app, IpProtocol: 'tcp', FromPort: 1, ToPort: 2, CidrIp: '10.0.0.0/33' }),
        ),
      ),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorName(
        ec2.send(
          new AuthorizeSecurityGroupIngressCommand({ GroupId: app, IpProtocol: 'bogus', FromPort: 1, ToPort: 2, CidrIp: '10.0.0.0/8' }),
        ),
      ),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorName(
        ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: app,
            IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 2, UserIdGroupPairs: [{ GroupId: 'sg-00000000000000000' }] }],
          }),
        ),
      ),
      'InvalidGroup.NotFound',
    );
    assert.equal(
      await errorName(
        ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: 'sg-00000000000000000',
            IpProtocol: 'tcp',
            FromPort: 1,
            ToPort: 2,
            CidrIp: '10.0.0.0/8',
          }),
        ),
      ),
      'InvalidGroup.NotFound',
    );

    // A group named in another group's rule cannot be deleted.
    assert.equal(await errorName(ec2.send(new DeleteSecurityGroupCommand({ GroupId: lb }))), 'DependencyViolation');

    // Revoke: exact match or nothing (non-default VPC), or by rule id.
    assert.equal(
      await errorName(
        ec2.send(
          new RevokeSecurityGroupIngressCommand({
            GroupId: app,
            IpPermissions: [
              { IpProtocol: 'udp', FromPort: 123, ToPort: 123, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
              { IpProtocol: 'udp', FromPort: 124, ToPort: 124, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
            ],
          }),
        ),
      ),
      'InvalidPermission.NotFound',
    );
    assert.equal((await group(app))?.IpPermissions?.length, 4);
    await ec2.send(
      new RevokeSecurityGroupIngressCommand({ GroupId: app, IpProtocol: 'udp', FromPort: 123, ToPort: 123, CidrIp: '0.0.0.0/0' }),
    );
    const lbRule = added.SecurityGroupRules?.find((r) => r.ReferencedGroupInfo?.GroupId === lb)?.SecurityGroupRuleId ?? '';
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: app, SecurityGroupRuleIds: [lbRule] }));
    assert.equal(
      await errorName(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: app, SecurityGroupRuleIds: [lbRule] }))),
      'InvalidSecurityGroupRuleId.NotFound',
    );
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: lb }));

    const rules =
      (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [app] }] }))).SecurityGroupRules ?? [];
    assert.deepEqual(rules.map((r) => [r.IsEgress, r.IpProtocol, r.FromPort, r.ToPort, r.CidrIpv4]).sort(), [
      [false, '-1', -1, -1, '192.168.0.0/24'],
      [false, 'icmp', 8, -1, '0.0.0.0/0'],
      [false, 'tcp', 8080, 8080, '10.0.0.0/16'],
      [true, '-1', -1, -1, '0.0.0.0/0'],
    ]);
  });

  it('egress rules: the default allow-all can be revoked and replaced', async () => {
    const db = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'db', Description: 'db', VpcId: vpcId }))).GroupId ?? '';
    await ec2.send(
      new RevokeSecurityGroupEgressCommand({ GroupId: db, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
    );
    await ec2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId: db,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    assert.deepEqual(
      (await group(db))?.IpPermissionsEgress?.map((p) => [p.IpProtocol, p.FromPort, p.ToPort]),
      [['tcp', 443, 443]],
    );
    assert.equal(
      await errorName(
        ec2.send(
          new AuthorizeSecurityGroupEgressCommand({
            GroupId: db,
            IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
          }),
        ),
      ),
      'InvalidPermission.Duplicate',
    );
  });

  it('the aws CLI: --protocol/--port/--cidr, duplicate and delete errors as AWS words them', () => {
    const aws = (...args: string[]) => cloud.aws('ec2', ...args);
    const sg = aws('create-security-group', '--group-name', 'ssh', '--description', 'ssh', '--vpc-id', vpcId);
    assert.equal(sg.status, 0, sg.stderr);
    const groupId = sg.json.GroupId;
    const first = aws(
      'authorize-security-group-ingress',
      '--group-id',
      groupId,
      '--protocol',
      'tcp',
      '--port',
      '22',
      '--cidr',
      '203.0.113.0/24',
    );
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.json.SecurityGroupRules[0].SecurityGroupRuleId, /^sgr-/);
    const again = aws(
      'authorize-security-group-ingress',
      '--group-id',
      groupId,
      '--protocol',
      'tcp',
      '--port',
      '22',
      '--cidr',
      '203.0.113.0/24',
    );
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /\(InvalidPermission\.Duplicate\).*peer: 203\.0\.113\.0\/24, TCP, from port: 22, to port: 22, ALLOW/);
    const dup = aws('create-security-group', '--group-name', 'ssh', '--description', 'ssh', '--vpc-id', vpcId);
    assert.match(dup.stderr, new RegExp(`\\(InvalidGroup\\.Duplicate\\).*The security group 'ssh' already exists for VPC '${vpcId}'`));
    const defaultGroup = aws('describe-security-groups', '--filters', `Name=vpc-id,Values=${vpcId}`, 'Name=group-name,Values=default').json
      .SecurityGroups[0].GroupId;
    const cannot = aws('delete-security-group', '--group-id', defaultGroup);
    assert.match(cannot.stderr, /\(CannotDelete\)/);
    assert.equal(aws('delete-security-group', '--group-id', groupId).status, 0);
  });

  it('CreateDefaultVpc: one /20 default subnet per zone, a routed gateway; groups named alone are looked up there', async () => {
    const { Vpc } = await ec2.send(new CreateDefaultVpcCommand({}));
    assert.equal(Vpc?.CidrBlock, '172.31.0.0/16');
    assert.equal(Vpc?.IsDefault, true);
    assert.equal(await errorName(ec2.send(new CreateDefaultVpcCommand({}))), 'DefaultVpcAlreadyExists');
    const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }))).Subnets ?? [];
    assert.deepEqual(
      subnets.map((s) => [s.AvailabilityZone, s.CidrBlock, s.MapPublicIpOnLaunch, s.VpcId]),
      ['a', 'b', 'c', 'd', 'e', 'f'].map((z, i) => [`us-east-1${z}`, `172.31.${16 * i}.0/20`, true, Vpc?.VpcId]),
    );
    const [main] =
      (
        await ec2.send(
          new DescribeRouteTablesCommand({
            Filters: [
              { Name: 'vpc-id', Values: [Vpc?.VpcId ?? ''] },
              { Name: 'association.main', Values: ['true'] },
            ],
          }),
        )
      ).RouteTables ?? [];
    assert.deepEqual(
      main.Routes?.map((r) => [r.DestinationCidrBlock, r.GatewayId?.slice(0, 4), r.State]),
      [
        ['172.31.0.0/16', 'loca', 'active'],
        ['0.0.0.0/0', 'igw-', 'active'],
      ],
    );

    const GroupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'plain', Description: 'in the default VPC' }))).GroupId;
    assert.equal((await group(GroupId ?? ''))?.VpcId, Vpc?.VpcId);
    const byName = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['plain', 'default'] }))).SecurityGroups ?? [];
    assert.deepEqual(byName.map((g) => [g.GroupName, g.VpcId]).sort(), [
      ['default', Vpc?.VpcId],
      ['plain', Vpc?.VpcId],
    ]);
    assert.equal(await errorName(ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['web'] }))), 'InvalidGroup.NotFound');
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupName: 'plain', IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: '0.0.0.0/0' }),
    );
    await ec2.send(new DeleteSecurityGroupCommand({ GroupName: 'plain' }));
    assert.equal(await errorName(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId ?? ''] }))), 'InvalidGroup.NotFound');
  });
});
