import { spawn } from 'node:child_process';

/**
 * One host command in its own process group, with its input, its output collected and a time-out that kills the
 * whole group (background jobs it started would otherwise hold its output open), started by this process (sh.ts
 * `runAsync`: the long image builds, whose output is followed as it comes; the host command runner, host-runner.ts,
 * does the same for every other command).
 */
export interface GroupChildResult {
  /** null when it was killed by the time-out or could not start. */
  status: number | null;
  stdout: string;
  stderr: string;
  /** Why it could not start, when it could not. */
  spawnError?: Error;
}

export interface GroupChildOptions {
  input?: string;
  /** 0 or undefined: no time-out. */
  timeoutMs?: number;
  onOutput?: (chunk: string) => void;
}

export function runInGroup(cmd: string, args: string[], opts: GroupChildOptions, done: (result: GroupChildResult) => void): void {
  let stdout = '';
  let stderr = '';
  let finished = false;
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const finish = (status: number | null, spawnError?: Error) => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    done({ status, stdout, stderr, spawnError });
  };
  const timer = opts.timeoutMs
    ? setTimeout(() => {
        try {
          process.kill(-(child.pid as number), 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
        child.stdout.destroy();
        child.stderr.destroy();
        finish(null);
      }, opts.timeoutMs)
    : undefined;
  child.stdout.on('data', (d) => {
    stdout += d;
    opts.onOutput?.(String(d));
  });
  child.stderr.on('data', (d) => {
    stderr += d;
    opts.onOutput?.(String(d));
  });
  child.on('error', (err) => finish(null, err));
  child.on('close', (status) => finish(status));
  // A child that exits without reading its input must not end this process with EPIPE: its status says enough.
  child.stdin.on('error', () => {});
  child.stdin.end(opts.input ?? '');
}
