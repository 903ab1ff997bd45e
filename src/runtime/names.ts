import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * Every host object halo makes carries the prefix of its cloud, so several clouds (tests run in parallel, each with
 * its own $HALO_HOME) share the machine and each cleans only its own:
 *
 * | object                        | name                                   |
 * |-------------------------------|----------------------------------------|
 * | network namespace of a VPC    | `halo-<tag>-vpc-…` (the VPC id)        |
 * | network namespace of instance | `halo-<tag>-i-…` (the instance id)     |
 * | host end of a VPC's uplink    | `hx<tag><nnn>` (veth, 9 characters)    |
 * | host nft table                | `ip halo_<tag>`                        |
 * | public addresses on `lo`      | label `lo:h<tag>`                      |
 * | uplink subnet claims          | `/run/halo/net/<n>` holding `<tag> <pid>` |
 * | clouds with host objects      | `/run/halo/clouds/<tag>` holding `<pid> <home>` |
 *
 * `<tag>` is 4 hex digits of a hash of the cloud's home directory.
 */
export function cloudTag(home: string): string {
  let real = path.resolve(home);
  try {
    real = realpathSync(real);
  } catch {
    // a home that does not exist yet keeps its resolved path
  }
  return createHash('sha256').update(real).digest('hex').slice(0, 4);
}

export const names = (tag: string) => ({
  nsPrefix: `halo-${tag}-`,
  vpcNs: (vpcId: string) => `halo-${tag}-${vpcId}`,
  instanceNs: (instanceId: string) => `halo-${tag}-${instanceId}`,
  hostLink: (slot: number) => `hx${tag}${slot.toString(16).padStart(3, '0')}`,
  hostLinkPrefix: `hx${tag}`,
  hostTable: `halo_${tag}`,
  loLabel: `lo:h${tag}`,
});

/**
 * The VPC-side name of an instance's veth (inside the VPC namespace; 15 characters at most). Never `if<digits>…`:
 * iproute2 reads a name it does not find as `if<n>`, interface index n, so removing such a link after the kernel
 * took it with the instance's namespace removed the VPC's uplink (index 2) or another instance's link.
 */
export function instanceLink(instanceId: string): string {
  return `i-${instanceId.replace(/^i-/, '').slice(-13)}`;
}

export const CLAIMS_DIR = '/run/halo/net';
/** One file per cloud with things on the host: `<pid> <home>`. */
export const CLOUDS_DIR = '/run/halo/clouds';

/** Uplink transit network of a VPC slot: 198.18.0.0/15 (RFC 2544 benchmarking range), one /24 per slot. */
export function slotNet(slot: number): { base: string; host: string; vpc: string; alias: (k: number) => string } {
  const a = 18 + (slot >> 8);
  const b = slot & 0xff;
  return {
    base: `198.${a}.${b}.0/24`,
    host: `198.${a}.${b}.1`,
    vpc: `198.${a}.${b}.2`,
    alias: (k: number) => `198.${a}.${b}.${k}`,
  };
}

export const MAX_SLOTS = 512;
/** Per VPC, aliases .3 … .254 stand for its instances on the uplink. */
export const FIRST_ALIAS = 3;
export const LAST_ALIAS = 254;

/** The address inside every instance at which the cloud's API answers (DNAT-ed to the daemon). */
export const IMDS_ADDRESS = '169.254.169.254';
export const API_PORT_IN_INSTANCE = 4570;

/**
 * Public addresses live in 127/8, which every namespace treats as its own loopback (the `local` table, consulted at
 * rule preference 0). Instance and VPC namespaces move that lookup behind a rule that sends the cloud's public pool
 * to a table of its own, so traffic to a public address leaves through the uplink like traffic to the Internet.
 */
export const PUBLIC_RULE_PREF = 50;
export const LOCAL_RULE_PREF = 100;
export const PUBLIC_ROUTE_TABLE = 100;
/** Routing hops between the host's metadata responder and an instance: the VPC namespace forwards once. */
export const HOPS_HOST_TO_INSTANCE = 1;

/** Per cloud: the NFS servers' configuration and state of its mount targets, and its EFS clients' (see efs.ts). */
export const efsRunDir = (tag: string) => `/run/halo/efs/${tag}`;
