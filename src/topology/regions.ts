/**
 * The regions, zones and hosts of the local cloud. Regions are listed in the order the seed's
 * `aws ec2 describe-regions` prints them; us-east-1's zone ids are the seed's. Each zone has hosts on which
 * instances are placed; a host can fail and a zone can go dark.
 */
export interface RegionInfo {
  name: string;
  /** Short code used in zone ids, e.g. use1. */
  code: string;
  optIn: 'opt-in-not-required' | 'not-opted-in';
  /** Zone letter → zone id number, in letter order. */
  zones: Array<[letter: string, azNumber: number]>;
}

export interface ZoneInfo {
  regionName: string;
  zoneName: string;
  zoneId: string;
}

export interface HostInfo {
  hostId: string;
  zoneName: string;
  zoneId: string;
}

const abc = (n: number): Array<[string, number]> => Array.from({ length: n }, (_, i) => [String.fromCharCode(97 + i), i + 1]);

export const REGIONS: RegionInfo[] = [
  { name: 'eu-north-1', code: 'eun1', optIn: 'opt-in-not-required', zones: abc(3) },
  { name: 'ap-south-1', code: 'aps1', optIn: 'opt-in-not-required', zones: abc(3) },
  { name: 'eu-west-3', code: 'euw3', optIn: 'opt-in-not-required', zones: abc(3) },
  { name: 'eu-west-2', code: 'euw2', optIn: 'opt-in-not-required', zones: abc(3) },
  { name: 'eu-west-1', code: 'euw1', optIn: 'opt-in-not-required', zones: abc(3) },
  {
    name: 'ap-northeast-2',
    code: 'apne2',
    optIn: 'opt-in-not-required',
    zones: [
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 4],
    ],
  },
  {
    name: 'ap-northeast-1',
    code: 'apne1',
    optIn: 'opt-in-not-required',
    zones: [
      ['a', 4],
      ['c', 1],
      ['d', 2],
    ],
  },
  { name: 'sa-east-1', code: 'sae1', optIn: 'opt-in-not-required', zones: abc(3) },
  {
    name: 'ca-central-1',
    code: 'cac1',
    optIn: 'opt-in-not-required',
    zones: [
      ['a', 1],
      ['b', 2],
      ['d', 4],
    ],
  },
  { name: 'ap-southeast-1', code: 'apse1', optIn: 'opt-in-not-required', zones: abc(3) },
  { name: 'ap-southeast-2', code: 'apse2', optIn: 'opt-in-not-required', zones: abc(3) },
  { name: 'eu-central-1', code: 'euc1', optIn: 'opt-in-not-required', zones: abc(3) },
  {
    name: 'us-east-1',
    code: 'use1',
    optIn: 'opt-in-not-required',
    zones: [
      ['a', 2],
      ['b', 4],
      ['c', 6],
      ['d', 1],
      ['e', 3],
      ['f', 5],
    ],
  },
  { name: 'us-east-2', code: 'use2', optIn: 'opt-in-not-required', zones: abc(3) },
  {
    name: 'us-west-1',
    code: 'usw1',
    optIn: 'opt-in-not-required',
    zones: [
      ['a', 1],
      ['c', 3],
    ],
  },
  { name: 'us-west-2', code: 'usw2', optIn: 'opt-in-not-required', zones: abc(4) },
  // Opt-in regions: listed by DescribeRegions only with AllRegions, refused for API calls until opted in.
  { name: 'af-south-1', code: 'afs1', optIn: 'not-opted-in', zones: abc(3) },
  { name: 'ap-east-1', code: 'ape1', optIn: 'not-opted-in', zones: abc(3) },
  { name: 'eu-south-1', code: 'eus1', optIn: 'not-opted-in', zones: abc(3) },
  { name: 'me-south-1', code: 'mes1', optIn: 'not-opted-in', zones: abc(3) },
];

export const DEFAULT_REGION = 'us-east-1';

export function findRegion(name: string): RegionInfo | undefined {
  return REGIONS.find((r) => r.name === name);
}

export function zonesOf(region: RegionInfo): ZoneInfo[] {
  return region.zones.map(([letter, az]) => ({
    regionName: region.name,
    zoneName: `${region.name}${letter}`,
    zoneId: `${region.code}-az${az}`,
  }));
}

export function findZone(name: string): ZoneInfo | undefined {
  for (const region of REGIONS) {
    const zone = zonesOf(region).find((z) => z.zoneName === name || z.zoneId === name);
    if (zone) return zone;
  }
  return undefined;
}

/** Hosts of a zone: h-<zoneid>-<n>, n from 1 to hostsPerZone. */
export function hostsOf(zone: ZoneInfo, hostsPerZone: number): HostInfo[] {
  return Array.from({ length: hostsPerZone }, (_, i) => ({
    hostId: `h-${zone.zoneId}-${i + 1}`,
    zoneName: zone.zoneName,
    zoneId: zone.zoneId,
  }));
}
