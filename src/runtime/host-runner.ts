import { spawn } from 'node:child_process';
import { closeSync, constants, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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

/** A sandbox and the keeper of its console (console.ts): both started here, their ends reported. */
export interface BootRequest {
  id: number;
  op: 'boot';
  /** The console FIFO (exists): its read end is the keeper's stdin, its write end the sandbox's stdout and stderr. */
  fifo: string;
  keeper: { cmd: string; args: string[] };
  /** The keeper goes into these cgroups (the instance's) with an OOM score of -1000. */
  keeperCgroups: string[];
  sandbox: { cmd: string; args: string[]; env: Record<string, string> };
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

function next(): void {
  while (running < MAX_RUNNING && waiting.length) {
    running++;
    runOne(waiting.shift() as CommandRequest, () => {
      running--;
      next();
    });
  }
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

/**
 * Starts a console keeper and its sandbox. Both ends of the FIFO are opened here (the read end first, without
 * blocking, so the write end opens at once), given to the keeper and the sandbox, and closed again: the keeper is
 * the only reader (its EOF comes when the sandbox's last process is gone) and the sandbox the only writer.
 */
function boot(req: BootRequest): void {
  let readFd: number | undefined;
  let writeFd: number | undefined;
  try {
    readFd = openSync(req.fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    writeFd = openSync(req.fifo, constants.O_WRONLY);
    const keeper = spawn(req.keeper.cmd, req.keeper.args, { stdio: [readFd, 'ignore', 'ignore'], detached: true });
    try {
      for (const dir of req.keeperCgroups) writeFileSync(path.join(dir, 'cgroup.procs'), String(keeper.pid));
      // Its memory is bounded (64 KB): the OOM killer of the instance's cgroup takes one of the instance's processes.
      writeFileSync(`/proc/${keeper.pid}/oom_score_adj`, '-1000');
    } catch {
      // it ended already (its own problem shows in the console)
    }
    const sandbox = spawn(req.sandbox.cmd, req.sandbox.args, { stdio: ['ignore', writeFd, writeFd], detached: true, env: req.sandbox.env });
    answer({ id: req.id, status: 0, stdout: '', stderr: '', keeperPid: keeper.pid ?? -1, sandboxPid: sandbox.pid ?? -1 });
    for (const child of [keeper, sandbox]) {
      const pid = child.pid ?? -1;
      child.once('error', () => answer({ exited: pid, status: null }));
      child.once('exit', (code, signal) => answer({ exited: pid, status: code ?? (signal ? 128 : null) }));
    }
  } catch (err) {
    answer({ id: req.id, status: null, stdout: '', stderr: '', spawnError: String(err) });
  } finally {
    for (const fd of [readFd, writeFd]) if (fd !== undefined) closeSync(fd);
  }
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
