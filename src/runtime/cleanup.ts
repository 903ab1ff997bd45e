import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dataLoopsOfCloud, dataMountLinesOfCloud } from './efs-data.js';
import { processAlive } from './pids.js';
import path from 'node:path';
import { CLAIMS_DIR, CLOUDS_DIR, cloudTag, efsRunDir, names } from './names.js';
import { ipBatch, run, runSync } from './sh.js';
import { cgroupPids, cgroupsOfCloud, removeCgroups, thawCgroups } from './limits.js';
import { idClaimsOf, releaseIdRanges } from './userns.js';
import { freeLoops, loopsOfCloud, rootLoopsOfCloud } from './volumes.js';

/** What of one cloud (by tag) is on the host now: namespaces, host links, nft tables, lo addresses, mounts, loop devices. */
export interface HostFootprint {
  namespaces: string[];
  links: string[];
  tables: string[];
  loAddresses: string[];
  mounts: string[];
  /** Loop devices backed by a file under the cloud's home (EBS data volumes, root volumes, the EFS data image). */
  loops: string[];
  /** The instances' cgroup directories (limits.ts). */
  cgroups: string[];
  /** EFS processes (mount targets' NFS servers, instances' NFS clients): their command lines name the cloud's EFS run dir. */
  efsProcesses: number[];
  /** Claims of the instances' user namespace id ranges (userns.ts). */
  idClaims: string[];
}

/**
 * What of one cloud is on the host now, looked at synchronously: for the tests and the CLI only (the daemon uses
 * `readFootprint`, which never stops its event loop).
 */
export function footprint(tag: string): HostFootprint {
  const out = (cmd: string, args: string[]) => runSync(cmd, args, { allowFail: true }).stdout;
  return footprintOf(tag, out('nft', ['list', 'tables']), out('ip', ['-o', '-4', 'addr', 'show', 'dev', 'lo']));
}

/** `footprint` with its two host commands run asynchronously, at the same time. */
export async function readFootprint(tag: string): Promise<HostFootprint> {
  const [tables, lo] = await Promise.all([
    run('nft', ['list', 'tables'], { allowFail: true }),
    run('ip', ['-o', '-4', 'addr', 'show', 'dev', 'lo'], { allowFail: true }),
  ]);
  return footprintOf(tag, tables.stdout, lo.stdout);
}

/** The footprint from `nft list tables` and `ip -o -4 addr show dev lo`; the rest is read from /run, /sys and /proc. */
function footprintOf(tag: string, nftTables: string, loAddrs: string): HostFootprint {
  const n = names(tag);
  const namespaces = listNamespaces().filter((ns) => ns.startsWith(n.nsPrefix));
  const links = hostLinks().filter((l) => l.startsWith(n.hostLinkPrefix));
  const tables = nftTables
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.endsWith(` ${n.hostTable}`));
  const loAddresses = loAddrs
    .split('\n')
    .filter((l) => l.trim().endsWith(n.loLabel) || l.includes(` ${n.loLabel}`))
    .map((l) => /inet (\S+)/.exec(l)?.[1] ?? l);
  const mountsText = readFileSync('/proc/mounts', 'utf8');
  const mounts = [
    ...mountsText.split('\n').filter((l) => l.includes(`/${n.nsPrefix}`) || isRootVolumeCopyMount(l, tag)),
    ...dataMountLinesOfCloud(tag, mountsText),
  ];
  return {
    namespaces,
    links,
    tables,
    loAddresses,
    mounts,
    loops: [...loopsOfCloud(tag), ...rootLoopsOfCloud(tag), ...dataLoopsOfCloud(tag)],
    cgroups: cgroupsOfCloud(tag),
    efsProcesses: efsProcesses(tag),
    idClaims: idClaimsOf(tag),
  };
}

/** The host's network interfaces (its own network namespace's, as the daemon sees /sys). */
function hostLinks(): string[] {
  try {
    return readdirSync('/sys/class/net');
  } catch {
    return [];
  }
}

/** A root volume mounted on the host for a copy (root-disk.ts `withRootUpper`) of this cloud. */
function isRootVolumeCopyMount(line: string, tag: string): boolean {
  const m = /^\S+ (\S+)\/volumes\/vol-[0-9a-f]+\/\.copy-\S+ /.exec(line);
  return !!m && cloudTag(m[1]) === tag;
}

export function isClean(fp: HostFootprint): boolean {
  return (
    !fp.namespaces.length &&
    !fp.links.length &&
    !fp.tables.length &&
    !fp.loAddresses.length &&
    !fp.mounts.length &&
    !fp.loops.length &&
    !fp.cgroups.length &&
    !fp.efsProcesses.length &&
    !fp.idClaims.length
  );
}

/** Named network namespaces: what `ip netns list` lists, read from its directory. */
export function listNamespaces(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

function efsProcesses(tag: string): number[] {
  const needle = `${efsRunDir(tag)}/`;
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (readSafe(`/proc/${pid}/cmdline`).replace(/\0/g, ' ').includes(needle)) pids.push(Number(pid));
  }
  return pids;
}

/** Kills every process inside a namespace (the instance's sandbox, the responder helpers), by pid. */
export async function killNamespace(ns: string): Promise<void> {
  const pids = (await run('ip', ['netns', 'pids', ns], { allowFail: true })).stdout.split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Removes everything one cloud left on the host, by name: its namespaces (after killing their processes), host
 * links, nft table, public addresses on lo and uplink claims. Safe to call when nothing is there.
 */
export async function cleanHostByTag(tag: string): Promise<void> {
  const n = names(tag);
  const namespaces = listNamespaces().filter((ns) => ns.startsWith(n.nsPrefix));
  // A hibernated instance's processes are frozen: a frozen task takes its SIGKILL only once thawed.
  thawCgroups(cgroupsOfCloud(tag));
  await Promise.all(namespaces.map((ns) => killNamespace(ns)));
  // EFS clients live in instances' namespaces, already gone when a sandbox died: found by their command line.
  for (const pid of efsProcesses(tag)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(efsRunDir(tag), { recursive: true, force: true });
  // One `ip -force -batch` for every namespace, then one for the links and lo addresses left (each line on its own:
  // one that fails does not stop the others).
  if (namespaces.length)
    await ipBatch(
      undefined,
      namespaces.map((ns) => `netns del ${ns}`),
      true,
    );
  const fp = await readFootprint(tag);
  const lines = [...fp.links.map((link) => `link del ${link}`), ...fp.loAddresses.map((addr) => `addr del ${addr} dev lo`)];
  if (lines.length) await ipBatch(undefined, lines, true);
  for (const table of fp.tables) await run('nft', ['delete', 'table', ...table.replace(/^table\s+/, '').split(' ')], { allowFail: true });
  for (const line of fp.mounts) {
    const target = line.split(' ')[1];
    if (target) await run('umount', ['-l', target], { allowFail: true });
  }
  // Whatever still runs in the cloud's cgroups (a console keeper), then the cgroups themselves.
  for (const dir of fp.cgroups) {
    for (const pid of cgroupPids(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  await removeCgroups(fp.cgroups);
  // After the namespaces: a loop device still used by a dying sandbox is then freed by the kernel on last close.
  await freeLoops(fp.loops);
  releaseClaims(tag);
  await releaseIdRanges(tag);
}

export async function cleanHost(home: string): Promise<void> {
  await cleanHostByTag(cloudTag(home));
}

function releaseClaims(tag: string): void {
  if (!existsSync(CLAIMS_DIR)) return;
  for (const file of readdirSync(CLAIMS_DIR)) {
    const full = path.join(CLAIMS_DIR, file);
    try {
      if (readFileSync(full, 'utf8').split(' ')[0] === tag) rmSync(full, { force: true });
    } catch {
      // raced with another cloud: fine
    }
  }
}

/** Notes that this process's cloud has things on the host (for reapDeadClouds). */
export function recordCloud(tag: string, home: string): void {
  mkdirSync(CLOUDS_DIR, { recursive: true });
  writeFileSync(path.join(CLOUDS_DIR, tag), `${process.pid} ${home}\n`);
}

export function forgetCloud(tag: string): void {
  rmSync(path.join(CLOUDS_DIR, tag), { force: true });
}

/** Removes what clouds whose daemon died (kill -9) left on the host; their homes may be gone (tests). */
export async function reapDeadClouds(): Promise<string[]> {
  if (!existsSync(CLOUDS_DIR)) return [];
  const reaped: string[] = [];
  for (const tag of readdirSync(CLOUDS_DIR)) {
    const pid = Number(readSafe(path.join(CLOUDS_DIR, tag)).split(' ')[0]);
    if (pid && processAlive(pid)) continue;
    await cleanHostByTag(tag);
    forgetCloud(tag);
    reaped.push(tag);
  }
  return reaped;
}

function readSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
