import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dataRoot } from './efs-data.js';
import { exportBlocks, reloadExports, type ServerExports } from './efs-exports.js';
import { efsRunDir } from './names.js';
import { gatewayOf, plugInstance, unplugInstance, type VpcNet } from './network.js';
import { run } from './sh.js';

/** One mount target as the runtime serves it: an address of its subnet answering NFSv4 on TCP 2049. */
export interface MountTargetSpec {
  mountTargetId: string;
  fileSystemId: string;
  region: string;
  vpcId: string;
  vpcCidr: string;
  subnetId: string;
  subnetCidr: string;
  zoneId: string;
  ipAddress: string;
  groupIds: string[];
}

export interface MountTargetServer {
  spec: MountTargetSpec;
  ns: string;
  child: ChildProcess;
  alias: string;
  /** Its zone is dark (every host down): the mount target does not answer. */
  dark?: boolean;
  conf: string;
  log: string;
  dataDir: string;
  stateDir: string;
  /** Its NFSv4 lease (nfsLease), in wall seconds. */
  leaseSeconds: number;
  /** The last rereading of its exports asked (one at a time). */
  exports: Promise<void>;
  /** Being stopped: its exports are not reread any more. */
  stopped?: boolean;
}

/** The directory that holds a file system's data: one per file system, whichever mount target serves it. */
export const fileSystemDir = (home: string, fileSystemId: string) => path.join(dataRoot(home), fileSystemId);

/** The NFSv4 lease of a mount target's server, in AWS seconds: a client that stops renewing loses its state after it. */
const LEASE_AWS_SECONDS = 60;
/** A lease never shorter than this on the wall: the clients' renewals must arrive in time on a loaded machine. */
const LEASE_MIN_WALL_SECONDS = 10;

/**
 * The lease in wall seconds at a time scale, and how often a client renews it (four times per lease): AWS time runs on
 * the cloud's clock, so a client cut off (a dark zone, a partition) holds its locks 60 AWS s at any time scale, or 10
 * wall seconds where that is longer.
 */
export function nfsLease(timeScale: number): { leaseSeconds: number; renewSeconds: number } {
  const leaseSeconds = Math.max(LEASE_MIN_WALL_SECONDS, Math.round(LEASE_AWS_SECONDS / timeScale));
  return { leaseSeconds, renewSeconds: Math.max(1, Math.floor(leaseSeconds / 4)) };
}

/**
 * nfs-ganesha's configuration: NFSv4 only (no rpcbind, no mountd: port 2049 is all a client needs, as on EFS),
 * bound to the mount target's address, no grace period, numeric owners (EFS clients send uids), attribute caching
 * off so that a write through one mount target is seen at once through another that exports the same directory;
 * one export for the file system and one per access point, their permissions per client address EFS's grants
 * (efs-exports.ts); the lease of `nfsLease`. CONFIG events are logged: the end of a reread of the exports is awaited
 * there.
 */
export function ganeshaConfig(ip: string, dataDir: string, stateDir: string, exports: ServerExports, leaseSeconds: number): string {
  return `NFS_CORE_PARAM {
  Protocols = 4;
  Bind_addr = ${ip};
  NFS_Port = 2049;
  Enable_NLM = false;
  Enable_RQUOTA = false;
  Enable_UDP = false;
}
NFSV4 {
  Graceless = true;
  Lease_Lifetime = ${leaseSeconds};
  Only_Numeric_Owners = true;
  RecoveryRoot = "${stateDir}/recovery";
}
NFS_KRB5 { Active_krb5 = false; }
MDCACHE { Dir_Chunk = 0; }
${exportBlocks(dataDir, exports)}LOG {
  Default_Log_Level = WARN;
  Components { CONFIG = EVENT; }
}
`;
}

const macOf = (id: string) =>
  `02:ef:${id
    .replace(/^fsmt-/, '')
    .slice(-8)
    .replace(/(..)(?=.)/g, '$1:')}`;

/** Plugs the mount target into its subnet like an instance and starts its NFS server; resolves once 2049 listens. */
export async function startMountTarget(
  tag: string,
  home: string,
  vpc: VpcNet,
  spec: MountTargetSpec,
  nsName: string,
  exports: ServerExports,
  leaseSeconds: number,
): Promise<MountTargetServer> {
  const dataDir = fileSystemDir(home, spec.fileSystemId);
  const stateDir = path.join(efsRunDir(tag), spec.mountTargetId);
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(path.join(stateDir, 'recovery'), { recursive: true });
  const conf = path.join(stateDir, 'ganesha.conf');
  writeFileSync(conf, ganeshaConfig(spec.ipAddress, dataDir, stateDir, exports, leaseSeconds));
  const alias = await plugInstance(tag, vpc, {
    instanceId: spec.mountTargetId,
    privateIp: spec.ipAddress,
    subnetCidr: spec.subnetCidr,
    mac: macOf(spec.mountTargetId),
  });
  const log = path.join(home, 'efs', 'servers', `${spec.mountTargetId}.log`);
  mkdirSync(path.dirname(log), { recursive: true });
  const child = spawn(
    'setpriv',
    [
      '--pdeathsig',
      'KILL',
      '--',
      'nsenter',
      `--net=/run/netns/${nsName}`,
      '--',
      'ganesha.nfsd',
      '-F',
      '-f',
      conf,
      '-L',
      log,
      '-p',
      path.join(stateDir, 'ganesha.pid'),
    ],
    { stdio: 'ignore', detached: true },
  );
  child.on('error', () => undefined);
  for (let i = 0; i < 100; i++) {
    const listening = (
      await run('nsenter', [`--net=/run/netns/${nsName}`, '--', 'ss', '-Htln', 'sport = :2049'], { allowFail: true })
    ).stdout.trim();
    if (listening) return { spec, ns: nsName, child, alias, conf, log, dataDir, stateDir, leaseSeconds, exports: Promise.resolve() };
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  stopProcess(child);
  await unplugInstance(tag, vpc, spec.mountTargetId);
  throw new Error(`the NFS server of mount target ${spec.mountTargetId} did not start (see ${log})`);
}

/**
 * A zone outage: the mount target's own end of its link goes down, so packets to it are dropped silently (clients
 * time out, as with a dark zone) while the VPC keeps its route; back up, its default route is restored.
 */
export async function setMountTargetUp(server: MountTargetServer, up: boolean): Promise<void> {
  const ns = server.ns;
  if (!up) {
    await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'down'], { allowFail: true });
    return;
  }
  await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up'], { allowFail: true });
  await run('ip', ['-n', ns, 'route', 'replace', 'default', 'via', gatewayOf(server.spec.subnetCidr), 'dev', 'eth0'], { allowFail: true });
}

/** The server holds every client to these rules from now on (queued behind any rereading still under way). */
export function updateExports(server: MountTargetServer, exports: () => Promise<ServerExports>): Promise<void> {
  const next = server.exports.then(async () => {
    const config = ganeshaConfig(server.spec.ipAddress, server.dataDir, server.stateDir, await exports(), server.leaseSeconds);
    const pid = server.child.pid;
    if (server.stopped || pid === undefined || server.child.exitCode !== null || server.child.signalCode !== null) return;
    await reloadExports(pid, server.conf, config, server.log);
  });
  server.exports = next.catch(() => undefined);
  return next;
}

export function stopProcess(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** Stops the server and unplugs the mount target (its address stops answering at once). */
export async function stopMountTarget(tag: string, vpc: VpcNet | undefined, server: MountTargetServer): Promise<void> {
  server.stopped = true;
  stopProcess(server.child);
  // setpriv/nsenter exec into ganesha: the pid is the server's; anything left in its namespace goes too.
  const pids = (await run('ip', ['netns', 'pids', server.ns], { allowFail: true })).stdout.split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  if (vpc) await unplugInstance(tag, vpc, server.spec.mountTargetId);
  else await run('ip', ['netns', 'del', server.ns], { allowFail: true });
  rmSync(path.join(efsRunDir(tag), server.spec.mountTargetId), { recursive: true, force: true });
}
