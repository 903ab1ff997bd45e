import type { NetworkAclEntryRecord, SecurityGroupRuleRecord } from '../services/ec2/network/state.js';
import { IMDS_ADDRESS } from './names.js';

/** One running instance as the VPC namespace's firewall sees it. */
export interface FirewallPort {
  instanceId: string;
  link: string;
  privateIp: string;
  alias: string;
  subnetId: string;
  groupIds: string[];
}

export interface FirewallInput {
  ports: FirewallPort[];
  /** Security group id → its rules (groups of this VPC). */
  groups: Map<string, SecurityGroupRuleRecord[]>;
  /** Subnet id → its network ACL entries (both directions). */
  acls: Map<string, NetworkAclEntryRecord[]>;
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
  lines.push('  chain pre { type nat hook prerouting priority -100; policy accept;');
  if (ports.length) lines.push(`    iifname "up0" dnat ip to ip daddr map ${set(ports.map((p) => `${p.alias} : ${p.privateIp}`))}`);
  lines.push('  }');
  lines.push('  chain post { type nat hook postrouting priority 100; policy accept;');
  if (ports.length) lines.push(`    oifname "up0" snat ip to ip saddr map ${set(ports.map((p) => `${p.privateIp} : ${p.alias}`))}`);
  lines.push('  }');
  lines.push('  chain input { type filter hook input priority 0; policy drop;',
    '    ct state established,related accept', '    iifname "lo" accept', '    meta l4proto icmp accept', '  }');

  const subnets = new Map<string, string[]>();
  for (const port of ports) subnets.set(port.subnetId, [...(subnets.get(port.subnetId) ?? []), q(port.link)]);

  const fwd: string[] = [
    `    oifname "up0" ip daddr ${IMDS_ADDRESS} accept`,
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
        chains.push(`    ${[proto, cidrMatch(egress ? 'daddr' : 'saddr', e.CidrBlock)].filter(Boolean).join(' ')} ${e.RuleAction === 'allow' ? 'return' : 'drop'}`);
      }
      chains.push('    drop', '  }');
    }
  }
  fwd.push('    ct state established,related accept', '    ct state invalid drop', '    meta mark set 0', '    iifname "up0" meta mark set 1');
  if (ports.length) fwd.push(`    iifname vmap ${set(ports.map((p) => `${q(p.link)} : jump eg_${short(p.instanceId)}`))}`);
  fwd.push('    meta mark != 1 drop');
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
      const peer = r.ReferencedGroupId ? `ip ${r.IsEgress ? 'daddr' : 'saddr'} @g_${short(r.ReferencedGroupId)}` : cidrMatch(r.IsEgress ? 'daddr' : 'saddr', r.CidrIpv4);
      const match = [proto, peer].filter(Boolean).join(' ');
      if (r.IsEgress) eg.push(`    ${match ? `${match} ` : ''}meta mark set 1`);
      else ing.push(`    ${match ? `${match} ` : ''}accept`);
    }
    chains.push(...eg, '  }', ...ing, '  }');
  }
  lines.push('  chain forwarding { type filter hook forward priority 0; policy drop;', ...fwd, '  }', ...chains, '}');
  return `${lines.join('\n')}\n`;
}

export interface HostRules {
  table: string;
  linkPrefix: string;
  imdsPort: number;
  apiPort?: number;
  apiPortInInstance: number;
  /** public IP → alias address on an uplink. */
  publicMap: Array<[string, string]>;
}

/**
 * The host's table: public addresses (on lo) DNAT-ed to instance aliases, masquerade on the uplinks, the metadata
 * service and the API reached from instances by DNAT to the host's loopback, and nothing else from the uplinks: no
 * forwarding to or from them, no other host port.
 */
export function renderHostRuleset(h: HostRules): string {
  const up = `"${h.linkPrefix}*"`;
  const map = h.publicMap.length ? `elements = ${set(h.publicMap.map(([pub, alias]) => `${pub} : ${alias}`))}` : '';
  return [
    `add table ip ${h.table}`,
    `delete table ip ${h.table}`,
    `table ip ${h.table} {`,
    `  map public { type ipv4_addr : ipv4_addr; ${map} }`,
    '  chain out { type nat hook output priority -100; policy accept;',
    '    dnat to ip daddr map @public',
    '  }',
    '  chain pre { type nat hook prerouting priority -100; policy accept;',
    `    iifname ${up} ip daddr ${IMDS_ADDRESS} tcp dport 80 dnat to 127.0.0.1:${h.imdsPort}`,
    ...(h.apiPort ? [`    iifname ${up} ip daddr ${IMDS_ADDRESS} tcp dport ${h.apiPortInInstance} dnat to 127.0.0.1:${h.apiPort}`] : []),
    '  }',
    '  chain post { type nat hook postrouting priority 100; policy accept;',
    `    oifname ${up} masquerade`,
    '  }',
    '  chain input { type filter hook input priority 0; policy accept;',
    `    iifname ${up} ct state established,related accept`,
    `    iifname ${up} ct status dnat ip daddr 127.0.0.1 accept`,
    `    iifname ${up} drop`,
    '  }',
    '  chain forward { type filter hook forward priority 0; policy accept;',
    `    iifname ${up} drop`,
    `    oifname ${up} drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Only the public map, for an atomic, quick switch of an address. */
export function renderPublicMap(table: string, publicMap: Array<[string, string]>): string {
  const lines = [`flush map ip ${table} public`];
  if (publicMap.length) lines.push(`add element ip ${table} public ${set(publicMap.map(([pub, alias]) => `${pub} : ${alias}`))}`);
  return `${lines.join('\n')}\n`;
}
