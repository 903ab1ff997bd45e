/** Fn::Cidr for IPv4: `count` consecutive blocks with `cidrBits` host bits each, from the start of `block`. */
export function cidrSubnets(block: string, count: number, cidrBits: number): string[] {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(block.trim());
  if (!m) throw new Error(`'${block}' is not a valid IPv4 CIDR block (IPv6 is not supported by halo)`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) throw new Error(`'${block}' is not a valid IPv4 CIDR block`);
  if (!Number.isInteger(count) || count < 1 || count > 256) throw new Error('count must be an integer between 1 and 256');
  if (!Number.isInteger(cidrBits) || cidrBits < 0 || cidrBits > 32 - prefix) {
    throw new Error(`cidrBits must be an integer between 0 and ${32 - prefix} for a /${prefix} block`);
  }
  const size = 2 ** cidrBits;
  const blockSize = 2 ** (32 - prefix);
  if (count * size > blockSize) throw new Error(`${block} cannot hold ${count} blocks of /${32 - cidrBits}`);
  const base = octets.reduce((a, o) => a * 256 + o, 0) - (octets.reduce((a, o) => a * 256 + o, 0) % blockSize);
  return Array.from({ length: count }, (_, i) => `${ipv4(base + i * size)}/${32 - cidrBits}`);
}

function ipv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}
