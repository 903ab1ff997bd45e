import { isIPv4, isIPv6 } from 'node:net';

function ipv4Bits(ip: string): bigint {
  return ip.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6Bits(ip: string): bigint {
  let text = ip;
  const v4tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4tail) {
    const n = ipv4Bits(v4tail[1]);
    text = `${text.slice(0, -v4tail[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** Whether `ip` lies in `cidr` (IPv4 or IPv6; a bare address is a /32 or /128), as IpAddress checks it. */
export function ipInCidr(ip: string, cidr: string): boolean {
  const [net, lenText] = cidr.split('/');
  const v4 = isIPv4(net) && isIPv4(ip);
  const v6 = isIPv6(net) && isIPv6(ip);
  if (!v4 && !v6) return false;
  const width = v4 ? 32 : 128;
  const len = lenText === undefined ? width : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > width) return false;
  const bits = v4 ? ipv4Bits : ipv6Bits;
  const shift = BigInt(width - len);
  return bits(ip) >> shift === bits(net) >> shift;
}
