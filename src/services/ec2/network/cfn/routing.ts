import { registerProvider } from '../../../cloudformation/providers/registry.js';
import { creationTags, ignoreNotFound, updateTags } from './common.js';
import type { Props, ResourceProvider } from '../../../cloudformation/providers/types.js';
import { str } from '../../../cloudformation/providers/values.js';

export const routeTableProvider: ResourceProvider = {
  type: 'AWS::EC2::RouteTable',
  required: ['VpcId'],
  replaceOn: ['VpcId'],
  async create(props, ctx) {
    const { RouteTable } = await ctx.invoke('ec2', 'CreateRouteTable', {
      VpcId: str(props.VpcId),
      TagSpecifications: creationTags('route-table', props, ctx),
    });
    return { physicalId: RouteTable.RouteTableId, attributes: { RouteTableId: RouteTable.RouteTableId } };
  },
  async update(id, props, previous, ctx) {
    await updateTags(id, props, previous, ctx);
    return { physicalId: id, attributes: { RouteTableId: id } };
  },
  async delete(id, _props, ctx) {
    await ignoreNotFound(() => ctx.invoke('ec2', 'DeleteRouteTable', { RouteTableId: id }));
  },
};

const TARGETS = [
  'GatewayId',
  'InstanceId',
  'NetworkInterfaceId',
  'NatGatewayId',
  'VpcPeeringConnectionId',
  'TransitGatewayId',
  'EgressOnlyInternetGatewayId',
  'VpcEndpointId',
  'CarrierGatewayId',
  'LocalGatewayId',
  'CoreNetworkArn',
];

function routeInput(props: Props) {
  const input: Record<string, string | undefined> = {
    RouteTableId: str(props.RouteTableId),
    DestinationCidrBlock: str(props.DestinationCidrBlock),
    DestinationIpv6CidrBlock: str(props.DestinationIpv6CidrBlock),
    DestinationPrefixListId: str(props.DestinationPrefixListId),
  };
  for (const t of TARGETS) input[t] = str(props[t]);
  return input;
}

/** Physical id as CloudFormation shows it: <route table id>|<destination>. */
export const routeProvider: ResourceProvider = {
  type: 'AWS::EC2::Route',
  required: ['RouteTableId'],
  replaceOn: ['RouteTableId', 'DestinationCidrBlock', 'DestinationIpv6CidrBlock', 'DestinationPrefixListId'],
  async create(props, ctx) {
    await ctx.invoke('ec2', 'CreateRoute', routeInput(props));
    const dest = String(props.DestinationCidrBlock ?? props.DestinationIpv6CidrBlock ?? props.DestinationPrefixListId);
    return { physicalId: `${String(props.RouteTableId)}|${dest}`, attributes: { CidrBlock: props.DestinationCidrBlock } };
  },
  async update(id, props, _previous, ctx) {
    await ctx.invoke('ec2', 'ReplaceRoute', routeInput(props));
    return { physicalId: id, attributes: { CidrBlock: props.DestinationCidrBlock } };
  },
  async delete(_id, props, ctx) {
    await ignoreNotFound(() =>
      ctx.invoke('ec2', 'DeleteRoute', {
        RouteTableId: str(props.RouteTableId),
        DestinationCidrBlock: str(props.DestinationCidrBlock),
        DestinationIpv6CidrBlock: str(props.DestinationIpv6CidrBlock),
        DestinationPrefixListId: str(props.DestinationPrefixListId),
      }),
    );
  },
};

export const subnetRouteTableAssociationProvider: ResourceProvider = {
  type: 'AWS::EC2::SubnetRouteTableAssociation',
  required: ['RouteTableId', 'SubnetId'],
  replaceOn: ['SubnetId'],
  async create(props, ctx) {
    const r = await ctx.invoke('ec2', 'AssociateRouteTable', { RouteTableId: str(props.RouteTableId), SubnetId: str(props.SubnetId) });
    return { physicalId: r.AssociationId, attributes: { Id: r.AssociationId } };
  },
  async update(id, props, _previous, ctx) {
    const r = await ctx.invoke('ec2', 'ReplaceRouteTableAssociation', { AssociationId: id, RouteTableId: str(props.RouteTableId) });
    // The association keeps its logical identity; AWS gives it a new id.
    return { physicalId: r.NewAssociationId, ref: r.NewAssociationId, attributes: { Id: r.NewAssociationId } };
  },
  async delete(id, _props, ctx) {
    await ignoreNotFound(() => ctx.invoke('ec2', 'DisassociateRouteTable', { AssociationId: id }));
  },
};

for (const p of [routeTableProvider, routeProvider, subnetRouteTableAssociationProvider]) registerProvider(p);
