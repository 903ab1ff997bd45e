import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { footprint, isClean } from '../../src/runtime/cleanup.js';
import { cloudTag } from '../../src/runtime/names.js';
import type { TestCloud } from './cloud.js';

/** Processes (other than this one) whose command line names this text. */
export function processList(needle: string): Array<{ pid: number; cmd: string }> {
  const found: Array<{ pid: number; cmd: string }> = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) found.push({ pid: Number(pid), cmd });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** The same as `pid: command line` lines, for assertion messages. */
export function processesOf(needle: string): string[] {
  return processList(needle).map((p) => `${p.pid}: ${p.cmd}`);
}

/** Stops a test cloud and asserts it left nothing on the host: no namespace, link, nft table, loop device, mount or process. */
export async function disposeAndCheckHost(cloud: TestCloud): Promise<void> {
  const home = cloud.home;
  await cloud.dispose();
  const fp = footprint(cloudTag(home));
  assert.ok(isClean(fp), `the host still holds halo objects of this cloud: ${JSON.stringify(fp)}`);
  assert.deepEqual(processesOf(home), [], 'processes of this cloud are still running');
}
