import { ec2Errors } from '../errors.js';
import type { Store, Table } from '../../../store/db.js';
import type { RequestContext } from '../../types.js';
import { applyFilters, tagsFor, type Filter, type Tag } from '../filters.js';
import { newId } from '../ids.js';
import { requireAll, type TagSpecifications } from './common.js';
import { findSecurityGroup, findSubnet } from './lookup.js';
import { allocatePrivateIp, releasePrivateIp } from './private-ips.js';
import { securityGroups } from './state.js';

/**
 * Standalone network interfaces (CreateNetworkInterface): an address of a subnet held by something other than an
 * instance — an EFS mount target asks for one, so no instance is ever given its address. Interfaces attached to
 * instances are part of the instance records and are not listed here.
 */
export interface NetworkInterfaceRecord {
  NetworkInterfaceId: string;
  SubnetId: string;
  VpcId: string;
  AvailabilityZone: string;
  PrivateIpAddress: string;
  Description: string;
  OwnerId: string;
  GroupIds: string[];
  InterfaceType: string;
  RequesterManaged: boolean;
  Tags: Tag[];
}

export const networkInterfaces = (store: Store): Table<NetworkInterfaceRecord> =>
  store.table<NetworkInterfaceRecord>('ec2.networkInterface');

function view(ctx: RequestContext, n: NetworkInterfaceRecord) {
  return {
    NetworkInterfaceId: n.NetworkInterfaceId,
    SubnetId: n.SubnetId,
    VpcId: n.VpcId,
    AvailabilityZone: n.AvailabilityZone,
    Description: n.Description,
    OwnerId: n.OwnerId,
    RequesterManaged: n.RequesterManaged,
    Status: 'available',
    InterfaceType: n.InterfaceType,
    PrivateIpAddress: n.PrivateIpAddress,
    PrivateIpAddresses: [{ PrivateIpAddress: n.PrivateIpAddress, Primary: true }],
    Groups: n.GroupIds.map((id) => ({ GroupId: id, GroupName: securityGroups(ctx.cloud.store).get(ctx.region, id)?.GroupName })),
    SourceDestCheck: true,
    TagSet: n.Tags,
  };
}

interface CreateInput {
  SubnetId: string;
  PrivateIpAddress?: string;
  Groups?: string[];
  Description?: string;
  TagSpecifications?: TagSpecifications;
}

export function createNetworkInterface(input: CreateInput, ctx: RequestContext) {
  const subnet = findSubnet(ctx, input.SubnetId);
  const groups = (input.Groups ?? []).map((id) => findSecurityGroup(ctx, id));
  for (const g of groups) {
    if (g.VpcId !== subnet.VpcId) throw ec2Errors.groupInOtherNetwork(g.GroupId, subnet.SubnetId);
  }
  const groupIds = groups.length
    ? groups.map((g) => g.GroupId)
    : securityGroups(ctx.cloud.store)
        .list(ctx.region)
        .filter((g) => g.VpcId === subnet.VpcId && g.IsDefault)
        .map((g) => g.GroupId);
  const id = newId('eni');
  const record: NetworkInterfaceRecord = {
    NetworkInterfaceId: id,
    SubnetId: subnet.SubnetId,
    VpcId: subnet.VpcId,
    AvailabilityZone: subnet.AvailabilityZone,
    PrivateIpAddress: allocatePrivateIp(ctx, subnet.SubnetId, input.PrivateIpAddress, id),
    Description: input.Description ?? '',
    OwnerId: ctx.accountId,
    GroupIds: groupIds,
    InterfaceType: 'interface',
    RequesterManaged: false,
    Tags: tagsFor('network-interface', input.TagSpecifications),
  };
  networkInterfaces(ctx.cloud.store).insert(ctx.region, id, record);
  return { NetworkInterface: view(ctx, record) };
}

function findInterface(ctx: RequestContext, id: string): NetworkInterfaceRecord {
  const n = networkInterfaces(ctx.cloud.store).get(ctx.region, id);
  if (!n) throw ec2Errors.networkInterfaceNotFound(id);
  return n;
}

export function deleteNetworkInterface(input: { NetworkInterfaceId: string }, ctx: RequestContext) {
  const n = findInterface(ctx, input.NetworkInterfaceId);
  releasePrivateIp(ctx, n.SubnetId, n.PrivateIpAddress);
  networkInterfaces(ctx.cloud.store).delete(ctx.region, n.NetworkInterfaceId);
  return {};
}

export function modifyNetworkInterfaceAttribute(
  input: { NetworkInterfaceId: string; Groups?: string[]; Description?: { Value?: string } },
  ctx: RequestContext,
) {
  const n = findInterface(ctx, input.NetworkInterfaceId);
  const groups = input.Groups?.map((id) => findSecurityGroup(ctx, id).GroupId) ?? n.GroupIds;
  networkInterfaces(ctx.cloud.store).put(ctx.region, n.NetworkInterfaceId, {
    ...n,
    GroupIds: groups,
    Description: input.Description?.Value ?? n.Description,
  });
  return {};
}

export function describeNetworkInterfaces(input: { NetworkInterfaceIds?: string[]; Filters?: Filter[] }, ctx: RequestContext) {
  let items = requireAll(
    networkInterfaces(ctx.cloud.store).list(ctx.region),
    input.NetworkInterfaceIds,
    (n) => n.NetworkInterfaceId,
    (id) => ec2Errors.networkInterfaceNotFound(id),
  );
  items = applyFilters(
    items,
    input.Filters,
    {
      'network-interface-id': (n) => n.NetworkInterfaceId,
      'subnet-id': (n) => n.SubnetId,
      'vpc-id': (n) => n.VpcId,
      'availability-zone': (n) => n.AvailabilityZone,
      'private-ip-address': (n) => n.PrivateIpAddress,
      'group-id': (n) => n.GroupIds,
      description: (n) => n.Description,
    },
    (n) => n.Tags,
  );
  return { NetworkInterfaces: items.map((n) => view(ctx, n)) };
}
