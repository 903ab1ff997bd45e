import type { Workload } from './workload.js';

/** Wall milliseconds a check may take before it counts as failed. */
export const PROBE_TIMEOUT_FLOOR_MS = 3000;
/**
 * Wall milliseconds between writes at least: one write every 5 AWS seconds, but a CI server's write (a forced build)
 * costs real work that no time scale shortens, and a faster writer would measure its own backlog.
 */
export const WRITE_INTERVAL_FLOOR_MS = 1000;
/** Wall milliseconds a write may take before it counts as not acknowledged. */
export const WRITE_TIMEOUT_FLOOR_MS = 10_000;

export interface Sample {
  startWall: number;
  endWall: number;
  ok: boolean;
}

/**
 * Checks the service continuously: one check every `intervalMs` of wall time (one AWS second at the cloud's scale,
 * never under 20 ms), each with its own timeout, so that a service that hangs does not slow the sampling down.
 */
export class Prober {
  readonly samples: Sample[] = [];
  private timer?: NodeJS.Timeout;
  private inFlight = 0;
  private lastApplied = 0;
  up: boolean | undefined;

  /**
   * Each check's timeout: five intervals, and never under PROBE_TIMEOUT_FLOOR_MS of wall time, because the service's
   * answer takes real time that no time scale shortens (a loaded CI server answers in a second or two).
   */
  readonly timeoutMs: number;

  constructor(
    private readonly workload: Workload,
    readonly intervalMs: number,
    private readonly onChange: (up: boolean, at: number) => void,
  ) {
    this.timeoutMs = Math.max(PROBE_TIMEOUT_FLOOR_MS, intervalMs * 5);
  }

  start(): void {
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.check();
  }

  /** One check now; the timer makes one per interval. */
  check(): void {
    // A hanging service holds each check until its timeout: allow every check of one timeout span (and a margin) in
    // flight, so that sampling stays at one per interval during an outage.
    if (this.inFlight >= Math.ceil(this.timeoutMs / this.intervalMs) + 8) return;
    this.inFlight++;
    const startWall = Date.now();
    void this.workload
      .check(this.timeoutMs)
      .catch(() => false)
      .then((ok) => {
        this.inFlight--;
        const s = { startWall, endWall: Date.now(), ok };
        this.samples.push(s);
        if (startWall < this.lastApplied) return;
        this.lastApplied = startWall;
        if (this.up !== ok) {
          this.up = ok;
          this.onChange(ok, ok ? s.endWall : s.startWall);
        }
      });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The last failed check after `since` (wall ms), by start time. */
  lastFailureAfter(since: number): Sample | undefined {
    let found: Sample | undefined;
    for (const s of this.samples) if (!s.ok && s.startWall >= since && (!found || s.startWall > found.startWall)) found = s;
    return found;
  }

  /** Checks that started after `since`, by start time. */
  after(since: number): Sample[] {
    return this.samples.filter((s) => s.startWall >= since).sort((a, b) => a.startWall - b.startWall);
  }
}

export interface Ack {
  seq: number;
  wall: number;
}

/** Makes one write at a time through the workload, numbered; keeps those the service acknowledged. */
export class Writer {
  readonly acks: Ack[] = [];
  private seq = 0;
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly workload: Workload,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const began = Date.now();
        const seq = ++this.seq;
        const ok = await this.workload.write(seq, this.timeoutMs).catch(() => false);
        if (ok) this.acks.push({ seq, wall: Date.now() });
        const rest = this.intervalMs - (Date.now() - began);
        if (rest > 0 && this.running) await new Promise((r) => setTimeout(r, rest));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
