import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../daemon/home.js';
import { API_PORT_IN_INSTANCE, IMDS_ADDRESS } from './names.js';
import { run, runAsync } from './sh.js';

/**
 * Images are plain root filesystem directories, used read-only as overlayfs lower layers. The default image is a
 * Debian 12 (bookworm) minbase made by debootstrap from the machine's Debian mirror, built once per cache
 * directory: `$HALO_IMAGE_CACHE` when set (tests and CI share /var/cache/halo-images), else `$HALO_HOME/images`.
 */
export const DEFAULT_PACKAGES = ['curl', 'wget', 'python3', 'systemctl', 'iproute2', 'ca-certificates', 'tini', 'procps', 'awscli', 'python3-cffi-backend', 'less'];
/** Bump when the customisation below changes: a new directory is built. */
const CUSTOMISATION_VERSION = 1;

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
  const hash = createHash('sha256').update(JSON.stringify([CUSTOMISATION_VERSION, [...packages].sort()])).digest('hex').slice(0, 10);
  return `${name}-${hash}`;
}

export function defaultImageDir(cache: string): string {
  return path.join(cache, imageKey('debian12', DEFAULT_PACKAGES), 'rootfs');
}

export function imageReady(rootfs: string): boolean {
  return existsSync(path.join(path.dirname(rootfs), 'ready'));
}

/** Builds (once) an image with the default packages and `extra`; concurrent builders wait for one another. */
export async function ensureImage(cache: string, name = 'debian12', extra: string[] = [], log: (line: string) => void = () => {}): Promise<string> {
  const packages = [...new Set([...DEFAULT_PACKAGES, ...extra])];
  const dir = path.join(cache, imageKey(name, packages));
  const rootfs = path.join(dir, 'rootfs');
  if (imageReady(rootfs)) return rootfs;
  mkdirSync(cache, { recursive: true });
  const lock = `${dir}.lock`;
  for (;;) {
    if (imageReady(rootfs)) return rootfs;
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
  try {
    if (imageReady(rootfs)) return rootfs;
    const work = `${dir}.build-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    log(`building image ${name} with debootstrap (${packages.join(', ')}) from ${debianMirror()}`);
    await runAsync('setpriv', ['--pdeathsig', 'KILL', '--', 'debootstrap', '--variant=minbase', `--include=${packages.join(',')}`, 'bookworm', path.join(work, 'rootfs'), debianMirror()], {
      onOutput: (chunk) => { for (const line of chunk.split('\n')) if (line.startsWith('I: Retrieving') || line.startsWith('E:')) log(line); },
      timeoutMs: 30 * 60_000,
    });
    customise(path.join(work, 'rootfs'));
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
    writeFileSync(path.join(dir, 'ready'), `${new Date().toISOString()}\n${packages.join(' ')}\n`);
    log(`image ready: ${rootfs}`);
    return rootfs;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** What halo adds to a debootstrapped root: the aws CLI wrapper that finds the cloud, no apt caches. */
function customise(rootfs: string): void {
  const wrapper = path.join(rootfs, 'usr/local/bin/aws');
  mkdirSync(path.dirname(wrapper), { recursive: true });
  writeFileSync(wrapper, `#!/bin/sh
# halo: the aws CLI of this instance talks to the local cloud. Debian's aws CLI 2.9 ignores AWS_ENDPOINT_URL and
# endpoint_url, so this wrapper gives --endpoint-url (unless the caller does). ${IMDS_ADDRESS}:${API_PORT_IN_INSTANCE}
# is forwarded by the host to the cloud's API; the region comes from /run/halo/env, written at boot.
if [ -z "$AWS_DEFAULT_REGION" ] && [ -z "$AWS_REGION" ] && [ -r /run/halo/env ]; then . /run/halo/env; export AWS_DEFAULT_REGION; fi
for a in "$@"; do case "$a" in --endpoint-url|--endpoint-url=*) exec /usr/bin/aws "$@";; esac; done
exec /usr/bin/aws --endpoint-url "\${HALO_ENDPOINT_URL:-http://${IMDS_ADDRESS}:${API_PORT_IN_INSTANCE}}" "$@"
`);
  chmodSync(wrapper, 0o755);
  writeFileSync(path.join(rootfs, 'etc/resolv.conf'), '# halo: no DNS; instances reach only the local cloud\n');
  mkdirSync(path.join(rootfs, 'etc/halo'), { recursive: true });
  writeFileSync(path.join(rootfs, 'etc/halo/README'), 'This root filesystem is a halo image. /run/halo holds the boot files of this instance.\n');
  run('sh', ['-c', `rm -rf '${rootfs}'/var/cache/apt/archives/*.deb '${rootfs}'/var/lib/apt/lists/*`], { allowFail: true });
}

/** Copies a directory tree preserving owners, modes, xattrs and special files (for image layers). */
export function copyTree(from: string, to: string): void {
  mkdirSync(path.dirname(to), { recursive: true });
  run('cp', ['-a', '--reflink=auto', from, to], { timeoutMs: 10 * 60_000 });
}

