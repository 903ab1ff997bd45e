import { registerProvider } from '../../../cloudformation/providers/registry.js';
import { creationTags, ignoreNotFound, onlyChanged, updateTags } from './common.js';
import { propsOf } from '../../../cloudformation/providers/props.js';
import type { ProviderContext, Props, ResourceProvider } from '../../../cloudformation/providers/types.js';
import { given } from '../../../cloudformation/providers/values.js';

async function vpcAttributes(vpcId: string, ctx: ProviderContext) {
  const { Vpcs } = await ctx.invoke('ec2', 'DescribeVpcs', { VpcIds: [vpcId] });
  const vpc = given(Vpcs?.[0], `VPC ${vpcId}`);
  const acls = await ctx.invoke('ec2', 'DescribeNetworkAcls', {
    Filters: [
      { Name: 'vpc-id', Values: [vpcId] },
      { Name: 'default', Values: ['true'] },
    ],
  });
  const groups = await ctx.invoke('ec2', 'DescribeSecurityGroups', {
    Filters: [
      { Name: 'vpc-id', Values: [vpcId] },
      { Name: 'group-name', Values: ['default'] },
    ],
  });
  return {
    VpcId: vpcId,
    CidrBlock: vpc.CidrBlock,
    CidrBlockAssociations: (vpc.CidrBlockAssociationSet ?? []).map((a) => a.AssociationId),
    DefaultNetworkAcl: acls.NetworkAcls?.[0]?.NetworkAclId,
    DefaultSecurityGroup: groups.SecurityGroups?.[0]?.GroupId,
    Ipv6CidrBlocks: [],
  };
}

async function setDns(vpcId: string, props: Props, previous: Props | undefined, ctx: ProviderContext) {
  const now = propsOf(props, ctx.logicalId);
  const then = previous && propsOf(previous, ctx.logicalId);
  // ModifyVpcAttribute takes one attribute per call; DNS support must be on before DNS hostnames.
  for (const key of ['EnableDnsSupport', 'EnableDnsHostnames'] as const) {
    const value = now.bool(key);
    const before = then?.bool(key);
    const fallback = key === 'EnableDnsSupport';
    if ((value ?? fallback) !== (before ?? fallback) || (!previous && value !== undefined)) {
      await ctx.invoke('ec2', 'ModifyVpcAttribute', { VpcId: vpcId, [key]: { Value: value ?? fallback } });
    }
  }
}

export const vpcProvider: ResourceProvider = {
  type: 'AWS::EC2::VPC',
  replaceOn: ['CidrBlock', 'InstanceTenancy', 'Ipv4IpamPoolId', 'Ipv4NetmaskLength'],
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    const { Vpc } = await ctx.invoke('ec2', 'CreateVpc', {
      CidrBlock: p.str('CidrBlock'),
      InstanceTenancy: p.str('InstanceTenancy'),
      Ipv4IpamPoolId: p.str('Ipv4IpamPoolId'),
      TagSpecifications: creationTags('vpc', props, ctx),
    });
    const vpcId = given(Vpc?.VpcId, 'VpcId');
    await setDns(vpcId, props, undefined, ctx);
    return { physicalId: vpcId, attributes: await vpcAttributes(vpcId, ctx) };
  },
  async update(id, props, previous, ctx) {
    await setDns(id, props, previous, ctx);
    await updateTags(id, props, previous, ctx);
    return { physicalId: id, attributes: await vpcAttributes(id, ctx) };
  },
  async read(id, _props, ctx) {
    return vpcAttributes(id, ctx);
  },
  async delete(id, _props, ctx) {
    await ignoreNotFound(() => ctx.invoke('ec2', 'DeleteVpc', { VpcId: id }));
  },
};

export const subnetProvider: ResourceProvider = {
  type: 'AWS::EC2::Subnet',
  required: ['VpcId'],
  replaceOn: [
    'AvailabilityZone',
    'AvailabilityZoneId',
    'CidrBlock',
    'VpcId',
    'Ipv6CidrBlock',
    'Ipv4IpamPoolId',
    'Ipv4NetmaskLength',
    'Ipv6Native',
    'OutpostArn',
  ],
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    const { Subnet } = await ctx.invoke('ec2', 'CreateSubnet', {
      VpcId: p.requiredStr('VpcId'),
      CidrBlock: p.str('CidrBlock'),
      AvailabilityZone: p.str('AvailabilityZone'),
      AvailabilityZoneId: p.str('AvailabilityZoneId'),
      Ipv6CidrBlock: p.str('Ipv6CidrBlock'),
      TagSpecifications: creationTags('subnet', props, ctx),
    });
    const subnetId = given(Subnet?.SubnetId, 'SubnetId');
    if (p.bool('MapPublicIpOnLaunch')) {
      await ctx.invoke('ec2', 'ModifySubnetAttribute', { SubnetId: subnetId, MapPublicIpOnLaunch: { Value: true } });
    }
    return { physicalId: subnetId, attributes: await subnetAttributes(subnetId, ctx) };
  },
  async update(id, props, previous, ctx) {
    if (onlyChanged(props, previous, ['MapPublicIpOnLaunch']).length) {
      await ctx.invoke('ec2', 'ModifySubnetAttribute', {
        SubnetId: id,
        MapPublicIpOnLaunch: { Value: propsOf(props, ctx.logicalId).bool('MapPublicIpOnLaunch') ?? false },
      });
    }
    await updateTags(id, props, previous, ctx);
    return { physicalId: id, attributes: await subnetAttributes(id, ctx) };
  },
  async read(id, _props, ctx) {
    return subnetAttributes(id, ctx);
  },
  async delete(id, _props, ctx) {
    await ignoreNotFound(() => ctx.invoke('ec2', 'DeleteSubnet', { SubnetId: id }));
  },
};

async function subnetAttributes(subnetId: string, ctx: ProviderContext) {
  const { Subnets } = await ctx.invoke('ec2', 'DescribeSubnets', { SubnetIds: [subnetId] });
  const s = given(Subnets?.[0], `subnet ${subnetId}`);
  const acls = await ctx.invoke('ec2', 'DescribeNetworkAcls', { Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] });
  const assoc = acls.NetworkAcls?.[0]?.Associations?.find((a) => a.SubnetId === subnetId);
  return {
    SubnetId: subnetId,
    VpcId: s.VpcId,
    AvailabilityZone: s.AvailabilityZone,
    AvailabilityZoneId: s.AvailabilityZoneId,
    CidrBlock: s.CidrBlock,
    Ipv6CidrBlocks: [],
    NetworkAclAssociationId: assoc?.NetworkAclAssociationId,
  };
}

export const internetGatewayProvider: ResourceProvider = {
  type: 'AWS::EC2::InternetGateway',
  async create(props, ctx) {
    const { InternetGateway } = await ctx.invoke('ec2', 'CreateInternetGateway', {
      TagSpecifications: creationTags('internet-gateway', props, ctx),
    });
    const id = given(InternetGateway?.InternetGatewayId, 'InternetGatewayId');
    return { physicalId: id, attributes: { InternetGatewayId: id } };
  },
  async update(id, props, previous, ctx) {
    await updateTags(id, props, previous, ctx);
    return { physicalId: id, attributes: { InternetGatewayId: id } };
  },
  async delete(id, _props, ctx) {
    await ignoreNotFound(() => ctx.invoke('ec2', 'DeleteInternetGateway', { InternetGatewayId: id }));
  },
};

/** Physical id as CloudFormation shows it: IGW|<vpc id>. */
export const gatewayAttachmentProvider: ResourceProvider = {
  type: 'AWS::EC2::VPCGatewayAttachment',
  required: ['VpcId'],
  replaceOn: ['VpcId', 'InternetGatewayId', 'VpnGatewayId'],
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    if (p.str('VpnGatewayId')) throw new Error('halo does not support VPN gateways (VpnGatewayId)');
    const gatewayId = p.str('InternetGatewayId');
    if (!gatewayId) throw new Error('Properties validation failed for resource: either InternetGatewayId or VpnGatewayId is required');
    const vpcId = p.requiredStr('VpcId');
    await ctx.invoke('ec2', 'AttachInternetGateway', { InternetGatewayId: gatewayId, VpcId: vpcId });
    return { physicalId: `IGW|${vpcId}`, attributes: { AttachmentType: 'InternetGateway', VpcId: vpcId } };
  },
  async delete(_id, props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    const gatewayId = p.str('InternetGatewayId');
    if (!gatewayId) return;
    await ignoreNotFound(() => ctx.invoke('ec2', 'DetachInternetGateway', { InternetGatewayId: gatewayId, VpcId: p.requiredStr('VpcId') }));
  },
};

for (const p of [vpcProvider, subnetProvider, internetGatewayProvider, gatewayAttachmentProvider]) registerProvider(p);
