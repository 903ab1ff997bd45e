import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readDaemonInfo } from '../src/daemon/home.js';
import { processAlive } from '../src/runtime/pids.js';
import { TestCloud } from './support/cloud.js';

const HALO_MAIN = path.resolve(import.meta.dirname, '../src/cli/main.js');

/** `halo ...` with this home, run without blocking (two at once race for real). */
function halo(home: string, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HALO_MAIN, ...args], {
      env: { ...process.env, HALO_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint);
    return true;
  } catch {
    return false;
  }
}

describe('one cloud per HALO_HOME, held by a lock the kernel releases', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('a start on a home whose files were deleted while its cloud runs is refused with who runs and what to do', async () => {
    const first = readDaemonInfo(cloud.home);
    assert.ok(first);
    rmSync(cloud.home, { recursive: true, force: true });
    mkdirSync(cloud.home);
    for (const detach of [[], ['--detach']]) {
      const second = await halo(cloud.home, 'cloud', 'start', '--port', '0', ...detach);
      assert.equal(second.status, 1, second.stdout);
      assert.match(
        second.stderr,
        new RegExp(
          `a halo cloud already runs from ${cloud.home} \\(pid ${first.pid}, ${first.endpoint}\\); stop it first with 'halo cloud stop'`,
        ),
      );
    }
    const clean = await halo(cloud.home, 'cloud', 'clean');
    assert.equal(clean.status, 1);
    assert.match(clean.stderr, new RegExp(`already runs from ${cloud.home} \\(pid ${first.pid}`));
    assert.ok(await answers(first.endpoint), 'the first cloud still serves');
    assert.equal(readDaemonInfo(cloud.home), undefined, 'no second daemon wrote its record');

    const stop = await halo(cloud.home, 'cloud', 'stop');
    assert.equal(stop.status, 0, stop.stderr);
    assert.match(stop.stdout, new RegExp(`halo cloud stopped \\(pid ${first.pid}\\)`));
    assert.equal(processAlive(first.pid), false);
  });

  it('of two starts at once on one home exactly one runs; the other says so', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'halo-lock-'));
    try {
      const both = await Promise.all([0, 1].map(() => halo(home, 'cloud', 'start', '--detach', '--port', '0', '--profile', 'instant')));
      assert.deepEqual(both.map((r) => r.status).sort(), [0, 1], JSON.stringify(both));
      const loser = both.find((r) => r.status === 1);
      assert.match(loser?.stderr ?? '', /already runs .*stop it first with 'halo cloud stop'/);
      const info = readDaemonInfo(home);
      assert.ok(info && processAlive(info.pid));
      assert.ok(await answers(info.endpoint));
      // kill -9: the kernel frees the lock, and the next start runs.
      process.kill(info.pid, 'SIGKILL');
      for (let i = 0; i < 200 && processAlive(info.pid); i++) await new Promise((r) => setTimeout(r, 50));
      const again = await halo(home, 'cloud', 'start', '--detach', '--port', '0', '--profile', 'instant');
      assert.equal(again.status, 0, again.stderr);
      const stop = await halo(home, 'cloud', 'stop');
      assert.equal(stop.status, 0, stop.stderr);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
