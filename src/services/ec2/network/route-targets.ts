import { ec2Errors } from '../errors.js';
import { type Scope } from './common.js';
import { findInternetGateway } from './lookup.js';
import { instances, type RouteRecord, type RouteTableRecord } from './state.js';

export interface RouteTargetInput {
  GatewayId?: string;
  InstanceId?: string;
  NetworkInterfaceId?: string;
  NatGatewayId?: string;
  VpcPeeringConnectionId?: string;
  TransitGatewayId?: string;
  EgressOnlyInternetGatewayId?: string;
  VpcEndpointId?: string;
  CarrierGatewayId?: string;
  LocalGatewayId?: string;
  CoreNetworkArn?: string;
  DestinationIpv6CidrBlock?: string;
  DestinationPrefixListId?: string;
}

const UNSUPPORTED: Array<keyof RouteTargetInput> = [
  'NatGatewayId',
  'VpcPeeringConnectionId',
  'TransitGatewayId',
  'EgressOnlyInternetGatewayId',
  'VpcEndpointId',
  'CarrierGatewayId',
  'LocalGatewayId',
  'CoreNetworkArn',
  'DestinationIpv6CidrBlock',
  'DestinationPrefixListId',
];

/** The target part of a route (gateway, instance or its network interface), checked against the table's VPC. */
export function resolveRouteTarget(
  s: Scope,
  table: RouteTableRecord,
  input: RouteTargetInput,
): Pick<RouteRecord, 'GatewayId' | 'InstanceId' | 'NetworkInterfaceId' | 'State'> {
  const unsupported = UNSUPPORTED.filter((k) => input[k] !== undefined);
  if (unsupported.length) throw ec2Errors.routeTargetUnsupported(unsupported.join(', '));
  const targets = (['GatewayId', 'InstanceId', 'NetworkInterfaceId'] as const).filter((k) => input[k] !== undefined);
  if (targets.length !== 1) {
    throw ec2Errors.oneRouteTarget();
  }
  if (input.GatewayId !== undefined) {
    const id = input.GatewayId;
    if (!id.startsWith('igw-')) throw ec2Errors.gatewayIdNotFound(id);
    const igw = findInternetGateway(s, id);
    if (!igw.Attachments.some((a) => a.VpcId === table.VpcId)) {
      throw ec2Errors.gatewayInOtherNetwork(table.RouteTableId, id);
    }
    return { GatewayId: id, State: 'active' };
  }
  const all = instances(s.cloud.store).list(s.region);
  const instance =
    input.InstanceId !== undefined
      ? all.find((i) => i.InstanceId === input.InstanceId)
      : all.find((i) => i.NetworkInterfaceId === input.NetworkInterfaceId);
  if (!instance || instance.State?.Name === 'terminated') {
    if (input.InstanceId !== undefined) throw ec2Errors.instanceNotFound(input.InstanceId);
    throw ec2Errors.targetNetworkInterfaceNotFound(input.NetworkInterfaceId ?? '');
  }
  if (instance.VpcId !== table.VpcId) {
    throw ec2Errors.instanceInOtherNetwork(table.RouteTableId, instance.InstanceId);
  }
  return { InstanceId: instance.InstanceId, NetworkInterfaceId: instance.NetworkInterfaceId, State: 'active' };
}
