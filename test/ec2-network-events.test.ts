import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { ec2Service } from '../src/services/ec2/service.js';
import {
  allocatePrivateIp,
  allocatePrivateIps,
  claimPublicIp,
  releasePrivateIp,
  releasePublicIp,
} from '../src/services/ec2/network/index.js';
import { networkAclOfSubnet, routeTableOfSubnet } from '../src/services/ec2/network/state.js';
import { Store } from '../src/store/db.js';

/**
 * The contract with the runtime and the instances code, in one process on a real store: the events the runtime
 * acts on, the private and public address helpers, and the lookups of a subnet's route table and ACL.
 */
describe('EC2 network state contract: events and address helpers', () => {
  let dir: string;
  let cloud: Cloud;
  const seen: Array<[string, any]> = [];
  const region = 'us-east-1';
  const call = (op: string, input: unknown) => cloud.invoke<any>('ec2', op, input, { region });
  const take = () => seen.splice(0).map(([name, e]) => [name, e]);
  const names = () => take().map(([name]) => name);

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'halo-net-'));
    cloud = new Cloud(new Store(path.join(dir, 'state.db')), new VirtualClock(), timingProfile('instant'), { home: dir, hostsPerZone: 2 });
    cloud.credentials.admin();
    cloud.register(ec2Service);
    for (const name of [
      'vpcCreated',
      'vpcDeleted',
      'subnetCreated',
      'subnetDeleted',
      'subnetChanged',
      'internetGatewayChanged',
      'routeTableChanged',
      'networkAclChanged',
      'securityGroupChanged',
      'securityGroupDeleted',
      'addressAssociated',
      'addressDisassociated',
    ]) {
      cloud.events.on(`ec2.${name}`, (e) => seen.push([name, e]));
    }
  });
  after(async () => {
    await cloud?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('emits what the runtime must apply, with the region and the resource ids', async () => {
    const { Vpc } = await call('CreateVpc', { CidrBlock: '10.0.0.0/16' });
    assert.deepEqual(names(), ['vpcCreated', 'routeTableChanged', 'networkAclChanged', 'securityGroupChanged']);
    const { Subnet } = await call('CreateSubnet', { VpcId: Vpc.VpcId, CidrBlock: '10.0.0.0/24' });
    const [[, created], [, acl]] = take();
    assert.deepEqual(created, {
      region,
      subnetId: Subnet.SubnetId,
      vpcId: Vpc.VpcId,
      cidrBlock: '10.0.0.0/24',
      availabilityZone: Subnet.AvailabilityZone,
    });
    assert.equal(acl.vpcId, Vpc.VpcId);
    assert.equal(networkAclOfSubnet(cloud.store, region, Subnet.SubnetId)?.NetworkAclId, acl.aclId);
    assert.equal(routeTableOfSubnet(cloud.store, region, Subnet.SubnetId)?.Associations[0].Main, true);

    const { GroupId } = await call('CreateSecurityGroup', { VpcId: Vpc.VpcId, GroupName: 'g', Description: 'g' });
    take();
    await call('AuthorizeSecurityGroupIngress', {
      GroupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    });
    assert.deepEqual(take(), [['securityGroupChanged', { region, groupId: GroupId, vpcId: Vpc.VpcId }]]);

    await call('CreateNetworkAclEntry', {
      NetworkAclId: acl.aclId,
      RuleNumber: 10,
      Protocol: '6',
      RuleAction: 'deny',
      Egress: false,
      CidrBlock: '0.0.0.0/0',
      PortRange: { From: 23, To: 23 },
    });
    assert.deepEqual(take(), [['networkAclChanged', { region, aclId: acl.aclId, vpcId: Vpc.VpcId }]]);

    const { InternetGateway } = await call('CreateInternetGateway', {});
    const { RouteTable } = await call('CreateRouteTable', { VpcId: Vpc.VpcId });
    take();
    await call('AttachInternetGateway', { InternetGatewayId: InternetGateway.InternetGatewayId, VpcId: Vpc.VpcId });
    assert.deepEqual(take(), [
      ['internetGatewayChanged', { region, internetGatewayId: InternetGateway.InternetGatewayId, vpcId: Vpc.VpcId, attached: true }],
    ]);
    await call('CreateRoute', {
      RouteTableId: RouteTable.RouteTableId,
      DestinationCidrBlock: '0.0.0.0/0',
      GatewayId: InternetGateway.InternetGatewayId,
    });
    await call('AssociateRouteTable', { RouteTableId: RouteTable.RouteTableId, SubnetId: Subnet.SubnetId });
    assert.deepEqual(names(), ['routeTableChanged', 'routeTableChanged']);
    assert.equal(routeTableOfSubnet(cloud.store, region, Subnet.SubnetId)?.RouteTableId, RouteTable.RouteTableId);
    // Detaching the gateway turns its route into a blackhole: the table changes too.
    await call('DetachInternetGateway', { InternetGatewayId: InternetGateway.InternetGatewayId, VpcId: Vpc.VpcId });
    assert.deepEqual(names(), ['internetGatewayChanged', 'routeTableChanged']);
  });

  it('allocates private addresses as AWS does (first four and the last reserved) and gives them back', async () => {
    const { Vpc } = await call('CreateVpc', { CidrBlock: '10.1.0.0/16' });
    const { Subnet } = await call('CreateSubnet', { VpcId: Vpc.VpcId, CidrBlock: '10.1.0.0/28' });
    const scope = { cloud, region };
    const got = Array.from({ length: 11 }, (_, i) => allocatePrivateIp(scope, Subnet.SubnetId, undefined, `i-${i}`));
    assert.deepEqual(
      got,
      Array.from({ length: 11 }, (_, i) => `10.1.0.${i + 4}`),
    );
    assert.throws(() => allocatePrivateIp(scope, Subnet.SubnetId), { name: 'InsufficientFreeAddressesInSubnet' });
    const count = async () => (await call('DescribeSubnets', { SubnetIds: [Subnet.SubnetId] })).Subnets[0].AvailableIpAddressCount;
    assert.equal(await count(), 0);
    await assert.rejects(call('DeleteSubnet', { SubnetId: Subnet.SubnetId }), { name: 'DependencyViolation' });

    releasePrivateIp(scope, Subnet.SubnetId, '10.1.0.9');
    assert.equal(await count(), 1);
    assert.throws(() => allocatePrivateIp(scope, Subnet.SubnetId, '10.1.0.3'), { name: 'InvalidParameterValue' });
    assert.throws(() => allocatePrivateIp(scope, Subnet.SubnetId, '10.1.0.15'), { name: 'InvalidParameterValue' });
    assert.throws(() => allocatePrivateIp(scope, Subnet.SubnetId, '10.1.1.9'), { name: 'InvalidParameterValue' });
    assert.throws(() => allocatePrivateIp(scope, Subnet.SubnetId, '10.1.0.4'), { name: 'InvalidIPAddress.InUse' });
    assert.equal(allocatePrivateIp(scope, Subnet.SubnetId, '10.1.0.9', 'i-again'), '10.1.0.9');
    // Many at once (a RunInstances of several): the requested one first, then the lowest free; all or none.
    releasePrivateIp(scope, Subnet.SubnetId, '10.1.0.5');
    releasePrivateIp(scope, Subnet.SubnetId, '10.1.0.7');
    assert.throws(() => allocatePrivateIps(scope, Subnet.SubnetId, ['i-a', 'i-b', 'i-c']), { name: 'InsufficientFreeAddressesInSubnet' });
    assert.equal(await count(), 2, 'a batch that does not fit takes nothing');
    assert.deepEqual(allocatePrivateIps(scope, Subnet.SubnetId, ['i-a', 'i-b'], '10.1.0.7'), ['10.1.0.7', '10.1.0.5']);
    assert.equal(await count(), 0);
  });

  it('hands out each public address once, across regions, until it is released', () => {
    const a = claimPublicIp(cloud.store, 'us-east-1', 'eipalloc-a');
    const b = claimPublicIp(cloud.store, 'eu-west-1', 'eipalloc-b');
    assert.notEqual(a, b);
    assert.match(a, /^127\.100\./);
    assert.throws(() => claimPublicIp(cloud.store, 'us-west-2', 'x', b), { name: 'InvalidIPAddress.InUse' });
    assert.throws(() => claimPublicIp(cloud.store, 'us-west-2', 'x', '10.0.0.1'), { name: 'InvalidParameterValue' });
    releasePublicIp(cloud.store, b);
    assert.equal(claimPublicIp(cloud.store, 'us-west-2', 'x', b), b);
  });
});
