import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, runAsync, CommandError } from '../src/runtime/sh.js';

/** Whether a process of this pid still exists (a killed one may take a moment to be reaped). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

// A command that leaves a background job holding its output open: only killing its process group ends it.
const script = 'sleep 300 & echo $!; wait';

for (const [name, runner] of [
  ['run (through the host command runner)', run],
  ['runAsync (started by this process)', runAsync],
] as const) {
  test(`${name}: a time-out kills the command and what it started`, async () => {
    const r = await runner('sh', ['-c', script], { timeoutMs: 300, allowFail: true });
    assert.equal(r.status, null);
    const pid = Number(r.stdout.trim());
    assert.ok(pid > 0, `the background job's pid: ${r.stdout}`);
    assert.ok(await gone(pid), `the background sleep ${pid} was killed with its group`);
  });

  test(`${name}: input, output, exit status, and a command that cannot start`, async () => {
    const ok = await runner('sh', ['-c', 'cat; echo err >&2'], { input: 'hello\n' });
    assert.deepEqual(ok, { status: 0, stdout: 'hello\n', stderr: 'err\n' });
    await assert.rejects(runner('sh', ['-c', 'echo nope >&2; exit 3']), (e) => e instanceof CommandError && e.status === 3);
    const failed = await runner('/nonexistent/halo-command', [], { allowFail: true });
    assert.equal(failed.status, null);
    assert.match(failed.stderr, /ENOENT/);
    await assert.rejects(runner('/nonexistent/halo-command', []));
  });
}
