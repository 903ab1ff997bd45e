import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where the cloud keeps its state: $HALO_HOME, else ~/.halo. */
export function haloHome(): string {
  return path.resolve(process.env.HALO_HOME || path.join(os.homedir(), '.halo'));
}

export const DEFAULT_PORT = 4570;

export interface DaemonInfo {
  pid: number;
  port: number;
  endpoint: string;
  home: string;
  region: string;
  timeScale: number;
  profile: string;
  startedAt: string;
  /** Where this daemon's instances find their images (`halo image build` builds there too). */
  imageCache: string;
}

export const paths = (home: string) => ({
  db: path.join(home, 'state.db'),
  daemon: path.join(home, 'daemon.json'),
  log: path.join(home, 'daemon.log'),
});

export function ensureHome(home: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
}

export function readDaemonInfo(home: string): DaemonInfo | undefined {
  const file = paths(home).daemon;
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DaemonInfo;
  } catch {
    return undefined;
  }
}

/** Written whole or not at all (a reader never sees half a file). */
export function writeDaemonInfo(home: string, info: DaemonInfo): void {
  const file = paths(home).daemon;
  writeFileSync(`${file}.${process.pid}.tmp`, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.${process.pid}.tmp`, file);
}

export function removeDaemonInfo(home: string, pid: number): void {
  const info = readDaemonInfo(home);
  if (info?.pid === pid) rmSync(paths(home).daemon, { force: true });
}

export { processAlive } from '../runtime/pids.js';
