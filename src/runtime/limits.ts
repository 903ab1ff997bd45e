import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Per-instance resource limits as cgroup v1 directories (this machine mounts the v1 controllers read-write at
 * /sys/fs/cgroup/<controller>): memory (the instance type's size, no swap: over it the kernel's OOM killer ends a
 * process inside the instance), pids (a fork bomb stops at the limit) and cpu (shares by vCPUs, and a CFS quota of
 * that many CPUs at most). The directories are made under the daemon's own cgroup of each controller, so whatever
 * limits the daemon lives under hold for its instances too. Named `halo-<tag>-<instance id>`: found again by name.
 *
 * CPU priority: the API first; halo's set-up work weighs less. The host commands a launch runs (ip, nft, mount...,
 * started by the host command runner, sh.ts) and the first stage of its sandbox (mounts, pivot: what a hypervisor
 * does on AWS, never on the instance's vCPUs) run in one cgroup of the cloud, `provisioning`, at SET_UP_CPU_SHARES:
 * all launches together weigh that much, however many there are. The first stage joins the instance's own cpu
 * cgroup just before the instance's init starts. The instances' cpu cgroups live in one cgroup of the cloud,
 * `instances`, at INSTANCES_CPU_SHARES: among themselves each instance weighs its vCPUs, and all of them together
 * weigh as much as that many busy processes, however many instances run (fifty booting instances would otherwise
 * outweigh the API fifty to one, as on no cloud, whose API does not run on its instances' hosts). Idle CPU is
 * anybody's: a weight matters only when the machine is busy.
 */

const ROOT = '/sys/fs/cgroup';
/** `freezer` sets no limit: it holds a hibernated instance's processes still (freezeCgroups), memory and all. */
export const LIMIT_CONTROLLERS = ['memory', 'pids', 'cpu', 'freezer'] as const;
type Controller = (typeof LIMIT_CONTROLLERS)[number];

export interface InstanceLimits {
  memoryMiB: number;
  vcpus: number;
  /** Most processes and threads at once. */
  pids: number;
}

/**
 * The daemon's cgroup directory of each controller (v1), or undefined when the controller is not mounted. Read once:
 * the daemon never moves (its command runner does), and a launch asks for them several times, on the event loop.
 */
const ownDirs = new Map<Controller, string | undefined>();

function ownDir(controller: Controller): string | undefined {
  if (!ownDirs.has(controller)) ownDirs.set(controller, readOwnDir(controller));
  return ownDirs.get(controller);
}

function readOwnDir(controller: Controller): string | undefined {
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

/**
 * cpu.shares of the cloud's set-up work, all launches together (a nice-0 process weighs 1024, and so does the
 * daemon's API): half the API's weight, so that the API answers first however many launches run, while a launch
 * still gets a fair part of the machine beside other busy processes (and all of what is idle). On a machine busy with
 * other work, 50 launches at once took 76-105 s at 256 and 44-63 s at 512 (`npm run bench`, the same load row).
 */
export const SET_UP_CPU_SHARES = 512;

/**
 * cpu.shares of all the cloud's instances together: one busy process per core of the machine, so that under full
 * load the instances get about two thirds of it, the API and the launches' set-up the rest.
 */
export const INSTANCES_CPU_SHARES = 1024 * os.availableParallelism();

/** Where the cloud's cgroup of a controller is that holds its instances' own: the cpu one nests them. */
function instancesParent(tag: string, controller: Controller): string | undefined {
  const own = ownDir(controller);
  return own && controller === 'cpu' ? path.join(own, cgroupName(tag, 'instances')) : own;
}

/** Where the instance's cgroup of each available controller is (made by its keeper: `cgroupPlan`). */
export function cgroupDirs(tag: string, instanceId: string): string[] {
  return LIMIT_CONTROLLERS.map((c) => instancesParent(tag, c))
    .filter((d): d is string => !!d)
    .map((d) => path.join(d, cgroupName(tag, instanceId)));
}

function write(dir: string, file: string, value: string | number): void {
  writeFileSync(path.join(dir, file), String(value));
}

/** An instance's cgroups, to be made by its console keeper (console.ts), which then joins them. */
export interface CgroupPlan {
  /** Their directories, one per available controller. */
  dirs: string[];
  /** The cpu controller's (undefined without one). */
  cpuDir?: string;
  /**
   * The keeper's steps, a line each, fields tab-separated: `rmdir DIR` (a previous boot's, reset; gone is fine),
   * `mkdir DIR`, `write FILE VALUE`, `write? FILE VALUE` (a file the kernel may not have: swap accounting), and
   * `quota DIR CPUS` (cpu.cfs_quota_us = cpu.cfs_period_us × CPUS).
   */
  steps: string;
}

/**
 * The instance's cgroups with its limits, as steps its console keeper carries out with a few system calls, off the
 * daemon (a file write here costs three round trips of libuv's thread pool: fifty launches at once spent a quarter
 * of a second of the event loop when they were synchronous, and a single launch waited about 10 ms when they were not).
 * The cloud's `instances` cgroup of the cpu controller must exist (makeInstancesCgroup).
 */
export function cgroupPlan(tag: string, instanceId: string, limits: InstanceLimits): CgroupPlan {
  const dirs: string[] = [];
  const steps: string[][] = [];
  let cpuDir: string | undefined;
  const bytes = limits.memoryMiB * 1024 * 1024;
  for (const controller of LIMIT_CONTROLLERS) {
    const parent = instancesParent(tag, controller);
    if (!parent) continue;
    const dir = path.join(parent, cgroupName(tag, instanceId));
    dirs.push(dir);
    steps.push(['rmdir', dir], ['mkdir', dir]);
    const set = (file: string, value: number, optional = false) =>
      steps.push([optional ? 'write?' : 'write', path.join(dir, file), String(value)]);
    if (controller === 'memory') {
      set('memory.limit_in_bytes', bytes);
      // No swap on top of it, where the kernel accounts swap at all (without, these files do not exist).
      set('memory.memsw.limit_in_bytes', bytes, true);
      set('memory.swappiness', 0, true);
    } else if (controller === 'pids') {
      set('pids.max', limits.pids);
    } else if (controller === 'cpu') {
      cpuDir = dir;
      set('cpu.shares', 1024 * limits.vcpus);
      steps.push(['quota', dir, String(Math.min(limits.vcpus, os.availableParallelism()))]);
    }
  }
  return { dirs, cpuDir, steps: steps.map((f) => f.join('\t')).join('\n') };
}

/** A cgroup of the cloud under the daemon's own of the cpu controller, at that weight; undefined without one. */
function makeCloudCpuCgroup(tag: string, name: string, shares: number): string | undefined {
  const parent = ownDir('cpu');
  if (!parent) return undefined;
  const dir = path.join(parent, cgroupName(tag, name));
  if (!existsSync(dir)) mkdirSync(dir);
  write(dir, 'cpu.shares', shares);
  return dir;
}

/** The cloud's cgroup of the cpu controller that holds its instances' (at INSTANCES_CPU_SHARES), made at its start. */
export function makeInstancesCgroup(tag: string): void {
  makeCloudCpuCgroup(tag, 'instances', INSTANCES_CPU_SHARES);
}

/**
 * Where an instance's sandbox sets itself up (limits.ts header): its own cgroups, the cloud's provisioning cgroup in
 * place of its cpu one; then its cpu one (CgroupPlan.cpuDir). Undefined without a provisioning cgroup (its own then).
 */
export function setUpCgroups(plan: CgroupPlan, provisioning: string | undefined): string[] | undefined {
  const cpu = plan.cpuDir;
  return provisioning && cpu ? plan.dirs.map((d) => (d === cpu ? provisioning : d)) : undefined;
}

/**
 * The cloud's cgroup (cpu controller) for halo's host commands, at SET_UP_CPU_SHARES; undefined when the host has no
 * cpu controller. Found again by its name (`halo-<tag>-provisioning`) and removed with the cloud's other cgroups.
 */
export function makeProvisioningCgroup(tag: string): string | undefined {
  return makeCloudCpuCgroup(tag, 'provisioning', SET_UP_CPU_SHARES);
}

/** The daemon's own cgroup of the cpu controller (where a process leaves the provisioning cgroup for). */
export const ownCpuDir = (): string | undefined => ownDir('cpu');

/** Removes cgroup directories (a directory that still has processes is left: the caller kills them first). */
export async function removeCgroups(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (let attempt = 0; attempt < 50 && existsSync(dir); attempt++) {
      try {
        await rmdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
        // EBUSY while the last processes of the instance exit: a short, bounded wait.
        await sleep(20);
      }
    }
  }
}

const freezerDir = (dirs: string[]) => dirs.find((d) => existsSync(path.join(d, 'freezer.state')));

/**
 * Freezes (or thaws) every process of an instance's cgroups at once, through the cgroup v1 freezer: frozen, they
 * keep their memory and state and run again exactly where they were when thawed. Resolves once the kernel reports
 * the state reached (freezing takes every task of the group, bounded here to 10 s of wall time). False when this host
 * has no freezer or the instance no cgroup of it.
 */
export async function freezeCgroups(dirs: string[], frozen: boolean): Promise<boolean> {
  const dir = freezerDir(dirs);
  if (!dir) return false;
  const want = frozen ? 'FROZEN' : 'THAWED';
  write(dir, 'freezer.state', want);
  for (let waited = 0; waited < 10_000; waited += 10) {
    if (readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim() === want) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
    // FREEZING can stall on a task in an uninterruptible wait: asking again moves it on.
    if (frozen) write(dir, 'freezer.state', want);
  }
  return readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim() === want;
}

/** Thaws whatever is frozen among these cgroup directories (before killing what is left in them: a frozen task dies only when thawed). */
export function thawCgroups(dirs: string[]): void {
  for (const dir of dirs) {
    const file = path.join(dir, 'freezer.state');
    try {
      if (existsSync(file) && readFileSync(file, 'utf8').trim() !== 'THAWED') writeFileSync(file, 'THAWED');
    } catch {
      // gone
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

/**
 * Every cgroup directory of a cloud (by tag), in the whole hierarchy of each controller (a dead daemon's too), nested
 * ones before the one that holds them (the order they can be removed in).
 */
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
      const ours = name.startsWith(prefix);
      if (ours || depth < 4) walk(path.join(dir, name), depth + 1);
      if (ours) found.push(path.join(dir, name));
    }
  };
  for (const controller of LIMIT_CONTROLLERS) if (existsSync(path.join(ROOT, controller))) walk(path.join(ROOT, controller), 0);
  return found;
}
