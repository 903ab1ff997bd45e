import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  EC2Client,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import { TestCloud } from './support/cloud.js';
import { errorName } from './support/errors.js';

describe('EC2 VPCs and subnets through the real aws CLI and the SDK', () => {
  let cloud: TestCloud;
  let ec2: EC2Client;
  before(async () => {
    cloud = await TestCloud.start();
    ec2 = new EC2Client(cloud.sdk);
  });
  after(async () => {
    ec2?.destroy();
    await cloud?.dispose();
  });

  const ok = (...args: string[]) => cloud.awsOk('ec2', ...args);
  const fails = (code: string, ...args: string[]) => cloud.awsFails(code, 'ec2', ...args);
  const newVpc = async (cidr: string) => (await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc?.VpcId ?? '';

  it('create-vpc gives a VPC with its main route table, default network ACL and default security group', async () => {
    const vpc = ok(
      'create-vpc',
      '--cidr-block',
      '10.0.0.0/16',
      '--tag-specifications',
      'ResourceType=vpc,Tags=[{Key=Name,Value=jenkins}]',
    ).Vpc;
    assert.match(vpc.VpcId, /^vpc-[0-9a-f]{17}$/);
    assert.equal(vpc.CidrBlock, '10.0.0.0/16');
    assert.equal(vpc.IsDefault, false);
    assert.equal(vpc.DhcpOptionsId, 'default');
    assert.equal(vpc.InstanceTenancy, 'default');
    assert.deepEqual(vpc.Tags, [{ Key: 'Name', Value: 'jenkins' }]);
    const described = ok('describe-vpcs', '--vpc-ids', vpc.VpcId).Vpcs;
    assert.equal(described.length, 1);
    assert.equal(described[0].State, 'available');
    assert.equal(described[0].CidrBlockAssociationSet[0].CidrBlockState.State, 'associated');

    const tables =
      (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId] }] }))).RouteTables ?? [];
    assert.equal(tables.length, 1);
    assert.equal(tables[0].Associations?.[0]?.Main, true);
    assert.deepEqual(
      tables[0].Routes?.map((r) => [r.DestinationCidrBlock, r.GatewayId, r.State, r.Origin]),
      [['10.0.0.0/16', 'local', 'active', 'CreateRouteTable']],
    );

    const acls = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId] }] }))).NetworkAcls ?? [];
    assert.equal(acls.length, 1);
    assert.equal(acls[0].IsDefault, true);
    assert.deepEqual(
      acls[0].Entries?.map((e) => [e.Egress, e.RuleNumber, e.Protocol, e.RuleAction, e.CidrBlock]),
      [
        [true, 100, '-1', 'allow', '0.0.0.0/0'],
        [true, 32767, '-1', 'deny', '0.0.0.0/0'],
        [false, 100, '-1', 'allow', '0.0.0.0/0'],
        [false, 32767, '-1', 'deny', '0.0.0.0/0'],
      ],
    );

    const groups =
      (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId] }] }))).SecurityGroups ?? [];
    assert.equal(groups.length, 1);
    const group = groups[0];
    assert.equal(group.GroupName, 'default');
    assert.equal(group.Description, 'default VPC security group');
    assert.deepEqual(
      group.IpPermissions?.map((p) => [p.IpProtocol, p.UserIdGroupPairs?.map((g) => g.GroupId)]),
      [['-1', [group.GroupId]]],
    );
    assert.deepEqual(
      group.IpPermissionsEgress?.map((p) => [p.IpProtocol, p.IpRanges?.map((r) => r.CidrIp)]),
      [['-1', ['0.0.0.0/0']]],
    );
  });

  it('DNS attributes: support on and hostnames off by default, one attribute per call', async () => {
    const VpcId = await newVpc('10.1.0.0/16');
    const attr = async (Attribute: 'enableDnsSupport' | 'enableDnsHostnames') =>
      ec2.send(new DescribeVpcAttributeCommand({ VpcId, Attribute }));
    assert.equal((await attr('enableDnsSupport')).EnableDnsSupport?.Value, true);
    assert.equal((await attr('enableDnsHostnames')).EnableDnsHostnames?.Value, false);
    ok('modify-vpc-attribute', '--vpc-id', VpcId, '--enable-dns-hostnames', '{"Value":true}');
    assert.equal((await attr('enableDnsHostnames')).EnableDnsHostnames?.Value, true);
    assert.equal(
      await errorName(
        ec2.send(new ModifyVpcAttributeCommand({ VpcId, EnableDnsSupport: { Value: false }, EnableDnsHostnames: { Value: false } })),
      ),
      'InvalidParameterCombination',
    );
    // DNS hostnames only with DNS support.
    ok('modify-vpc-attribute', '--vpc-id', VpcId, '--enable-dns-hostnames', '{"Value":false}');
    ok('modify-vpc-attribute', '--vpc-id', VpcId, '--enable-dns-support', '{"Value":false}');
    assert.equal(
      await errorName(ec2.send(new ModifyVpcAttributeCommand({ VpcId, EnableDnsHostnames: { Value: true } }))),
      'InvalidParameterValue',
    );
    assert.equal((await attr('enableDnsHostnames')).EnableDnsHostnames?.Value, false);
    ok('modify-vpc-attribute', '--vpc-id', VpcId, '--enable-dns-support', '{"Value":true}');
    ok('modify-vpc-attribute', '--vpc-id', VpcId, '--enable-dns-hostnames', '{"Value":true}');
    assert.equal((await attr('enableDnsSupport')).EnableDnsSupport?.Value, true);
    assert.equal(
      await errorName(ec2.send(new DescribeVpcAttributeCommand({ VpcId: 'vpc-00000000000000000', Attribute: 'enableDnsSupport' }))),
      'InvalidVpcID.NotFound',
    );
  });

  it('refuses VPC blocks larger than /16, smaller than /28, or not CIDR', async () => {
    fails('InvalidVpc.Range', 'create-vpc', '--cidr-block', '10.0.0.0/8');
    assert.equal(await errorName(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/29' }))), 'InvalidVpc.Range');
    assert.equal(await errorName(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.300/16' }))), 'InvalidParameterValue');
    assert.equal(await errorName(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.1/16' }))), 'InvalidParameterValue');
  });

  it('--dry-run answers DryRunOperation and creates nothing', async () => {
    fails('DryRunOperation', 'create-vpc', '--cidr-block', '10.2.0.0/16', '--dry-run');
    assert.deepEqual((await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.2.0.0/16'] }] }))).Vpcs, []);
  });

  it('subnets: in the VPC block, without overlap, in the asked zone, with size - 5 free addresses', async () => {
    const VpcId = await newVpc('10.0.0.0/16');
    const a = ok('create-subnet', '--vpc-id', VpcId, '--cidr-block', '10.0.0.0/24', '--availability-zone', 'us-east-1a').Subnet;
    assert.equal(a.AvailabilityZone, 'us-east-1a');
    assert.equal(a.AvailabilityZoneId, 'use1-az2');
    assert.equal(a.AvailableIpAddressCount, 251);
    assert.equal(a.MapPublicIpOnLaunch, false);
    const b = (await ec2.send(new CreateSubnetCommand({ VpcId, CidrBlock: '10.0.1.0/28', AvailabilityZoneId: 'use1-az4' }))).Subnet;
    assert.equal(b?.AvailabilityZone, 'us-east-1b');
    assert.equal(b?.AvailableIpAddressCount, 11);
    fails('InvalidSubnet.Conflict', 'create-subnet', '--vpc-id', VpcId, '--cidr-block', '10.0.0.128/25');
    const subnet = (CidrBlock: string, AvailabilityZone?: string) =>
      ec2.send(new CreateSubnetCommand({ VpcId, CidrBlock, AvailabilityZone }));
    assert.equal(await errorName(subnet('10.0.0.0/16')), 'InvalidSubnet.Conflict');
    assert.equal(await errorName(subnet('10.1.0.0/24')), 'InvalidSubnet.Range');
    assert.equal(await errorName(subnet('10.0.2.0/29')), 'InvalidSubnet.Range');
    assert.equal(await errorName(subnet('10.0.2.0/24', 'eu-west-1a')), 'InvalidParameterValue');
    assert.equal(
      await errorName(ec2.send(new CreateSubnetCommand({ VpcId: 'vpc-00000000000000000', CidrBlock: '10.0.2.0/24' }))),
      'InvalidVpcID.NotFound',
    );

    // Without a zone, AWS picks one: here the zone with the fewest subnets of the VPC.
    const c = (await subnet('10.0.2.0/24')).Subnet;
    assert.equal(c?.AvailabilityZone, 'us-east-1c');

    const inA = ok('describe-subnets', '--filters', `Name=vpc-id,Values=${VpcId}`, 'Name=availability-zone,Values=us-east-1a').Subnets;
    assert.deepEqual(
      inA.map((s: any) => s.SubnetId),
      [a.SubnetId],
    );
    const byCidr =
      (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'cidr-block', Values: ['10.0.1.0/28'] }] }))).Subnets ?? [];
    assert.deepEqual(
      byCidr.map((s) => s.SubnetId),
      [b?.SubnetId],
    );

    // Every subnet starts associated with the VPC's default network ACL.
    const acl =
      (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [a.SubnetId] }] })))
        .NetworkAcls ?? [];
    assert.deepEqual(
      acl.map((x) => [x.IsDefault, x.VpcId]),
      [[true, VpcId]],
    );

    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: a.SubnetId, MapPublicIpOnLaunch: { Value: true } }));
    assert.equal((await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [a.SubnetId] }))).Subnets?.[0]?.MapPublicIpOnLaunch, true);

    await ec2.send(new DeleteSubnetCommand({ SubnetId: c?.SubnetId }));
    assert.equal(await errorName(ec2.send(new DescribeSubnetsCommand({ SubnetIds: [c?.SubnetId ?? ''] }))), 'InvalidSubnetID.NotFound');
    const aclAfter = (
      await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [c?.SubnetId ?? ''] }] }))
    ).NetworkAcls;
    assert.deepEqual(aclAfter, []);
  });

  it('two VPCs with the same CIDR in one region at once, each with its own subnets', async () => {
    const one = await newVpc('172.16.0.0/16');
    const two = await newVpc('172.16.0.0/16');
    assert.notEqual(one, two);
    const s1 = (await ec2.send(new CreateSubnetCommand({ VpcId: one, CidrBlock: '172.16.0.0/24' }))).Subnet?.SubnetId;
    const s2 = (await ec2.send(new CreateSubnetCommand({ VpcId: two, CidrBlock: '172.16.0.0/24' }))).Subnet?.SubnetId;
    assert.notEqual(s1, s2);
    const both = ok('describe-vpcs', '--filters', 'Name=cidr,Values=172.16.0.0/16').Vpcs;
    assert.deepEqual(both.map((v: any) => v.VpcId).sort(), [one, two].sort());
    const subnets =
      (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'cidr-block', Values: ['172.16.0.0/24'] }] }))).Subnets ?? [];
    assert.deepEqual(
      subnets.map((s) => [s.SubnetId, s.VpcId]).sort(),
      [
        [s1, one],
        [s2, two],
      ].sort(),
    );
  });

  it('delete-vpc refuses while subnets, gateways or own groups remain, then removes the VPC and its defaults', async () => {
    const VpcId = await newVpc('10.9.0.0/16');
    const SubnetId = (await ec2.send(new CreateSubnetCommand({ VpcId, CidrBlock: '10.9.0.0/24' }))).Subnet?.SubnetId;
    const InternetGatewayId = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway?.InternetGatewayId;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId, VpcId }));
    const GroupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web', VpcId }))).GroupId;
    const stderr = fails('DependencyViolation', 'delete-vpc', '--vpc-id', VpcId);
    assert.match(stderr, new RegExp(`The vpc '${VpcId}' has dependencies and cannot be deleted`));
    await ec2.send(new DeleteSubnetCommand({ SubnetId }));
    assert.equal(await errorName(ec2.send(new DeleteVpcCommand({ VpcId }))), 'DependencyViolation');
    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId, VpcId }));
    assert.equal(await errorName(ec2.send(new DeleteVpcCommand({ VpcId }))), 'DependencyViolation');
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId }));
    ok('delete-vpc', '--vpc-id', VpcId);
    assert.equal(await errorName(ec2.send(new DescribeVpcsCommand({ VpcIds: [VpcId] }))), 'InvalidVpcID.NotFound');
    const inVpc = [{ Name: 'vpc-id', Values: [VpcId] }];
    assert.deepEqual((await ec2.send(new DescribeRouteTablesCommand({ Filters: inVpc }))).RouteTables, []);
    assert.deepEqual((await ec2.send(new DescribeSecurityGroupsCommand({ Filters: inVpc }))).SecurityGroups, []);
    assert.deepEqual((await ec2.send(new DescribeNetworkAclsCommand({ Filters: inVpc }))).NetworkAcls, []);
  });
});
