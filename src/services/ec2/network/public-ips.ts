import { ec2Errors } from '../errors.js';
import type { Store } from '../../../store/db.js';
import { containsIp, formatIp, parseCidr, parseIp, type Cidr } from './cidr.js';

/**
 * The public addresses of the whole machine (Elastic IPs and auto-assigned public IPs), on the loopback range so
 * the host reaches them and nothing leaves the machine. One pool for every region: an address is held at most once.
 * HALO_PUBLIC_IP_POOL overrides the range (a CIDR inside 127.0.0.0/8).
 */
export const DEFAULT_PUBLIC_POOL = '127.100.0.0/16';

export interface PublicIpClaim {
  PublicIp: string;
  Region: string;
  /** An allocation id (Elastic IP) or an instance id (auto-assigned public IP). */
  Holder: string;
}

const claims = (store: Store) => store.table<PublicIpClaim>('ec2.publicIp');
const SCOPE = 'global';

export function publicPool(): Cidr {
  const text = process.env.HALO_PUBLIC_IP_POOL || DEFAULT_PUBLIC_POOL;
  const pool = parseCidr(text);
  const loopback = parseCidr('127.0.0.0/8');
  if (!pool || !loopback || !containsIp(loopback, pool.base) || !containsIp(loopback, pool.base + pool.size - 1)) {
    throw new Error(`HALO_PUBLIC_IP_POOL must be a CIDR block inside 127.0.0.0/8, got ${text}`);
  }
  return pool;
}

/** Addresses ending in .0 or .255 are skipped: they look like network or broadcast addresses to people and tools. */
const usable = (ip: number) => (ip & 255) !== 0 && (ip & 255) !== 255;

/** Takes a free public address (the requested one, or the lowest free one) for holder. */
export function claimPublicIp(store: Store, region: string, holder: string, requested?: string): string {
  const pool = publicPool();
  return store.tx(() => {
    if (requested !== undefined) {
      const ip = parseIp(requested);
      if (ip === undefined || !containsIp(pool, ip) || !usable(ip)) {
        throw ec2Errors.addressOutsidePool(requested, formatIp(pool.base), pool.prefix);
      }
      if (!claims(store).insert(SCOPE, requested, { PublicIp: requested, Region: region, Holder: holder })) {
        throw ec2Errors.addressInUse(requested);
      }
      return requested;
    }
    const taken = new Set(
      claims(store)
        .list(SCOPE)
        .map((c) => c.PublicIp),
    );
    for (let ip = pool.base; ip < pool.base + pool.size; ip++) {
      const text = formatIp(ip);
      if (usable(ip) && !taken.has(text)) {
        claims(store).insert(SCOPE, text, { PublicIp: text, Region: region, Holder: holder });
        return text;
      }
    }
    throw ec2Errors.addressLimitExceeded();
  });
}

export function releasePublicIp(store: Store, ip: string): void {
  claims(store).delete(SCOPE, ip);
}
