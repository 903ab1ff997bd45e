import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GATE_PERL } from '../src/runtime/stage1.js';

/**
 * The sandbox's first stage waits for the host's gate files (stage1.ts GATE_PERL): asleep on the bell, a FIFO the
 * host rings after making a gate file, or, without a bell, polling.
 */
function waiter(file: string, bell: string, safetySeconds: number) {
  const program = `${GATE_PERL}
$BELL_SAFETY = ${safetySeconds};
open_bell($ARGV[1]);
print $BELL ? "bell\\n" : "no bell\\n";
gate($ARGV[0]);
print "passed\\n";`;
  const child = spawn('perl', ['-e', program, file, bell], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { child, exited: once(child, 'exit') as Promise<[number]>, out: () => out };
}

describe('first stage: waiting at a gate', () => {
  let dir: string;
  const fresh = () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'halo-gate-'));
    return { file: path.join(dir, 'network'), bell: path.join(dir, 'gates.fifo') };
  };

  it('sleeps on the bell: a gate file alone does not wake it (safety net off), the ring does', async () => {
    const { file, bell } = fresh();
    try {
      assert.equal(spawnSync('mkfifo', [bell]).status, 0);
      const w = waiter(file, bell, 3600);
      await sleep(300);
      assert.equal(w.child.exitCode, null, `it waits for the file: ${w.out()}`);
      writeFileSync(file, '');
      await sleep(300);
      assert.equal(w.child.exitCode, null, `asleep until rung: ${w.out()}`);
      writeFileSync(bell, '\n');
      const [code] = await w.exited;
      assert.equal(code, 0, w.out());
      assert.match(w.out(), /^bell\npassed\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without a bell it polls, and goes on once the file is made', async () => {
    const { file, bell } = fresh();
    try {
      const w = waiter(file, bell, 3600);
      await sleep(300);
      assert.equal(w.child.exitCode, null, `it waits for the file: ${w.out()}`);
      writeFileSync(file, '');
      const [code] = await w.exited;
      assert.equal(code, 0, w.out());
      assert.match(w.out(), /^no bell\npassed\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
