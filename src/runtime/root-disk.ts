import { existsSync, mkdirSync, mkdtempSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { access, mkdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from './sh.js';

/**
 * The root volume of an instance is an ext4 file system of the volume's size in a sparse file,
 * `$HALO_HOME/volumes/<vol-id>/root.img`, holding the overlay's `upper/` and `work/` (a new one is a sparse copy of
 * an empty file system of its size made once per home, so all of them share that file system's UUID, which nothing
 * sees: the file system is never a device of the instance). The sandbox's first stage (stage1.ts) mounts it on a loop
 * device (as `mount -o loop`: autoclear, nosuid, nodev) in the instance's private mount namespace only: writes beyond its size
 * fail with ENOSPC inside the instance, and the files the instance makes (setuid, file capabilities) exist only inside
 * that image, never as files of the host's file system. When the instance's processes are gone, the kernel unmounts
 * it and frees the loop device (autoclear). The host mounts it briefly (nosuid, nodev, noexec, under a 0700
 * directory) only to copy its layer for CreateImage or a snapshot.
 */

const GIB = 1024 ** 3;

export const rootDiskFile = (volumeDir: string) => path.join(volumeDir, 'root.img');

/**
 * Makes the root volume's file system if it is not there yet: the spare of its size when there is one (a rename),
 * else a copy of the empty one. A root volume of an older halo (a plain `upper/` directory) is moved into a new file
 * system with its files, whiteouts and extended attributes.
 */
export async function ensureRootDisk(volumeDir: string, sizeGiB: number, spares?: RootDiskSpares): Promise<string> {
  const file = rootDiskFile(volumeDir);
  if (
    await access(file).then(
      () => true,
      () => false,
    )
  )
    return file;
  await mkdir(volumeDir, { recursive: true, mode: 0o700 });
  const legacy = path.join(volumeDir, 'upper');
  let seed: string | undefined;
  if (existsSync(legacy)) {
    seed = path.join(volumeDir, '.legacy');
    rmSync(seed, { recursive: true, force: true });
    mkdirSync(seed, { mode: 0o700 });
    renameSync(legacy, path.join(seed, 'upper'));
    rmSync(path.join(volumeDir, 'work'), { recursive: true, force: true });
  }
  const tmp = `${file}.new`;
  if (seed) {
    await makeExt4(tmp, sizeGiB, seed);
    renameSync(tmp, file);
    rmSync(seed, { recursive: true, force: true });
    return file;
  }
  if (await spares?.take(sizeGiB, file)) return file;
  await copyEmpty(homeOf(volumeDir), sizeGiB, tmp);
  renameSync(tmp, file);
  return file;
}

const homeOf = (volumeDir: string) => path.dirname(path.dirname(volumeDir));

/**
 * A new, empty file system is a copy of an empty one of its size made once per home (only its few MB of metadata are
 * written: the copy skips the holes), several times faster than mkfs.
 */
async function copyEmpty(home: string, sizeGiB: number, to: string): Promise<void> {
  await run('cp', ['--sparse=always', await emptyTemplate(home, sizeGiB), to], { timeoutMs: 300_000 });
}

/**
 * One cloud's spare root volumes: per size, a copy of the empty file system made ahead
 * (`$HALO_HOME/templates/spare-<size>g.ext4`), which the next new root volume of that size takes by a rename, off the
 * launch's path; `refill` makes the next one once the launch is done. A spare is an empty file system like any copy,
 * so one left by an earlier daemon serves as well.
 */
export class RootDiskSpares {
  private readonly making = new Map<number, Promise<void>>();

  constructor(private readonly home: string) {}

  private file(sizeGiB: number): string {
    return path.join(this.home, 'templates', `spare-${sizeGiB}g.ext4`);
  }

  /** Moves the spare of that size to `to`; false when there is none now. */
  async take(sizeGiB: number, to: string): Promise<boolean> {
    return rename(this.file(sizeGiB), to).then(
      () => true,
      () => false,
    );
  }

  /** Makes the spare of that size unless it is there or being made. */
  refill(sizeGiB: number): Promise<void> {
    const spare = this.file(sizeGiB);
    let made = this.making.get(sizeGiB);
    if (!made) {
      const tmp = `${spare}.new`;
      made = (async () => {
        if (existsSync(spare)) return;
        await copyEmpty(this.home, sizeGiB, tmp);
        await rename(tmp, spare);
      })()
        .catch(() => rm(tmp, { force: true }))
        .finally(() => this.making.delete(sizeGiB));
      this.making.set(sizeGiB, made);
    }
    return made;
  }
}

/** An ext4 file system of sizeGiB in a sparse file (with the files of seed when given). */
async function makeExt4(file: string, sizeGiB: number, seed?: string): Promise<void> {
  await writeFile(file, '');
  await truncate(file, sizeGiB * GIB);
  // Lazy inode tables and journal: nothing is written for them now, and `noinit_itable` at mount keeps it so.
  await run('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', 'lazy_itable_init=1,lazy_journal_init=1', ...(seed ? ['-d', seed] : []), file], {
    timeoutMs: 300_000,
  });
}

/** Empty file systems being made, by file (one mkfs per size and home, whatever the launches at once). */
const templates = new Map<string, Promise<string>>();

/** `$HALO_HOME/templates/empty-<size>g.ext4`: the empty file system of that size new root volumes are copies of. */
function emptyTemplate(home: string, sizeGiB: number): Promise<string> {
  const file = path.join(home, 'templates', `empty-${sizeGiB}g.ext4`);
  let made = templates.get(file);
  if (!made) {
    made = (async () => {
      if (existsSync(file)) return file;
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.new`;
      await makeExt4(tmp, sizeGiB);
      renameSync(tmp, file);
      return file;
    })();
    templates.set(file, made);
    made.catch(() => templates.delete(file));
  }
  return made;
}

/** Mount options of a root volume wherever it is mounted. */
export const ROOT_DISK_OPTIONS = 'nosuid,nodev,noinit_itable';

/**
 * Runs fn with the root volume's `upper/` readable on the host: the volume's file system mounted (nosuid, nodev,
 * noexec) on a private directory with `mount -o loop`, which reuses the loop device of a running instance (the same
 * file system, so a copy of a running instance sees what it sees) or makes one freed again at the unmount. A volume
 * of an older halo is read in place.
 */
export async function withRootUpper<T>(volumeDir: string, fn: (upper: string) => Promise<T> | T): Promise<T> {
  const file = rootDiskFile(volumeDir);
  if (!existsSync(file)) {
    const legacy = path.join(volumeDir, 'upper');
    if (!existsSync(legacy)) mkdirSync(legacy, { recursive: true });
    return fn(legacy);
  }
  const dir = mkdtempSync(path.join(volumeDir, '.copy-'));
  try {
    await run('mount', ['-t', 'ext4', '-o', `loop,${ROOT_DISK_OPTIONS},noexec`, file, dir], { timeoutMs: 0 });
    try {
      const upper = path.join(dir, 'upper');
      if (!existsSync(upper)) mkdirSync(upper);
      return await fn(upper);
    } finally {
      await run('umount', [dir], { allowFail: true });
    }
  } finally {
    // Never recursive: a mount that did not go away must not take the volume's files with it.
    try {
      rmdirSync(dir);
    } catch {
      // still mounted: found and removed by the cloud's cleanup
    }
  }
}
