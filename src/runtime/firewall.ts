import { DNS_LINK_LOCAL } from './dns.js';
import { IMDS_ADDRESS } from './names.js';

/** One running instance as the VPC namespace's firewall sees it. */
export interface FirewallPort {
  instanceId: string;
  link: string;
  privateIp: string;
  alias: string;
  subnetId: string;
  groupIds: string[];
  /** EC2's source/destination check (on unless turned off, as for a NAT instance). */
  sourceDestCheck?: boolean;
}

/** A security group rule as the firewall enforces it (EC2's rule record has these fields). */
export interface GroupRule {
  IsEgress: boolean;
  /** `tcp`, `udp`, `icmp`, `-1` (all), or another protocol number as a string. */
  IpProtocol: string;
  /** For tcp/udp the port range; for icmp the type (From) and code (To), -1 = any; absent for `-1`. */
  FromPort?: number;
  ToPort?: number;
  CidrIpv4?: string;
  /** Traffic from (ingress) / to (egress) any port in this group. */
  ReferencedGroupId?: string;
}

/** A network ACL entry as the firewall enforces it (EC2's entry record has these fields). */
export interface AclEntry {
  RuleNumber: number;
  Egress: boolean;
  /** IP protocol number as a string (`6` tcp, `17` udp, `1` icmp), or `-1` for all. */
  Protocol: string;
  RuleAction: 'allow' | 'deny';
  CidrBlock: string;
  PortRange?: { From: number; To: number };
  IcmpTypeCode?: { Type: number; Code: number };
}

/** The rules of one VPC: what its security groups allow and what its network ACLs allow or deny. */
export interface VpcRules {
  /** Security group id → its rules (groups of this VPC). */
  groups: Map<string, GroupRule[]>;
  /** Subnet id → its network ACL entries (both directions). */
  acls: Map<string, AclEntry[]>;
}

export interface FirewallInput extends VpcRules {
  ports: FirewallPort[];
  /** The cloud's public pool: instances may send to it (through the host) once their egress rules allow. */
  publicPool?: string;
  /** The VPC's base + 2: DNS queries to it go to the Amazon-provided DNS (169.254.169.253). */
  resolver?: string;
}

const short = (id: string) => id.replace(/^[a-z]+-/, '').replace(/[^0-9a-zA-Z]/g, '_');
const q = (s: string) => `"${s}"`;
const set = (items: string[]) => `{ ${items.join(', ')} }`;

function protoMatch(proto: string, from: number | undefined, to: number | undefined, icmp?: { Type: number; Code: number }): string | null {
  const p = proto.toLowerCase();
  const ports = (kw: string) => {
    if (from === undefined || from === null || from === -1) return `meta l4proto ${kw}`;
    const hi = to === undefined || to === -1 ? from : to;
    if (from === 0 && hi === 65535) return `meta l4proto ${kw}`;
    return from === hi ? `${kw} dport ${from}` : `${kw} dport ${from}-${hi}`;
  };
  if (p === '-1' || p === 'all') return '';
  if (p === 'tcp' || p === '6') return ports('tcp');
  if (p === 'udp' || p === '17') return ports('udp');
  if (p === 'icmp' || p === '1') {
    const type = icmp ? icmp.Type : from;
    const code = icmp ? icmp.Code : to;
    let m = 'meta l4proto icmp';
    if (type !== undefined && type !== -1) m += ` icmp type ${type}`;
    if (code !== undefined && code !== -1) m += ` icmp code ${code}`;
    return m;
  }
  if (/^\d+$/.test(p)) return `meta l4proto ${p}`;
  return null;
}

const cidrMatch = (dir: 'saddr' | 'daddr', cidr: string | undefined) => (!cidr || cidr === '0.0.0.0/0' ? '' : `ip ${dir} ${cidr}`);

/**
 * The nftables ruleset of a VPC namespace: NAT between uplink aliases and private IPs, network ACLs (stateless, in
 * rule-number order, only where traffic crosses a subnet's edge) and security groups (stateful: a new flow must pass
 * the sender's egress rules and the receiver's ingress rules; replies of tracked flows pass).
 */
export function renderVpcRuleset(input: FirewallInput): string {
  const lines: string[] = ['add table inet halo', 'delete table inet halo', 'table inet halo {'];
  const { ports } = input;
  const members = new Map<string, string[]>();
  for (const port of ports) for (const g of port.groupIds) members.set(g, [...(members.get(g) ?? []), port.privateIp]);
  const referenced = new Set<string>();
  for (const rules of input.groups.values()) for (const r of rules) if (r.ReferencedGroupId) referenced.add(r.ReferencedGroupId);
  for (const g of referenced) {
    const ips = members.get(g) ?? [];
    lines.push(`  set g_${short(g)} { type ipv4_addr; ${ips.length ? `elements = ${set(ips)}` : ''} }`);
  }
  // EC2's source/destination check, before conntrack and before any rule that could admit a packet: what comes from
  // an instance carries its own private IP (IPv4 and ARP), else it is dropped.
  const checked = ports.filter((p) => p.sourceDestCheck !== false);
  lines.push('  chain source_check { type filter hook prerouting priority -300; policy accept;');
  for (const p of checked)
    lines.push(`    iifname ${q(p.link)} ip saddr != ${p.privateIp} drop`, `    iifname ${q(p.link)} meta nfproto ipv6 drop`);
  lines.push('  }');
  lines.push('  chain pre { type nat hook prerouting priority -100; policy accept;');
  if (input.resolver)
    lines.push(`    iifname != "up0" ip daddr ${input.resolver} meta l4proto { udp, tcp } th dport 53 dnat ip to ${DNS_LINK_LOCAL}`);
  if (ports.length) lines.push(`    iifname "up0" dnat ip to ip daddr map ${set(ports.map((p) => `${p.alias} : ${p.privateIp}`))}`);
  lines.push('  }');
  lines.push('  chain post { type nat hook postrouting priority 100; policy accept;');
  if (ports.length) lines.push(`    oifname "up0" snat ip to ip saddr map ${set(ports.map((p) => `${p.privateIp} : ${p.alias}`))}`);
  lines.push('  }');
  lines.push(
    '  chain input { type filter hook input priority 0; policy drop;',
    '    ct state established,related accept',
    '    iifname "lo" accept',
    '    meta l4proto icmp accept',
    '  }',
  );

  const subnets = new Map<string, string[]>();
  for (const port of ports) subnets.set(port.subnetId, [...(subnets.get(port.subnetId) ?? []), q(port.link)]);

  // The metadata service and the Amazon-provided DNS are outside security groups and network ACLs, as on AWS.
  const fwd: string[] = [
    `    oifname "up0" ip daddr ${IMDS_ADDRESS} accept`,
    `    oifname "up0" ip daddr ${DNS_LINK_LOCAL} meta l4proto { udp, tcp } th dport 53 accept`,
    `    iifname "up0" ip saddr ${IMDS_ADDRESS} accept`,
  ];
  const chains: string[] = [];
  for (const [subnetId, links] of subnets) {
    const entries = input.acls.get(subnetId);
    if (!entries) continue;
    const s = short(subnetId);
    fwd.push(`    iifname ${set(links)} oifname != ${set(links)} jump nacl_out_${s}`);
    fwd.push(`    oifname ${set(links)} iifname != ${set(links)} jump nacl_in_${s}`);
    for (const egress of [false, true]) {
      chains.push(`  chain nacl_${egress ? 'out' : 'in'}_${s} {`);
      const ordered = entries.filter((e) => e.Egress === egress).sort((a, b) => a.RuleNumber - b.RuleNumber);
      for (const e of ordered) {
        const proto = protoMatch(e.Protocol, e.PortRange?.From, e.PortRange?.To, e.IcmpTypeCode);
        if (proto === null) continue;
        chains.push(
          `    ${[proto, cidrMatch(egress ? 'daddr' : 'saddr', e.CidrBlock)].filter(Boolean).join(' ')} ${e.RuleAction === 'allow' ? 'return' : 'drop'}`,
        );
      }
      chains.push('    drop', '  }');
    }
  }
  fwd.push(
    '    ct state established,related accept',
    '    ct state invalid drop',
    '    meta mark set 0',
    '    iifname "up0" meta mark set 1',
  );
  if (ports.length) fwd.push(`    iifname vmap ${set(ports.map((p) => `${q(p.link)} : jump eg_${short(p.instanceId)}`))}`);
  fwd.push('    meta mark != 1 drop');
  if (input.publicPool) fwd.push(`    iifname != "up0" oifname "up0" ip daddr ${input.publicPool} accept`);
  if (ports.length) fwd.push(`    oifname vmap ${set(ports.map((p) => `${q(p.link)} : jump in_${short(p.instanceId)}`))}`);
  fwd.push('    drop');

  for (const port of ports) {
    const s = short(port.instanceId);
    const rules = port.groupIds.flatMap((g) => input.groups.get(g) ?? []);
    const eg = [`  chain eg_${s} {`];
    const ing = [`  chain in_${s} {`];
    for (const r of rules) {
      const proto = protoMatch(r.IpProtocol, r.FromPort, r.ToPort);
      if (proto === null) continue;
      const peer = r.ReferencedGroupId
        ? `ip ${r.IsEgress ? 'daddr' : 'saddr'} @g_${short(r.ReferencedGroupId)}`
        : cidrMatch(r.IsEgress ? 'daddr' : 'saddr', r.CidrIpv4);
      const match = [proto, peer].filter(Boolean).join(' ');
      if (r.IsEgress) eg.push(`    ${match ? `${match} ` : ''}meta mark set 1`);
      else ing.push(`    ${match ? `${match} ` : ''}accept`);
    }
    chains.push(...eg, '  }', ...ing, '  }');
  }
  lines.push('  chain forwarding { type filter hook forward priority 0; policy drop;', ...fwd, '  }', ...chains, '}');
  lines.push(
    'add table arp halo',
    'delete table arp halo',
    'table arp halo {',
    '  chain source_check { type filter hook input priority 0; policy accept;',
  );
  for (const p of checked) lines.push(`    iifname ${q(p.link)} arp saddr ip != ${p.privateIp} drop`);
  lines.push('  }', '}');
  return `${lines.join('\n')}\n`;
}

/** What changes as instances come and go: `renderHostMaps` swaps all of it in one nft transaction. */
export interface HostMaps {
  /** public IP → alias address on an uplink. */
  publicMap: Array<[string, string]>;
  /**
   * alias → public IP of the instances on the Internet path (a public address, an attached internet gateway and a
   * route to it): only they reach other instances' public addresses, and only they are reached that way.
   */
  online: Array<[string, string]>;
  /** alias → IP TTL of the metadata service's answers to a token PUT (hop limit + hops from host to instance). */
  tokenTtl: Array<[string, number]>;
}

export interface HostRules extends HostMaps {
  table: string;
  linkPrefix: string;
  imdsPort: number;
  /** The host's DNS responder (dns.ts), reached from instances at 169.254.169.253:53. */
  dnsPorts?: { udpPort: number; tcpPort: number };
  apiPort?: number;
  apiPortInInstance: number;
  /** The cloud's public pool (a CIDR in 127/8). */
  publicPool: string;
}

/** A connection mark bit: the last request seen on this metadata connection was a PUT (a token request). */
const TOKEN_REQUEST = '0x10000000';
const NOT_TOKEN_REQUEST = '0xefffffff';
/** The first four bytes of an HTTP request's first segment, as numbers for `@ih,0,32`. */
const HTTP_PUT = '0x50555420';
const HTTP_GET = '0x47455420';
const HTTP_HEAD = '0x48454144';
const HTTP_POST = '0x504f5354';

const pairs = (items: Array<[string, string | number]>) => set(items.map(([k, v]) => `${k} : ${v}`));
const elements = (items: string[]) => (items.length ? `elements = ${set(items)}` : '');

/**
 * The host's table:
 * - public addresses (on lo) DNAT-ed to instance aliases, for host clients (`out`) and for instances (`pre`);
 * - masquerade of host clients on the uplinks; an instance reaching a public address is SNAT-ed to its own public
 *   address instead, as through an internet gateway, so the receiver's security groups see that address;
 * - forwarding only between halo's own uplinks, only for DNAT-ed public flows whose two ends are on the Internet path;
 * - the metadata service and the API reached from instances by DNAT to the host's loopback, and no other host port;
 * - the IP TTL of answers to token PUTs set to the instance's hop limit (plus the hops between host and instance), so
 *   a container behind the instance does not get a token unless the hop limit allows one more hop.
 */
export function renderHostRuleset(h: HostRules): string {
  const up = `"${h.linkPrefix}*"`;
  const imds = `ip daddr ${IMDS_ADDRESS} tcp dport 80`;
  return [
    `add table ip ${h.table}`,
    `delete table ip ${h.table}`,
    `table ip ${h.table} {`,
    `  map public { type ipv4_addr : ipv4_addr; ${h.publicMap.length ? `elements = ${pairs(h.publicMap)}` : ''} }`,
    `  set online { type ipv4_addr; ${elements(h.online.map(([alias]) => alias))} }`,
    `  map online_public { type ipv4_addr : ipv4_addr; ${h.online.length ? `elements = ${pairs(h.online)}` : ''} }`,
    '  chain out { type nat hook output priority -100; policy accept;',
    '    dnat to ip daddr map @public',
    '  }',
    '  chain pre { type nat hook prerouting priority -100; policy accept;',
    `    iifname ${up} ${imds} dnat to 127.0.0.1:${h.imdsPort}`,
    ...(h.dnsPorts
      ? [
          `    iifname ${up} ip daddr ${DNS_LINK_LOCAL} udp dport 53 dnat to 127.0.0.1:${h.dnsPorts.udpPort}`,
          `    iifname ${up} ip daddr ${DNS_LINK_LOCAL} tcp dport 53 dnat to 127.0.0.1:${h.dnsPorts.tcpPort}`,
        ]
      : []),
    ...(h.apiPort ? [`    iifname ${up} ip daddr ${IMDS_ADDRESS} tcp dport ${h.apiPortInInstance} dnat to 127.0.0.1:${h.apiPort}`] : []),
    `    iifname ${up} ip daddr ${h.publicPool} dnat to ip daddr map @public`,
    '  }',
    '  chain post { type nat hook postrouting priority 100; policy accept;',
    `    oifname ${up} snat to ip saddr map @online_public`,
    `    oifname ${up} masquerade`,
    '  }',
    '  chain input { type filter hook input priority 0; policy accept;',
    `    iifname ${up} ct state established,related accept`,
    `    iifname ${up} ct status dnat ip daddr 127.0.0.1 accept`,
    `    iifname ${up} drop`,
    '  }',
    '  chain forward { type filter hook forward priority 0; policy accept;',
    `    iifname ${up} oifname ${up} ct status dnat ct original ip daddr ${h.publicPool} ct original ip saddr @online ct reply ip saddr @online accept`,
    `    iifname ${up} drop`,
    `    oifname ${up} drop`,
    '  }',
    // Public flows between two instances of one VPC leave and re-enter by the same uplink: no redirects for that.
    '  chain local_out { type filter hook output priority 0; policy accept;',
    `    oifname ${up} icmp type redirect drop`,
    '  }',
    '  chain token_request { type filter hook prerouting priority -150; policy accept;',
    `    iifname ${up} ${imds} @ih,0,32 ${HTTP_PUT} ct mark set ct mark | ${TOKEN_REQUEST}`,
    `    iifname ${up} ${imds} @ih,0,32 { ${HTTP_GET}, ${HTTP_HEAD}, ${HTTP_POST} } ct mark set ct mark & ${NOT_TOKEN_REQUEST}`,
    '  }',
    '  chain token_answer { type filter hook postrouting priority 200; policy accept;',
    `    oifname ${up} ip saddr ${IMDS_ADDRESS} tcp sport 80 ct mark & ${TOKEN_REQUEST} == ${TOKEN_REQUEST} jump token_ttl`,
    '  }',
    '  chain token_ttl {',
    ...tokenTtlRules(h.tokenTtl).map((r) => `    ${r}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

function tokenTtlRules(tokenTtl: Array<[string, number]>): string[] {
  return tokenTtl.map(([alias, ttl]) => `ip daddr ${alias} ip ttl set ${ttl}`);
}

/**
 * Only what changes as instances come and go, for an atomic, quick switch of an address; with `applied` (what the
 * table holds now), only the parts that differ from it (an Elastic IP moved: the address maps, not the token TTL
 * rules of every instance). Empty when nothing differs.
 */
export function renderHostMaps(table: string, maps: HostMaps, applied?: HostMaps): string {
  const t = `ip ${table}`;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const lines: string[] = [];
  if (!applied || !same(maps.publicMap, applied.publicMap)) {
    lines.push(`flush map ${t} public`);
    if (maps.publicMap.length) lines.push(`add element ${t} public ${pairs(maps.publicMap)}`);
  }
  if (!applied || !same(maps.online, applied.online)) {
    lines.push(`flush set ${t} online`, `flush map ${t} online_public`);
    if (maps.online.length) {
      lines.push(`add element ${t} online ${set(maps.online.map(([alias]) => alias))}`);
      lines.push(`add element ${t} online_public ${pairs(maps.online)}`);
    }
  }
  if (!applied || !same(maps.tokenTtl, applied.tokenTtl)) {
    lines.push(`flush chain ${t} token_ttl`);
    for (const rule of tokenTtlRules(maps.tokenTtl)) lines.push(`add rule ${t} token_ttl ${rule}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
