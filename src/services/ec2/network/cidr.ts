/** IPv4 addresses and CIDR blocks as unsigned 32-bit numbers. */
export interface Cidr {
  /** First address (network address), as a number. */
  base: number;
  prefix: number;
  /** Number of addresses in the block. */
  size: number;
}

export function parseIp(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255) || m.slice(1).some((p) => p.length > 1 && p.startsWith('0'))) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `a.b.c.d/n`; with `strict`, host bits must be zero (as EC2 wants for VPC and subnet blocks). */
export function parseCidr(text: string, strict = true): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text ?? '');
  if (!m) return undefined;
  const ip = parseIp(m[1]);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  const base = prefix === 0 ? 0 : (ip & ~(size - 1)) >>> 0;
  if (strict && base !== ip) return undefined;
  return { base, prefix, size };
}

export const formatCidr = (c: Cidr) => `${formatIp(c.base)}/${c.prefix}`;

export const containsIp = (c: Cidr, ip: number) => ip >= c.base && ip < c.base + c.size;

/** Whether `inner` lies wholly inside `outer`. */
export const containsCidr = (outer: Cidr, inner: Cidr) => inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;

export const overlaps = (a: Cidr, b: Cidr) => a.base < b.base + b.size && b.base < a.base + a.size;
