import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from './pids.js';
import { API_PORT_IN_INSTANCE, IMDS_ADDRESS } from './names.js';
import { CommandError, run, runAsync } from './sh.js';

/**
 * Images are plain root filesystem directories, used read-only as overlayfs lower layers. The default image is a
 * Debian 12 (bookworm) minbase made by debootstrap from the machine's Debian mirror, built once per cache
 * directory: `$HALO_IMAGE_CACHE` when set (tests and CI share /var/cache/halo-images), else `$HALO_HOME/images`.
 * `halo image build` adds package layers on it (`ensurePackageLayer`): cache entries `<default entry>-layer-<hash>`
 * holding `layer/` (an overlay upper directory), `image.json` and `ready`, stacked on the default image's `rootfs/`.
 */
export const DEFAULT_PACKAGES = [
  'curl',
  'wget',
  'python3',
  'systemctl',
  'iproute2',
  'ca-certificates',
  'tini',
  'procps',
  'awscli',
  'python3-cffi-backend',
  'less',
];
/** Bump when the customisation below changes: a new directory is built. */
const CUSTOMISATION_VERSION = 2;

/**
 * setpriv's arguments that run a build step in private mount and PID namespaces: its mounts never reach the host,
 * even when the build is killed, and no process it starts outlives it.
 */
const ISOLATED = ['--pdeathsig', 'KILL', '--', 'unshare', '--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', '--'];

export function imageCacheDir(home: string): string {
  return path.resolve(process.env.HALO_IMAGE_CACHE || path.join(home, 'images'));
}

export function debianMirror(): string {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const uri = /^URIs:\s*(\S+\/debian)\s*$/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s+bookworm/m.exec(text)?.[1];
    if (uri) return uri;
  }
  return 'http://deb.debian.org/debian';
}

/** The directory name of an image with these extra packages. */
export function imageKey(name: string, packages: string[]): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([CUSTOMISATION_VERSION, [...packages].sort()]))
    .digest('hex')
    .slice(0, 10);
  return `${name}-${hash}`;
}

export function defaultImageDir(cache: string): string {
  return path.join(cache, imageKey('debian12', DEFAULT_PACKAGES), 'rootfs');
}

export function imageReady(rootfs: string): boolean {
  return existsSync(path.join(path.dirname(rootfs), 'ready'));
}

/**
 * Runs `build` once per cache entry `dir`: concurrent builders (other processes too) wait on the lock directory
 * `<dir>.lock`; a lock whose holder died is taken over, and the half-made `<dir>.build-*` directories of dead
 * builders are removed before building.
 */
async function onceInCache<T>(dir: string, ready: () => T | undefined, build: (work: string) => Promise<T>): Promise<T> {
  const done = ready();
  if (done !== undefined) return done;
  mkdirSync(path.dirname(dir), { recursive: true });
  const lock = `${dir}.lock`;
  for (;;) {
    const now = ready();
    if (now !== undefined) return now;
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      const holder = Number(readFileSafe(path.join(lock, 'pid')));
      if (holder && !processAlive(holder)) rmSync(lock, { recursive: true, force: true });
      else await sleep(1000);
    }
  }
  const work = `${dir}.build-${process.pid}`;
  try {
    const now = ready();
    if (now !== undefined) return now;
    for (const stale of readdirSync(path.dirname(dir)).filter((f) => f.startsWith(`${path.basename(dir)}.build-`))) {
      removeBuildDir(path.join(path.dirname(dir), stale));
    }
    mkdirSync(work, { recursive: true });
    return await build(work);
  } finally {
    removeBuildDir(work);
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Removes a build directory, refusing if anything is mounted under it in this mount namespace (never the case). */
function removeBuildDir(dir: string): void {
  const mounted = readFileSafe('/proc/self/mountinfo')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
  if (mounted.length) throw new Error(`refusing to remove ${dir}: ${mounted.join(', ')} mounted on the host`);
  rmSync(dir, { recursive: true, force: true });
}

/** Builds (once) an image with the default packages and `extra`; concurrent builders wait for one another. */
export async function ensureImage(
  cache: string,
  name = 'debian12',
  extra: string[] = [],
  log: (line: string) => void = () => {},
): Promise<string> {
  const packages = [...new Set([...DEFAULT_PACKAGES, ...extra])];
  const dir = path.join(cache, imageKey(name, packages));
  const rootfs = path.join(dir, 'rootfs');
  return onceInCache(
    dir,
    () => (imageReady(rootfs) ? rootfs : undefined),
    async (work) => {
      log(`building image ${name} with debootstrap (${packages.join(', ')}) from ${debianMirror()}`);
      await runAsync(
        'setpriv',
        [
          ...ISOLATED,
          'debootstrap',
          '--variant=minbase',
          `--include=${packages.join(',')}`,
          'bookworm',
          path.join(work, 'rootfs'),
          debianMirror(),
        ],
        {
          onOutput: (chunk) => {
            for (const line of chunk.split('\n')) if (line.startsWith('I: Retrieving') || line.startsWith('E:')) log(line);
          },
          timeoutMs: 30 * 60_000,
        },
      );
      await customise(path.join(work, 'rootfs'));
      rmSync(dir, { recursive: true, force: true });
      renameSync(work, dir);
      writeFileSync(path.join(dir, 'ready'), `${new Date().toISOString()}\n${packages.join(' ')}\n`);
      log(`image ready: ${rootfs}`);
      return rootfs;
    },
  );
}

/** Bump when the way layers are built changes: new layers are built beside the old ones. */
const LAYER_VERSION = 1;

/** A Debian package name (policy: lower case letters, digits, + - .; at least two characters, alphanumeric first). */
export const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;

/** What a layer's `image.json` says. */
export interface LayerManifest {
  kind: 'layer';
  /** The cache entry (directory name) of the image below, whose `rootfs` is the lower layer. */
  base: string;
  /** The packages asked for, sorted. */
  packages: string[];
  /** Installed versions of the packages asked for (`name version`). */
  versions: string[];
  builtAt: string;
}

/** A built image as overlay layers (top first), with what it holds. */
export interface BuiltImage {
  /** The cache entry's directory. */
  dir: string;
  /** Host directories, top first (overlay lower layers). */
  layers: string[];
  packages: string[];
  versions: string[];
  /** True when the cache already had it. */
  reused: boolean;
}

/** The cache entry of a layer of `packages` on the default image: keyed by the default image's entry and the packages. */
export function layerKey(packages: string[]): string {
  const base = imageKey('debian12', DEFAULT_PACKAGES);
  const wanted = [...new Set(packages)].sort();
  const hash = createHash('sha256')
    .update(JSON.stringify([LAYER_VERSION, base, wanted]))
    .digest('hex')
    .slice(0, 10);
  return `${base}-layer-${hash}`;
}

/**
 * Reads a built image from its cache entry: a layer (`image.json` + `layer/`, stacked on its base's `rootfs`), or
 * a whole root filesystem (`rootfs/`). Undefined when the entry is not complete (no `ready` marker) or its base is gone.
 */
export function readBuiltImage(dir: string): BuiltImage | undefined {
  if (!existsSync(path.join(dir, 'ready'))) return undefined;
  const manifestFile = path.join(dir, 'image.json');
  if (!existsSync(manifestFile)) {
    const rootfs = path.join(dir, 'rootfs');
    if (!existsSync(rootfs)) return undefined;
    const packages = (readFileSafe(path.join(dir, 'ready')).split('\n')[1] ?? '').split(' ').filter(Boolean);
    return { dir, layers: [rootfs], packages, versions: [], reused: true };
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as LayerManifest;
  const base = path.join(path.dirname(dir), manifest.base, 'rootfs');
  if (!imageReady(base)) return undefined;
  return { dir, layers: [path.join(dir, 'layer'), base], packages: manifest.packages, versions: manifest.versions, reused: true };
}

/** Every complete image of a cache directory, by entry name. */
export function listBuiltImages(cache: string): Array<BuiltImage & { key: string; builtAt: string }> {
  if (!existsSync(cache)) return [];
  return readdirSync(cache)
    .sort()
    .flatMap((key) => {
      const dir = path.join(cache, key);
      if (!statSync(dir).isDirectory()) return [];
      const image = readBuiltImage(dir);
      if (!image) return [];
      return [{ ...image, key, builtAt: (readFileSafe(path.join(dir, 'ready')).split('\n')[0] ?? '').trim() }];
    });
}

/** A failure of apt inside the layer build, with apt's own error lines. */
export class PackageInstallError extends Error {}

/**
 * Builds (once per cache) a layer with `packages` installed on top of the default image (which is built first if
 * needed): the default image's root filesystem read-only under a fresh overlay upper directory, `apt-get update`
 * and `apt-get install --no-install-recommends` chrooted in it, apt's downloads and lists removed, and the upper
 * directory (whiteouts included) kept as the layer. The build runs in its own mount and PID namespaces: its mounts
 * never appear on the host and no process it started outlives it. On failure nothing is left in the cache.
 */
export async function ensurePackageLayer(cache: string, packages: string[], log: (line: string) => void = () => {}): Promise<BuiltImage> {
  const wanted = [...new Set(packages)].sort();
  if (!wanted.length) throw new Error('a layer needs at least one package');
  for (const p of wanted) if (!DEBIAN_PACKAGE.test(p)) throw new PackageInstallError(`not a Debian package name: '${p}'`);
  const base = await ensureImage(cache, 'debian12', [], log);
  const dir = path.join(cache, layerKey(wanted));
  let reused = true;
  const image = await onceInCache(
    dir,
    () => readBuiltImage(dir),
    async (work) => {
      reused = false;
      log(`building a layer with ${wanted.join(', ')} on ${base}`);
      const versions = await installInOverlay(base, work, wanted, log);
      for (const d of ['ovl-work', 'root']) rmSync(path.join(work, d), { recursive: true, force: true });
      const manifest: LayerManifest = {
        kind: 'layer',
        base: path.basename(path.dirname(base)),
        packages: wanted,
        versions,
        builtAt: new Date().toISOString(),
      };
      writeFileSync(path.join(work, 'image.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      rmSync(dir, { recursive: true, force: true });
      renameSync(work, dir);
      writeFileSync(path.join(dir, 'ready'), `${manifest.builtAt}\n${wanted.join(' ')}\n`);
      const built = readBuiltImage(dir);
      if (!built) throw new Error(`the layer ${dir} is not readable after its build`);
      log(
        `layer ready: ${path.join(dir, 'layer')} (${(await run('du', ['-sh', path.join(dir, 'layer')], { allowFail: true })).stdout.split('\t')[0] || '?'})`,
      );
      return built;
    },
  );
  return { ...image, reused };
}

/** Runs apt in a chroot of an overlay (`base` below, `<work>/layer` as upper); returns `name version` of `packages`. */
async function installInOverlay(base: string, work: string, packages: string[], log: (line: string) => void): Promise<string[]> {
  const upper = path.join(work, 'layer');
  const root = path.join(work, 'root');
  for (const d of [upper, path.join(work, 'ovl-work'), root]) mkdirSync(d, { recursive: true });
  // apt options of this machine that a snapshot mirror needs (dates of Release files); not written into the image.
  const aptOptions =
    '-o Acquire::Check-Valid-Until=false -o Acquire::Check-Date=false -o APT::Sandbox::User=root -o Acquire::Languages=none -q';
  const script = `set -eu
R=${shq(root)}
mount -t overlay halo-image-build -o ${shq(`lowerdir=${base},upperdir=${upper},workdir=${path.join(work, 'ovl-work')}`)} "$R"
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=755,size=8m halo-dev "$R/dev"
for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  mknod -m 666 "$R/dev/\${n%%:*}" c $(echo "$n" | cut -d: -f2) $(echo "$n" | cut -d: -f3)
done
mkdir "$R/dev/pts" && mount -t devpts -o newinstance,ptmxmode=0666,mode=620 halo-devpts "$R/dev/pts" && ln -s pts/ptmx "$R/dev/ptmx"
ln -s /proc/self/fd "$R/dev/fd"; ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o mode=1777 halo-tmp "$R/tmp"
mount -t tmpfs -o mode=755 halo-run "$R/run"
# The image has no DNS (instances reach only the cloud); the build resolves the mirror as the host does.
mount --bind /etc/resolv.conf "$R/etc/resolv.conf"
# No service starts while packages are installed.
printf '#!/bin/sh\\nexit 101\\n' > "$R/usr/sbin/policy-rc.d"; chmod 755 "$R/usr/sbin/policy-rc.d"
set +e
chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive /bin/sh -c '
  apt-get ${aptOptions} update && apt-get ${aptOptions} install --no-install-recommends -y -- "$@"' halo-apt ${packages.map(shq).join(' ')}
status=$?
set -e
rm -f "$R/usr/sbin/policy-rc.d"
if [ $status -eq 0 ]; then
  chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /bin/sh -c '
    dpkg-query -W -f "halo-version \\\${Package} \\\${Version}\\n" -- "$@" 2>/dev/null
    apt-get clean; rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old /var/lib/dpkg/*-old /var/log/apt/eipp.log.xz' halo-clean ${packages.map(shq).join(' ')} || true
fi
exit $status
`;
  const errors: string[] = [];
  let tail = '';
  const result = await runAsync('setpriv', [...ISOLATED, '/bin/sh', '-c', script], {
    allowFail: true,
    timeoutMs: 30 * 60_000,
    onOutput: (chunk) => {
      const lines = (tail + chunk).split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) {
        if (/^(E|W): /.test(line)) errors.push(line);
        if (/^(Get:|Setting up |E: |Unpacking )/.test(line)) log(line);
      }
    },
  });
  if (tail && /^(E|W): /.test(tail)) errors.push(tail);
  if (result.status !== 0) {
    const apt = errors.filter((e) => e.startsWith('E: '));
    if (apt.length) throw new PackageInstallError(`apt-get could not install ${packages.join(', ')}: ${apt.join(' ')}`);
    throw new Error(
      `the layer build failed (${result.status ?? 'killed'}): ${(result.stderr || result.stdout).trim().split('\n').slice(-8).join(' | ')}`,
    );
  }
  return result.stdout
    .split('\n')
    .filter((l) => l.startsWith('halo-version '))
    .map((l) => l.slice('halo-version '.length).trim());
}

function shq(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** What halo adds to a debootstrapped root: the aws CLI wrapper that finds the cloud, no apt caches. */
async function customise(rootfs: string): Promise<void> {
  const wrapper = path.join(rootfs, 'usr/local/bin/aws');
  mkdirSync(path.dirname(wrapper), { recursive: true });
  writeFileSync(
    wrapper,
    `#!/bin/sh
# halo: the aws CLI of this instance talks to the local cloud. Debian's aws CLI 2.9 ignores AWS_ENDPOINT_URL and
# endpoint_url, so this wrapper gives --endpoint-url (unless the caller does). ${IMDS_ADDRESS}:${API_PORT_IN_INSTANCE}
# is forwarded by the host to the cloud's API; the region comes from /run/halo/env, written at boot.
if [ -z "$AWS_DEFAULT_REGION" ] && [ -z "$AWS_REGION" ] && [ -r /run/halo/env ]; then . /run/halo/env; export AWS_DEFAULT_REGION; fi
for a in "$@"; do case "$a" in --endpoint-url|--endpoint-url=*) exec /usr/bin/aws "$@";; esac; done
exec /usr/bin/aws --endpoint-url "\${HALO_ENDPOINT_URL:-http://${IMDS_ADDRESS}:${API_PORT_IN_INSTANCE}}" "$@"
`,
  );
  chmodSync(wrapper, 0o755);
  writeFileSync(path.join(rootfs, 'etc/resolv.conf'), '# halo: no DNS; instances reach only the local cloud\n');
  mkdirSync(path.join(rootfs, 'etc/halo'), { recursive: true });
  writeFileSync(
    path.join(rootfs, 'etc/halo/README'),
    'This root filesystem is a halo image. /run/halo holds the boot files of this instance.\n',
  );
  // The one service Debian enables here reaps e2scrub's LVM snapshots, which an instance has none of; without it the
  // image boots with no service to start, and its init does not start systemctl at all (sandbox.ts INIT).
  rmSync(path.join(rootfs, 'etc/systemd/system/multi-user.target.wants/e2scrub_reap.service'), { force: true });
  await run('sh', ['-c', `rm -rf '${rootfs}'/var/cache/apt/archives/*.deb '${rootfs}'/var/lib/apt/lists/*`], { allowFail: true });
}

/**
 * Copies a directory tree preserving owners, modes, xattrs and special files (for image layers). With `live`, the
 * tree belongs to a running instance (an image made without reboot): a file it removes while the copy runs is left
 * out, as a crash-consistent copy would; any other error fails the copy.
 */
export async function copyTree(from: string, to: string, opts: { live?: boolean } = {}): Promise<void> {
  mkdirSync(path.dirname(to), { recursive: true });
  const args = ['-a', '--reflink=auto', from, to];
  const r = await run('cp', args, { timeoutMs: 10 * 60_000, allowFail: opts.live });
  if (r.status === 0 || !opts.live) return;
  const errors = r.stderr.split('\n').filter((line) => line.trim() && !/No such file or directory$/.test(line));
  if (r.status === null || errors.length > 0) throw new CommandError(`cp ${args.join(' ')}`, r.status, r.stderr);
}
