import { readFileSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';

/**
 * What an instance has used since its sandbox started, read from the kernel's own counters in one pass over /proc
 * for all instances (no process is started per instance or per pass):
 * - CPU: the user + system time of every process in the sandbox's PID namespace (found by /proc/<pid>/ns/pid equal to
 *   the sandbox init's), plus the children times (cutime + cstime) those processes have collected from children they
 *   reaped, so work done by processes that already ended is kept: each ended process is counted once, in the live
 *   process that (directly or through ended ancestors) reaped it.
 * - Network: eth0's receive and transmit counters as the instance's own network namespace shows them
 *   (/proc/<init>/net/dev): bytes and packets the instance received and sent on its one interface.
 * All counters start at zero when the sandbox starts (new PID namespace, new veth), so they are cumulative per boot.
 * Read asynchronously, a slice of processes at a time: the pass over a host with hundreds of processes never stops
 * the daemon's event loop (its API answers meanwhile).
 */
export interface Usage {
  /** CPU seconds used by the instance's processes since its sandbox started. */
  cpuSeconds: number;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  /** When the sandbox's init started, wall time (epoch ms): the start of the counters. */
  startedAt: number;
  /** The init's host pid: a different one means a new boot (counters from zero again). */
  initPid: number;
}

let ticks: number | undefined;
/**
 * Clock ticks per second of /proc/<pid>/stat times: AT_CLKTCK of this process's auxiliary vector (what `getconf
 * CLK_TCK` reads), without starting a process; 100 (Linux's USER_HZ) when it cannot be read.
 */
function clockTicks(): number {
  if (ticks === undefined) {
    ticks = 100;
    try {
      const auxv = readFileSync('/proc/self/auxv');
      for (let at = 0; at + 16 <= auxv.length; at += 16) {
        const type = auxv.readBigUInt64LE(at);
        if (type === 0n) break;
        if (type === AT_CLKTCK && auxv.readBigUInt64LE(at + 8) > 0n) ticks = Number(auxv.readBigUInt64LE(at + 8));
      }
    } catch {
      // keep USER_HZ
    }
  }
  return ticks;
}

const AT_CLKTCK = 17n;

/** The host's boot time (epoch ms), from /proc/uptime (centiseconds; btime of /proc/stat has whole seconds only). */
async function bootTime(): Promise<number> {
  const uptime = Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
  return Date.now() - uptime * 1000;
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
async function statFields(pid: number | string): Promise<string[] | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

// Indexes in statFields (field numbers of proc(5) minus 3): utime 14, stime 15, cutime 16, cstime 17, starttime 22.
const UTIME = 11;
const STARTTIME = 19;

async function pidNs(pid: number | string): Promise<string | undefined> {
  try {
    return await readlink(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** eth0's counters as /proc/<pid>/net/dev shows them (the network namespace of that process). */
async function eth0(pid: number): Promise<{ rxBytes: number; rxPackets: number; txBytes: number; txPackets: number } | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/net/dev`, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const m = /^\s*eth0:\s*(.*)$/.exec(line);
    if (!m) continue;
    const f = m[1].trim().split(/\s+/).map(Number);
    return { rxBytes: f[0], rxPackets: f[1], txBytes: f[8], txPackets: f[9] };
  }
  return undefined;
}

/** Processes read at once: enough to keep the pass short (a process ending meanwhile moves its time to its reaper). */
const SLICE = 64;

/** fn over items, SLICE at a time. */
async function inSlices<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let at = 0; at < items.length; at += SLICE) await Promise.all(items.slice(at, at + SLICE).map(fn));
}

/**
 * Reads the usage of every given instance (instance id → host pid of its sandbox's init) in one pass: one readdir of
 * /proc, one readlink per host process, one small read per process of an instance and one per instance.
 */
export async function readUsage(inits: Map<string, number>): Promise<Map<string, Usage>> {
  const hz = clockTicks();
  const byNs = new Map<string, { instanceId: string; pid: number; cpuTicks: number }>();
  await inSlices([...inits], async ([instanceId, pid]) => {
    const ns = await pidNs(pid);
    if (ns) byNs.set(ns, { instanceId, pid, cpuTicks: 0 });
  });
  const out = new Map<string, Usage>();
  if (!byNs.size) return out;
  const pids = (await readdir('/proc')).filter((name) => name.charCodeAt(0) >= 48 && name.charCodeAt(0) <= 57);
  await inSlices(pids, async (name) => {
    const ns = await pidNs(name);
    const acc = ns === undefined ? undefined : byNs.get(ns);
    if (!acc) return;
    const f = await statFields(name);
    if (!f) return;
    acc.cpuTicks += Number(f[UTIME]) + Number(f[UTIME + 1]) + Number(f[UTIME + 2]) + Number(f[UTIME + 3]);
  });
  const boot = await bootTime();
  await inSlices([...byNs.values()], async (acc) => {
    const [f, net] = await Promise.all([statFields(acc.pid), eth0(acc.pid)]);
    if (!f) return;
    // No eth0 (the instance deleted its own link): nothing more is received or sent.
    out.set(acc.instanceId, {
      cpuSeconds: acc.cpuTicks / hz,
      ...(net ?? { rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0 }),
      startedAt: boot + (Number(f[STARTTIME]) / hz) * 1000,
      initPid: acc.pid,
    });
  });
  return out;
}
