import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, open, rename, unlink, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { CFN_HELPER_LINKS, CFN_SIGNAL } from './cfn-helpers.js';
import { keeperCommand } from './console.js';
import { ROOT_DISK_OPTIONS } from './root-disk.js';
import { startConsoleAndSandbox } from './sh.js';
import { seccompFilterHex } from './seccomp.js';
import { mountFlags, stage1Program } from './stage1.js';
import { ID_RANGE } from './userns.js';
import { MOUNT_WRAPPER, stage1Disks, UMOUNT_WRAPPER, type BoundDisk } from './volumes.js';

/** What a sandbox needs to boot one instance. */
export interface BootSpec {
  instanceId: string;
  /** The instance's network namespace (its name in /run/netns), which the console keeper makes (none may be there). */
  netns: string;
  /** The instance's side of its link (network.ts `instanceSide`), which the keeper makes in the namespace. */
  eth0: string[];
  /**
   * The VPC's side of the link is connected later (the instance boots offline): the keeper opens the network gate once
   * eth0 is made. Otherwise the host opens it (openNetworkGate).
   */
  connectLater: boolean;
  /** Image layers, top first (overlayfs lowerdir order). */
  layers: string[];
  /** The root volume: upper/ and work/ live here. */
  volumeDir: string;
  /** Private work dir of this instance on the host: root/ mount point, boot/ files, console.log. */
  instanceDir: string;
  /** The boot files all instances share (writeSharedBootFiles), copied into /run/halo after the instance's own. */
  sharedBoot: string;
  hostname: string;
  /** The instance's DNS: its search domain and its VPC's Amazon-provided DNS (written to /etc/resolv.conf at boot). */
  dnsDomain?: string;
  nameserver?: string;
  privateIp?: string;
  /** KEY=value lines for /run/halo/env. */
  env: Record<string, string>;
  /** Raw user data (decoded), run once on first boot when it is a #! script. */
  userData?: Buffer;
  /** The root volume's image (root-disk.ts): upper/ and work/ of the overlay live in its file system. */
  rootDisk: string;
  /** The root volume is made by this launch (it was not there when the launch began). */
  rootDiskNew: boolean;
  /** The instance's cgroup directories (limits.ts): the first stage moves itself into them before anything else. */
  cgroups: string[];
  /** How its keeper makes them (limits.ts `cgroupPlan`). */
  cgroupSteps: string;
  /** Where the first stage sets itself up, when not in `cgroups` (limits.ts `setUpCgroups`); then `joinBeforePivot`. */
  setUpCgroups?: string[];
  /** The instance's own cpu cgroup, which the first stage joins last on the host's side, before the pivot. */
  joinBeforePivot?: string;
  /**
   * The host id of the instance's root (userns.ts): its network namespace belongs to a user namespace mapping 0…65535
   * to idBase…, which the first stage enters last; its file systems are mounted id-mapped. Without it, no user
   * namespace (root inside is the host's root).
   */
  idBase?: number;
}

export interface Sandbox {
  instanceId: string;
  /** The host pid of its first process (`halo-sandbox <stage1.pl>`, a fork of its console keeper; its child is PID 1). */
  pid: number;
  exited: Promise<number | null>;
  alive(): boolean;
}

/** Capabilities kept inside the sandbox (Docker's default set plus NET_ADMIN for the instance's own namespace). */
const KEPT_CAPS = [
  'chown',
  'dac_override',
  'fowner',
  'fsetid',
  'kill',
  'setgid',
  'setuid',
  'setpcap',
  'net_bind_service',
  'net_raw',
  'sys_chroot',
  'audit_write',
  'setfcap',
  'net_admin',
];

/**
 * Host-wide /proc entries: read-only (as container runtimes make them), or hidden behind /dev/null or an empty
 * read-only tmpfs. The instance's own /proc/sys/net (its network namespace) is set by the host before it boots.
 */
const PROC_READ_ONLY = ['sys', 'irq', 'bus', 'fs'];
const PROC_MASKED_FILES = [
  'sysrq-trigger',
  'kcore',
  'keys',
  'key-users',
  'timer_list',
  'latency_stats',
  'sched_debug',
  'kallsyms',
  'kpagecount',
  'kpageflags',
  'kpagecgroup',
  'config.gz',
];
const PROC_MASKED_DIRS = ['acpi', 'scsi', 'driver', 'pressure'];

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Host device nodes bound into the instance's /dev. */
const DEV_NODES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

/** Capability numbers (linux/capability.h) of KEPT_CAPS. */
const CAP_NUMBERS: Record<string, number> = {
  chown: 0,
  dac_override: 1,
  fowner: 3,
  fsetid: 4,
  kill: 5,
  setgid: 6,
  setuid: 7,
  setpcap: 8,
  net_bind_service: 10,
  net_raw: 13,
  sys_chroot: 18,
  audit_write: 29,
  setfcap: 31,
  net_admin: 12,
};

/** The gates of a boot (stage1.ts): files the host makes when the disks, then the network, are ready. */
export function bootGates(instanceDir: string): { netns: string; disks: string; network: string; disksScript: string; bell: string } {
  return {
    netns: path.join(instanceDir, 'ready.netns'),
    disks: path.join(instanceDir, 'ready.disks'),
    network: path.join(instanceDir, 'ready.network'),
    disksScript: path.join(instanceDir, 'disks.sh'),
    bell: path.join(instanceDir, 'gates.fifo'),
  };
}

/** The first stage of a boot (stage1.ts) for this instance. */
function stage1(spec: BootSpec): string {
  const gates = bootGates(spec.instanceDir);
  const { flags, data } = mountFlags(ROOT_DISK_OPTIONS);
  return stage1Program({
    root: path.join(spec.instanceDir, 'root'),
    disk: path.join(spec.instanceDir, 'disk'),
    rootDisk: spec.rootDisk,
    rootDiskNew: spec.rootDiskNew,
    rootDiskFlags: flags,
    rootDiskData: data,
    layers: spec.layers,
    cgroups: spec.setUpCgroups ?? spec.cgroups,
    joinBeforePivot: spec.joinBeforePivot,
    idBase: spec.idBase,
    idRange: ID_RANGE,
    hostname: spec.hostname,
    boot: [path.join(spec.instanceDir, 'boot'), spec.sharedBoot],
    netns: `/run/netns/${spec.netns}`,
    netnsGate: gates.netns,
    diskGate: gates.disks,
    netGate: gates.network,
    bell: gates.bell,
    disksScript: gates.disksScript,
    onlineFifo: onlineFifo(spec.instanceDir),
    procReadOnly: PROC_READ_ONLY,
    procMaskedFiles: PROC_MASKED_FILES,
    procMaskedDirs: PROC_MASKED_DIRS,
    devNodes: DEV_NODES,
    links: CFN_HELPER_LINKS,
    keptCaps: KEPT_CAPS.map((c) => CAP_NUMBERS[c]),
    seccompHex: seccompFilterHex(),
    trace: !!process.env.HALO_TRACE,
  });
}

/** The OOM score adjustment of every process the instance's init starts (its services, its user data). */
export const OOM_CHILD_SCORE = 500;

/** The init of the instance (PID 2 under tini): services, per-boot scripts, user data once, a clean shutdown on TERM. */
const INIT = `#!/bin/sh
# Over its memory, the instance's OOM killer takes what its init started, never tini or this script: they keep the
# score they were given (-1000 where the host may lower it, else 0) and everything they start gets +${OOM_CHILD_SCORE},
# which needs no privilege (the first stage runs without CAP_SYS_RESOURCE on some hosts, and the instance never has it).
oom_child() { echo ${OOM_CHILD_SCORE} 2>/dev/null > /proc/self/oom_score_adj; }
export PATH=/run/halo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
set -a; . /run/halo/env; set +a
log() { echo "[halo-init] $*\${HALO_TRACE:+ $(date +%s%N)}"; }
others() { n=0; for p in /proc/[0-9]*; do p=\${p#/proc/}; [ "$p" = 1 ] || [ "$p" = $$ ] || n=$((n+1)); done; [ $n -gt 0 ]; }
shutdown() {
  log "shutting down: stopping services"
  kill -TERM -1 2>/dev/null; i=0
  while others && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done
  kill -KILL -1 2>/dev/null; sync
  log "halted"
  exit 0
}
trap shutdown TERM INT
# (/etc/resolv.conf and /etc/hosts, as DHCP writes them on EC2 at every boot, and the CloudFormation helpers' links are
# made by the first stage.) Only shell built-ins until the user data, but for what must run: each program started
# here is a process the boot waits for.
read -r name 2>/dev/null < /proc/sys/kernel/hostname
log "booting $HALO_INSTANCE_ID (image $HALO_IMAGE_ID) as $name, private IP $HALO_PRIVATE_IP"
[ -n "$HALO_IMAGE_NOTE" ] && log "$HALO_IMAGE_NOTE"
# The services the default target wants (as Debian's daemonless systemctl finds them: .service links in the target's
# .wants folders, SysV start links of runlevel 3), started by systemctl only when there is one: it is a python program
# of some 4,500 lines, compiled at each start (about 100 ms of CPU, beside the user data's start).
wanted=
for u in /etc/systemd/system /var/run/systemd/system /usr/lib/systemd/system /lib/systemd/system; do
  for u in "$u"/multi-user.target.wants/*.service; do [ -e "$u" ] || [ -L "$u" ] && wanted=1; done
done
for u in /etc/rc3.d/S* /etc/init.d/rc3.d/S*; do [ -e "$u" ] || [ -L "$u" ] && wanted=1; done
[ -n "$wanted" ] && ( oom_child; exec systemctl default ) >/dev/null 2>&1 &
# Network file systems of /etc/fstab (EFS, NFS: _netdev) at every boot, before user data, as remote-fs.target does.
netfs=
while read -r dev dir type opts; do
  case "$dev" in ''|'#'*) continue ;; esac
  case "$type" in efs|nfs|nfs4) [ -n "$opts" ] && netfs=1 ;; esac
done 2>/dev/null < /etc/fstab
[ -n "$netfs" ] && ( oom_child; exec mount -a ) 2>&1 | sed 's/^/[halo-init] /'
USER_DATA=
# User data runs once per instance (the first stage copied it to /var/lib/halo/user-data), as cloud-init's per-instance
# semantics: an image made from this disk (CreateImage) runs its new instance's user data again. It counts as run once
# it starts: an instance stopped before (a warm pool's spare stopped while it waited for the network) runs it at its
# next boot.
DONE=/var/lib/halo/user-data.done
done_for=; read -r done_for 2>/dev/null < $DONE
if [ "$done_for" != "$HALO_INSTANCE_ID" ] && [ -s /run/halo/user-data ]; then
  first=; IFS= read -r first < /run/halo/user-data
  case "$first" in
    '#!'*)
      USER_DATA=/var/lib/halo/user-data
      log "running user data (first boot)" ;;
    *)
      echo "$HALO_INSTANCE_ID" > $DONE
      log "user data is not a #! script: not run (cloud-config is not supported)" ;;
  esac
fi
# As cloud-init's final stage: the executable scripts of /var/lib/cloud/scripts/per-boot at every boot (a recovered,
# rebooted or restarted instance starts its services again this way), then the user data on the first boot. Both wait
# for the network: an instance booted ahead of the AWS time at which it runs has its link down (no carrier) until then;
# the host writes a line on /run/halo/online whenever it brings the link up (without it, the carrier is read every
# 50 ms). The run-once marker is synced alone (a bare sync would wait for every file system of the host), beside the
# user data's start.
PER_BOOT=/var/lib/cloud/scripts/per-boot
per_boot=; for s in $PER_BOOT/* $PER_BOOT/.[!.]*; do [ -e "$s" ] && per_boot=1; done
if [ -n "$USER_DATA" ] || [ -n "$per_boot" ]; then
  ( cd /; oom_child
    [ -p /run/halo/online ] && exec 3<> /run/halo/online
    while carrier=; read -r carrier 2>/dev/null < /sys/class/net/eth0/carrier; [ "$carrier" = 0 ]; do
      read -r _ 2>/dev/null <&3 || sleep 0.05
    done
    exec 3<&-
    for s in $PER_BOOT/*; do
      [ -f "$s" ] && [ -x "$s" ] || continue
      log "running per-boot script $s"; "$s"; log "per-boot script $s exited with status $?"
    done
    [ -n "$USER_DATA" ] && { echo "$HALO_INSTANCE_ID" > $DONE; sync $DONE /var/lib/halo & $USER_DATA; log "user data exited with status $?"; } ) &
fi
log "boot finished"
while :; do sleep 3600 & wait $!; done
`;

/** /etc/resolv.conf as EC2's DHCP options write it (empty when the instance has no VPC resolver). */
export function resolvConf(spec: Pick<BootSpec, 'dnsDomain' | 'nameserver'>): string {
  if (!spec.nameserver) return '';
  return `${spec.dnsDomain ? `search ${spec.dnsDomain}\n` : ''}options timeout:2 attempts:5\nnameserver ${spec.nameserver}\n`;
}

function hostsFile(spec: Pick<BootSpec, 'dnsDomain' | 'hostname' | 'privateIp'>): string {
  const fqdn = spec.dnsDomain ? `${spec.hostname}.${spec.dnsDomain} ` : '';
  return `127.0.0.1 localhost\n${spec.privateIp ? `${spec.privateIp} ${fqdn}${spec.hostname}\n` : ''}`;
}

/** Removes what a previous boot left of the gates (before anything of a new boot opens them). */
export async function clearBootGates(instanceDir: string): Promise<void> {
  const gates = bootGates(instanceDir);
  await Promise.all(
    [gates.netns, gates.disks, gates.network, gates.disksScript].map((f) =>
      unlink(f).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      }),
    ),
  );
}

/** Makes a gate file, then wakes the first stage if it waits (stage1.ts GATE_PERL): a line on the bell, never blocking. */
async function openGate(instanceDir: string, gate: 'disks' | 'network'): Promise<void> {
  const gates = bootGates(instanceDir);
  await writeFile(gates[gate], '');
  try {
    const fh = await open(gates.bell, constants.O_WRONLY | constants.O_NONBLOCK);
    await fh.write('\n').finally(() => fh.close());
  } catch {
    // No bell yet (the first stage checks the file once it has opened it), or nobody at it (the sandbox ended).
  }
}

/**
 * The disks of a boot are ready (its root volume's file system made, its data volumes on loop devices): the data
 * volumes' step written for the first stage, then its gate opened.
 */
export async function openDisksGate(instanceDir: string, disks: BoundDisk[], idBase?: number): Promise<void> {
  const script = stage1Disks(disks, idBase);
  if (script) await writeFile(bootGates(instanceDir).disksScript, script);
  await openGate(instanceDir, 'disks');
}

/** The network of a boot is ready: the first stage goes on to the pivot and the instance's init. */
export async function openNetworkGate(instanceDir: string): Promise<void> {
  await openGate(instanceDir, 'network');
}

/** The FIFO on which the instance's init waits for its link (bound at /run/halo/online inside). */
export const onlineFifo = (instanceDir: string) => path.join(instanceDir, 'online.fifo');

/**
 * Tells the instance's init that its link came up (a line on its online FIFO), so that what waits for the network
 * goes on at once. Nothing happens when nothing reads it (the init is not there yet: it reads the carrier first).
 */
export async function wakeInit(instanceDir: string): Promise<void> {
  try {
    const fh = await open(onlineFifo(instanceDir), constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      await fh.write('\n');
    } finally {
      await fh.close();
    }
  } catch {
    // no reader (ENXIO), or a full pipe: the init reads the carrier before it waits
  }
}

/** What the boot files say (all known before the instance's id range and cgroups). */
export type BootFilesSpec = Pick<BootSpec, 'instanceDir' | 'env' | 'userData' | 'hostname' | 'dnsDomain' | 'nameserver' | 'privateIp'>;

/**
 * The boot files of one instance, which the first stage copies into its /run/halo with the shared ones
 * (writeSharedBootFiles): written from libuv's thread pool (fifty launches at once spent a third of a second of the
 * event loop here), while the launch claims the instance's id range.
 */
export async function writeBootFiles(spec: BootFilesSpec): Promise<void> {
  const boot = path.join(spec.instanceDir, 'boot');
  await Promise.all(
    [boot, path.join(spec.instanceDir, 'root'), path.join(spec.instanceDir, 'disk')].map((dir) => mkdir(dir, { recursive: true })),
  );
  const env = Object.entries({ ...spec.env, ...(process.env.HALO_TRACE ? { HALO_TRACE: '1' } : {}) })
    .map(([k, v]) => `${k}=${shq(v)}\n`)
    .join('');
  await Promise.all([
    writeFile(path.join(boot, 'resolv.conf'), resolvConf(spec)),
    writeFile(path.join(boot, 'hosts'), hostsFile(spec)),
    writeFile(path.join(boot, 'env'), env),
    writeFile(path.join(boot, 'user-data'), spec.userData ?? Buffer.alloc(0), { mode: 0o600 }),
  ]);
}

/**
 * The boot files every instance of a cloud has alike (its init, the mount wrappers, cfn-signal), written once per
 * daemon into `dir` (each replaced whole by a rename: a boot copying them meanwhile reads an old one or the new one),
 * not once per launch.
 */
export async function writeSharedBootFiles(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'bin'), { recursive: true });
  const put = async (file: string, text: string) => {
    const tmp = `${file}.${process.pid}.new`;
    await writeFile(tmp, text, { mode: 0o755 });
    await chmod(tmp, 0o755);
    await rename(tmp, file);
  };
  await Promise.all([
    put(path.join(dir, 'init'), INIT),
    // mount/umount first in PATH: the instance's EBS volumes are mounted by the host on request (see volumes.ts).
    put(path.join(dir, 'bin', 'mount'), MOUNT_WRAPPER),
    put(path.join(dir, 'bin', 'umount'), UMOUNT_WRAPPER),
    put(path.join(dir, 'bin', 'cfn-signal'), CFN_SIGNAL),
  ]);
}

/**
 * Boots an instance's sandbox once its boot files are written (writeBootFiles); its output (the console) is appended
 * to instanceDir/console.log. Its first stage waits at the gates (clearBootGates first; its keeper opens the network
 * namespace's before it answers, and the network's too when the link is connected later; the host openDisksGate and,
 * otherwise, openNetworkGate, in either order).
 */
export async function startSandbox(spec: BootSpec): Promise<Sandbox> {
  const program = path.join(spec.instanceDir, 'stage1.pl');
  const eth0 = path.join(spec.instanceDir, 'eth0.ip');
  const gates = bootGates(spec.instanceDir);
  await Promise.all([writeFile(program, stage1(spec)), writeFile(eth0, `${spec.eth0.join('\n')}\n`)]);
  // Started by the host command runner, not by the daemon (a fork would stop its event loop).
  const sandbox = await startConsoleAndSandbox({
    ...keeperCommand({
      file: path.join(spec.instanceDir, 'console.log'),
      owner: spec.idBase,
      otherFifos: [onlineFifo(spec.instanceDir), gates.bell],
      cgroups: spec.cgroups,
      cgroupSteps: spec.cgroupSteps,
      program,
      netns: `/run/netns/${spec.netns}`,
      netnsGate: gates.netns,
      bell: gates.bell,
      wire: eth0,
      networkGate: spec.connectLater ? gates.network : '',
    }),
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  let code: number | null | undefined;
  // Exited = every process gone and the console written out (the keeper's end).
  const exited = sandbox.exited.then((c) => {
    code = c;
    return c;
  });
  return {
    instanceId: spec.instanceId,
    pid: sandbox.pid,
    exited,
    alive: () => code === undefined,
  };
}

/** The sandbox's PID 1 (tini) as the host sees it: the child of the unshare process. */
export function initPid(sb: Sandbox): number | undefined {
  const file = `/proc/${sb.pid}/task/${sb.pid}/children`;
  if (!existsSync(file)) return undefined;
  const first = readFileSync(file, 'utf8').trim().split(/\s+/)[0];
  return first ? Number(first) : undefined;
}

/** Asks the instance to shut down cleanly (TERM to its init), then kills it after graceMs of wall time. */
export async function stopSandbox(sb: Sandbox, graceMs: number): Promise<void> {
  if (!sb.alive()) return;
  const init = initPid(sb);
  if (init && graceMs > 0) {
    try {
      process.kill(init, 'SIGTERM');
    } catch {
      // gone already
    }
    const timer = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([sb.exited, timer]);
  }
  killSandbox(sb);
  await sb.exited;
}

/** Kills the sandbox at once (all its processes die: unshare's --kill-child takes PID 1 and its namespace with it). */
export function killSandbox(sb: Sandbox): void {
  if (!sb.alive()) return;
  try {
    process.kill(sb.pid, 'SIGKILL');
  } catch {
    // gone already
  }
}
