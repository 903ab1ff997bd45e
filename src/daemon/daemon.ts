import { Cloud } from '../cloud.js';
import { ScaledClock } from '../clock/clock.js';
import { timingProfile } from '../clock/profiles.js';
import { createFront } from '../server/front.js';
import { SERVICES } from '../services/registry.js';
import { Store } from '../store/db.js';
import { DEFAULT_REGION } from '../topology/regions.js';
import { imageCacheDir } from '../runtime/images.js';
import { claimPublicPool } from './public-pool.js';
import { ensureHome, paths, removeDaemonInfo, writeDaemonInfo, type DaemonInfo } from './home.js';
import { lockHome } from './lock.js';

export interface DaemonOptions {
  home: string;
  port: number;
  timeScale: number;
  profile: string;
  hostsPerZone: number;
}

/** Starts the local cloud in this process; resolves once it listens. */
export async function startDaemon(opts: DaemonOptions): Promise<{ info: DaemonInfo; stop: () => Promise<void> }> {
  ensureHome(opts.home);
  const profile = timingProfile(opts.profile);
  // Before anything of the home is opened: a second cloud on it would share its state and its host objects.
  const lock = await lockHome(opts.home);
  let store: Store;
  try {
    store = new Store(paths(opts.home).db);
  } catch (err) {
    await lock.release();
    throw err;
  }
  // HALO_PUBLIC_IP_POOL, when set, names the pool itself; otherwise this cloud claims a block of its own.
  const pool = process.env.HALO_PUBLIC_IP_POOL ? undefined : claimPublicPool(store, opts.home);
  if (pool) process.env.HALO_PUBLIC_IP_POOL = pool.cidr;
  const cloud = new Cloud(store, new ScaledClock(opts.timeScale), profile, { home: opts.home, hostsPerZone: opts.hostsPerZone });
  if (pool) cloud.onShutdown(pool.release);
  cloud.credentials.admin();
  for (const factory of SERVICES) cloud.register(factory);
  const app = createFront(cloud);
  try {
    await app.listen({ host: '127.0.0.1', port: opts.port });
  } catch (err) {
    await cloud.shutdown();
    await lock.release();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const info: DaemonInfo = {
    pid: process.pid,
    port,
    endpoint: `http://127.0.0.1:${port}`,
    home: opts.home,
    region: DEFAULT_REGION,
    timeScale: opts.timeScale,
    profile: profile.name,
    startedAt: new Date().toISOString(),
    imageCache: imageCacheDir(opts.home),
  };
  await cloud.serving(port);
  lock.announce(info.endpoint);
  writeDaemonInfo(opts.home, info);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
    await cloud.shutdown();
    removeDaemonInfo(opts.home, process.pid);
    await lock.release();
  };
  return { info, stop };
}
