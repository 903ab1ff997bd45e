import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processAlive } from './pids.js';
import {
  CLAIMS_DIR,
  FIRST_ALIAS,
  IMDS_ADDRESS,
  LAST_ALIAS,
  LOCAL_RULE_PREF,
  MAX_SLOTS,
  PUBLIC_ROUTE_TABLE,
  PUBLIC_RULE_PREF,
  instanceLink,
  names,
  slotNet,
} from './names.js';
import { DNS_LINK_LOCAL } from './dns.js';
import { ipBatch, nft, run } from './sh.js';
import { addInstanceNetns } from './userns.js';

/**
 * The network of a VPC lives in its own namespace (so VPCs with the same CIDR never meet). Instances are *routed*
 * rather than bridged: each instance namespace has one veth whose other end is in the VPC namespace, with a /32
 * route to the instance's private IP and proxy ARP; the subnet's gateway (.1) is a local address of the VPC
 * namespace. Every packet between two instances, even in one subnet, so crosses the VPC namespace's `forward`
 * hook, where security groups (stateful, conntrack) and network ACLs (stateless, in rule order) are enforced by
 * nftables, out of reach of the instances themselves.
 *
 * The VPC namespace reaches the host through one veth (`hx<tag><slot>` on the host, `up0` inside) on a /24 of
 * 198.18.0.0/15 reserved for it. Each running instance has an alias address on that /24: the host DNATs public
 * addresses (127.100.x.y on lo) to the alias, the VPC namespace DNATs the alias to the private IP, and SNATs
 * instance traffic going up to the alias, so the host's metadata responder knows the instance by source address.
 * The VPC namespace has no default route: the only ways out are 169.254.169.254 (metadata service and API), which
 * the host DNATs to its own loopback, and the cloud's public pool (127.100.x.y), which the host DNATs to the alias
 * of the instance holding the address (`publicRoutes` here, the host's table in firewall.ts).
 * The VPC's Amazon-provided DNS (dns.ts) answers at the VPC's base + 2, a local address of the VPC namespace (so
 * instances of the first subnet get an ARP answer for it), and at 169.254.169.253: the VPC namespace DNATs the first
 * to the second, routes that up, and the host DNATs it to its one DNS responder.
 */
export interface VpcNet {
  vpcId: string;
  ns: string;
  slot: number;
  hostLink: string;
  /** instance id → alias host part (3…254). */
  aliases: Map<string, number>;
  /** The cloud's public address pool (a CIDR in 127/8), routed up to the host. */
  publicPool: string;
  /** The VPC's base + 2, where its Amazon-provided DNS answers. */
  resolver?: string;
}

/** The VPC's base + 2 (e.g. 10.0.0.2 in 10.0.0.0/16): where AWS puts a VPC's Amazon-provided DNS. */
export function resolverAddress(vpcCidr: string): string {
  return intToIp(ipToInt(vpcCidr.split('/')[0]) + 2);
}

/** The public pool of DEFAULT_PUBLIC_POOL when a caller gives none (tests of the VPC firewall alone). */
const DEFAULT_POOL = '127.100.0.0/16';

/**
 * `ip -batch` lines that route the public pool through `via` on `dev` before the namespace's `local` table (where
 * all of 127/8 would be the namespace's own loopback).
 */
function publicRoutes(pool: string, via: string, dev: string): string[] {
  return [
    `rule add pref ${LOCAL_RULE_PREF} table local`,
    'rule del pref 0 table local',
    `rule add pref ${PUBLIC_RULE_PREF} to ${pool} table ${PUBLIC_ROUTE_TABLE}`,
    `route add ${pool} via ${via} dev ${dev} table ${PUBLIC_ROUTE_TABLE}`,
  ];
}

export async function claimSlot(tag: string): Promise<number> {
  mkdirSync(CLAIMS_DIR, { recursive: true });
  const inUse = new Set(
    (await run('ip', ['-o', '-4', 'addr', 'show'], { allowFail: true })).stdout
      .split('\n')
      .map((l) => /inet (198\.1[89]\.\d+)\.1\//.exec(l)?.[1])
      .filter(Boolean),
  );
  for (let slot = 1; slot < MAX_SLOTS; slot++) {
    const net = slotNet(slot);
    if (inUse.has(net.host.replace(/\.1$/, ''))) continue;
    const file = path.join(CLAIMS_DIR, String(slot));
    try {
      closeSync(openSync(file, 'wx'));
      writeFileSync(file, `${tag} ${process.pid}`);
      return slot;
    } catch {
      const [, pid] = readSafe(file).split(' ');
      if (pid && !processAlive(Number(pid))) {
        rmSync(file, { force: true });
        slot--;
      }
    }
  }
  throw new Error('no free uplink network for a VPC namespace (198.18.0.0/15 is used up)');
}

export function releaseSlot(slot: number): void {
  rmSync(path.join(CLAIMS_DIR, String(slot)), { force: true });
}

function readSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export async function createVpcNet(tag: string, vpcId: string, publicPool = DEFAULT_POOL, resolver?: string): Promise<VpcNet> {
  const n = names(tag);
  const ns = n.vpcNs(vpcId);
  const slot = await claimSlot(tag);
  const net = slotNet(slot);
  const hostLink = n.hostLink(slot);
  try {
    await run('ip', ['netns', 'add', ns]);
    await ipBatch(undefined, [
      `link add ${hostLink} type veth peer name up0 netns ${ns}`,
      `addr add ${net.host}/24 dev ${hostLink}`,
      `link set ${hostLink} up`,
    ]);
    // Per-interface only: DNAT to the host's loopback (metadata service, API) needs route_localnet on this link, and
    // public flows between instances are forwarded from one uplink to another (the host's nft table admits exactly
    // those). No global ip_forward.
    writeFileSync(`/proc/sys/net/ipv4/conf/${hostLink}/route_localnet`, '1');
    writeFileSync(`/proc/sys/net/ipv4/conf/${hostLink}/forwarding`, '1');
    await ipBatch(ns, [
      'link set lo up',
      `addr add ${net.vpc}/24 dev up0`,
      'link set up0 up',
      `route add ${IMDS_ADDRESS}/32 via ${net.host} dev up0`,
      `route add ${DNS_LINK_LOCAL}/32 via ${net.host} dev up0`,
      ...(resolver ? [`addr add ${resolver}/32 dev lo`] : []),
      ...publicRoutes(publicPool, net.host, 'up0'),
    ]);
    // route_localnet: packets from and to public addresses (127/8) cross this namespace. No ICMP redirects: the host
    // hairpins public flows between two instances of one VPC through the same uplink.
    await run('ip', [
      'netns',
      'exec',
      ns,
      'sysctl',
      '-q',
      '-w',
      'net.ipv4.ip_forward=1',
      'net.ipv4.conf.default.proxy_arp=1',
      'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.default.rp_filter=0',
      'net.ipv4.conf.all.route_localnet=1',
      'net.ipv4.conf.all.accept_redirects=0',
      'net.ipv4.conf.default.accept_redirects=0',
    ]);
  } catch (err) {
    await run('ip', ['netns', 'del', ns], { allowFail: true });
    await run('ip', ['link', 'del', hostLink], { allowFail: true });
    releaseSlot(slot);
    throw err;
  }
  return { vpcId, ns, slot, hostLink, aliases: new Map(), publicPool, resolver };
}

export async function destroyVpcNet(vpc: VpcNet): Promise<void> {
  await run('ip', ['netns', 'del', vpc.ns], { allowFail: true });
  await run('ip', ['link', 'del', vpc.hostLink], { allowFail: true });
  releaseSlot(vpc.slot);
}

export function allocAlias(vpc: VpcNet, instanceId: string): number {
  const existing = vpc.aliases.get(instanceId);
  if (existing) return existing;
  const used = new Set(vpc.aliases.values());
  for (let k = FIRST_ALIAS; k <= LAST_ALIAS; k++) {
    if (!used.has(k)) {
      vpc.aliases.set(instanceId, k);
      return k;
    }
  }
  throw new Error(`VPC ${vpc.vpcId} has no free uplink alias (at most ${LAST_ALIAS - FIRST_ALIAS + 1} running instances)`);
}

export function aliasOf(vpc: VpcNet, instanceId: string): string | undefined {
  const k = vpc.aliases.get(instanceId);
  return k ? slotNet(vpc.slot).alias(k) : undefined;
}

export interface InstanceNic {
  instanceId: string;
  privateIp: string;
  /** Subnet CIDR, e.g. 10.0.1.0/24. */
  subnetCidr: string;
  mac: string;
}

/** First usable address of a CIDR is the gateway, as in a VPC (network +1). */
export function gatewayOf(cidr: string): string {
  const [base] = cidr.split('/');
  const n = ipToInt(base) + 1;
  return intToIp(n);
}

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/**
 * Creates the instance's namespace and wires it into its VPC; returns the alias address. With idBase, the namespace
 * belongs to a user namespace of its own (userns.ts), so the instance's root has NET_ADMIN over it. With linkDown,
 * its link is left down (`setLink` brings it up).
 */
export async function plugInstance(tag: string, vpc: VpcNet, nic: InstanceNic, idBase?: number, linkDown = false): Promise<string> {
  const alias = uplinkAlias(vpc, nic.instanceId);
  const ins = names(tag).instanceNs(nic.instanceId);
  await clearInstanceNs(tag, vpc, nic.instanceId);
  await addInstanceNetns(ins, idBase);
  await ipBatch(ins, instanceSide(vpc, nic));
  await connectInstance(vpc, nic, alias, linkDown);
  return alias;
}

/** The instance's alias on its VPC's uplink (allocated now if it has none). */
export function uplinkAlias(vpc: VpcNet, instanceId: string): string {
  return slotNet(vpc.slot).alias(allocAlias(vpc, instanceId));
}

/**
 * Removes what a previous boot left of the instance's network namespace and link, if anything (an instance's is made by
 * its console keeper, console.ts; a mount target's by plugInstance).
 */
export async function clearInstanceNs(tag: string, vpc: VpcNet, instanceId: string): Promise<void> {
  const ins = names(tag).instanceNs(instanceId);
  if (!existsSync(`/run/netns/${ins}`)) return;
  await run('ip', ['netns', 'del', ins], { allowFail: true });
  await ipBatch(vpc.ns, [`link del ${instanceLink(instanceId)}`], true);
}

/**
 * The instance's side of its link, as `ip -batch` lines run in its namespace: its eth0 made there with its peer in
 * the VPC namespace, its address, its default route and its routes to the public pool. An instance's console keeper
 * runs them as it makes the namespace (console.ts); plugInstance runs them itself.
 */
export function instanceSide(vpc: VpcNet, nic: InstanceNic): string[] {
  const gw = gatewayOf(nic.subnetCidr);
  const prefix = nic.subnetCidr.split('/')[1];
  return [
    `link add eth0 address ${nic.mac} type veth peer name ${instanceLink(nic.instanceId)} netns ${vpc.ns}`,
    'link set lo up',
    `addr add ${nic.privateIp}/${prefix} dev eth0`,
    'link set eth0 up',
    `route add default via ${gw} dev eth0`,
    ...publicRoutes(vpc.publicPool, gw, 'eth0'),
  ];
}

/** The VPC's side of an instance's link: up, the /32 route to it, its uplink alias, its subnet's gateway. */
function vpcSide(nic: Pick<InstanceNic, 'instanceId' | 'privateIp' | 'subnetCidr'>, alias: string): string[] {
  const link = instanceLink(nic.instanceId);
  return [
    `link set ${link} up`,
    `route replace ${nic.privateIp}/32 dev ${link}`,
    `addr replace ${alias}/32 dev up0`,
    `addr replace ${gatewayOf(nic.subnetCidr)}/32 dev lo`,
  ];
}

/**
 * Connects (or connects again) the VPC's side of an instance's link, up: what an instance booting offline leaves for later, and
 * what `setLink` restores. Every line replaces, so it may run any number of times. Down again in the same batch (as
 * setLink cuts it: the route goes with it) for an instance whose path is cut.
 */
export async function connectInstance(
  vpc: VpcNet,
  nic: Pick<InstanceNic, 'instanceId' | 'privateIp' | 'subnetCidr'>,
  alias: string,
  linkDown = false,
): Promise<void> {
  await ipBatch(vpc.ns, [...vpcSide(nic, alias), ...(linkDown ? [`link set ${instanceLink(nic.instanceId)} down`] : [])]);
}

export async function unplugInstance(tag: string, vpc: VpcNet, instanceId: string): Promise<void> {
  const alias = aliasOf(vpc, instanceId);
  await run('ip', ['netns', 'del', names(tag).instanceNs(instanceId)], { allowFail: true });
  await ipBatch(vpc.ns, [`link del ${instanceLink(instanceId)}`, ...(alias ? [`addr del ${alias}/32 dev up0`] : [])], true);
  vpc.aliases.delete(instanceId);
}

/**
 * Cuts (or restores) an instance's only link: a network partition of that instance. The kernel drops the route to
 * the instance's private address with the link, so restoring it puts the route back.
 */
export async function setLink(vpc: VpcNet, instanceId: string, up: boolean, privateIp?: string): Promise<void> {
  const link = instanceLink(instanceId);
  await ipBatch(
    vpc.ns,
    [`link set ${link} ${up ? 'up' : 'down'}`, ...(up && privateIp ? [`route replace ${privateIp}/32 dev ${link}`] : [])],
    true,
  );
}

/**
 * One process, in the VPC namespace, checks every instance of the VPC at once, as EC2's two reachability checks:
 * - `link <ip>`: the platform's end of the instance's network path (the veth end in the VPC namespace) is
 *   administratively up. A partition or a failed host takes it down: the system reachability check.
 * - `ok <ip>`: a TCP connection to port 1 of the instance is answered (accepted or refused) within the deadline: the
 *   instance's network stack is up and reachable. Silence, or an error at once (no route: ENETUNREACH, EHOSTUNREACH),
 *   is a failed instance reachability check. Only EINPROGRESS waits for an answer: a socket whose connect failed at
 *   once selects as writable with SO_ERROR already cleared to 0, which must not count as an answer.
 */
const PROBE = `
import errno, fcntl, selectors, socket, struct, sys, time
SIOCGIFFLAGS, IFF_UP = 0x8913, 0x1
ctl = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sel = selectors.DefaultSelector()
for arg in sys.argv[1:]:
    ip, link = arg.split("=", 1)
    try:
        flags = struct.unpack("16sH", fcntl.ioctl(ctl, SIOCGIFFLAGS, struct.pack("16sH", link.encode(), 0)))[1]
    except OSError:
        flags = 0
    if flags & IFF_UP:
        print("link", ip)
    s = socket.socket()
    s.setblocking(False)
    e = s.connect_ex((ip, 1))
    if e in (0, errno.ECONNREFUSED):
        print("ok", ip)
        s.close()
    elif e == errno.EINPROGRESS:
        sel.register(s, selectors.EVENT_WRITE, ip)
    else:
        s.close()
end = time.monotonic() + 1.5
while sel.get_map() and time.monotonic() < end:
    for key, _ in sel.select(max(0, end - time.monotonic())):
        if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) in (0, errno.ECONNREFUSED):
            print("ok", key.data)
        sel.unregister(key.fileobj)
        key.fileobj.close()
print("done")
`;

/** What the probe of a VPC's instances saw, by private IP. */
export interface NetworkProbe {
  /** The platform's end of the instance's link is up (system reachability). */
  linkUp: Set<string>;
  /** The instance's network stack answered through it (instance reachability). */
  answered: Set<string>;
}

/**
 * Probes a VPC's instances. Undefined when the probe itself did not finish (a host too loaded to run it within its
 * deadline): that says nothing of the instances, and must not fail their checks.
 */
export async function probeNetwork(
  vpc: VpcNet,
  instances: Array<{ instanceId: string; privateIp: string }>,
): Promise<NetworkProbe | undefined> {
  const seen: NetworkProbe = { linkUp: new Set(), answered: new Set() };
  if (!instances.length) return seen;
  const args = instances.map((i) => `${i.privateIp}=${instanceLink(i.instanceId)}`);
  const out = (
    await run('nsenter', [`--net=/run/netns/${vpc.ns}`, '--', '/usr/bin/python3', '-I', '-c', PROBE, ...args], {
      allowFail: true,
      timeoutMs: 10_000,
    })
  ).stdout;
  const lines = out.split('\n');
  if (!lines.includes('done')) return undefined;
  for (const line of lines) {
    const [what, ip] = line.split(' ');
    if (what === 'link' && ip) seen.linkUp.add(ip);
    else if (what === 'ok' && ip) seen.answered.add(ip);
  }
  return seen;
}

export async function applyVpcRules(vpc: VpcNet, script: string): Promise<void> {
  await nft(vpc.ns, script);
}
