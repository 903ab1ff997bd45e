import { chownSync, closeSync, existsSync, openSync, readSync, fstatSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * The keeper (perl without modules: it starts in a few milliseconds, python in tens, at every boot). Its stdin is the
 * FIFO's read end, opened without blocking by the host command runner: made blocking first (F_GETFL 3, F_SETFL 4,
 * O_NONBLOCK 0x800).
 */
const KEEPER = `
my ($path, $cap) = @ARGV;
my $flags = fcntl(STDIN, 3, 0);
fcntl(STDIN, 4, $flags & ~0x800);
sub compact {
  open(my $f, '<', $path) or return;
  binmode $f;
  my $size = (-s $f) || 0;
  seek($f, $size > $cap ? $size - $cap : 0, 0);
  local $/; my $data = <$f>; close $f;
  open(my $t, '>', "$path.tmp") or return;
  binmode $t; print $t (defined $data ? $data : ''); close $t;
  rename "$path.tmp", $path;
}
open(my $out, '>>', $path) or die "$path: $!\\n";
binmode $out;
my $size = (-s $out) || 0;
while (1) {
  my $n = sysread(STDIN, my $chunk, 65536);
  last unless $n;
  syswrite($out, $chunk);
  $size += $n;
  if ($size > 2 * $cap) {
    close $out;
    compact();
    open($out, '>>', $path) or die "$path: $!\\n";
    binmode $out;
    $size = (-s $out) || 0;
  }
}
`;

/**
 * Makes the console's FIFO (`console.fifo` beside the file), owned by the instance's root when given (services open
 * /proc/1/fd/1 to write on the console), and returns its path. The keeper and the sandbox are started on it by the
 * host command runner (sh.ts `startConsoleAndSandbox`). Other FIFOs of the instance (`others`, same owner and mode)
 * are made by the same process.
 */
export async function makeConsoleFifo(file: string, owner?: number, others: string[] = []): Promise<string> {
  trimConsole(file);
  const fifo = path.join(path.dirname(file), 'console.fifo');
  for (const f of [fifo, ...others]) rmSync(f, { force: true });
  await run('mkfifo', ['-m', '600', fifo, ...others]);
  if (owner !== undefined) for (const f of [fifo, ...others]) chownSync(f, owner, owner);
  return fifo;
}

/** The keeper's command line: it reads the console on its stdin and keeps `file` within the kept size. */
export function keeperCommand(file: string): { cmd: string; args: string[] } {
  return { cmd: '/usr/bin/perl', args: ['-e', KEEPER, file, String(CONSOLE_KEPT_BYTES)] };
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
