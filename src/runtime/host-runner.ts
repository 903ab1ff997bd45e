import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { runInGroup } from './group-child.js';

/**
 * The daemon's host command runner (sh.ts `run`, `startConsoleAndSandbox`): a small process that starts ip, nft,
 * mount... and the instances' sandboxes for the daemon. Node starts a child synchronously (fork and exec in the
 * calling thread, waiting until the exec happened), which under load stops the daemon's event loop for tens of
 * milliseconds per command; here that wait costs nothing to the API.
 * One JSON request per line on stdin, one JSON answer per line on stdout; the end of a long-lived process it
 * started is one more line (`exited`). It ends with its stdin (the daemon's end), and so do the sandboxes it started
 * (their parent-death signal).
 */
interface CommandRequest {
  id: number;
  op?: 'run';
  cmd: string;
  args: string[];
  input: string;
  timeoutMs: number;
}

/**
 * An instance's console keeper, which makes its FIFOs and starts its sandbox (console.ts): its first line is the
 * sandbox's pid (or `error <why>`), its end the sandbox's (reported for the keeper's pid).
 */
export interface BootRequest {
  id: number;
  op: 'boot';
  /** Its command, and what it reads on its stdin (what to do: it may start before the request). */
  keeper: { cmd: string; args: string[]; env: Record<string, string>; input: string };
}

type Request = CommandRequest | BootRequest;

function answer(a: object): void {
  process.stdout.write(`${JSON.stringify(a)}\n`);
}

/**
 * At most this many commands at once; the others wait their turn (their time-out counts from their start). Fifty
 * launches at once on a small machine would otherwise start hundreds of processes together, each then so slow that
 * it meets its time-out.
 */
const MAX_RUNNING = 16;
let running = 0;
const waiting: CommandRequest[] = [];
/** With HALO_TRACE set, commands slower than this are logged (stderr: the daemon's). */
const SLOW_MS = 1000;

let spawning = false;

/**
 * Starts the next waiting command, one per turn of the event loop: a start blocks this thread until the exec (several
 * milliseconds on a busy machine), and between two starts a sandbox's boot that arrived meanwhile goes first.
 */
function next(): void {
  if (spawning || running >= MAX_RUNNING || !waiting.length) return;
  spawning = true;
  setImmediate(() => {
    spawning = false;
    if (running < MAX_RUNNING && waiting.length) {
      running++;
      runOne(waiting.shift() as CommandRequest, () => {
        running--;
        next();
      });
    }
    next();
  });
}

function runOne(req: CommandRequest, ended: () => void): void {
  const started = performance.now();
  runInGroup(req.cmd, req.args, { input: req.input, timeoutMs: req.timeoutMs }, ({ status, stdout, stderr, spawnError }) => {
    const ms = performance.now() - started;
    if (process.env.HALO_TRACE && ms > SLOW_MS)
      console.error(
        `[halo trace] host command took ${ms.toFixed(0)} ms (status ${status}): ${req.cmd} ${req.args.join(' ').slice(0, 200)}`,
      );
    answer({ id: req.id, status, stdout, stderr, spawnError: spawnError ? String(spawnError) : undefined });
    ended();
  });
}

/** A keeper started ahead of the next boot, waiting for its input; the command it was started as. */
let spare: { key: string; keeper: ChildProcess } | undefined;

function spawnKeeper(k: BootRequest['keeper']): ChildProcess {
  const keeper = spawn(k.cmd, k.args, { stdio: ['pipe', 'pipe', 'inherit'], detached: true, env: k.env });
  // A spare that died meanwhile: the boot's answer says so (its close), not an error of this process.
  keeper.stdin?.on('error', () => undefined);
  keeper.once('error', () => undefined);
  return keeper;
}

/**
 * Gives a keeper (console.ts) its input; it starts the sandbox: its first line is the answer, its end the sandbox's.
 * The keeper is the spare started after the previous boot when it was started as this one (a perl start and a fork of
 * this process off the boot's path), else a new one; then the next spare starts.
 */
function boot(req: BootRequest): void {
  const key = JSON.stringify([req.keeper.cmd, req.keeper.args, req.keeper.env]);
  let keeper: ChildProcess;
  if (spare && spare.key === key && spare.keeper.exitCode === null && spare.keeper.signalCode === null) keeper = spare.keeper;
  else {
    spare?.keeper.stdin?.end();
    keeper = spawnKeeper(req.keeper);
  }
  spare = undefined;
  keeper.stdin?.end(req.keeper.input);
  let answered = false;
  let first = '';
  const fail = (why: string) => {
    answered = true;
    answer({ id: req.id, status: null, stdout: '', stderr: '', spawnError: why });
  };
  keeper.stdout?.setEncoding('utf8');
  keeper.stdout?.on('data', (chunk: string) => {
    if (answered) return;
    first += chunk;
    const nl = first.indexOf('\n');
    if (nl < 0) return;
    const line = first.slice(0, nl);
    if (!/^\d+$/.test(line)) return fail(line.replace(/^error /, ''));
    answered = true;
    answer({ id: req.id, status: 0, stdout: '', stderr: '', keeperPid: keeper.pid ?? -1, sandboxPid: Number(line) });
  });
  keeper.once('error', (err) => {
    if (!answered) fail(String(err));
  });
  // 'close', not 'exit': after its first line was read, however soon it ended.
  keeper.once('close', (code, signal) => {
    if (!answered) return fail(first.replace(/^error /, '').trim() || `the console keeper ended (${code ?? signal})`);
    answer({ exited: keeper.pid ?? -1, status: code ?? (signal ? 128 : null) });
  });
  setImmediate(() => {
    if (!spare) spare = { key, keeper: spawnKeeper(req.keeper) };
  });
}

readline
  .createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (!line.trim()) return;
    const req = JSON.parse(line) as Request;
    if (req.op === 'boot') return boot(req);
    waiting.push(req);
    next();
  })
  .on('close', () => process.exit(0));
