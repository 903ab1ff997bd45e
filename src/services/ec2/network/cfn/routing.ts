import { registerProvider } from '../../../cloudformation/providers/registry.js';
import { creationTags, ignoreNotFound, updateTags } from './common.js';
import type { Props, ResourceProvider } from '../../../cloudformation/providers/types.js';
import { propsOf } from '../../../cloudformation/providers/props.js';
import { given } from '../../../cloudformation/providers/values.js';

export const routeTableProvider: ResourceProvider = {
  type: 'AWS::EC2::RouteTable',
  required: ['VpcId'],
  replaceOn: ['VpcId'],
  async create(props, ctx) {
    const { RouteTable } = await ctx.invoke('ec2', 'CreateRouteTable', {
      VpcId: propsOf(props, ctx.logicalId).requiredStr('VpcId'),
      TagSpecifications: creationTags('route-table', props, ctx),
    });
    const id = given(RouteTable?.RouteTableId, 'RouteTableId');
    return { physicalId: id, attributes: { RouteTableId: id } };
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
] as const;

/** The route's table and destination (what names it), from the template. */
function routeKey(props: Props, logicalId: string) {
  const p = propsOf(props, logicalId);
  return {
    RouteTableId: p.requiredStr('RouteTableId'),
    DestinationCidrBlock: p.str('DestinationCidrBlock'),
    DestinationIpv6CidrBlock: p.str('DestinationIpv6CidrBlock'),
    DestinationPrefixListId: p.str('DestinationPrefixListId'),
  };
}

function routeInput(props: Props, logicalId: string) {
  const p = propsOf(props, logicalId);
  const targets: Partial<Record<(typeof TARGETS)[number], string>> = {};
  for (const t of TARGETS) targets[t] = p.str(t);
  return { ...routeKey(props, logicalId), ...targets };
}

/** Physical id as CloudFormation shows it: <route table id>|<destination>. */
export const routeProvider: ResourceProvider = {
  type: 'AWS::EC2::Route',
  required: ['RouteTableId'],
  replaceOn: ['RouteTableId', 'DestinationCidrBlock', 'DestinationIpv6CidrBlock', 'DestinationPrefixListId'],
  async create(props, ctx) {
    const input = routeInput(props, ctx.logicalId);
    await ctx.invoke('ec2', 'CreateRoute', input);
    const dest = String(input.DestinationCidrBlock ?? input.DestinationIpv6CidrBlock ?? input.DestinationPrefixListId);
    return { physicalId: `${input.RouteTableId}|${dest}`, attributes: { CidrBlock: input.DestinationCidrBlock } };
  },
  async update(id, props, _previous, ctx) {
    const input = routeInput(props, ctx.logicalId);
    await ctx.invoke('ec2', 'ReplaceRoute', input);
    return { physicalId: id, attributes: { CidrBlock: input.DestinationCidrBlock } };
  },
  async delete(_id, props, ctx) {
    await ignoreNotFound(() => ctx.invoke('ec2', 'DeleteRoute', routeKey(props, ctx.logicalId)));
  },
};

export const subnetRouteTableAssociationProvider: ResourceProvider = {
  type: 'AWS::EC2::SubnetRouteTableAssociation',
  required: ['RouteTableId', 'SubnetId'],
  replaceOn: ['SubnetId'],
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    const r = await ctx.invoke('ec2', 'AssociateRouteTable', { RouteTableId: p.requiredStr('RouteTableId'), SubnetId: p.str('SubnetId') });
    const id = given(r.AssociationId, 'AssociationId');
    return { physicalId: id, attributes: { Id: id } };
  },
  async update(id, props, _previous, ctx) {
    const RouteTableId = propsOf(props, ctx.logicalId).requiredStr('RouteTableId');
    const r = await ctx.invoke('ec2', 'ReplaceRouteTableAssociation', { AssociationId: id, RouteTableId });
    // The association keeps its logical identity; AWS gives it a new id.
    const newId = given(r.NewAssociationId, 'NewAssociationId');
    return { physicalId: newId, ref: newId, attributes: { Id: newId } };
  },
  async delete(id, _props, ctx) {
    await ignoreNotFound(() => ctx.invoke('ec2', 'DisassociateRouteTable', { AssociationId: id }));
  },
};

for (const p of [routeTableProvider, routeProvider, subnetRouteTableAssociationProvider]) registerProvider(p);
