import { ec2Errors } from '../errors.js';
import type { Store } from '../../../store/db.js';
import type { RequestContext } from '../../types.js';
import { applyFilters, tagsFor, type Filter } from '../filters.js';
import { newId } from '../ids.js';
import { containsCidr, formatCidr, parseCidr } from './cidr.js';
import { requireAll, type TagSpecifications } from './common.js';
import { findRouteTable, findSubnet, findVpc } from './lookup.js';
import { resolveRouteTarget, type RouteTargetInput } from './route-targets.js';
import { emitNetwork, internetGateways, routeTables, vpcs, type RouteRecord, type RouteTableRecord } from './state.js';
import { ec2Page, type Ec2PageInput } from '../paging.js';

/** The table every VPC is born with: the local route, and the main association. */
export function newMainRouteTable(vpcId: string, vpcCidr: string, owner: string): RouteTableRecord {
  return {
    RouteTableId: newId('rtb'),
    OwnerId: owner,
    VpcId: vpcId,
    Routes: [localRoute(vpcCidr)],
    Associations: [{ RouteTableAssociationId: newId('rtbassoc'), Main: true }],
    Tags: [],
  };
}

const localRoute = (cidr: string): RouteRecord => ({
  DestinationCidrBlock: cidr,
  GatewayId: 'local',
  Origin: 'CreateRouteTable',
  State: 'active',
});

function tableOutput(t: RouteTableRecord, ownerId: string) {
  return {
    Associations: t.Associations.map((a) => ({
      Main: a.Main,
      RouteTableAssociationId: a.RouteTableAssociationId,
      RouteTableId: t.RouteTableId,
      SubnetId: a.SubnetId,
      AssociationState: { State: 'associated' },
    })),
    PropagatingVgws: [],
    RouteTableId: t.RouteTableId,
    Routes: t.Routes.map((r) => ({ ...r, InstanceOwnerId: r.InstanceId ? ownerId : undefined })),
    Tags: t.Tags,
    VpcId: t.VpcId,
    OwnerId: t.OwnerId,
  };
}

function save(ctx: RequestContext, table: RouteTableRecord): void {
  routeTables(ctx.cloud.store).put(ctx.region, table.RouteTableId, table);
  emitNetwork(ctx.cloud, 'ec2.routeTableChanged', { region: ctx.region, routeTableId: table.RouteTableId, vpcId: table.VpcId });
}

export function createRouteTable(
  input: { VpcId: string; TagSpecifications?: TagSpecifications; ClientToken?: string },
  ctx: RequestContext,
) {
  const vpc = findVpc(ctx, input.VpcId);
  const table: RouteTableRecord = {
    RouteTableId: newId('rtb'),
    OwnerId: ctx.accountId,
    VpcId: vpc.VpcId,
    Routes: [localRoute(vpc.CidrBlock)],
    Associations: [],
    Tags: tagsFor('route-table', input.TagSpecifications),
  };
  save(ctx, table);
  return { RouteTable: tableOutput(table, ctx.accountId), ClientToken: input.ClientToken };
}

export function describeRouteTables(input: { RouteTableIds?: string[]; Filters?: Filter[] } & Ec2PageInput, ctx: RequestContext) {
  let items = requireAll(
    routeTables(ctx.cloud.store).list(ctx.region),
    input.RouteTableIds,
    (t) => t.RouteTableId,
    (id) => ec2Errors.routeTableNotFound(id),
  );
  items = applyFilters(
    items,
    input.Filters,
    {
      'route-table-id': (t) => t.RouteTableId,
      'vpc-id': (t) => t.VpcId,
      'owner-id': (t) => t.OwnerId,
      'association.main': (t) => t.Associations.map((a) => String(a.Main)),
      'association.subnet-id': (t) => t.Associations.map((a) => a.SubnetId),
      'association.route-table-association-id': (t) => t.Associations.map((a) => a.RouteTableAssociationId),
      'association.route-table-id': (t) => (t.Associations.length ? t.RouteTableId : undefined),
      'association.association-state': (t) => t.Associations.map(() => 'associated'),
      'route.destination-cidr-block': (t) => t.Routes.map((r) => r.DestinationCidrBlock),
      'route.gateway-id': (t) => t.Routes.map((r) => r.GatewayId),
      'route.instance-id': (t) => t.Routes.map((r) => r.InstanceId),
      'route.origin': (t) => t.Routes.map((r) => r.Origin),
      'route.state': (t) => t.Routes.map((r) => r.State),
    },
    (t) => t.Tags,
  );
  const page = ec2Page(items, input, 'RouteTableIds');
  return { RouteTables: page.items.map((t) => tableOutput(t, ctx.accountId)), NextToken: page.NextToken };
}

export function deleteRouteTable(input: { RouteTableId: string }, ctx: RequestContext) {
  const table = findRouteTable(ctx, input.RouteTableId);
  if (table.Associations.length) throw ec2Errors.hasDependencies('routeTable', table.RouteTableId);
  routeTables(ctx.cloud.store).delete(ctx.region, table.RouteTableId);
  emitNetwork(ctx.cloud, 'ec2.routeTableChanged', { region: ctx.region, routeTableId: table.RouteTableId, vpcId: table.VpcId });
  return {};
}

function destination(text: string | undefined): string {
  if (text === undefined) throw ec2Errors.missingParameter('destinationCidrBlock or destinationIpv6CidrBlock');
  const cidr = parseCidr(text, false);
  if (!cidr) throw ec2Errors.invalidDestinationCidr(text);
  return formatCidr(cidr);
}

type RouteInput = RouteTargetInput & { RouteTableId: string; DestinationCidrBlock?: string };

export function createRoute(input: RouteInput, ctx: RequestContext) {
  const table = findRouteTable(ctx, input.RouteTableId);
  if (input.DestinationIpv6CidrBlock || input.DestinationPrefixListId) throw ec2Errors.ipv6AndPrefixListRoutesUnsupported();
  const dest = destination(input.DestinationCidrBlock);
  if (table.Routes.some((r) => r.DestinationCidrBlock === dest)) {
    throw ec2Errors.routeExists(dest);
  }
  const vpcCidr = parseCidr(findVpc(ctx, table.VpcId).CidrBlock);
  const destCidr = parseCidr(dest);
  if (vpcCidr && destCidr && containsCidr(vpcCidr, destCidr)) {
    throw ec2Errors.routeInsideVpcCidr(dest);
  }
  const target = resolveRouteTarget(ctx, table, input);
  save(ctx, { ...table, Routes: [...table.Routes, { DestinationCidrBlock: dest, ...target, Origin: 'CreateRoute' }] });
  return { Return: true };
}

export function replaceRoute(input: RouteInput & { LocalTarget?: boolean }, ctx: RequestContext) {
  const table = findRouteTable(ctx, input.RouteTableId);
  if (input.DestinationIpv6CidrBlock || input.DestinationPrefixListId) throw ec2Errors.ipv6AndPrefixListRoutesUnsupported();
  const dest = destination(input.DestinationCidrBlock);
  const index = table.Routes.findIndex((r) => r.DestinationCidrBlock === dest);
  if (index < 0) throw ec2Errors.routeToReplaceNotFound(dest);
  if (table.Routes[index].GatewayId === 'local') throw ec2Errors.localRouteNotReplaceable(dest, table.RouteTableId);
  const target = resolveRouteTarget(ctx, table, input);
  const routes = [...table.Routes];
  routes[index] = { DestinationCidrBlock: dest, ...target, Origin: 'CreateRoute' };
  save(ctx, { ...table, Routes: routes });
  return {};
}

export function deleteRoute(
  input: { RouteTableId: string; DestinationCidrBlock?: string; DestinationIpv6CidrBlock?: string; DestinationPrefixListId?: string },
  ctx: RequestContext,
) {
  const table = findRouteTable(ctx, input.RouteTableId);
  if (input.DestinationIpv6CidrBlock || input.DestinationPrefixListId) throw ec2Errors.ipv6AndPrefixListRoutesUnsupported();
  const dest = destination(input.DestinationCidrBlock);
  const route = table.Routes.find((r) => r.DestinationCidrBlock === dest);
  if (!route) throw ec2Errors.routeNotFound(dest, table.RouteTableId);
  if (route.GatewayId === 'local') throw ec2Errors.localRouteNotRemovable(dest, table.RouteTableId);
  save(ctx, { ...table, Routes: table.Routes.filter((r) => r !== route) });
  return {};
}

export function associateRouteTable(input: { RouteTableId: string; SubnetId?: string; GatewayId?: string }, ctx: RequestContext) {
  const table = findRouteTable(ctx, input.RouteTableId);
  if (input.GatewayId) throw ec2Errors.gatewayAssociationsUnsupported();
  if (!input.SubnetId) throw ec2Errors.missingParameter('subnetId or gatewayId');
  const subnet = findSubnet(ctx, input.SubnetId);
  if (subnet.VpcId !== table.VpcId) {
    throw ec2Errors.routeTableAndSubnetInDifferentNetworks(table.RouteTableId, subnet.SubnetId);
  }
  const current = routeTables(ctx.cloud.store)
    .list(ctx.region)
    .find((t) => t.Associations.some((a) => a.SubnetId === subnet.SubnetId));
  if (current) {
    throw ec2Errors.routeTableAssociationConflict(table.RouteTableId);
  }
  const associationId = newId('rtbassoc');
  save(ctx, {
    ...table,
    Associations: [...table.Associations, { RouteTableAssociationId: associationId, SubnetId: subnet.SubnetId, Main: false }],
  });
  return { AssociationId: associationId, AssociationState: { State: 'associated' } };
}

function findAssociation(ctx: RequestContext, associationId: string): RouteTableRecord {
  const table = routeTables(ctx.cloud.store)
    .list(ctx.region)
    .find((t) => t.Associations.some((a) => a.RouteTableAssociationId === associationId));
  if (!table) throw ec2Errors.associationNotFound(associationId);
  return table;
}

export function disassociateRouteTable(input: { AssociationId: string }, ctx: RequestContext) {
  const table = findAssociation(ctx, input.AssociationId);
  const association = table.Associations.find((a) => a.RouteTableAssociationId === input.AssociationId);
  if (association?.Main) throw ec2Errors.mainAssociationNotRemovable(input.AssociationId);
  save(ctx, { ...table, Associations: table.Associations.filter((a) => a !== association) });
  return {};
}

/** Moves a subnet's association, or the VPC's main association, to another table of the same VPC. */
export function replaceRouteTableAssociation(input: { AssociationId: string; RouteTableId: string }, ctx: RequestContext) {
  const from = findAssociation(ctx, input.AssociationId);
  const to = findRouteTable(ctx, input.RouteTableId);
  if (to.VpcId !== from.VpcId) throw ec2Errors.routeTableInOtherNetwork(to.RouteTableId, input.AssociationId);
  const old = from.Associations.find((a) => a.RouteTableAssociationId === input.AssociationId);
  if (!old) throw ec2Errors.associationNotFound(input.AssociationId);
  const moved = { ...old, RouteTableAssociationId: newId('rtbassoc') };
  const store = ctx.cloud.store;
  store.tx(() => {
    const source = { ...from, Associations: from.Associations.filter((a) => a !== old) };
    routeTables(store).put(ctx.region, source.RouteTableId, source);
    const target = routeTables(store).get(ctx.region, to.RouteTableId) ?? to;
    routeTables(store).put(ctx.region, target.RouteTableId, { ...target, Associations: [...target.Associations, moved] });
    if (old.Main) {
      const vpc = findVpc(ctx, from.VpcId);
      vpcs(store).put(ctx.region, vpc.VpcId, { ...vpc, MainRouteTableId: to.RouteTableId });
    }
  });
  for (const id of new Set([from.RouteTableId, to.RouteTableId])) {
    emitNetwork(ctx.cloud, 'ec2.routeTableChanged', { region: ctx.region, routeTableId: id, vpcId: from.VpcId });
  }
  return { NewAssociationId: moved.RouteTableAssociationId, AssociationState: { State: 'associated' } };
}

/** Removes a deleted subnet's explicit association (AWS drops it with the subnet). */
export function dropSubnetRouteAssociation(store: Store, region: string, subnetId: string): RouteTableRecord | undefined {
  const table = routeTables(store)
    .list(region)
    .find((t) => t.Associations.some((a) => a.SubnetId === subnetId));
  if (table)
    routeTables(store).put(region, table.RouteTableId, {
      ...table,
      Associations: table.Associations.filter((a) => a.SubnetId !== subnetId),
    });
  return table;
}

/** After an internet gateway is attached or detached: its routes in the VPC's tables become active or blackhole. */
export function refreshGatewayRoutes(store: Store, region: string, vpcId: string, gatewayId: string): RouteTableRecord[] {
  const attached =
    internetGateways(store)
      .get(region, gatewayId)
      ?.Attachments.some((a) => a.VpcId === vpcId) ?? false;
  const changed: RouteTableRecord[] = [];
  for (const table of routeTables(store).list(region)) {
    if (table.VpcId !== vpcId || !table.Routes.some((r) => r.GatewayId === gatewayId)) continue;
    const updated = {
      ...table,
      Routes: table.Routes.map((r) =>
        r.GatewayId === gatewayId ? { ...r, State: attached ? ('active' as const) : ('blackhole' as const) } : r,
      ),
    };
    routeTables(store).put(region, table.RouteTableId, updated);
    changed.push(updated);
  }
  return changed;
}
