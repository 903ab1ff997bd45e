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
 * The sandbox's first stage waits for the host's gate files (stage1.ts GATE_PERL). With no inotify instance left (128
 * per user by default, shared by every process of the host's root, and each of many launches at once holds one while
 * it waits) it polls, and the boot goes on. Run in a user namespace of its own whose inotify limit is 0.
 */
const USERNS = spawnSync('unshare', ['--user', '--map-root-user', 'true']).status === 0;

describe('first stage: waiting at a gate', { skip: USERNS ? false : 'needs user namespaces (unshare --user)' }, () => {
  it('goes on once the file is made, without any inotify instance', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'halo-gate-'));
    try {
      const file = path.join(dir, 'network');
      const program = `${GATE_PERL}
print syscall(294, 0) < 0 ? "no inotify\\n" : "inotify\\n";
gate($ARGV[0]);
print "passed\\n";`;
      const child = spawn(
        'unshare',
        ['--user', '--map-root-user', 'sh', '-c', 'echo 0 > /proc/sys/user/max_inotify_instances && exec perl -e "$0" "$1"', program, file],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exited = once(child, 'exit');
      await sleep(300);
      assert.equal(child.exitCode, null, `it waits for the file: ${out}`);
      writeFileSync(file, '');
      const [code] = (await exited) as [number];
      assert.match(out, /no inotify/, 'the namespace has no inotify instance to give');
      assert.equal(code, 0, out);
      assert.match(out, /passed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
