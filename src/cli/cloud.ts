import { spawn } from 'node:child_process';
import { existsSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CliError } from './errors.js';
import { Credentials } from '../auth/credentials.js';
import { timingProfile } from '../clock/profiles.js';
import { DEFAULT_PORT, ensureHome, haloHome, paths, processAlive, readDaemonInfo, type DaemonInfo } from '../daemon/home.js';
import { alreadyRunsMessage, lockState } from '../daemon/lock.js';
import { releasePublicPools } from '../daemon/public-pool.js';
import { Store } from '../store/db.js';
import { DEFAULT_REGION } from '../topology/regions.js';
import { writeAwsProfile } from './aws-profile.js';
import { cleanHost, reapDeadClouds } from '../runtime/cleanup.js';
import { mountsUnder } from '../runtime/efs-data.js';
import { isRoot } from '../runtime/sh.js';
import type { Access } from '../drill/clients.js';

export interface StartFlags {
  detach?: boolean;
  port: string;
  timeScale: string;
  profile: string;
  hostsPerZone: string;
}

export { CliError };

function number(name: string, value: string, check: (n: number) => boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n))
    throw new CliError(`--${name} must be ${name === 'time-scale' ? 'a positive number' : 'a whole number'} (got '${value}')`);
  return n;
}

/** The running daemon of this home, or undefined (a stale record of a dead one is ignored). */
export function runningDaemon(home = haloHome()): DaemonInfo | undefined {
  const info = readDaemonInfo(home);
  return info && processAlive(info.pid) ? info : undefined;
}

/** The start flags checked, and no cloud running on this home yet (nor on another of its host name tag). */
async function startSettings(flags: StartFlags) {
  const home = haloHome();
  const port = number('port', flags.port, (n) => Number.isInteger(n) && n >= 0 && n < 65536);
  const timeScale = number('time-scale', flags.timeScale, (n) => n > 0);
  const hostsPerZone = number('hosts-per-zone', flags.hostsPerZone, (n) => Number.isInteger(n) && n >= 1 && n <= 64);
  try {
    timingProfile(flags.profile);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const running = runningDaemon(home);
  if (running) throw new CliError(`the halo cloud already runs at ${running.endpoint} (pid ${running.pid}); 'halo cloud stop' stops it`);
  // Its daemon.json may be gone (a home deleted and made again while its cloud ran): the lock still knows.
  const lock = await lockState(home);
  if (lock.held) throw new CliError(alreadyRunsMessage(home, lock.holder));
  return { home, port, timeScale, hostsPerZone };
}

export async function cloudStart(flags: StartFlags): Promise<void> {
  if (flags.detach) {
    const info = await startCloudDetached(flags);
    console.log(`halo cloud running at ${info.endpoint} (pid ${info.pid}, home ${info.home})`);
    console.log(`use it: eval "$(halo cloud env)"   or   halo aws ec2 describe-regions`);
    return;
  }
  const { home, port, timeScale, hostsPerZone } = await startSettings(flags);
  let daemon;
  try {
    const { startDaemon } = await import('../daemon/daemon.js');
    daemon = await startDaemon({ home, port, timeScale, profile: flags.profile, hostsPerZone });
  } catch (err) {
    throw new CliError(`cannot start the halo cloud: ${(err as Error).message}`);
  }
  console.log(`halo cloud listening at ${daemon.info.endpoint} (home ${home}, profile ${daemon.info.profile}, time scale ${timeScale})`);
  const shutdown = async (signal: string) => {
    console.log(`halo cloud stopping (${signal})`);
    await daemon.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

/** Starts the cloud of this home as a background daemon (its output in daemon.log) and returns once it listens. */
export async function startCloudDetached(flags: StartFlags): Promise<DaemonInfo> {
  const { home, port, timeScale, hostsPerZone } = await startSettings(flags);
  return startDetached(home, [
    `--port=${port}`,
    `--time-scale=${timeScale}`,
    `--profile=${flags.profile}`,
    `--hosts-per-zone=${hostsPerZone}`,
  ]);
}

async function startDetached(home: string, args: string[]): Promise<DaemonInfo> {
  ensureHome(home);
  const log = openSync(paths(home).log, 'a');
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const child = spawn(process.execPath, [main, 'cloud', 'start', ...args], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, HALO_HOME: home },
  });
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? 1;
  });
  child.unref();
  for (let waited = 0; waited < 30_000; waited += 50) {
    const info = readDaemonInfo(home);
    if (info && info.pid === child.pid) return info;
    if (exited !== null) break;
    await sleep(50);
  }
  const tail = existsSync(paths(home).log) ? readFileSync(paths(home).log, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
  throw new CliError(
    `the halo cloud did not start${exited !== null ? ` (exit code ${exited})` : ''}. Last lines of ${paths(home).log}:\n${tail}`,
  );
}

export async function cloudStop(): Promise<void> {
  const home = haloHome();
  let info: { pid: number } | undefined = readDaemonInfo(home);
  if (!info || !processAlive(info.pid)) {
    if (info) rmSync(paths(home).daemon, { force: true });
    // A cloud whose daemon.json was deleted (its home removed and made again) still holds the home's lock.
    const lock = await lockState(home);
    info = lock.held && lock.holder?.home === home ? { pid: lock.holder.pid } : undefined;
  }
  if (!info) {
    console.log('the halo cloud is not running');
    return;
  }
  process.kill(info.pid, 'SIGTERM');
  for (let waited = 0; waited < 20_000 && processAlive(info.pid); waited += 50) await sleep(50);
  if (processAlive(info.pid)) {
    process.kill(info.pid, 'SIGKILL');
    rmSync(paths(home).daemon, { force: true });
    console.log(`the halo cloud (pid ${info.pid}) did not stop within 20 s and was killed; 'halo cloud clean' removes what it left`);
    return;
  }
  console.log(`halo cloud stopped (pid ${info.pid}): every instance, network and mount of it is gone from this host`);
  console.log(
    `its state (stacks, resources) stays in ${home} and runs again at the next 'halo cloud start' or 'halo up'; 'halo cloud clean --state' deletes it`,
  );
}

export function cloudStatus(flags: { json?: boolean }): void {
  const home = haloHome();
  const info = runningDaemon(home);
  if (flags.json) {
    console.log(JSON.stringify(info ? { running: true, ...info } : { running: false, home }, null, 2));
  } else if (info) {
    console.log(
      `running at ${info.endpoint} (pid ${info.pid}), home ${info.home}, region ${info.region}, profile ${info.profile}, time scale ${info.timeScale}, since ${info.startedAt}`,
    );
  } else {
    console.log(`not running (home ${home}); start it with 'halo cloud start --detach'`);
  }
  if (!info) process.exitCode = 3;
}

/** The endpoint and admin credentials of this home's cloud (created if the cloud never started). */
export function cloudAccess(): Access {
  const home = haloHome();
  ensureHome(home);
  const store = new Store(paths(home).db);
  try {
    const admin = new Credentials(store).admin();
    const info = runningDaemon(home);
    return {
      endpoint: info?.endpoint ?? `http://127.0.0.1:${DEFAULT_PORT}`,
      accessKeyId: admin.accessKeyId,
      secretAccessKey: admin.secretAccessKey,
      region: process.env.AWS_DEFAULT_REGION || DEFAULT_REGION,
    };
  } finally {
    store.close();
  }
}

export function cloudEnv(): void {
  const access = cloudAccess();
  const written = writeAwsProfile('halo', access);
  console.log(`export AWS_ENDPOINT_URL=${access.endpoint}`);
  console.log(`export AWS_ACCESS_KEY_ID=${access.accessKeyId}`);
  console.log(`export AWS_SECRET_ACCESS_KEY=${access.secretAccessKey}`);
  console.log(`export AWS_DEFAULT_REGION=${access.region}`);
  // The aws CLI reads AWS_DEFAULT_REGION; SDK v3 clients made with no options read AWS_REGION only.
  console.log(`export AWS_REGION=${access.region}`);
  console.log(
    `# aws CLI profile 'halo' written to ${written.join(' and ')}; Debian's aws CLI 2.9 still needs --endpoint-url (or use 'halo aws ...')`,
  );
}

/** Where the cloud keeps its resources' data: instances, volumes, snapshots, EFS, and images made from instances. */
function resourceDirs(home: string): string[] {
  const images = path.join(home, 'images');
  const made = existsSync(images) ? readdirSync(images).filter((n) => n.startsWith('ami-')) : [];
  return [...['instances', 'volumes', 'snapshots', 'efs'].map((d) => path.join(home, d)), ...made.map((n) => path.join(images, n))];
}

export async function cloudClean(flags: { state?: boolean }): Promise<void> {
  const home = haloHome();
  const running = runningDaemon(home);
  if (running) throw new CliError(`the halo cloud runs (pid ${running.pid}); stop it first with 'halo cloud stop'`);
  // Its host objects are named by the home's tag: none may be removed while a cloud of that tag runs.
  const lock = await lockState(home);
  if (lock.held) throw new CliError(alreadyRunsMessage(home, lock.holder));
  rmSync(paths(home).daemon, { force: true });
  // Namespaces, links, nft tables, lo addresses of this cloud, and of any cloud whose daemon died.
  if (isRoot()) {
    await cleanHost(home);
    await reapDeadClouds();
  }
  releasePublicPools(home);
  if (flags.state) {
    // A recursive removal under a mount point would empty a file system, then fail.
    const mounted = mountsUnder(home);
    if (mounted.length)
      throw new CliError(`still mounted under ${home}: ${mounted.join(', ')}; the state was kept (unmount it, then run this again)`);
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${paths(home).db}${suffix}`, { force: true });
    // And the data its records described: no later cloud of this home can reach it. The image cache, the empty
    // disk templates and the CDK synth cache stay: they are not resources.
    for (const dir of resourceDirs(home)) rmSync(dir, { recursive: true, force: true });
    console.log(`removed the cloud's state in ${home}`);
  }
  console.log('nothing of the halo cloud is left running on this host');
}
