import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { run, runAsync, CommandError } from '../src/runtime/sh.js';

/**
 * Whether a process of this pid has ended (a killed one may take a moment to be reaped, and a machine whose PID 1
 * reaps nothing keeps it as a zombie: ended all the same).
 */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    try {
      if (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

for (const [name, runner] of [
  ['run (through the host command runner)', run],
  ['runAsync (started by this process)', runAsync],
] as const) {
  test(`${name}: a time-out kills the command and what it started`, async () => {
    // The command leaves a background job holding its output open: only killing its process group ends it. The job's
    // pid goes to a file: output not yet read when the time-out strikes (a loaded machine) is dropped with the command.
    const dir = mkdtempSync(path.join(tmpdir(), 'halo-sh-'));
    try {
      const pidFile = path.join(dir, 'pid');
      const r = await runner('sh', ['-c', `sleep 300 & echo $! > ${pidFile}; wait`], { timeoutMs: 2000, allowFail: true });
      assert.equal(r.status, null);
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      assert.ok(pid > 0, `the background job's pid: ${pid}`);
      assert.ok(await gone(pid), `the background sleep ${pid} was killed with its group`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
