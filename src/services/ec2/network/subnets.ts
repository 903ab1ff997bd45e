import { ec2Page, type Ec2PageInput } from '../paging.js';
import { ec2Errors } from '../errors.js';
import type { RequestContext } from '../../types.js';
import { findRegion, zonesOf, type ZoneInfo } from '../../../topology/regions.js';
import { applyFilters, tagsFor, type Filter } from '../filters.js';
import { newId } from '../ids.js';
import { containsCidr, formatCidr, overlaps, parseCidr } from './cidr.js';
import { requireAll, tagsOrNone, type TagSpecifications } from './common.js';
import { findSubnet, findVpc } from './lookup.js';
import { associateWithDefaultAcl, dropSubnetAclAssociation } from './network-acls.js';
import { dropSubnetRouteAssociation } from './route-tables.js';
import { emitNetwork, instances, subnets, type SubnetEvent, type SubnetRecord } from './state.js';

/** AWS reserves the first four addresses and the last one of every subnet. */
const RESERVED = 5;

export const availableIpCount = (s: SubnetRecord) => (parseCidr(s.CidrBlock)?.size ?? 0) - RESERVED - Object.keys(s.PrivateIps).length;

export function subnetOutput(s: SubnetRecord, region: string) {
  return {
    AvailabilityZone: s.AvailabilityZone,
    AvailabilityZoneId: s.AvailabilityZoneId,
    AvailableIpAddressCount: availableIpCount(s),
    CidrBlock: s.CidrBlock,
    DefaultForAz: s.DefaultForAz ?? false,
    MapPublicIpOnLaunch: s.MapPublicIpOnLaunch,
    MapCustomerOwnedIpOnLaunch: false,
    State: s.State,
    SubnetId: s.SubnetId,
    VpcId: s.VpcId,
    OwnerId: s.OwnerId,
    AssignIpv6AddressOnCreation: false,
    Ipv6CidrBlockAssociationSet: [],
    Tags: tagsOrNone(s.Tags),
    SubnetArn: `arn:aws:ec2:${region}:${s.OwnerId}:subnet/${s.SubnetId}`,
    EnableDns64: false,
    Ipv6Native: false,
    PrivateDnsNameOptionsOnLaunch: { HostnameType: 'ip-name', EnableResourceNameDnsARecord: false, EnableResourceNameDnsAAAARecord: false },
  };
}

const event = (region: string, s: SubnetRecord): SubnetEvent => ({
  region,
  subnetId: s.SubnetId,
  vpcId: s.VpcId,
  cidrBlock: s.CidrBlock,
  availabilityZone: s.AvailabilityZone,
});

function pickZone(ctx: RequestContext, vpcId: string, name?: string, id?: string): ZoneInfo {
  const zones = zonesOf(findRegion(ctx.region) ?? { name: ctx.region, code: '', optIn: 'opt-in-not-required', zones: [] });
  const names = zones.map((z) => z.zoneName).join(', ');
  if (name !== undefined || id !== undefined) {
    const zone = zones.find((z) => (name === undefined || z.zoneName === name) && (id === undefined || z.zoneId === id));
    if (!zone) {
      const [param, value] = name !== undefined ? ['availabilityZone', name] : ['availabilityZoneId', id];
      throw ec2Errors.invalidSubnetZone(String(value), param, names);
    }
    return zone;
  }
  // AWS chooses a zone for the caller; spread a VPC's subnets over the zones, in zone order.
  const used = subnets(ctx.cloud.store)
    .list(ctx.region)
    .filter((s) => s.VpcId === vpcId);
  const count = (z: ZoneInfo) => used.filter((s) => s.AvailabilityZone === z.zoneName).length;
  return zones.reduce((best, z) => (count(z) < count(best) ? z : best), zones[0]);
}

export function createSubnet(
  input: {
    VpcId: string;
    CidrBlock?: string;
    AvailabilityZone?: string;
    AvailabilityZoneId?: string;
    Ipv6CidrBlock?: string;
    Ipv6Native?: boolean;
    Ipv4IpamPoolId?: string;
    OutpostArn?: string;
    TagSpecifications?: TagSpecifications;
  },
  ctx: RequestContext,
) {
  const vpc = findVpc(ctx, input.VpcId);
  if (input.Ipv6CidrBlock || input.Ipv6Native) throw ec2Errors.ipv6SubnetsUnsupported();
  if (input.Ipv4IpamPoolId || input.OutpostArn) throw ec2Errors.subnetIpamUnsupported();
  if (!input.CidrBlock) throw ec2Errors.missingParameter('cidrBlock');
  const cidr = parseCidr(input.CidrBlock);
  if (!cidr) throw ec2Errors.invalidCidrBlock(input.CidrBlock);
  const vpcCidr = parseCidr(vpc.CidrBlock);
  if (cidr.prefix < 16 || cidr.prefix > 28 || !vpcCidr || !containsCidr(vpcCidr, cidr)) {
    throw ec2Errors.subnetRangeInvalid(input.CidrBlock);
  }
  const siblings = subnets(ctx.cloud.store)
    .list(ctx.region)
    .filter((s) => s.VpcId === vpc.VpcId);
  if (
    siblings.some((s) => {
      const other = parseCidr(s.CidrBlock);
      return other !== undefined && overlaps(other, cidr);
    })
  ) {
    throw ec2Errors.subnetConflict(input.CidrBlock);
  }
  const zone = pickZone(ctx, vpc.VpcId, input.AvailabilityZone, input.AvailabilityZoneId);
  const subnet: SubnetRecord = {
    SubnetId: newId('subnet'),
    OwnerId: ctx.accountId,
    VpcId: vpc.VpcId,
    CidrBlock: formatCidr(cidr),
    AvailabilityZone: zone.zoneName,
    AvailabilityZoneId: zone.zoneId,
    State: 'available',
    MapPublicIpOnLaunch: false,
    PrivateIps: {},
    Tags: tagsFor('subnet', input.TagSpecifications),
  };
  const store = ctx.cloud.store;
  const acl = store.tx(() => {
    subnets(store).insert(ctx.region, subnet.SubnetId, subnet);
    return associateWithDefaultAcl(store, ctx.region, vpc, subnet.SubnetId);
  });
  emitNetwork(ctx.cloud, 'ec2.subnetCreated', event(ctx.region, subnet));
  emitNetwork(ctx.cloud, 'ec2.networkAclChanged', { region: ctx.region, aclId: acl.NetworkAclId, vpcId: vpc.VpcId });
  return { Subnet: subnetOutput(subnet, ctx.region) };
}

export function describeSubnets(input: { SubnetIds?: string[]; Filters?: Filter[] } & Ec2PageInput, ctx: RequestContext) {
  let items = requireAll(
    subnets(ctx.cloud.store).list(ctx.region),
    input.SubnetIds,
    (s) => s.SubnetId,
    (id) => ec2Errors.subnetIdNotFound(id),
  );
  items = applyFilters(
    items,
    input.Filters,
    {
      'subnet-id': (s) => s.SubnetId,
      'vpc-id': (s) => s.VpcId,
      'availability-zone': (s) => s.AvailabilityZone,
      'availability-zone-id': (s) => s.AvailabilityZoneId,
      'available-ip-address-count': (s) => availableIpCount(s),
      'cidr-block': (s) => s.CidrBlock,
      cidr: (s) => s.CidrBlock,
      cidrBlock: (s) => s.CidrBlock,
      'default-for-az': (s) => String(s.DefaultForAz ?? false),
      defaultForAz: (s) => String(s.DefaultForAz ?? false),
      'map-public-ip-on-launch': (s) => String(s.MapPublicIpOnLaunch),
      'owner-id': (s) => s.OwnerId,
      state: (s) => s.State,
      'subnet-arn': (s) => `arn:aws:ec2:${ctx.region}:${s.OwnerId}:subnet/${s.SubnetId}`,
    },
    (s) => s.Tags,
  );
  const page = ec2Page(items, input, 'SubnetIds');
  return { Subnets: page.items.map((s) => subnetOutput(s, ctx.region)), NextToken: page.NextToken };
}

export function deleteSubnet(input: { SubnetId: string }, ctx: RequestContext) {
  const subnet = findSubnet(ctx, input.SubnetId);
  const store = ctx.cloud.store;
  const liveInstance = instances(store)
    .list(ctx.region)
    .some((i) => i.SubnetId === subnet.SubnetId && i.State?.Name !== 'terminated');
  if (Object.keys(subnet.PrivateIps).length || liveInstance) throw ec2Errors.hasDependencies('subnet', subnet.SubnetId);
  const { table, acl } = store.tx(() => {
    const t = dropSubnetRouteAssociation(store, ctx.region, subnet.SubnetId);
    const a = dropSubnetAclAssociation(store, ctx.region, subnet.SubnetId);
    subnets(store).delete(ctx.region, subnet.SubnetId);
    return { table: t, acl: a };
  });
  if (table) emitNetwork(ctx.cloud, 'ec2.routeTableChanged', { region: ctx.region, routeTableId: table.RouteTableId, vpcId: subnet.VpcId });
  if (acl) emitNetwork(ctx.cloud, 'ec2.networkAclChanged', { region: ctx.region, aclId: acl.NetworkAclId, vpcId: subnet.VpcId });
  emitNetwork(ctx.cloud, 'ec2.subnetDeleted', event(ctx.region, subnet));
  return {};
}

type BooleanValue = { Value?: boolean } | undefined;

export function modifySubnetAttribute(
  input: { SubnetId: string; MapPublicIpOnLaunch?: BooleanValue; AssignIpv6AddressOnCreation?: BooleanValue },
  ctx: RequestContext,
) {
  const subnet = findSubnet(ctx, input.SubnetId);
  const given = Object.entries(input)
    .filter(([k, v]) => k !== 'SubnetId' && k !== 'DryRun' && v !== undefined)
    .map(([k]) => k);
  if (given.length === 0) throw ec2Errors.missingParameter('MapPublicIpOnLaunch');
  if (given.length > 1) throw ec2Errors.multipleAttributes(given.join(', '));
  if (given[0] !== 'MapPublicIpOnLaunch') throw ec2Errors.subnetAttributeUnsupported(given[0]);
  const value = input.MapPublicIpOnLaunch?.Value;
  if (value === undefined) throw ec2Errors.missingParameter('MapPublicIpOnLaunch.Value');
  const updated = { ...subnet, MapPublicIpOnLaunch: value };
  subnets(ctx.cloud.store).put(ctx.region, subnet.SubnetId, updated);
  emitNetwork(ctx.cloud, 'ec2.subnetChanged', event(ctx.region, updated));
  return {};
}
