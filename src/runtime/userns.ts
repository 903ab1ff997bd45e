import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { processAlive } from './pids.js';
import { run } from './sh.js';

/**
 * Root in an instance is not root on the host: every instance runs in a user namespace of its own whose ids 0…65535
 * are the host's `base`…`base + 65535`, a range no other running instance (of any cloud on the machine) has.
 *
 * - **The range** is claimed in `/run/halo/ids/<n>` (holding `<tag> <instance id> <daemon pid>`, base =
 *   ID_FIRST_BASE + n × 65536), found again by name (by the next daemon of the same cloud too), released when the
 *   instance halts; another cloud's claim whose daemon died is freed (`IdClaims`).
 * - **The namespaces.** The host makes the user namespace and, from inside it, the instance's network namespace (a
 *   short-lived perl process), writes the maps and bind-mounts the network namespace on `/run/netns/<name>` as
 *   `ip netns add` would: every host path that enters it by name works as before (the host's root has every
 *   capability over namespaces owned by a user namespace it made), and the instance's root has NET_ADMIN and NET_RAW
 *   over its own interfaces, routes and nft. The user namespace lives as long as its network namespace (which holds
 *   it); the sandbox finds it from there (NS_GET_USERNS) and enters it last, after its mounts and the pivot.
 * - **Files** stay stored with the ids the instance sees (0 for its root), in the image layers and in its root volume
 *   and EBS volumes alike; the sandbox's mounts of them are id-mapped (mount_setattr MOUNT_ATTR_IDMAP): the instance's
 *   file owned by 0 is owned by `base` on the host. So images, snapshots and volumes move between instances of
 *   different ranges unchanged. The mapping of those mounts also maps the stored id 65536 to the host's root, which
 *   the overlay's own bookkeeping (its work directory, whiteouts) is done as; inside the instance that id is unmapped.
 */

export const ID_RANGE = 65536;
/** 2^24: far above the ids of the host's users and of /etc/subuid's customary ranges (100000…). */
export const ID_FIRST_BASE = 1 << 24;
const MAX_ID_SLOTS = 4096;
export const IDS_DIR = '/run/halo/ids';

const readSafe = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

const readAsync = (file: string) => readFile(file, 'utf8').catch(() => '');

const slotFile = (slot: number) => path.join(IDS_DIR, String(slot));
const claimPrefix = (tag: string, instanceId?: string) => (instanceId ? `${tag} ${instanceId} ` : `${tag} `);

/**
 * One cloud's claims of id ranges (its runtime holds one). The claims are files shared by every cloud of the host;
 * they are all read once, at the cloud's first claim or release: its instances' claims left by a previous daemon are
 * known again, and those of ended processes of other clouds freed. After that it knows its own and the others' it
 * met, so a launch makes one file and a halt removes one (a launch among fifty once read fifty files).
 */
export class IdClaims {
  /** Instance id → slot (base = ID_FIRST_BASE + slot × ID_RANGE). */
  private readonly slots = new Map<string, number>();
  /**
   * Slots other clouds held at the last reading of every claim, or found held since (a launch tries the first slot
   * not known held: one file creation, no reading of the directory; one freed meanwhile is seen at the next reading).
   */
  private readonly othersClaims = new Set<number>();
  /** Slots being claimed now: launches at once each try a slot the others are not trying. */
  private readonly claiming = new Set<number>();
  private scanned?: Promise<void>;

  constructor(private readonly tag: string) {}

  /** The base of the instance's id range: its claim if it has one, else a new claim. */
  async claim(instanceId: string): Promise<number> {
    await (this.scanned ??= this.scan());
    const mine = `${this.tag} ${instanceId} ${process.pid}`;
    const own = this.slots.get(instanceId);
    if (own !== undefined) {
      await writeFile(slotFile(own), mine);
      return ID_FIRST_BASE + own * ID_RANGE;
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      const own = new Set(this.slots.values());
      for (let n = 0; n < MAX_ID_SLOTS; n++) {
        if (own.has(n) || this.othersClaims.has(n) || this.claiming.has(n)) continue;
        this.claiming.add(n);
        try {
          await writeFile(slotFile(n), mine, { flag: 'wx' });
          this.slots.set(instanceId, n);
          return ID_FIRST_BASE + n * ID_RANGE;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          // Claimed (by another cloud, since the last reading): the next one.
          this.othersClaims.add(n);
        } finally {
          this.claiming.delete(n);
        }
      }
      // None free: ended processes' claims are freed and every claim read again, then once more.
      await this.scan();
    }
    throw new Error("no free id range for an instance's user namespace");
  }

  /** Removes the instance's claim. */
  async release(instanceId: string): Promise<void> {
    await (this.scanned ??= this.scan());
    const slot = this.slots.get(instanceId);
    if (slot === undefined) return;
    this.slots.delete(instanceId);
    if ((await readAsync(slotFile(slot))).startsWith(claimPrefix(this.tag, instanceId))) await rm(slotFile(slot), { force: true });
  }

  /** Reads every claim: this cloud's are known, other clouds' of an ended process (a daemon killed with its instances) freed. */
  private async scan(): Promise<void> {
    await mkdir(IDS_DIR, { recursive: true });
    const names = await readdir(IDS_DIR);
    this.othersClaims.clear();
    await Promise.all(
      names.map(async (name) => {
        const held = await readAsync(path.join(IDS_DIR, name));
        const [tag, instanceId, pid] = held.split(' ');
        if (tag === this.tag && instanceId) this.slots.set(instanceId, Number(name));
        else if (Number(pid) && !processAlive(Number(pid))) {
          // Still the same claim (not removed and claimed again meanwhile by a launch that saw it ended too).
          if ((await readAsync(path.join(IDS_DIR, name))) === held) await rm(path.join(IDS_DIR, name), { force: true });
          else this.othersClaims.add(Number(name));
        } else this.othersClaims.add(Number(name));
      }),
    );
  }
}

/** Claims of a cloud's instances (all of them without instanceId). */
export function idClaimsOf(tag: string, instanceId?: string): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(IDS_DIR);
  } catch {
    return [];
  }
  const prefix = claimPrefix(tag, instanceId);
  return names.map((n) => path.join(IDS_DIR, n)).filter((f) => readSafe(f).startsWith(prefix));
}

/** Removes every claim of a cloud (cleanup: its daemon may be gone), read off the event loop. */
export async function releaseIdRanges(tag: string): Promise<void> {
  const prefix = claimPrefix(tag);
  const files = (await readdir(IDS_DIR).catch(() => [] as string[])).map((n) => path.join(IDS_DIR, n));
  await Promise.all(files.map(async (file) => ((await readAsync(file)).startsWith(prefix) ? rm(file, { force: true }) : undefined)));
}

/**
 * Python shared by the helpers that make id-mapped mounts (the sandbox's first stage, the EBS mount helper):
 * `idmap_userns(base)` makes the mapping (a user namespace whose only process ends at once; its file descriptor keeps
 * it), `idmap(dir, ns, detach)` replaces the mount at dir by an id-mapped copy (open_tree, mount_setattr, move_mount).
 */
export const IDMAP_PY = `
import ctypes, os, struct
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
def _sc(nr, *a):
    r = _libc.syscall(nr, *a)
    if r < 0:
        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))
    return r
def idmap_userns(base):
    r, w = os.pipe(); r2, w2 = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(w); os.close(r2)
        ok = _libc.unshare(0x10000000) == 0
        os.write(w2, b'1' if ok else b'0'); os.read(r, 1); os._exit(0)
    os.close(r); os.close(w2)
    try:
        if os.read(r2, 1) != b'1': raise OSError('unshare of a user namespace failed')
        # The child as /proc knows it (the sandbox's first stage runs in a PID namespace of its own, under the host's /proc).
        proc = '/proc/' + open('/proc/thread-self/children').read().split()[0]
        for f in ('uid_map', 'gid_map'):
            with open('%s/%s' % (proc, f), 'w') as fh: fh.write('0 %d ${ID_RANGE}\\n${ID_RANGE} 0 1\\n' % base)
        return os.open(proc + '/ns/user', os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(w); os.waitpid(pid, 0)
def idmap(d, ns, detach):
    t = _sc(428, -100, d.encode(), 1 | 0o2000000)
    attr = ctypes.create_string_buffer(struct.pack('QQQQ', 0x100000, 0, 0, ns))
    _sc(442, t, b'', 0x1000, attr, 32)
    if detach: _libc.umount2(d.encode(), 2)
    _sc(429, t, b'', -100, d.encode(), 4)
    os.close(t)
`;

/** `python3 -I -c IDMAP_MOUNTS <base> <dir>…`: each directory's mount (or subtree) replaced by an id-mapped one. */
export const IDMAP_MOUNTS = `${IDMAP_PY}
import sys
ns = idmap_userns(int(sys.argv[1]))
for d in sys.argv[2:]:
    idmap(d, ns, os.path.ismount(d))
`;

/**
 * Perl: `make_netns($file, $base)` makes an instance's network namespace, bound at `$file` (/run/netns/<name>) as
 * `ip netns add` would, with `route_localnet` set in it (replies from public addresses, 127/8, arrive on its eth0;
 * /proc/sys is read-only inside the sandbox); it dies on failure. With a base, the network namespace belongs to a user
 * namespace of ids base…base+65535: a child makes both namespaces, the caller writes the maps, binds the network
 * namespace, enters it for the sysctl and comes back, then lets the child end (the bind mount keeps the network
 * namespace, which keeps its user namespace). Perl without modules (x86_64 system call numbers: unshare 272, mount
 * 165, setns 308; O_CREAT 64, O_EXCL 128): it starts in a few milliseconds, python in tens. The console keeper runs
 * it too (console.ts), so that a launch starts no process for it.
 */
export const MAKE_NETNS_PERL = `
sub make_netns { my ($target, $base) = @_;
  my $userns = length($base) ? 0x10000000 : 0;
  pipe(my $r, my $w) or die "pipe: $!\\n"; pipe(my $r2, my $w2) or die "pipe: $!\\n";
  my $pid = fork() // die "fork: $!\\n";
  if ($pid == 0) {
    close $w; close $r2;
    my $ok = syscall(272, $userns | 0x40000000) == 0;
    syswrite $w2, $ok ? '1' : '0'; sysread $r, my $x, 1; exit 0;
  }
  close $r; close $w2;
  my $done = sub { close $w; waitpid $pid, 0; die $_[0] if defined $_[0]; };
  sysread $r2, my $ok, 1;
  $ok eq '1' or $done->("unshare of a network namespace failed\\n");
  if ($userns) {
    for my $f ('uid_map', 'gid_map') {
      open(my $fh, '>', "/proc/$pid/$f") or $done->("$f: $!\\n");
      print $fh "0 $base ${ID_RANGE}\\n"; close $fh or $done->("$f: $!\\n");
    }
  }
  mkdir '/run/netns';
  sysopen(my $t, $target, 64 | 128, 0) or $done->("$target: $!\\n"); close $t;
  if (syscall(165, "/proc/$pid/ns/net", $target, 0, 4096, 0) != 0) { my $e = "$!"; unlink $target; $done->("bind of the network namespace: $e\\n"); }
  sysopen(my $home, '/proc/self/ns/net', 0) or $done->("netns: $!\\n");
  sysopen(my $ns, "/proc/$pid/ns/net", 0) or $done->("netns: $!\\n");
  syscall(308, fileno($ns), 0x40000000) == 0 or $done->("setns: $!\\n");
  my $sysctl;
  my $set = open($sysctl, '>', '/proc/sys/net/ipv4/conf/all/route_localnet') && (print $sysctl "1\\n") && close($sysctl);
  my $e = "$!";
  syscall(308, fileno($home), 0x40000000) == 0 or $done->("setns back: $!\\n");
  $set or $done->("route_localnet: $e\\n");
  $done->();
}
`;

const INSTANCE_NETNS = `
use strict;
${MAKE_NETNS_PERL}
make_netns("/run/netns/$ARGV[0]", $ARGV[1]);
`;

/** The instance's network namespace (see above), owned by a user namespace of ids base…base+65535 when given. */
export async function addInstanceNetns(name: string, base?: number): Promise<void> {
  await run('/usr/bin/perl', ['-e', INSTANCE_NETNS, name, base === undefined ? '' : String(base)]);
}

/** The host id that is the instance's root (ids 0 of its uid_map), or undefined without a user namespace. */
export function idBaseOf(pid: number): number | undefined {
  const line = readSafe(`/proc/${pid}/uid_map`).trim().split('\n')[0]?.trim().split(/\s+/);
  if (!line || line[0] !== '0' || line[1] === '0') return undefined;
  return Number(line[1]);
}
