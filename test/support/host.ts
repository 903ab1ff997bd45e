import { readdirSync, readFileSync } from 'node:fs';

/** Processes (other than this one) whose command line names this text. */
export function processList(needle: string): Array<{ pid: number; cmd: string }> {
  const found: Array<{ pid: number; cmd: string }> = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) found.push({ pid: Number(pid), cmd });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** The same as `pid: command line` lines, for assertion messages. */
export function processesOf(needle: string): string[] {
  return processList(needle).map((p) => `${p.pid}: ${p.cmd}`);
}
