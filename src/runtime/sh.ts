import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runInGroup } from './group-child.js';
import { HOST_RUNNER, type BootRequest, type CommandRequest } from './host-runner.js';
import { ownCpuDir } from './limits.js';

/** A failed host command, with what it printed. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly status: number | null,
    readonly stderr: string,
  ) {
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

/**
 * Runs a host command without blocking: rejects on a non-zero exit unless allowFail. The command is started by the
 * host command runner (host-runner.ts), not by this process: Node forks and execs in the calling thread, which under
 * load would stop the daemon's event loop for tens of milliseconds per command.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const runner = hostRunner();
  const id = ++runner.seq;
  return new Promise<RunResult>((resolve, reject) => {
    runner.pending.set(id, (a) => {
      const result = { status: a.status, stdout: a.stdout, stderr: a.stderr + (a.spawnError ?? '') };
      if (a.spawnError && !opts.allowFail) reject(new CommandError(`${cmd} ${args.join(' ')}`, null, a.spawnError));
      else if (!opts.allowFail && a.status !== 0)
        reject(new CommandError(`${cmd} ${args.join(' ')}`, a.status, a.stderr || a.stdout.slice(-2000)));
      else resolve(result);
    });
    const req: CommandRequest = { id, cmd, args, input: opts.input ?? '', timeoutMs: opts.timeoutMs ?? 30_000 };
    runner.send(req);
  });
}

/** A long-lived process the host command runner started: its host pid and its end (exit code, 128 for a signal). */
export interface StartedProcess {
  pid: number;
  exited: Promise<number | null>;
}

/**
 * Starts an instance's console keeper, which starts its sandbox (console.ts), from the host command runner
 * (host-runner.ts `boot`), not from this process (whose event loop a fork would stop): the daemon gets the sandbox's
 * pid and, later, its end, once its console is written out.
 */
export function startConsoleAndSandbox(keeper: BootRequest['keeper']): Promise<StartedProcess> {
  const runner = hostRunner();
  const id = ++runner.seq;
  return new Promise((resolve, reject) => {
    runner.pending.set(id, (a) => {
      if (a.spawnError || a.keeperPid === undefined || a.sandboxPid === undefined)
        return reject(new CommandError('start of the sandbox', null, a.spawnError ?? ''));
      resolve({ pid: a.sandboxPid, exited: runner.watch(a.keeperPid).exited });
    });
    const req: BootRequest = { id, op: 'boot', keeper };
    runner.send(req);
  });
}

interface RunnerAnswer {
  id: number;
  status: number | null;
  stdout: string;
  stderr: string;
  spawnError?: string;
  keeperPid?: number;
  sandboxPid?: number;
}

/** The end of a process the runner started (`boot`). */
interface RunnerExit {
  exited: number;
  status: number | null;
}

interface HostRunner {
  child: ChildProcess;
  seq: number;
  pending: Map<number, (a: RunnerAnswer) => void>;
  /** Processes it started that still run (pid → their end). */
  watched: Map<number, (status: number | null) => void>;
  send(req: object): void;
  watch(pid: number): StartedProcess;
  /** Keeps this process alive while commands are pending or started processes run (and only then), as children would. */
  hold(): void;
}

let runner: HostRunner | undefined;
/** The cgroup the runner lives in, and so every command it starts (a child starts in its parent's cgroup). */
let runnerCgroup: string | undefined;

function moveToCgroup(pid: number | undefined, dir: string): void {
  try {
    // cgroup.procs moves every thread of the process at once.
    if (pid && existsSync(dir)) writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
  } catch {
    // it ended meanwhile (started again at the next command, into the same cgroup)
  }
}

/**
 * Runs this process's host commands and sandbox set-ups in a cgroup (the cloud's provisioning cgroup, limits.ts: a
 * low CPU weight, so that launches yield to the API); the runner moves there now, and so does a runner started later.
 */
export function runHostCommandsIn(dir: string): void {
  runnerCgroup = dir;
  moveToCgroup(hostRunner().child.pid, dir);
}

/** Takes the runner out of that cgroup again (back to this process's own), when it is still the one it runs in. */
export function leaveHostCommandsCgroup(dir: string): void {
  if (runnerCgroup !== dir) return;
  runnerCgroup = undefined;
  const own = ownCpuDir();
  if (runner && own) moveToCgroup(runner.child.pid, own);
}

/** The host command runner of this process, started at its first command and again should it die. */
function hostRunner(): HostRunner {
  if (runner) return runner;
  const child = spawn('/usr/bin/perl', ['-e', HOST_RUNNER], { stdio: ['pipe', 'pipe', 'inherit'] });
  // Before its first command (sent after this returns): everything it starts is then in that cgroup.
  if (runnerCgroup) moveToCgroup(child.pid, runnerCgroup);
  const pipes = [child.stdin, child.stdout] as unknown as Array<{ ref(): void; unref(): void }>;
  const me: HostRunner = {
    child,
    seq: 0,
    pending: new Map(),
    watched: new Map(),
    send(req) {
      child.stdin?.write(`${JSON.stringify(req)}\n`);
      me.hold();
    },
    watch(pid) {
      const exited = new Promise<number | null>((resolve) => me.watched.set(pid, resolve));
      me.hold();
      return { pid, exited };
    },
    hold() {
      const busy = me.pending.size > 0 || me.watched.size > 0;
      for (const p of [...pipes, child]) {
        if (busy) p.ref();
        else p.unref();
      }
    },
  };
  runner = me;
  let buffered = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const a = JSON.parse(buffered.slice(0, nl)) as RunnerAnswer | RunnerExit;
      buffered = buffered.slice(nl + 1);
      if ('exited' in a) {
        const ended = me.watched.get(a.exited);
        me.watched.delete(a.exited);
        ended?.(a.status);
        continue;
      }
      const done = me.pending.get(a.id);
      me.pending.delete(a.id);
      done?.(a);
    }
    me.hold();
  });
  const gone = (why: string) => {
    if (runner === me) runner = undefined;
    for (const [id, done] of me.pending)
      done({ id, status: null, stdout: '', stderr: '', spawnError: `the host command runner ended (${why})` });
    me.pending.clear();
    // What it started ends with it (the sandboxes' parent-death signal; the keepers at the end of their console).
    for (const ended of me.watched.values()) ended(null);
    me.watched.clear();
  };
  child.on('error', (err) => gone(String(err)));
  child.on('exit', (code, signal) => gone(signal ?? String(code)));
  child.stdin?.on('error', () => {});
  me.hold();
  return me;
}

/** A host command started by this process itself, its output followed as it comes: for the long image builds only (`run` otherwise). */
export function runAsync(cmd: string, args: string[], opts: RunOptions & { onOutput?: (chunk: string) => void } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    runInGroup(cmd, args, opts, ({ status, stdout, stderr, spawnError }) => {
      // As spawnSync reports it: a command that could not start is a failure with its reason as output.
      if (spawnError) {
        if (opts.allowFail) resolve({ status: null, stdout, stderr: `${stderr}${String(spawnError)}` });
        else reject(spawnError);
      } else if (!opts.allowFail && status !== 0)
        reject(new CommandError(`${cmd} ${args.join(' ')}`, status, stderr || stdout.slice(-2000)));
      else resolve({ status, stdout, stderr });
    });
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
