import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateSubnetCommand, DescribeNetworkAclsCommand, DescribeRouteTablesCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { TestCloud } from './support/cloud.js';

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

  const ok = (...args: string[]) => {
    const r = cloud.aws('ec2', ...args);
    assert.equal(r.status, 0, `aws ec2 ${args.join(' ')}: ${r.stderr}`);
    return r.json;
  };
  const fails = (code: string, ...args: string[]) => {
    const r = cloud.aws('ec2', ...args);
    assert.notEqual(r.status, 0, `aws ec2 ${args.join(' ')} should fail with ${code}`);
    assert.match(r.stderr, new RegExp(`\\(${code.replace(/\./g, '\\.')}\\)`), r.stderr);
    return r.stderr;
  };

  it('create-vpc gives a VPC with its main route table, default network ACL and default security group', async () => {
    const vpc = ok('create-vpc', '--cidr-block', '10.0.0.0/16', '--tag-specifications', 'ResourceType=vpc,Tags=[{Key=Name,Value=jenkins}]').Vpc;
    assert.match(vpc.VpcId, /^vpc-[0-9a-f]{17}$/);
    assert.equal(vpc.CidrBlock, '10.0.0.0/16');
    assert.equal(vpc.IsDefault, false);
    assert.deepEqual(vpc.Tags, [{ Key: 'Name', Value: 'jenkins' }]);
    const described = ok('describe-vpcs', '--vpc-ids', vpc.VpcId).Vpcs;
    assert.equal(described.length, 1);
    assert.equal(described[0].State, 'available');
    assert.equal(described[0].CidrBlockAssociationSet[0].CidrBlockState.State, 'associated');

    const tables = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId] }] }))).RouteTables ?? [];
    assert.equal(tables.length, 1);
    assert.equal(tables[0].Associations?.[0]?.Main, true);
    assert.deepEqual(tables[0].Routes?.map((r) => [r.DestinationCidrBlock, r.GatewayId, r.State, r.Origin]), [['10.0.0.0/16', 'local', 'active', 'CreateRouteTable']]);

    const acls = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId] }] }))).NetworkAcls ?? [];
    assert.equal(acls.length, 1);
    assert.equal(acls[0].IsDefault, true);
    assert.deepEqual(acls[0].Entries?.map((e) => [e.Egress, e.RuleNumber, e.Protocol, e.RuleAction, e.CidrBlock]), [
      [true, 100, '-1', 'allow', '0.0.0.0/0'], [true, 32767, '-1', 'deny', '0.0.0.0/0'],
      [false, 100, '-1', 'allow', '0.0.0.0/0'], [false, 32767, '-1', 'deny', '0.0.0.0/0'],
    ]);

    const groups = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId] }] }))).SecurityGroups ?? [];
    assert.equal(groups.length, 1);
    const group = groups[0];
    assert.equal(group.GroupName, 'default');
    assert.deepEqual(group.IpPermissions?.map((p) => [p.IpProtocol, p.UserIdGroupPairs?.map((g) => g.GroupId)]), [['-1', [group.GroupId]]]);
    assert.deepEqual(group.IpPermissionsEgress?.map((p) => [p.IpProtocol, p.IpRanges?.map((r) => r.CidrIp)]), [['-1', ['0.0.0.0/0']]]);
  });

  it('DNS attributes: support on and hostnames off by default, one attribute per call', () => {
    const vpcId = ok('create-vpc', '--cidr-block', '10.1.0.0/16').Vpc.VpcId;
    assert.equal(ok('describe-vpc-attribute', '--vpc-id', vpcId, '--attribute', 'enableDnsSupport').EnableDnsSupport.Value, true);
    assert.equal(ok('describe-vpc-attribute', '--vpc-id', vpcId, '--attribute', 'enableDnsHostnames').EnableDnsHostnames.Value, false);
    ok('modify-vpc-attribute', '--vpc-id', vpcId, '--enable-dns-hostnames', '{"Value":true}');
    assert.equal(ok('describe-vpc-attribute', '--vpc-id', vpcId, '--attribute', 'enableDnsHostnames').EnableDnsHostnames.Value, true);
    fails('InvalidVpcID.NotFound', 'describe-vpc-attribute', '--vpc-id', 'vpc-00000000000000000', '--attribute', 'enableDnsSupport');
  });

  it('refuses VPC blocks larger than /16, smaller than /28, or not CIDR', () => {
    fails('InvalidVpc.Range', 'create-vpc', '--cidr-block', '10.0.0.0/8');
    fails('InvalidVpc.Range', 'create-vpc', '--cidr-block', '10.0.0.0/29');
    fails('InvalidParameterValue', 'create-vpc', '--cidr-block', '10.0.0.300/16');
  });

  it('subnets: in the VPC block, without overlap, in the asked zone, with size - 5 free addresses', async () => {
    const vpcId = ok('create-vpc', '--cidr-block', '10.0.0.0/16').Vpc.VpcId;
    const a = ok('create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.0.0.0/24', '--availability-zone', 'us-east-1a').Subnet;
    assert.equal(a.AvailabilityZone, 'us-east-1a');
    assert.equal(a.AvailabilityZoneId, 'use1-az2');
    assert.equal(a.AvailableIpAddressCount, 251);
    const b = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/28', AvailabilityZoneId: 'use1-az4' }))).Subnet;
    assert.equal(b?.AvailabilityZone, 'us-east-1b');
    assert.equal(b?.AvailableIpAddressCount, 11);
    fails('InvalidSubnet.Conflict', 'create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.0.0.128/25');
    fails('InvalidSubnet.Conflict', 'create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.0.0.0/16');
    fails('InvalidSubnet.Range', 'create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.1.0.0/24');
    fails('InvalidSubnet.Range', 'create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.0.2.0/29');
    fails('InvalidParameterValue', 'create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.0.2.0/24', '--availability-zone', 'eu-west-1a');
    fails('InvalidVpcID.NotFound', 'create-subnet', '--vpc-id', 'vpc-00000000000000000', '--cidr-block', '10.0.2.0/24');

    // Without a zone, AWS picks one: here the zone with the fewest subnets of the VPC.
    const c = ok('create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.0.2.0/24').Subnet;
    assert.equal(c.AvailabilityZone, 'us-east-1c');

    const inA = ok('describe-subnets', '--filters', `Name=vpc-id,Values=${vpcId}`, 'Name=availability-zone,Values=us-east-1a').Subnets;
    assert.deepEqual(inA.map((s: any) => s.SubnetId), [a.SubnetId]);
    const byCidr = ok('describe-subnets', '--filters', 'Name=cidr-block,Values=10.0.1.0/28').Subnets;
    assert.deepEqual(byCidr.map((s: any) => s.SubnetId), [b?.SubnetId]);

    // Every subnet starts associated with the VPC's default network ACL.
    const acl = ok('describe-network-acls', '--filters', `Name=association.subnet-id,Values=${a.SubnetId}`).NetworkAcls;
    assert.equal(acl.length, 1);
    assert.equal(acl[0].IsDefault, true);
    assert.equal(acl[0].VpcId, vpcId);

    ok('modify-subnet-attribute', '--subnet-id', a.SubnetId, '--map-public-ip-on-launch');
    assert.equal(ok('describe-subnets', '--subnet-ids', a.SubnetId).Subnets[0].MapPublicIpOnLaunch, true);

    ok('delete-subnet', '--subnet-id', c.SubnetId);
    fails('InvalidSubnetID.NotFound', 'describe-subnets', '--subnet-ids', c.SubnetId);
    const aclAfter = ok('describe-network-acls', '--filters', `Name=association.subnet-id,Values=${c.SubnetId}`).NetworkAcls;
    assert.deepEqual(aclAfter, []);
  });

  it('two VPCs with the same CIDR in one region at once, each with its own subnets', () => {
    const one = ok('create-vpc', '--cidr-block', '172.16.0.0/16').Vpc.VpcId;
    const two = ok('create-vpc', '--cidr-block', '172.16.0.0/16').Vpc.VpcId;
    assert.notEqual(one, two);
    const s1 = ok('create-subnet', '--vpc-id', one, '--cidr-block', '172.16.0.0/24').Subnet.SubnetId;
    const s2 = ok('create-subnet', '--vpc-id', two, '--cidr-block', '172.16.0.0/24').Subnet.SubnetId;
    assert.notEqual(s1, s2);
    const both = ok('describe-vpcs', '--filters', 'Name=cidr,Values=172.16.0.0/16').Vpcs;
    assert.deepEqual(both.map((v: any) => v.VpcId).sort(), [one, two].sort());
  });

  it('delete-vpc refuses while subnets, gateways or own groups remain, then removes the VPC and its defaults', () => {
    const vpcId = ok('create-vpc', '--cidr-block', '10.9.0.0/16').Vpc.VpcId;
    const subnetId = ok('create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.9.0.0/24').Subnet.SubnetId;
    const igw = ok('create-internet-gateway').InternetGateway.InternetGatewayId;
    ok('attach-internet-gateway', '--internet-gateway-id', igw, '--vpc-id', vpcId);
    const sg = ok('create-security-group', '--group-name', 'web', '--description', 'web', '--vpc-id', vpcId).GroupId;
    fails('DependencyViolation', 'delete-vpc', '--vpc-id', vpcId);
    ok('delete-subnet', '--subnet-id', subnetId);
    fails('DependencyViolation', 'delete-vpc', '--vpc-id', vpcId);
    ok('detach-internet-gateway', '--internet-gateway-id', igw, '--vpc-id', vpcId);
    fails('DependencyViolation', 'delete-vpc', '--vpc-id', vpcId);
    ok('delete-security-group', '--group-id', sg);
    ok('delete-vpc', '--vpc-id', vpcId);
    fails('InvalidVpcID.NotFound', 'describe-vpcs', '--vpc-ids', vpcId);
    assert.deepEqual(ok('describe-route-tables', '--filters', `Name=vpc-id,Values=${vpcId}`).RouteTables, []);
    assert.deepEqual(ok('describe-security-groups', '--filters', `Name=vpc-id,Values=${vpcId}`).SecurityGroups, []);
    assert.deepEqual(ok('describe-network-acls', '--filters', `Name=vpc-id,Values=${vpcId}`).NetworkAcls, []);
  });
});
