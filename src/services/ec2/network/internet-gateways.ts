import { ec2Errors } from '../errors.js';
import type { RequestContext } from '../../types.js';
import { applyFilters, tagsFor, type Filter } from '../filters.js';
import { newId } from '../ids.js';
import { requireAll, type TagSpecifications } from './common.js';
import { findInternetGateway, findVpc } from './lookup.js';
import { refreshGatewayRoutes } from './route-tables.js';
import { addresses, emitNetwork, instances, internetGateways, type InternetGatewayRecord } from './state.js';
import { ec2Page, type Ec2PageInput } from '../paging.js';

const output = (g: InternetGatewayRecord) => ({
  Attachments: g.Attachments,
  InternetGatewayId: g.InternetGatewayId,
  OwnerId: g.OwnerId,
  Tags: g.Tags,
});

export function createInternetGateway(input: { TagSpecifications?: TagSpecifications }, ctx: RequestContext) {
  const igw: InternetGatewayRecord = {
    InternetGatewayId: newId('igw'),
    OwnerId: ctx.accountId,
    Attachments: [],
    Tags: tagsFor('internet-gateway', input.TagSpecifications),
  };
  internetGateways(ctx.cloud.store).insert(ctx.region, igw.InternetGatewayId, igw);
  return { InternetGateway: output(igw) };
}

export function describeInternetGateways(input: { InternetGatewayIds?: string[]; Filters?: Filter[] } & Ec2PageInput, ctx: RequestContext) {
  let items = requireAll(
    internetGateways(ctx.cloud.store).list(ctx.region),
    input.InternetGatewayIds,
    (g) => g.InternetGatewayId,
    (id) => ec2Errors.internetGatewayNotFound(id),
  );
  items = applyFilters(
    items,
    input.Filters,
    {
      'internet-gateway-id': (g) => g.InternetGatewayId,
      'owner-id': (g) => g.OwnerId,
      'attachment.vpc-id': (g) => g.Attachments.map((a) => a.VpcId),
      'attachment.state': (g) => g.Attachments.map((a) => a.State),
    },
    (g) => g.Tags,
  );
  const page = ec2Page(items, input, 'InternetGatewayIds');
  return { InternetGateways: page.items.map(output), NextToken: page.NextToken };
}

function emitChange(ctx: RequestContext, igwId: string, vpcId: string, attached: boolean): void {
  const changed = refreshGatewayRoutes(ctx.cloud.store, ctx.region, vpcId, igwId);
  emitNetwork(ctx.cloud, 'ec2.internetGatewayChanged', { region: ctx.region, internetGatewayId: igwId, vpcId, attached });
  for (const t of changed) emitNetwork(ctx.cloud, 'ec2.routeTableChanged', { region: ctx.region, routeTableId: t.RouteTableId, vpcId });
}

export function attachInternetGateway(input: { InternetGatewayId: string; VpcId: string }, ctx: RequestContext) {
  const igw = findInternetGateway(ctx, input.InternetGatewayId);
  const vpc = findVpc(ctx, input.VpcId);
  if (igw.Attachments.length) {
    throw ec2Errors.gatewayAlreadyAttached(igw.InternetGatewayId, igw.Attachments[0].VpcId);
  }
  const other = internetGateways(ctx.cloud.store)
    .list(ctx.region)
    .find((g) => g.Attachments.some((a) => a.VpcId === vpc.VpcId));
  if (other) throw ec2Errors.networkHasInternetGateway(vpc.VpcId);
  internetGateways(ctx.cloud.store).put(ctx.region, igw.InternetGatewayId, {
    ...igw,
    Attachments: [{ VpcId: vpc.VpcId, State: 'available' }],
  });
  emitChange(ctx, igw.InternetGatewayId, vpc.VpcId, true);
  return {};
}

export function detachInternetGateway(input: { InternetGatewayId: string; VpcId: string }, ctx: RequestContext) {
  const igw = findInternetGateway(ctx, input.InternetGatewayId);
  const vpc = findVpc(ctx, input.VpcId);
  if (!igw.Attachments.some((a) => a.VpcId === vpc.VpcId)) {
    throw ec2Errors.gatewayNotAttached(igw.InternetGatewayId, vpc.VpcId);
  }
  const store = ctx.cloud.store;
  const vpcInstances = new Set(
    instances(store)
      .list(ctx.region)
      .filter((i) => i.VpcId === vpc.VpcId)
      .map((i) => i.InstanceId),
  );
  if (
    addresses(store)
      .list(ctx.region)
      .some((a) => a.InstanceId && vpcInstances.has(a.InstanceId))
  ) {
    throw ec2Errors.networkHasMappedAddresses(vpc.VpcId);
  }
  internetGateways(store).put(ctx.region, igw.InternetGatewayId, { ...igw, Attachments: [] });
  emitChange(ctx, igw.InternetGatewayId, vpc.VpcId, false);
  return {};
}

export function deleteInternetGateway(input: { InternetGatewayId: string }, ctx: RequestContext) {
  const igw = findInternetGateway(ctx, input.InternetGatewayId);
  if (igw.Attachments.length) throw ec2Errors.hasDependencies('internetGateway', igw.InternetGatewayId);
  internetGateways(ctx.cloud.store).delete(ctx.region, igw.InternetGatewayId);
  return {};
}
