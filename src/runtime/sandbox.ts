import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CFN_HELPERS_INIT, writeCfnHelpers } from './cfn-helpers.js';
import { startConsoleKeeper } from './console.js';
import { ROOT_DISK_OPTIONS } from './root-disk.js';
import { SECCOMP_LOADER, seccompFilterHex } from './seccomp.js';
import { IDMAP_MOUNTS, USERNS_ENTER } from './userns.js';
import { MOUNT_WRAPPER, stage1Disks, UMOUNT_WRAPPER, type BoundDisk } from './volumes.js';

/** What a sandbox needs to boot one instance. */
export interface BootSpec {
  instanceId: string;
  /** The instance's network namespace (exists). */
  netns: string;
  /** Image layers, top first (overlayfs lowerdir order). */
  layers: string[];
  /** The root volume: upper/ and work/ live here. */
  volumeDir: string;
  /** Private work dir of this instance on the host: root/ mount point, boot/ files, console.log. */
  instanceDir: string;
  hostname: string;
  /** The instance's DNS: its search domain and its VPC's Amazon-provided DNS (written to /etc/resolv.conf at boot). */
  dnsDomain?: string;
  nameserver?: string;
  privateIp?: string;
  /** KEY=value lines for /run/halo/env. */
  env: Record<string, string>;
  /** Raw user data (decoded), run once on first boot when it is a #! script. */
  userData?: Buffer;
  /** Attached EBS data volumes, already on loop devices: nodes in /dev, /etc/fstab entries mounted. */
  disks?: BoundDisk[];
  /** The root volume's file system (root-disk.ts): upper/ and work/ of the overlay live in it. */
  rootDisk: string;
  /** The instance's cgroup directories (limits.ts): the first stage moves itself into them before anything else. */
  cgroups: string[];
  /**
   * The host id of the instance's root (userns.ts): its network namespace belongs to a user namespace mapping 0…65535
   * to idBase…, which the first stage enters last; its file systems are mounted id-mapped. Without it, no user
   * namespace (root inside is the host's root).
   */
  idBase?: number;
}

export interface Sandbox {
  instanceId: string;
  child: ChildProcess;
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

/** Host programs the first stage runs after the pivot (see stage1). */
const HOST_TOOLS = ['/usr/bin/umount', '/usr/bin/rmdir', '/usr/bin/setpriv', '/usr/bin/perl'];

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

/** The first stage runs with the host's /bin/sh inside the new namespaces: mounts the root and pivots into it. */
function stage1(spec: BootSpec): string {
  const root = path.join(spec.instanceDir, 'root');
  const boot = path.join(spec.instanceDir, 'boot');
  const disk = path.join(spec.instanceDir, 'disk');
  const base = spec.idBase;
  // The instance's root owns its tmpfs mounts and the files the host puts there (ids as the host sees them).
  const owner = base === undefined ? '' : `,uid=${base},gid=${base}`;
  const chownToInstance = (p: string) => (base === undefined ? '' : `chown -R ${base}:${base} ${p}\n`);
  const idmapMounts =
    base === undefined ? '' : `/usr/bin/python3 -I -c ${shq(IDMAP_MOUNTS)} ${base} ${spec.layers.map(shq).join(' ')} "$D"\n`;
  const enterUserns = base === undefined ? '' : `"$LD" --library-path "$H" "$H/perl" -e ${shq(USERNS_ENTER)} -- `;
  return `set -e
for d in ${spec.cgroups.map(shq).join(' ')}; do echo 0 > "$d/cgroup.procs"; done
# The instance's PID 1 (tini) is never the OOM killer's choice, as init is not on a machine. Lowering the score needs
# CAP_SYS_RESOURCE, which the daemon may lack: then tini keeps 0 and the init script raises what it starts (see INIT).
echo -1000 2>/dev/null > /proc/self/oom_score_adj || true
R=${shq(root)}
D=${shq(disk)}
mount -t ext4 -o loop,${ROOT_DISK_OPTIONS} ${shq(spec.rootDisk)} "$D"
mkdir -p "$D/upper" "$D/work"
${idmapMounts}mount -t overlay halo-root -o ${shq(`lowerdir=${spec.layers.join(':')},upperdir=${disk}/upper,workdir=${disk}/work`)} "$R"
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
for d in ${PROC_READ_ONLY.join(' ')}; do [ -d "$R/proc/$d" ] && { mount --bind "$R/proc/$d" "$R/proc/$d"; mount -o remount,bind,ro,nosuid,nodev,noexec "$R/proc/$d"; } || true; done
for f in ${PROC_MASKED_FILES.join(' ')}; do [ -f "$R/proc/$f" ] && mount --bind /dev/null "$R/proc/$f" || true; done
for d in ${PROC_MASKED_DIRS.join(' ')}; do [ -d "$R/proc/$d" ] && mount -t tmpfs -o ro,nosuid,nodev,noexec,size=0 halo-masked "$R/proc/$d" || true; done
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys" 2>/dev/null || true
mount -t tmpfs -o nosuid,mode=755,size=65536k${owner} halo-dev "$R/dev"
for d in null zero full random urandom tty; do touch "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done
mkdir -p "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o nosuid,nodev,mode=1777${owner} halo-shm "$R/dev/shm"
${stage1Disks(spec.disks ?? [], base)}mount -t tmpfs -o nosuid,nodev,mode=755${owner} halo-run "$R/run"
mkdir -p "$R/run/halo" "$R/run/lock" "$R/run/systemd/system"
cp -a ${shq(boot)}/. "$R/run/halo/"
${chownToInstance('"$R/run/halo" "$R/run/lock" "$R/run/systemd"')}hostname ${shq(spec.hostname)}
# After the pivot, only the host's own programs may run with every capability (the instance could have replaced its
# /usr/bin/umount or setpriv): copies with their loader and libraries, in a tmpfs nothing of the instance ran in yet.
H=/run/halo/.host
mkdir -p "$R$H"
for f in ${HOST_TOOLS.join(' ')} $(ldd ${HOST_TOOLS.join(' ')} | grep -o '/[^ ]*[.]so[^ ]*' | sort -u); do cp -L "$f" "$R$H/"; done
LD="$H/$(ldd ${HOST_TOOLS[0]} | grep -o '/[^ ]*ld-linux[^ ]*' | head -n 1 | sed 's,.*/,,')"
host() { t=$1; shift; "$LD" --library-path "$H" "$H/$t" "$@"; }
cd "$R"
mkdir -p .halo-old
pivot_root . .halo-old
cd /
host umount -l /.halo-old
host rmdir /.halo-old
# The instance's user namespace (its root is an unprivileged id of the host), then the seccomp filter: from here on
# nothing mounts. Then capabilities drop, then the instance's init.
exec ${enterUserns}"$LD" --library-path "$H" "$H/perl" -e ${shq(SECCOMP_LOADER)} -- ${seccompFilterHex()} \\
  "$LD" --library-path "$H" "$H/setpriv" --bounding-set -all,${KEPT_CAPS.map((c) => `+${c}`).join(',')} -- /usr/bin/tini -- /bin/sh /run/halo/init
`;
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
log() { echo "[halo-init] $*"; }
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
# As DHCP does on EC2 at every boot: the VPC's resolver and search domain, the instance's own name.
for f in resolv.conf hosts; do [ -s /run/halo/$f ] && { rm -f /etc/$f; cp /run/halo/$f /etc/$f; chmod 644 /etc/$f; }; done
log "booting $HALO_INSTANCE_ID (image $HALO_IMAGE_ID) as $(hostname), private IP $HALO_PRIVATE_IP"
[ -n "$HALO_IMAGE_NOTE" ] && log "$HALO_IMAGE_NOTE"
${CFN_HELPERS_INIT}
( oom_child; exec systemctl default ) >/dev/null 2>&1 &
# Network file systems of /etc/fstab (EFS, NFS: _netdev) at every boot, before user data, as remote-fs.target does.
grep -qsE '^[^#[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+(efs|nfs|nfs4)[[:space:]]' /etc/fstab && ( oom_child; exec mount -a ) 2>&1 | sed 's/^/[halo-init] /'
USER_DATA=
# User data runs once per instance, as cloud-init's per-instance semantics: an image made from this disk (CreateImage)
# runs its new instance's user data again. It counts as run once it starts: an instance stopped before (a warm pool's
# spare stopped while it waited for the network) runs it at its next boot.
DONE=/var/lib/halo/user-data.done
if [ "$(cat $DONE 2>/dev/null)" != "$HALO_INSTANCE_ID" ] && [ -s /run/halo/user-data ]; then
  mkdir -p /var/lib/halo; cp /run/halo/user-data /var/lib/halo/user-data
  if [ "$(head -c 2 /var/lib/halo/user-data)" = "#!" ]; then
    chmod 700 /var/lib/halo/user-data; USER_DATA=/var/lib/halo/user-data
    log "running user data (first boot)"
  else
    echo "$HALO_INSTANCE_ID" > $DONE
    log "user data is not a #! script: not run (cloud-config is not supported)"
  fi
fi
# As cloud-init's final stage: the executable scripts of /var/lib/cloud/scripts/per-boot at every boot (a recovered,
# rebooted or restarted instance starts its services again this way), then the user data on the first boot. Both wait
# for the network: an instance booted ahead of the AWS time at which it runs has its link down (no carrier) until then.
PER_BOOT=/var/lib/cloud/scripts/per-boot
if [ -n "$USER_DATA" ] || [ -n "$(ls -A $PER_BOOT 2>/dev/null)" ]; then
  ( cd /; oom_child; while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = 0 ]; do sleep 0.05; done
    for s in $PER_BOOT/*; do
      [ -f "$s" ] && [ -x "$s" ] || continue
      log "running per-boot script $s"; "$s"; log "per-boot script $s exited with status $?"
    done
    [ -n "$USER_DATA" ] && { echo "$HALO_INSTANCE_ID" > $DONE; sync; $USER_DATA; log "user data exited with status $?"; } ) &
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

/** Boots an instance's sandbox; its output (the console) is appended to instanceDir/console.log. */
export async function startSandbox(spec: BootSpec): Promise<Sandbox> {
  const root = path.join(spec.instanceDir, 'root');
  const boot = path.join(spec.instanceDir, 'boot');
  for (const dir of [root, boot, path.join(spec.instanceDir, 'disk')]) mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(boot, 'init'), INIT);
  chmodSync(path.join(boot, 'init'), 0o755);
  // mount/umount first in PATH: the instance's EBS volumes are mounted by the host on request (see volumes.ts).
  mkdirSync(path.join(boot, 'bin'), { recursive: true });
  writeFileSync(path.join(boot, 'bin', 'mount'), MOUNT_WRAPPER, { mode: 0o755 });
  writeFileSync(path.join(boot, 'bin', 'umount'), UMOUNT_WRAPPER, { mode: 0o755 });
  writeCfnHelpers(path.join(boot, 'bin'));
  writeFileSync(path.join(boot, 'resolv.conf'), resolvConf(spec));
  writeFileSync(path.join(boot, 'hosts'), hostsFile(spec));
  writeFileSync(
    path.join(boot, 'env'),
    Object.entries(spec.env)
      .map(([k, v]) => `${k}=${shq(v)}\n`)
      .join(''),
  );
  writeFileSync(path.join(boot, 'user-data'), spec.userData ?? Buffer.alloc(0), { mode: 0o600 });
  writeFileSync(path.join(spec.instanceDir, 'stage1.sh'), stage1(spec));
  const { child: keeper, fd: consoleFd } = await startConsoleKeeper(path.join(spec.instanceDir, 'console.log'));
  // Services open /proc/1/fd/1 to write on the console: the FIFO belongs to the instance's root.
  if (spec.idBase !== undefined) chownSync(path.join(spec.instanceDir, 'console.fifo'), spec.idBase, spec.idBase);
  try {
    for (const dir of spec.cgroups) writeFileSync(path.join(dir, 'cgroup.procs'), String(keeper.pid));
    // Its memory is bounded (64 KB): the OOM killer of the instance's cgroup takes one of the instance's processes.
    writeFileSync(`/proc/${keeper.pid}/oom_score_adj`, '-1000');
  } catch {
    // it ended already (its own problem shows in the console)
  }
  const keeperDone = new Promise<void>((resolve) => {
    if (keeper.exitCode !== null) resolve();
    else keeper.once('exit', () => resolve());
  });
  const child = spawn(
    'setpriv',
    [
      '--pdeathsig',
      'KILL',
      '--',
      'nsenter',
      `--net=/run/netns/${spec.netns}`,
      '--',
      'unshare',
      '--pid',
      '--fork',
      '--mount',
      '--uts',
      '--ipc',
      '--kill-child',
      '--',
      '/bin/sh',
      path.join(spec.instanceDir, 'stage1.sh'),
    ],
    {
      stdio: ['ignore', consoleFd, consoleFd],
      detached: true,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    },
  );
  // The daemon keeps no end of the pipe: the keeper ends when the sandbox's last process does.
  closeSync(consoleFd);
  let code: number | null | undefined;
  const sandboxDone = new Promise<number | null>((resolve) =>
    child.once('exit', (c, sig) => {
      code = c ?? (sig ? 128 : null);
      resolve(code);
    }),
  );
  // Exited = every process gone and the console written out (bounded: a process that kept the pipe open is killed).
  const exited = sandboxDone.then(async (c) => {
    const late = setTimeout(() => keeper.kill('SIGKILL'), 2000);
    await keeperDone;
    clearTimeout(late);
    return c;
  });
  return {
    instanceId: spec.instanceId,
    child,
    pid: child.pid ?? -1,
    exited,
    alive: () => code === undefined && child.exitCode === null && child.signalCode === null,
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
