import { chownSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open, truncate } from 'node:fs/promises';
import path from 'node:path';
import { cloudTag } from './names.js';
import { CommandError, run } from './sh.js';
import { idBaseOf, IDMAP_MOUNTS, IDMAP_PY } from './userns.js';

/**
 * EBS data volumes on the host: a volume is a sparse file `$HALO_HOME/volumes/<vol-id>/disk.img`, a snapshot a
 * sparse copy of it under `$HALO_HOME/snapshots/<snap-id>/`. An attached volume of a running instance is that file on
 * a loop device, with device nodes made inside the instance's own /dev (never the host's). Loop devices are found
 * again by their backing file, so a crashed daemon's are found and removed by the next start of any cloud.
 */

/** A volume the instance should see: its file and the device name it was attached as (`/dev/sdf`). */
export interface DiskSpec {
  volumeId: string;
  file: string;
  device: string;
}

/** A volume on a loop device, with the names it has inside the instance. */
export interface BoundDisk extends DiskSpec {
  loop: string;
  major: number;
  minor: number;
  names: string[];
}

export const diskFile = (home: string, volumeId: string) => path.join(home, 'volumes', volumeId, 'disk.img');
export const snapshotDir = (home: string, snapshotId: string) => path.join(home, 'snapshots', snapshotId);

/** As Xen shows EBS devices to Linux: /dev/sdf is /dev/xvdf; the instance gets both names. */
export function deviceNames(device: string): string[] {
  const m = /^\/dev\/sd([a-z]{1,2}\d*)$/.exec(device);
  return m ? [device, `/dev/xvd${m[1]}`] : [device];
}

const GIB = 1024 ** 3;

/** A new, empty (sparse) volume of sizeGiB. */
export async function createDiskFile(file: string, sizeGiB: number): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  await (await open(file, 'a')).close();
  await truncate(file, sizeGiB * GIB);
}

/** A sparse copy (a reflink where the filesystem has them); grown to sizeGiB when that is larger. */
export async function copyDiskFile(from: string, to: string, sizeGiB?: number): Promise<void> {
  mkdirSync(path.dirname(to), { recursive: true });
  await run('cp', ['--sparse=always', '--reflink=auto', from, to], { timeoutMs: 0 });
  if (sizeGiB && statSync(to).size < sizeGiB * GIB) await truncate(to, sizeGiB * GIB);
}

/** A root volume's writable layer copied as a snapshot (overlay whiteouts and xattrs kept), in a directory of root's alone. */
export async function copyLayer(from: string, to: string): Promise<void> {
  mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
  await run('cp', ['-a', '--reflink=auto', from, to], { timeoutMs: 0 });
}

/** A volume made from a root volume's layer: an ext4 file system holding the layer's files. */
export async function diskFromLayer(layer: string, file: string, sizeGiB: number): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  await run('mkfs.ext4', ['-q', '-F', '-d', layer, file, `${sizeGiB * 1024}M`], { timeoutMs: 0 });
}

interface LoopInfo {
  name: string;
  backFile: string;
}

/**
 * Every bound loop device of the machine with its backing file (a deleted file's path without " (deleted)"), read
 * from /sys/block as `losetup --list` reads it, without starting a process.
 */
export function listLoops(): LoopInfo[] {
  let entries: string[];
  try {
    entries = readdirSync('/sys/block').filter((d) => /^loop\d+$/.test(d));
  } catch {
    return [];
  }
  const loops: LoopInfo[] = [];
  for (const dev of entries) {
    try {
      const backFile = readFileSync(`/sys/block/${dev}/loop/backing_file`, 'utf8')
        .replace(/\n$/, '')
        .replace(/ \(deleted\)$/, '');
      loops.push({ name: `/dev/${dev}`, backFile });
    } catch {
      // not bound
    }
  }
  return loops;
}

const VOLUME_FILE = /^(.*)\/volumes\/vol-[0-9a-f]+\/disk\.img$/;
const ROOT_VOLUME_FILE = /^(.*)\/volumes\/vol-[0-9a-f]+\/root\.img$/;

/** Loop devices whose backing file matches the pattern, its first group being the home of the cloud with this tag. */
export const loopsMatching = (tag: string, pattern: RegExp) =>
  listLoops()
    .filter((l) => {
      const m = pattern.exec(l.backFile);
      return !!m && cloudTag(m[1]) === tag;
    })
    .map((l) => l.name);

/** Loop devices whose backing file is an EBS data volume of the cloud with this tag. */
export function loopsOfCloud(tag: string): string[] {
  return loopsMatching(tag, VOLUME_FILE);
}

/** Loop devices of the cloud's root volumes (root-disk.ts: made by the sandboxes' mounts, freed when they end). */
export function rootLoopsOfCloud(tag: string): string[] {
  return loopsMatching(tag, ROOT_VOLUME_FILE);
}

/** Detaches loop devices (a device still in use is detached by the kernel when its last user closes it). */
export async function freeLoops(loops: string[]): Promise<void> {
  await Promise.all(loops.map((loop) => run('losetup', ['-d', loop], { allowFail: true })));
}

function loopsOf(file: string): string[] {
  return listLoops()
    .filter((l) => l.backFile === file)
    .map((l) => l.name);
}

/** Puts a volume's file on a loop device (the one it already has, if any). */
export async function bindDisk(spec: DiskSpec): Promise<BoundDisk> {
  const loop = loopsOf(spec.file)[0] ?? (await run('losetup', ['--find', '--show', spec.file])).stdout.trim();
  const rdev = statSync(loop).rdev;
  const major = (rdev >> 8) & 0xfff;
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  return { ...spec, loop, major, minor, names: deviceNames(spec.device) };
}

export async function unbindDisk(file: string): Promise<void> {
  await freeLoops(loopsOf(file));
}

/** Where a path inside a running sandbox is, seen from the host (through its init's root). */
const inside = (initPid: number, p: string) => `/proc/${initPid}/root${p}`;

/** Makes the volume's device nodes in a running sandbox's /dev (a tmpfs of its own), owned by the instance's root. */
export async function makeNodes(initPid: number, disk: BoundDisk): Promise<void> {
  const base = idBaseOf(initPid);
  for (const name of disk.names) {
    const node = inside(initPid, name);
    // rm first: whatever the instance put there (it cannot make device nodes itself) goes.
    rmSync(node, { force: true });
    await run('mknod', ['-m', '660', node, 'b', String(disk.major), String(disk.minor)]);
    if (base !== undefined) chownSync(node, base, base);
  }
}

export function removeNodes(initPid: number, names: string[]): void {
  for (const name of names) rmSync(inside(initPid, name), { force: true });
}

/** Mount points in the sandbox's mount namespace of the block device major:minor. */
export function mountsOf(initPid: number, major: number, minor: number): string[] {
  let text = '';
  try {
    text = readFileSync(`/proc/${initPid}/mountinfo`, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[2] === `${major}:${minor}`)
    .map((f) => f[4].replace(/\\040/g, ' '));
}

/**
 * Runs mount(2)/umount2(2) inside a sandbox's mount namespace from a host python process (its own binaries and
 * libraries loaded before entering), so no program of the instance ever runs with the host's capabilities. In an
 * instance with a user namespace, a mount is then replaced by its id-mapped copy (userns.ts), made before the chroot.
 */
const NS_HELPER = `${IDMAP_PY}
import ctypes, os, sys, json
libc = ctypes.CDLL('libc.so.6', use_errno=True)
req = json.loads(sys.argv[1])
idns = idmap_userns(req['base']) if req.get('base') is not None else None
fd = os.open('/proc/%d/ns/mnt' % req['pid'], os.O_RDONLY)
root = os.open('/proc/%d/root' % req['pid'], os.O_RDONLY | os.O_DIRECTORY)
if libc.setns(fd, 0) != 0: sys.exit('setns: ' + os.strerror(ctypes.get_errno()))
os.fchdir(root); os.chroot('.')
if req['op'] == 'umount':
    for t in req['targets']:
        libc.umount2(t.encode(), 2)
    sys.exit(0)
if req['op'] == 'umount-now':
    t = req['targets'][0]
    if libc.umount2(t.encode(), 0) != 0:
        e = ctypes.get_errno()
        sys.exit('umount: %s: %s.' % (t, 'target is busy' if e == 16 else os.strerror(e)))
    sys.exit(0)
flags = 0
names = {'ro': 1, 'nosuid': 2, 'nodev': 4, 'noexec': 8, 'sync': 16, 'dirsync': 128, 'noatime': 1024, 'nodiratime': 2048, 'relatime': 1 << 21,
         'strictatime': 1 << 24, 'lazytime': 1 << 25, 'rw': 0, 'suid': 0, 'dev': 0, 'exec': 0, 'async': 0, 'nolazytime': 0}
data = []
for o in req['options']:
    if o in names: flags |= names[o]
    else: data.append(o)
target = req['target']
if os.path.islink(target) or not os.path.isdir(target): sys.exit('mount point %s is not a directory' % target)
for fs in req['types']:
    if libc.mount(req['source'].encode(), target.encode(), fs.encode(), flags, ','.join(data).encode() or None) == 0:
        if idns is not None:
            try: idmap(target, idns, True)
            except OSError as e: libc.umount2(target.encode(), 2); sys.exit('mount: id mapping: ' + str(e))
        sys.exit(0)
    err = ctypes.get_errno()
sys.exit('mount: ' + os.strerror(err))
`;

const FS_TYPES = ['ext4', 'ext3', 'ext2', 'xfs', 'btrfs', 'vfat'];

export function allowedFsTypes(type: string): string[] | undefined {
  if (type === 'auto' || type === '') return FS_TYPES;
  return FS_TYPES.includes(type) ? [type] : undefined;
}

/** mount(8)'s own options, dropped before the kernel sees the rest. */
const USERSPACE_OPTION = /^(defaults|nofail|auto|noauto|x-.*|X-.*|_netdev|user|users|nouser|owner|group|comment=.*)$/;
/**
 * File system options an instance may ask for. An allowlist: the instance formats the file system the host's kernel
 * then mounts, so nothing like errors=panic.
 */
const SAFE_OPTION = new RegExp(
  '^(ro|rw|noatime|relatime|strictatime|nodiratime|lazytime|nolazytime|nosuid|suid|nodev|dev|noexec|exec|sync|async|dirsync' +
    '|discard|nodiscard|barrier|nobarrier|barrier=[01]|commit=\\d{1,5}|data=(ordered|writeback|journal)|errors=(remount-ro|continue)' +
    '|user_xattr|nouser_xattr|acl|noacl|delalloc|nodelalloc|noload|(uid|gid|umask|fmask|dmask)=\\d{1,10})$',
);

export function allowedOptions(options: string[]): string[] | undefined {
  const kept = options.filter((o) => !USERSPACE_OPTION.test(o));
  return kept.every((o) => SAFE_OPTION.test(o)) ? kept : undefined;
}

/** Mounts a device node of the sandbox (its path inside) at a directory inside it. */
export async function mountIn(initPid: number, source: string, target: string, types: string[], options: string[]): Promise<void> {
  const base = idBaseOf(initPid);
  await run(
    '/usr/bin/python3',
    ['-I', '-c', NS_HELPER, JSON.stringify({ op: 'mount', pid: initPid, source, target, types, options, base })],
    { timeoutMs: 0 },
  );
}

/**
 * Unmounts one mount point inside a sandbox now (not lazily); answers umount(8)'s message when it cannot (busy), by
 * the host's own helper, never a program of the instance.
 */
export async function unmountNow(initPid: number, target: string): Promise<string | undefined> {
  const r = await run('/usr/bin/python3', ['-I', '-c', NS_HELPER, JSON.stringify({ op: 'umount-now', pid: initPid, targets: [target] })], {
    allowFail: true,
  });
  return r.status === 0 ? undefined : r.stderr.trim() || `umount: ${target}: target is busy.`;
}

/** Lazily unmounts these mount points inside a sandbox. */
export async function unmountIn(initPid: number, targets: string[]): Promise<void> {
  if (!targets.length) return;
  await run('/usr/bin/python3', ['-I', '-c', NS_HELPER, JSON.stringify({ op: 'umount', pid: initPid, targets })], {
    allowFail: true,
    timeoutMs: 0,
  });
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The part of a sandbox's first stage (full capabilities, host binaries, before the pivot) that makes the attached
 * volumes' device nodes and mounts the instance's /etc/fstab entries that name one of them (by /dev path, UUID= or
 * LABEL=). Mount points must be real directories inside the root: no symlink, no `..`.
 */
export function stage1Disks(disks: BoundDisk[], idBase?: number): string {
  if (!disks.length) return '';
  const owned = (n: string) => (idBase === undefined ? '' : ` && chown ${idBase}:${idBase} "$R${n}"`);
  const nodes = disks.flatMap((d) => d.names.map((n) => `mknod -m 660 "$R${n}" b ${d.major} ${d.minor}${owned(n)}`));
  // In an instance with a user namespace, each mount is replaced by its id-mapped copy (userns.ts).
  const idmap = idBase === undefined ? 'true' : `/usr/bin/python3 -I -c ${shq(IDMAP_MOUNTS)} ${idBase} "$target"`;
  const byName = disks.flatMap((d) => d.names.map((n) => `    ${shq(n)}) echo ${shq(d.loop)} ;;`));
  const loops = disks.map((d) => shq(d.loop)).join(' ');
  return `${nodes.join('\n')}
# As probeTag: the device probed, never blkid's cache.
halo_tag() { blkid -p -o value -s "$1" "$2" 2>/dev/null; }
halo_loop_of() {
  case "$1" in
${byName.join('\n')}
    UUID=*|LABEL=*) k=\${1%%=*}; v=\${1#*=}; for l in ${loops}; do [ "$(halo_tag "$k" "$l")" = "$v" ] && { echo "$l"; return; }; done ;;
  esac
}
halo_dir_in_root() {
  case "$1" in /*) ;; *) return 1 ;; esac
  p="$R"; set -f; o=$IFS; IFS=/
  for c in \${1#/}; do
    [ -z "$c" ] && continue
    if [ "$c" = . ] || [ "$c" = .. ]; then IFS=$o; set +f; return 1; fi
    p="$p/$c"
    if [ -L "$p" ]; then IFS=$o; set +f; return 1; fi
  done
  IFS=$o; set +f
  [ -d "$p" ] && echo "$p"
}
halo_fstab() {
  [ -f "$R/etc/fstab" ] && [ ! -L "$R/etc" ] && [ ! -L "$R/etc/fstab" ] || return 0
  while read -r dev dir type opts rest; do
    case "$dev" in ''|\\#*) continue ;; esac
    l=$(halo_loop_of "$dev") || true
    [ -n "$l" ] || continue
    case ",$opts," in *,noauto,*) continue ;; esac
    case "$type" in ext2|ext3|ext4|xfs|btrfs|vfat) t="-t $type" ;; auto) t= ;; *) echo "[halo] /etc/fstab: $dev: file system type $type not mounted"; continue ;; esac
    keep=; bad=; o=$IFS; IFS=,
    for x in $opts; do
      case "$x" in defaults|nofail|auto|x-*|X-*|_netdev|user|users|nouser|owner|group|comment=*) ;;
        ro|rw|noatime|relatime|strictatime|nodiratime|lazytime|nolazytime|nosuid|suid|nodev|dev|noexec|exec|sync|async|dirsync) keep="$keep,$x" ;;
        discard|nodiscard|barrier|nobarrier|barrier=[01]|commit=[0-9]*|data=ordered|data=writeback|data=journal) keep="$keep,$x" ;;
        errors=remount-ro|errors=continue|user_xattr|nouser_xattr|acl|noacl|delalloc|nodelalloc|noload) keep="$keep,$x" ;;
        *) bad=1 ;; esac
    done
    IFS=$o
    # The instance wrote this file system: never let its superblock ask the host's kernel to panic on an error.
    case "$(halo_tag TYPE "$l")" in ext2|ext3|ext4) case "$keep," in *,errors=*) ;; *) keep="$keep,errors=remount-ro" ;; esac ;; esac
    if [ -n "$bad" ] || ! target=$(halo_dir_in_root "$dir"); then echo "[halo] /etc/fstab: $dev on $dir not mounted (mount point or options not allowed)"; continue; fi
    if mount -n $t -o "rw$keep" "$l" "$target"; then
      if ${idmap}; then echo "[halo] /etc/fstab: mounted $dev on $dir"
      else umount -l "$target"; echo "[halo] /etc/fstab: $dev on $dir not mounted (id mapping failed)"; fi
    else
      case ",$opts," in *,nofail,*) echo "[halo] /etc/fstab: mounting $dev on $dir failed (nofail)" ;;
        *) echo "[halo] /etc/fstab: mounting $dev on $dir failed: on EC2 this boot would stop here; halo boots on" ;; esac
    fi
  done < "$R/etc/fstab"
}
halo_fstab || true
`;
}

/**
 * A loop device's UUID, LABEL or TYPE, probed (-p) on the device itself, as `halo_tag` in stage1Disks: blkid's
 * host-wide cache keeps a loop device's old UUID for minutes after the loop number is reused for another volume, and
 * a UUID= line would then silently match nothing.
 */
async function probeTag(loop: string, tag: 'UUID' | 'LABEL' | 'TYPE'): Promise<string> {
  return (await run('blkid', ['-p', '-o', 'value', '-s', tag, loop], { allowFail: true })).stdout.trim();
}

export interface VolumeRequestResult {
  status: number;
  body: string;
}

async function diskFor(disks: BoundDisk[], device: string): Promise<BoundDisk | undefined> {
  const byName = disks.find((d) => d.names.includes(device));
  if (byName) return byName;
  const m = /^(UUID|LABEL)=(.+)$/.exec(device);
  if (!m) return undefined;
  const labels = await Promise.all(disks.map((d) => probeTag(d.loop, m[1] as 'UUID' | 'LABEL')));
  return disks.find((_, i) => labels[i] === m[2]);
}

/**
 * A `mount`/`umount` asked for by the instance itself (its wrappers call the metadata address): only its own attached
 * volumes, mounted by the host in the instance's mount namespace. 404 means "not an EBS volume of yours": the
 * wrapper then runs the image's own mount(8), which fails as it would without CAP_SYS_ADMIN.
 */
export async function volumeRequest(
  initPid: number,
  disks: BoundDisk[],
  route: string,
  params: URLSearchParams,
): Promise<VolumeRequestResult> {
  if (route === 'mount') {
    const device = params.get('device') ?? '';
    const dir = params.get('dir') ?? '';
    const disk = await diskFor(disks, device);
    if (!disk) return { status: 404, body: `${device} is not an EBS volume attached to this instance` };
    if (!dir.startsWith('/')) return { status: 400, body: `mount point ${dir} must be an absolute path` };
    const types = allowedFsTypes(params.get('type') ?? 'auto');
    if (!types) return { status: 400, body: `file system type ${params.get('type')} is not supported for EBS volumes here` };
    const options = allowedOptions((params.get('options') ?? '').split(',').filter(Boolean));
    if (!options) return { status: 400, body: `mount options ${params.get('options')} are not allowed` };
    // The instance wrote this file system: never let its superblock ask the host's kernel to panic on an error.
    const fsType = await probeTag(disk.loop, 'TYPE');
    if (/^ext[234]$/.test(fsType) && !options.some((o) => o.startsWith('errors='))) options.push('errors=remount-ro');
    try {
      await mountIn(initPid, disk.names[0], dir, types, options);
    } catch (err) {
      return { status: 400, body: err instanceof CommandError ? err.stderr.trim() : String(err) };
    }
    return { status: 200, body: `mounted ${device} on ${dir}` };
  }
  if (route === 'umount') {
    const target = params.get('target') ?? '';
    const disk = await diskFor(disks, target);
    const mounts = disks.flatMap((d) => mountsOf(initPid, d.major, d.minor).filter((m) => d === disk || m === target.replace(/\/+$/, '')));
    if (!mounts.length) return { status: 404, body: `${target} is not a mounted EBS volume of this instance` };
    await unmountIn(initPid, mounts);
    return { status: 200, body: `unmounted ${mounts.join(' ')}` };
  }
  return { status: 404, body: 'unknown request' };
}

/** mount(8) and umount(8) of the instance: EBS volumes through the host, anything else to the image's programs. */
export const MOUNT_WRAPPER = `#!/bin/sh
# halo: the instance has no CAP_SYS_ADMIN; its attached EBS volumes are mounted by the host on request.
real=/usr/bin/mount; [ -x "$real" ] || real=/bin/mount
ask() {
  out=$(curl -s -m 30 -w '\\n%{http_code}' -X POST --data-urlencode "device=$1" --data-urlencode "dir=$2" --data-urlencode "type=$3" \\
    --data-urlencode "options=$4" http://169.254.169.254/halo/mount) || return 2
  code=$(printf '%s\\n' "$out" | tail -n 1); msg=$(printf '%s\\n' "$out" | sed '$d')
  [ "$code" = 200 ] && return 0
  [ "$code" = 404 ] && return 1
  echo "mount: $msg" >&2; return 3
}
type=; opts=; all=
while getopts "t:o:afnrvw" o 2>/dev/null; do
  case $o in t) type=$OPTARG ;; o) opts=$OPTARG ;; a) all=1 ;; r) opts="ro\${opts:+,$opts}" ;; *) ;; esac
done
n=$((OPTIND - 1)); i=0; dev=; dir=
for a in "$@"; do i=$((i + 1)); [ $i -le $n ] && continue; if [ -z "$dev" ]; then dev=$a; else dir=$a; fi; done
if [ -n "$all" ]; then
  rc=0
  while read -r fdev fdir ftype fopts rest; do
    case "$fdev" in ''|\\#*) continue ;; esac
    case ",$fopts," in *,noauto,*) continue ;; esac
    mountpoint -q "$fdir" 2>/dev/null && continue
    ask "$fdev" "$fdir" "$ftype" "$fopts"; r=$?
    [ $r -eq 3 ] && rc=32
  done < /etc/fstab
  exit $rc
fi
if [ -n "$dev" ] && [ -z "$dir" ]; then
  line=$(awk -v x="$dev" '$1 !~ /^#/ && ($1 == x || $2 == x) { print; exit }' /etc/fstab 2>/dev/null)
  if [ -n "$line" ]; then
    field() { echo "$line" | awk -v n="$1" '{ print $n }'; }
    dev=$(field 1); dir=$(field 2)
    [ -n "$type" ] || type=$(field 3)
    [ -n "$opts" ] || opts=$(field 4)
  fi
fi
if [ -n "$dev" ] && [ -n "$dir" ]; then
  ask "$dev" "$dir" "\${type:-auto}" "$opts"; r=$?
  [ $r -eq 0 ] && exit 0
  [ $r -eq 3 ] && exit 32
fi
exec "$real" "$@"
`;

export const UMOUNT_WRAPPER = `#!/bin/sh
# halo: unmounts of the instance's EBS volumes are done by the host (lazily); anything else goes to umount(8).
real=/usr/bin/umount; [ -x "$real" ] || real=/bin/umount
for a in "$@"; do case "$a" in -*) ;; *) target=$a ;; esac; done
if [ -n "$target" ]; then
  code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -X POST --data-urlencode "target=$target" http://169.254.169.254/halo/umount)
  [ "$code" = 200 ] && exit 0
fi
exec "$real" "$@"
`;
