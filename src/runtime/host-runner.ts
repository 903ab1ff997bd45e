import { spawn } from 'node:child_process';
import readline from 'node:readline';

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
  let stdout = '';
  let stderr = '';
  let done = false;
  // Its own process group, so that a timeout ends what it started too.
  const child = spawn(req.cmd, req.args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const finish = (status: number | null, spawnError?: string) => {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    answer({ id: req.id, status, stdout, stderr, spawnError });
    ended();
  };
  const timer =
    req.timeoutMs > 0
      ? setTimeout(() => {
          try {
            process.kill(-(child.pid as number), 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
          child.stdout.destroy();
          child.stderr.destroy();
          finish(null);
        }, req.timeoutMs)
      : undefined;
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.on('error', (err) => finish(null, String(err)));
  child.on('close', (status) => finish(status));
  // A child that exits without reading its input must not end this runner with EPIPE: its status says enough.
  child.stdin.on('error', () => {});
  child.stdin.end(req.input);
}

readline
  .createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (!line.trim()) return;
    waiting.push(JSON.parse(line) as Request);
    next();
  })
  .on('close', () => process.exit(0));
