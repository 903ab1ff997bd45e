import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cloudTag } from './names.js';
import { run } from './sh.js';
import { loopsMatching } from './volumes.js';

/**
 * The file systems' data of a cloud: one ext4 image with a journal, `$HALO_HOME/efs/data.img`, mounted (loop) on
 * `$HALO_HOME/efs/data` while the cloud serves EFS. The host's own file system may have no journal, and ext4
 * without one checks every new inode against those deleted in the last seconds (`recently_deleted`): a third of the
 * NFS server's CPU when small files come and go. The image is sparse and stays with the home, so the data survives
 * a restart; a home whose data directory already holds files without an image keeps using that directory.
 */
const IMAGE_SIZE = '64G';
const JOURNAL_MIB = 32;

export const dataRoot = (home: string) => path.join(home, 'efs', 'data');
const imageOf = (home: string) => path.join(home, 'efs', 'data.img');

/** The home (or any directory) as /proc/mounts names it. */
function realHome(home: string): string {
  try {
    return realpathSync(home);
  } catch {
    return path.resolve(home);
  }
}

/** One cloud's data image (its EFS runtime holds it). */
export class FileSystemData {
  private readonly home: string;
  private opening?: { create: boolean; done: Promise<void> };

  constructor(home: string) {
    this.home = realHome(home);
  }

  /**
   * The image mounted on the data directory (made first when `create` and none exists). Idempotent; concurrent
   * callers share one attempt, but one that may not make the image does not answer one that may: it asks again after.
   */
  open(create = true): Promise<void> {
    const pending = this.opening;
    if (pending) return pending.create || !create ? pending.done : pending.done.then(() => this.open(create));
    const done = mountImage(this.home, create).finally(() => {
      this.opening = undefined;
    });
    this.opening = { create, done };
    return done;
  }

  /** Unmounts the image (its loop device, autocleared, goes with it); lazily when something still holds it. */
  async close(): Promise<void> {
    const root = dataRoot(this.home);
    await this.opening?.done.catch(() => undefined);
    if (!isMounted(root)) return;
    const r = await run('umount', [root], { allowFail: true });
    if (r.status !== 0) await run('umount', ['-l', root], { allowFail: true });
  }
}

async function mountImage(home: string, create: boolean): Promise<void> {
  const root = dataRoot(home);
  const image = imageOf(home);
  if (isMounted(root)) return;
  if (!existsSync(image)) {
    if (!create || hasEntries(root)) return;
    mkdirSync(path.dirname(image), { recursive: true });
    const made = `${image}.new`;
    await run('truncate', ['-s', IMAGE_SIZE, made]);
    await run('mkfs.ext4', ['-q', '-F', '-J', `size=${JOURNAL_MIB}`, '-E', 'lazy_itable_init=1,lazy_journal_init=1', made], {
      timeoutMs: 0,
    });
    await run('mv', ['-f', made, image]);
  }
  mkdirSync(root, { recursive: true });
  // mount(8) picks a free loop device and may lose it to another cloud's attach in the meantime: tried again.
  for (let attempt = 0; ; attempt++) {
    const r = await run('mount', ['-o', 'loop,noatime', image, root], { allowFail: true });
    if (r.status === 0 || isMounted(root)) return;
    if (attempt >= 50) throw new Error(`mounting the EFS data image ${image}: ${r.stderr.trim()}`);
    await sleep(Math.random() * 20);
  }
}

function isMounted(dir: string): boolean {
  return mountTargets().includes(dir);
}

function hasEntries(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

function mountTargets(): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => unescapeMount(l.split(' ')[1] ?? ''));
}

/** Mount points at or under a directory (its real path), as /proc/mounts names them once unescaped. */
export function mountsUnder(dir: string): string[] {
  const real = realHome(dir);
  return mountTargets().filter((m) => m === real || m.startsWith(`${real}/`));
}

const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

const DATA_MOUNT = /^(.*)\/efs\/data$/;
const DATA_IMAGE = /^(.*)\/efs\/data\.img$/;

/** The /proc/mounts lines of the cloud's EFS data image (cleanup.ts). */
export function dataMountLinesOfCloud(tag: string, mountsText: string): string[] {
  return mountsText.split('\n').filter((l) => {
    const m = DATA_MOUNT.exec(unescapeMount(l.split(' ')[1] ?? ''));
    return !!m && cloudTag(m[1]) === tag;
  });
}

/** Loop devices backed by the cloud's EFS data image. */
export function dataLoopsOfCloud(tag: string): string[] {
  return loopsMatching(tag, DATA_IMAGE);
}
