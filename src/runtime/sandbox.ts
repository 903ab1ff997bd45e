import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CFN_HELPERS_INIT, writeCfnHelpers } from './cfn-helpers.js';
import { keeperCommand, makeConsoleFifo } from './console.js';
import { ROOT_DISK_OPTIONS } from './root-disk.js';
import { run, startConsoleAndSandbox } from './sh.js';
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
  /** Where the first stage sets itself up, when not in `cgroups` (limits.ts `setUpCgroups`); then `setUpDone`. */
  setUpCgroups?: string[];
  /** Shell lines the first stage runs last on the host's side, before the pivot (limits.ts `joinCpuCgroupCommand`). */
  setUpDone?: string;
  /**
   * The host id of the instance's root (userns.ts): its network namespace belongs to a user namespace mapping 0…65535
   * to idBase…, which the first stage enters last; its file systems are mounted id-mapped. Without it, no user
   * namespace (root inside is the host's root).
   */
  idBase?: number;
}

export interface Sandbox {
  instanceId: string;
  /** The host pid of its first process (setpriv, then nsenter, then unshare). */
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

/** The host tools with their libraries (ldd), and the name of their loader: looked up once per process. */
interface HostTools {
  files: string[];
  loader: string;
}
let hostTools: Promise<HostTools> | undefined;

function hostToolFiles(): Promise<HostTools> {
  hostTools ??= run('ldd', HOST_TOOLS).then(({ stdout }) => {
    const libs = [...new Set(stdout.match(/\/\S*[.]so\S*/g) ?? [])].sort();
    const loader = libs.find((l) => l.includes('ld-linux'));
    if (!loader) throw new Error(`ldd named no loader for ${HOST_TOOLS.join(' ')}`);
    return { files: [...HOST_TOOLS, ...libs], loader: path.basename(loader) };
  });
  hostTools.catch(() => {
    hostTools = undefined;
  });
  return hostTools;
}

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

/** A path as a line of fstab writes it (mount -a -T): blanks and backslashes as octal escapes. */
const fstabEscape = (p: string) => p.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

/** Host device nodes bound into the instance's /dev. */
const DEV_NODES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

/** The first stage runs with the host's /bin/sh inside the new namespaces: mounts the root and pivots into it. */
function stage1(spec: BootSpec, tools: HostTools): string {
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
  // With HALO_TRACE set, a console line per step until the pivot (the bench lines them up with the daemon's).
  const mark = (what: string) => (process.env.HALO_TRACE ? `echo "[halo trace] stage1 ${what} $(date +%s%N)"\n` : '');
  return `set -e
${mark('start')}for d in ${(spec.setUpCgroups ?? spec.cgroups).map(shq).join(' ')}; do echo 0 > "$d/cgroup.procs"; done
# The instance's PID 1 (tini) is never the OOM killer's choice, as init is not on a machine. Lowering the score needs
# CAP_SYS_RESOURCE, which the daemon may lack: then tini keeps 0 and the init script raises what it starts (see INIT).
echo -1000 2>/dev/null > /proc/self/oom_score_adj || true
R=${shq(root)}
D=${shq(disk)}
mount -t ext4 -o loop,${ROOT_DISK_OPTIONS} ${shq(spec.rootDisk)} "$D"
mkdir -p "$D/upper" "$D/work"
${mark('root volume mounted')}${idmapMounts}${mark('id-mapped')}mount -t overlay halo-root -o ${shq(`lowerdir=${spec.layers.join(':')},upperdir=${disk}/upper,workdir=${disk}/work`)} "$R"
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
# Mounts of one step at once: a table (fstab lines, paths escaped as fstab wants them) read by one mount process.
T=${shq(path.join(spec.instanceDir, 'stage1.fstab'))}
RT=${shq(fstabEscape(root))}
tab() { printf '%s\\n' "$@" > "$T"; mount -a -T "$T"; }
P=
for d in ${PROC_READ_ONLY.join(' ')}; do if [ -d "$R/proc/$d" ]; then P="$P$RT/proc/$d $RT/proc/$d none bind,ro,nosuid,nodev,noexec 0 0
"; fi; done
for f in ${PROC_MASKED_FILES.join(' ')}; do if [ -f "$R/proc/$f" ]; then P="$P/dev/null $RT/proc/$f none bind 0 0
"; fi; done
for d in ${PROC_MASKED_DIRS.join(' ')}; do if [ -d "$R/proc/$d" ]; then P="\${P}halo-masked $RT/proc/$d tmpfs ro,nosuid,nodev,noexec,size=0 0 0
"; fi; done
tab "$P"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys" 2>/dev/null || true
${mark('overlay and /proc')}mount -t tmpfs -o nosuid,mode=755,size=65536k${owner} halo-dev "$R/dev"
touch ${DEV_NODES.map((d) => `"$R/dev/${d}"`).join(' ')}
mkdir -p "$R/dev/pts" "$R/dev/shm"
tab ${DEV_NODES.map((d) => `"/dev/${d} $RT/dev/${d} none bind 0 0"`).join(' ')} \\
  "devpts $RT/dev/pts devpts newinstance,ptmxmode=0666,mode=620 0 0" "halo-shm $RT/dev/shm tmpfs nosuid,nodev,mode=1777${owner} 0 0"
ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
${stage1Disks(spec.disks ?? [], base)}mount -t tmpfs -o nosuid,nodev,mode=755${owner} halo-run "$R/run"
mkdir -p "$R/run/halo" "$R/run/lock" "$R/run/systemd/system"
cp -a ${shq(boot)}/. "$R/run/halo/"
${chownToInstance('"$R/run/halo" "$R/run/lock" "$R/run/systemd"')}hostname ${shq(spec.hostname)}
${mark('/dev and /run')}
# After the pivot, only the host's own programs may run with every capability (the instance could have replaced its
# /usr/bin/umount or setpriv): copies with their loader and libraries, in a tmpfs nothing of the instance ran in yet.
H=/run/halo/.host
mkdir -p "$R$H"
cp -L ${tools.files.map(shq).join(' ')} "$R$H/"
LD="$H/${tools.loader}"
host() { t=$1; shift; "$LD" --library-path "$H" "$H/$t" "$@"; }
${mark('host tools copied')}${spec.setUpDone ?? ''}cd "$R"
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
# The run-once marker is synced alone (a bare sync would wait for every file system of the host).
PER_BOOT=/var/lib/cloud/scripts/per-boot
if [ -n "$USER_DATA" ] || [ -n "$(ls -A $PER_BOOT 2>/dev/null)" ]; then
  ( cd /; oom_child; while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = 0 ]; do sleep 0.05; done
    for s in $PER_BOOT/*; do
      [ -f "$s" ] && [ -x "$s" ] || continue
      log "running per-boot script $s"; "$s"; log "per-boot script $s exited with status $?"
    done
    [ -n "$USER_DATA" ] && { echo "$HALO_INSTANCE_ID" > $DONE; sync $DONE /var/lib/halo; $USER_DATA; log "user data exited with status $?"; } ) &
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
    Object.entries({ ...spec.env, ...(process.env.HALO_TRACE ? { HALO_TRACE: '1' } : {}) })
      .map(([k, v]) => `${k}=${shq(v)}\n`)
      .join(''),
  );
  writeFileSync(path.join(boot, 'user-data'), spec.userData ?? Buffer.alloc(0), { mode: 0o600 });
  writeFileSync(path.join(spec.instanceDir, 'stage1.sh'), stage1(spec, await hostToolFiles()));
  const consoleFile = path.join(spec.instanceDir, 'console.log');
  const fifo = await makeConsoleFifo(consoleFile, spec.idBase);
  // Started by the host command runner, not by the daemon (a fork would stop its event loop).
  const { keeper, sandbox } = await startConsoleAndSandbox({
    fifo,
    keeper: keeperCommand(consoleFile),
    keeperCgroups: spec.cgroups,
    sandbox: {
      ...sandboxCommand(spec.netns, ['/bin/sh', path.join(spec.instanceDir, 'stage1.sh')]),
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    },
  });
  let code: number | null | undefined;
  // Exited = every process gone and the console written out (bounded: a process that kept the pipe open is killed).
  const exited = sandbox.exited.then(async (c) => {
    code = c;
    const late = setTimeout(() => {
      try {
        process.kill(keeper.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }, 2000);
    await keeper.exited;
    clearTimeout(late);
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

/**
 * The command that starts a sandbox in a network namespace: its own PID, mount, UTS and IPC namespaces, killed with
 * its parent (the runner) and taking every process in it along when its first one ends. The bench's floor runs it too.
 */
export function sandboxCommand(netns: string, command: string[]): { cmd: string; args: string[] } {
  return {
    cmd: 'setpriv',
    args: [
      '--pdeathsig',
      'KILL',
      '--',
      'nsenter',
      `--net=/run/netns/${netns}`,
      '--',
      'unshare',
      '--pid',
      '--fork',
      '--mount',
      '--uts',
      '--ipc',
      '--kill-child',
      '--',
      ...command,
    ],
  };
}
