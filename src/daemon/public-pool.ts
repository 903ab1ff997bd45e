import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Store } from '../store/db.js';
import { processAlive } from './home.js';

/**
 * Each cloud on the machine takes its own /24 of 127.100.0.0/16 for public and Elastic IPs, so clouds running at
 * the same time (tests run in parallel) never put the same address on `lo`. The block is kept in the cloud's state
 * (its addresses stay valid across restarts) and claimed by a directory per block that names the claiming pid.
 */
const CLAIMS = path.join(os.tmpdir(), 'halo-public-pools');
const BLOCKS = 254;

/** Who claimed a block: `<pid> <home>` (a half-made claim reads as pid 0). */
function ownerOf(dir: string): { pid: number; home: string } {
  let owner = '';
  try {
    owner = readFileSync(path.join(dir, 'owner'), 'utf8').trim();
  } catch {
    // being written by its claimer, or left half made by a crash
  }
  const space = owner.indexOf(' ');
  return space < 0 ? { pid: 0, home: '' } : { pid: Number(owner.slice(0, space)), home: owner.slice(space + 1) };
}

function claim(block: number, home: string): boolean {
  const dir = path.join(CLAIMS, String(block));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'owner'), `${process.pid} ${home}\n`);
      return true;
    } catch {
      const owner = ownerOf(dir);
      if (owner.home === home || (owner.pid > 0 && !processAlive(owner.pid))) rmSync(dir, { recursive: true, force: true });
      else return false;
    }
  }
  return false;
}

/** The blocks claimed for this home. */
export function publicPoolsOf(home: string): string[] {
  return existsSync(CLAIMS) ? readdirSync(CLAIMS).filter((block) => ownerOf(path.join(CLAIMS, block)).home === home) : [];
}

/** Frees the blocks claimed for this home (its cloud is not running: `halo cloud clean` after a crash). */
export function releasePublicPools(home: string): void {
  for (const block of publicPoolsOf(home)) rmSync(path.join(CLAIMS, block), { recursive: true, force: true });
}

/** Claims this cloud's block (its remembered one when free) and returns a release function. */
export function claimPublicPool(store: Store, home: string): { cidr: string; release: () => void } {
  mkdirSync(CLAIMS, { recursive: true });
  const remembered = Number(store.meta('publicPoolBlock'));
  const start = remembered >= 1 && remembered <= BLOCKS ? remembered : 1 + Math.floor(Math.random() * BLOCKS);
  for (let i = 0; i < BLOCKS; i++) {
    const block = 1 + ((start - 1 + i) % BLOCKS);
    if (!claim(block, home)) continue;
    store.setMeta('publicPoolBlock', String(block));
    return { cidr: `127.100.${block}.0/24`, release: () => rmSync(path.join(CLAIMS, String(block)), { recursive: true, force: true }) };
  }
  throw new Error(`every public address block of 127.100.0.0/16 is taken by other running clouds (see ${CLAIMS})`);
}
