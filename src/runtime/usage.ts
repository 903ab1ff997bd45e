import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

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
function bootTime(): number {
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Date.now() - uptime * 1000;
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number | string): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

// Indexes in statFields (field numbers of proc(5) minus 3): utime 14, stime 15, cutime 16, cstime 17, starttime 22.
const UTIME = 11;
const STARTTIME = 19;

function pidNs(pid: number | string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** eth0's counters as /proc/<pid>/net/dev shows them (the network namespace of that process). */
function eth0(pid: number): { rxBytes: number; rxPackets: number; txBytes: number; txPackets: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/net/dev`, 'utf8');
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

/**
 * Reads the usage of every given instance (instance id → host pid of its sandbox's init) in one pass: one readdir of
 * /proc, one readlink per host process, one small read per process of an instance and one per instance.
 */
export function readUsage(inits: Map<string, number>): Map<string, Usage> {
  const hz = clockTicks();
  const byNs = new Map<string, { instanceId: string; pid: number; cpuTicks: number }>();
  for (const [instanceId, pid] of inits) {
    const ns = pidNs(pid);
    if (ns) byNs.set(ns, { instanceId, pid, cpuTicks: 0 });
  }
  const out = new Map<string, Usage>();
  if (!byNs.size) return out;
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const ns = pidNs(name);
    const acc = ns === undefined ? undefined : byNs.get(ns);
    if (!acc) continue;
    const f = statFields(name);
    if (!f) continue;
    acc.cpuTicks += Number(f[UTIME]) + Number(f[UTIME + 1]) + Number(f[UTIME + 2]) + Number(f[UTIME + 3]);
  }
  const boot = bootTime();
  for (const acc of byNs.values()) {
    const f = statFields(acc.pid);
    if (!f) continue;
    // No eth0 (the instance deleted its own link): nothing more is received or sent.
    const net = eth0(acc.pid) ?? { rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0 };
    out.set(acc.instanceId, {
      cpuSeconds: acc.cpuTicks / hz,
      ...net,
      startedAt: boot + (Number(f[STARTTIME]) / hz) * 1000,
      initPid: acc.pid,
    });
  }
  return out;
}
