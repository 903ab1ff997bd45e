import readline from 'node:readline';
import { runInGroup } from './group-child.js';

/**
 * The daemon's host command runner (sh.ts `run`): a small process that starts ip, nft, mount... for the daemon. Node
 * starts a child synchronously (fork and exec in the calling thread, waiting until the exec happened), which under
 * load stops the daemon's event loop for tens of milliseconds per command; here that wait costs nothing to the API.
 * One JSON request per line on stdin, one JSON answer per line on stdout; it ends with its stdin (the daemon's end).
 */
interface Request {
  id: number;
  cmd: string;
  args: string[];
  input: string;
  timeoutMs: number;
}

function answer(a: { id: number; status: number | null; stdout: string; stderr: string; spawnError?: string }): void {
  process.stdout.write(`${JSON.stringify(a)}\n`);
}

/**
 * At most this many commands at once; the others wait their turn (their time-out counts from their start). Fifty
 * launches at once on a small machine would otherwise start hundreds of processes together, each then so slow that
 * it meets its time-out.
 */
const MAX_RUNNING = 16;
let running = 0;
const waiting: Request[] = [];

function next(): void {
  while (running < MAX_RUNNING && waiting.length) {
    running++;
    runOne(waiting.shift() as Request, () => {
      running--;
      next();
    });
  }
}

function runOne(req: Request, ended: () => void): void {
  runInGroup(req.cmd, req.args, { input: req.input, timeoutMs: req.timeoutMs }, ({ status, stdout, stderr, spawnError }) => {
    answer({ id: req.id, status, stdout, stderr, spawnError: spawnError ? String(spawnError) : undefined });
    ended();
  });
}

readline
  .createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (!line.trim()) return;
    waiting.push(JSON.parse(line) as Request);
    next();
  })
  .on('close', () => process.exit(0));
