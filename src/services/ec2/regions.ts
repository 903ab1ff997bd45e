import { ec2Errors } from './errors.js';
import { findRegion, REGIONS, zonesOf } from '../../topology/regions.js';
import type { RequestContext } from '../types.js';
import { applyFilters, type Filter } from './filters.js';

export function describeRegions(input: { RegionNames?: string[]; Filters?: Filter[]; AllRegions?: boolean }) {
  for (const name of input.RegionNames ?? []) {
    if (!findRegion(name)) throw ec2Errors.invalidRegion(name);
  }
  let regions = REGIONS.filter((r) => input.AllRegions || r.optIn === 'opt-in-not-required' || input.RegionNames?.includes(r.name));
  if (input.RegionNames?.length) regions = regions.filter((r) => input.RegionNames?.includes(r.name));
  regions = applyFilters(regions, input.Filters, {
    endpoint: (r) => `ec2.${r.name}.amazonaws.com`,
    'region-name': (r) => r.name,
    'opt-in-status': (r) => r.optIn,
  });
  return {
    Regions: regions.map((r) => ({
      Endpoint: `ec2.${r.name}.amazonaws.com`,
      RegionName: r.name,
      // As the seed's output shows: the opt-in status is only reported when all regions are asked for.
      OptInStatus: input.AllRegions ? r.optIn : undefined,
    })),
  };
}

export function describeAvailabilityZones(
  input: { ZoneNames?: string[]; ZoneIds?: string[]; Filters?: Filter[]; AllAvailabilityZones?: boolean },
  ctx: RequestContext,
) {
  const region = findRegion(ctx.region);
  if (!region) throw ec2Errors.invalidRegion(ctx.region);
  let zones = zonesOf(region);
  for (const name of input.ZoneNames ?? []) {
    if (!zones.some((z) => z.zoneName === name)) throw ec2Errors.invalidZoneName(name);
  }
  for (const id of input.ZoneIds ?? []) {
    if (!zones.some((z) => z.zoneId === id)) throw ec2Errors.invalidZoneId(id);
  }
  if (input.ZoneNames?.length) zones = zones.filter((z) => input.ZoneNames?.includes(z.zoneName));
  if (input.ZoneIds?.length) zones = zones.filter((z) => input.ZoneIds?.includes(z.zoneId));
  zones = applyFilters(zones, input.Filters, {
    'zone-name': (z) => z.zoneName,
    'zone-id': (z) => z.zoneId,
    'region-name': (z) => z.regionName,
    state: () => 'available',
    'zone-type': () => 'availability-zone',
    'group-name': (z) => z.regionName,
    'opt-in-status': () => 'opt-in-not-required',
  });
  return {
    AvailabilityZones: zones.map((z) => ({
      State: 'available',
      Messages: [],
      RegionName: z.regionName,
      ZoneName: z.zoneName,
      ZoneId: z.zoneId,
    })),
  };
}

const ACCOUNT_ATTRIBUTES: Record<string, string[]> = {
  'supported-platforms': ['VPC'],
  'default-vpc': ['none'],
  'max-instances': ['20'],
  'vpc-max-security-groups-per-interface': ['5'],
  'max-elastic-ips': ['5'],
  'vpc-max-elastic-ips': ['5'],
};

export function describeAccountAttributes(input: { AttributeNames?: string[] }) {
  const names = input.AttributeNames?.length ? input.AttributeNames : Object.keys(ACCOUNT_ATTRIBUTES);
  for (const name of names) {
    if (!ACCOUNT_ATTRIBUTES[name]) throw ec2Errors.unknownAccountAttribute(name);
  }
  return {
    AccountAttributes: names.map((name) => ({
      AttributeName: name,
      AttributeValues: ACCOUNT_ATTRIBUTES[name].map((v) => ({ AttributeValue: v })),
    })),
  };
}
