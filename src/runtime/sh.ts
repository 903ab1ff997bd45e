import { spawn, spawnSync } from 'node:child_process';

/** A failed host command, with what it printed. */
export class CommandError extends Error {
  constructor(readonly command: string, readonly status: number | null, readonly stderr: string) {
    super(`${command} failed (${status ?? 'signal'}): ${stderr.trim().slice(0, 2000)}`);
  }
}

export interface RunOptions {
  input?: string;
  /** Do not throw on a non-zero exit; the result says what happened. */
  allowFail?: boolean;
  timeoutMs?: number;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a host command synchronously. Never in the daemon (its event loop would stop for every API call meanwhile):
 * only for the CLI's one-shot commands and the tests' look at the host (cleanup.ts `footprint`).
 */
export function runSync(cmd: string, args: string[], opts: RunOptions = {}): RunResult {
  const r = spawnSync(cmd, args, { input: opts.input, encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000 });
  const result = { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
  if (!opts.allowFail && result.status !== 0) throw new CommandError(`${cmd} ${args.join(' ')}`, result.status, result.stderr);
  return result;
}

/** Runs a host command without blocking: rejects on a non-zero exit unless allowFail. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runAsync(cmd, args, { timeoutMs: 30_000, ...opts });
}

/** `run` that can also follow the command's output as it comes. */
export function runAsync(cmd: string, args: string[], opts: RunOptions & { onOutput?: (chunk: string) => void } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // Its own process group, so that a timeout ends what it started too (background jobs would hold its output open).
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let settled = false;
    child.stdout.on('data', (d) => { stdout += d; opts.onOutput?.(String(d)); });
    child.stderr.on('data', (d) => { stderr += d; opts.onOutput?.(String(d)); });
    const settle = (status: number | null) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      const result = { status, stdout, stderr };
      if (!opts.allowFail && status !== 0) reject(new CommandError(`${cmd} ${args.join(' ')}`, status, stderr || stdout.slice(-2000)));
      else resolve(result);
    };
    const timer = opts.timeoutMs ? setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      child.stdout.destroy();
      child.stderr.destroy();
      settle(null);
    }, opts.timeoutMs) : undefined;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      if (settled) return;
      settled = true;
      // As spawnSync reports it: a command that could not start is a failure with its reason as output.
      if (opts.allowFail) resolve({ status: null, stdout, stderr: `${stderr}${String(err)}` });
      else reject(err);
    });
    child.on('close', (status) => settle(status));
    // A child that exits without reading its input must not crash the daemon with EPIPE: its status says enough.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** `ip -batch -` in a namespace (or the host's when ns is undefined): several changes for one process. */
export function ipBatch(ns: string | undefined, lines: string[], allowFail = false): Promise<RunResult> {
  const args = ns ? ['-n', ns, '-batch', '-'] : ['-batch', '-'];
  return run('ip', allowFail ? ['-force', ...args] : args, { input: `${lines.join('\n')}\n`, allowFail });
}

/** Applies an nft script atomically, in a namespace or on the host. */
export async function nft(ns: string | undefined, script: string): Promise<void> {
  if (ns) await run('nsenter', [`--net=/run/netns/${ns}`, '--', 'nft', '-f', '-'], { input: script });
  else await run('nft', ['-f', '-'], { input: script });
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
