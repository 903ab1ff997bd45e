import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Per-instance resource limits as cgroup v1 directories (this machine mounts the v1 controllers read-write at
 * /sys/fs/cgroup/<controller>): memory (the instance type's size, no swap: over it the kernel's OOM killer ends a
 * process inside the instance), pids (a fork bomb stops at the limit) and cpu (shares by vCPUs, and a CFS quota of
 * that many CPUs at most). The directories are made under the daemon's own cgroup of each controller, so whatever
 * limits the daemon lives under hold for its instances too. Named `halo-<tag>-<instance id>`: found again by name.
 */

const ROOT = '/sys/fs/cgroup';
export const LIMIT_CONTROLLERS = ['memory', 'pids', 'cpu'] as const;
type Controller = (typeof LIMIT_CONTROLLERS)[number];

export interface InstanceLimits {
  memoryMiB: number;
  vcpus: number;
  /** Most processes and threads at once. */
  pids: number;
}

/** The daemon's cgroup directory of one controller (v1), or undefined when the controller is not mounted. */
function ownDir(controller: Controller): string | undefined {
  if (!existsSync(path.join(ROOT, controller, 'cgroup.procs'))) return undefined;
  let rel = '/';
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [, list, p] = line.split(':');
      if (list?.split(',').includes(controller)) rel = p;
    }
  } catch {
    // keep the root
  }
  return path.join(ROOT, controller, rel);
}

export const cgroupName = (tag: string, instanceId: string) => `halo-${tag}-${instanceId}`;

/** Where the instance's cgroup of each available controller is (made by `makeCgroups`). */
export function cgroupDirs(tag: string, instanceId: string): string[] {
  return LIMIT_CONTROLLERS.map((c) => ownDir(c))
    .filter((d): d is string => !!d)
    .map((d) => path.join(d, cgroupName(tag, instanceId)));
}

function write(dir: string, file: string, value: string | number): void {
  writeFileSync(path.join(dir, file), String(value));
}

/** Makes (or resets) the instance's cgroups with its limits; returns their directories. */
export function makeCgroups(tag: string, instanceId: string, limits: InstanceLimits): string[] {
  removeCgroups(cgroupDirs(tag, instanceId));
  const made: string[] = [];
  for (const controller of LIMIT_CONTROLLERS) {
    const parent = ownDir(controller);
    if (!parent) continue;
    const dir = path.join(parent, cgroupName(tag, instanceId));
    mkdirSync(dir);
    made.push(dir);
    if (controller === 'memory') {
      const bytes = limits.memoryMiB * 1024 * 1024;
      write(dir, 'memory.limit_in_bytes', bytes);
      // No swap on top of it (where the kernel accounts swap at all).
      if (existsSync(path.join(dir, 'memory.memsw.limit_in_bytes'))) write(dir, 'memory.memsw.limit_in_bytes', bytes);
      if (existsSync(path.join(dir, 'memory.swappiness'))) write(dir, 'memory.swappiness', 0);
    } else if (controller === 'pids') {
      write(dir, 'pids.max', limits.pids);
    } else {
      write(dir, 'cpu.shares', 1024 * limits.vcpus);
      const period = Number(readFileSync(path.join(dir, 'cpu.cfs_period_us'), 'utf8')) || 100_000;
      write(dir, 'cpu.cfs_quota_us', period * Math.min(limits.vcpus, os.availableParallelism()));
    }
  }
  return made;
}

/** Removes cgroup directories (a directory that still has processes is left: the caller kills them first). */
export function removeCgroups(dirs: string[]): void {
  for (const dir of dirs) {
    for (let attempt = 0; attempt < 50 && existsSync(dir); attempt++) {
      try {
        rmdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
        // EBUSY while the last processes of the instance exit: a short, bounded wait.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
  }
}

/** PIDs in a cgroup directory (for killing what is left of an instance). */
export function cgroupPids(dir: string): number[] {
  try {
    return readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Every cgroup directory of a cloud (by tag), in the whole hierarchy of each controller (a dead daemon's too). */
export function cgroupsOfCloud(tag: string): string[] {
  const prefix = `halo-${tag}-`;
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return;
    }
    for (const name of entries) {
      if (name.startsWith(prefix)) found.push(path.join(dir, name));
      else if (depth < 4) walk(path.join(dir, name), depth + 1);
    }
  };
  for (const controller of LIMIT_CONTROLLERS) if (existsSync(path.join(ROOT, controller))) walk(path.join(ROOT, controller), 0);
  return found;
}
