import { registerProvider } from '../../../cloudformation/providers/registry.js';
import { creationTags, ignoreNotFound, onlyChanged, updateTags } from './common.js';
import type { ProviderContext, Props, ResourceProvider } from '../../../cloudformation/providers/types.js';
import { bool, str } from '../../../cloudformation/providers/values.js';

async function vpcAttributes(vpcId: string, ctx: ProviderContext) {
  const { Vpcs } = await ctx.invoke('ec2', 'DescribeVpcs', { VpcIds: [vpcId] });
  const vpc = Vpcs[0];
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
    CidrBlockAssociations: (vpc.CidrBlockAssociationSet ?? []).map((a: { AssociationId: string }) => a.AssociationId),
    DefaultNetworkAcl: acls.NetworkAcls[0]?.NetworkAclId,
    DefaultSecurityGroup: groups.SecurityGroups[0]?.GroupId,
    Ipv6CidrBlocks: [],
  };
}

async function setDns(vpcId: string, props: Props, previous: Props | undefined, ctx: ProviderContext) {
  // ModifyVpcAttribute takes one attribute per call; DNS support must be on before DNS hostnames.
  for (const key of ['EnableDnsSupport', 'EnableDnsHostnames']) {
    const value = bool(props[key]);
    const before = previous ? bool(previous[key]) : undefined;
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
    const { Vpc } = await ctx.invoke('ec2', 'CreateVpc', {
      CidrBlock: str(props.CidrBlock),
      InstanceTenancy: str(props.InstanceTenancy),
      Ipv4IpamPoolId: str(props.Ipv4IpamPoolId),
      TagSpecifications: creationTags('vpc', props, ctx),
    });
    await setDns(Vpc.VpcId, props, undefined, ctx);
    return { physicalId: Vpc.VpcId, attributes: await vpcAttributes(Vpc.VpcId, ctx) };
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
    const { Subnet } = await ctx.invoke('ec2', 'CreateSubnet', {
      VpcId: str(props.VpcId),
      CidrBlock: str(props.CidrBlock),
      AvailabilityZone: str(props.AvailabilityZone),
      AvailabilityZoneId: str(props.AvailabilityZoneId),
      Ipv6CidrBlock: str(props.Ipv6CidrBlock),
      TagSpecifications: creationTags('subnet', props, ctx),
    });
    if (bool(props.MapPublicIpOnLaunch)) {
      await ctx.invoke('ec2', 'ModifySubnetAttribute', { SubnetId: Subnet.SubnetId, MapPublicIpOnLaunch: { Value: true } });
    }
    return { physicalId: Subnet.SubnetId, attributes: await subnetAttributes(Subnet.SubnetId, ctx) };
  },
  async update(id, props, previous, ctx) {
    if (onlyChanged(props, previous, ['MapPublicIpOnLaunch']).length) {
      await ctx.invoke('ec2', 'ModifySubnetAttribute', {
        SubnetId: id,
        MapPublicIpOnLaunch: { Value: bool(props.MapPublicIpOnLaunch) ?? false },
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
  const s = Subnets[0];
  const acls = await ctx.invoke('ec2', 'DescribeNetworkAcls', { Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] });
  const assoc = acls.NetworkAcls[0]?.Associations?.find((a: { SubnetId: string }) => a.SubnetId === subnetId);
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
    return { physicalId: InternetGateway.InternetGatewayId, attributes: { InternetGatewayId: InternetGateway.InternetGatewayId } };
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
    if (props.VpnGatewayId) throw new Error('halo does not support VPN gateways (VpnGatewayId)');
    if (!props.InternetGatewayId)
      throw new Error('Properties validation failed for resource: either InternetGatewayId or VpnGatewayId is required');
    await ctx.invoke('ec2', 'AttachInternetGateway', { InternetGatewayId: str(props.InternetGatewayId), VpcId: str(props.VpcId) });
    return { physicalId: `IGW|${String(props.VpcId)}`, attributes: { AttachmentType: 'InternetGateway', VpcId: props.VpcId } };
  },
  async delete(_id, props, ctx) {
    await ignoreNotFound(() =>
      ctx.invoke('ec2', 'DetachInternetGateway', { InternetGatewayId: str(props.InternetGatewayId), VpcId: str(props.VpcId) }),
    );
  },
};

for (const p of [vpcProvider, subnetProvider, internetGatewayProvider, gatewayAttachmentProvider]) registerProvider(p);
