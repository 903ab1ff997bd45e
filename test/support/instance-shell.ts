import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { processList } from './host.js';

/**
 * Runs a shell command inside a running instance, as an operator with a console would (tests only: the seed's
 * templates are used unchanged, so what a test writes on an instance cannot come from their user data). It enters
 * every namespace of the instance's PID 1, found as the child of the sandbox's first process (`halo-sandbox <its
 * stage1.pl>`), its user namespace too: the command runs as the instance's root (an unprivileged id of the host), as a
 * console login would.
 */
export function inInstance(instanceId: string, script: string): { status: number; stdout: string; stderr: string } {
  const sandbox = processList(`/instances/${instanceId}/stage1.pl`).find((p) => p.cmd.startsWith('halo-sandbox '));
  if (!sandbox) throw new Error(`no running sandbox for ${instanceId}`);
  const init = readFileSync(`/proc/${sandbox.pid}/task/${sandbox.pid}/children`, 'utf8').trim().split(/\s+/)[0];
  if (!init) throw new Error(`the sandbox of ${instanceId} has no init yet`);
  // Before the sandbox switches to the instance's root, its first process still sees the host's: never run there.
  const root = statSync(`/proc/${init}/root/`);
  const host = statSync('/');
  if (root.dev === host.dev && root.ino === host.ino) throw new Error(`${instanceId} has not switched to its own root yet`);
  const r = spawnSync('nsenter', ['-t', init, '-U', '-m', '-u', '-i', '-n', '-p', '-r', '-w', '--', '/bin/sh', '-c', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
