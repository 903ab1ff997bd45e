import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readSync, fstatSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from './sh.js';

/**
 * The console of an instance, kept as EC2 keeps it: the most recent 64 KB (GetConsoleOutput). The sandbox writes
 * into a pipe read by a small host process (the keeper) placed in the instance's own cgroups, so a flood costs the
 * instance's CPU share, not the daemon's, and at most twice the kept size on disk: the keeper appends to
 * `console.log` and, past 128 KB, rewrites it with its last 64 KB. The daemon's own lines are appended to the file.
 * The pipe is a FIFO (`console.fifo`), not a socket, so that `/proc/1/fd/1` can be opened inside the instance (as
 * services do to write on the console). Should the keeper die, the instance's console writes fail (EPIPE).
 */
export const CONSOLE_KEPT_BYTES = 64 * 1024;

const KEEPER = `
import os, sys
path, cap = sys.argv[1], int(sys.argv[2])
def compact():
    with open(path, 'rb') as f:
        f.seek(0, 2); size = f.tell(); f.seek(max(0, size - cap)); data = f.read()
    with open(path + '.tmp', 'wb') as t:
        t.write(data)
    os.replace(path + '.tmp', path)
os.set_blocking(0, True)
out = open(path, 'ab', buffering=0)
size = os.fstat(out.fileno()).st_size
while True:
    chunk = os.read(0, 65536)
    if not chunk:
        break
    out.write(chunk)
    size += len(chunk)
    if size > 2 * cap:
        out.close()
        compact()
        out = open(path, 'ab', buffering=0)
        size = os.fstat(out.fileno()).st_size
`;

export interface ConsoleKeeper {
  child: ChildProcess;
  /** The FIFO's write end for the sandbox's stdout and stderr; close it once the sandbox is spawned. */
  fd: number;
}

/**
 * Starts the keeper of a console file. The daemon opens both ends of the FIFO (the read end first, without blocking,
 * so the write end opens at once), hands the read end to the keeper as its stdin and returns the write end for the
 * sandbox; it closes both once the sandbox is spawned. So the keeper is the only reader (its EOF comes when the
 * sandbox's last process is gone) and the sandbox the only writer.
 */
export async function startConsoleKeeper(file: string): Promise<ConsoleKeeper> {
  trimConsole(file);
  const fifo = path.join(path.dirname(file), 'console.fifo');
  rmSync(fifo, { force: true });
  await run('mkfifo', ['-m', '600', fifo]);
  const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const fd = openSync(fifo, constants.O_WRONLY);
  const child = spawn('/usr/bin/python3', ['-I', '-S', '-c', KEEPER, file, String(CONSOLE_KEPT_BYTES)], {
    stdio: [readFd, 'ignore', 'ignore'],
    detached: true,
  });
  closeSync(readFd);
  return { child, fd };
}

/** Cuts a console file to its most recent 64 KB (the daemon's own lines accumulate while the instance is stopped). */
export function trimConsole(file: string): void {
  if (!existsSync(file)) return;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size <= CONSOLE_KEPT_BYTES) return;
    const buf = Buffer.alloc(CONSOLE_KEPT_BYTES);
    const n = readSync(fd, buf, 0, CONSOLE_KEPT_BYTES, size - CONSOLE_KEPT_BYTES);
    writeFileSync(`${file}.tmp`, buf.subarray(0, n));
    renameSync(`${file}.tmp`, file);
  } finally {
    closeSync(fd);
  }
}

/** The last 64 KB of a console file, read without loading more of it. */
export function readConsoleTail(file: string): string {
  if (!existsSync(file)) return '';
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, CONSOLE_KEPT_BYTES);
    const buf = Buffer.alloc(len);
    const n = readSync(fd, buf, 0, len, size - len);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
