/**
 * The one clock of the local cloud. Every AWS-side delay (status checks, alarm periods, grace periods, state
 * transitions) is expressed in AWS milliseconds and scheduled here. A time scale compresses AWS time: at
 * scale 60 one AWS minute passes per wall second. Software inside instances always runs in wall time.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** AWS time, epoch milliseconds. */
  now(): number;
  /** AWS milliseconds per wall millisecond. */
  readonly scale: number;
  /** Runs fn after awsDelayMs of AWS time. */
  after(awsDelayMs: number, fn: () => void): Timer;
  /** Runs fn every awsPeriodMs of AWS time until cancelled. */
  every(awsPeriodMs: number, fn: () => void): Timer;
  /** Resolves after awsDelayMs of AWS time. */
  sleep(awsDelayMs: number): Promise<void>;
}

export class ScaledClock implements Clock {
  // Monotonic: a change of the host's wall clock does not move AWS time.
  private readonly wallAnchor = performance.now();
  private readonly awsAnchor: number;

  constructor(
    readonly scale = 1,
    awsStart = Date.now(),
  ) {
    if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`time scale must be a positive number, got ${scale}`);
    this.awsAnchor = awsStart;
  }

  now(): number {
    return Math.floor(this.awsAnchor + (performance.now() - this.wallAnchor) * this.scale);
  }

  /** fn never runs before now() reads the due time: Node's timers may fire up to a millisecond early. */
  after(awsDelayMs: number, fn: () => void): Timer {
    const due = this.now() + Math.max(0, awsDelayMs);
    let handle: NodeJS.Timeout;
    const arm = (awsLeft: number) => {
      handle = setTimeout(() => {
        const left = due - this.now();
        if (left > 0) arm(left);
        else fn();
      }, awsLeft / this.scale);
    };
    arm(due - this.now());
    return { cancel: () => clearTimeout(handle) };
  }

  every(awsPeriodMs: number, fn: () => void): Timer {
    const handle = setInterval(fn, Math.max(1, awsPeriodMs / this.scale));
    return { cancel: () => clearInterval(handle) };
  }

  sleep(awsDelayMs: number): Promise<void> {
    return new Promise((resolve) => this.after(awsDelayMs, resolve));
  }
}

interface PendingTimer {
  due: number;
  seq: number;
  period?: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that only moves when told to: for unit tests of timing rules. */
export class VirtualClock implements Clock {
  readonly scale = 1;
  private current: number;
  private seq = 0;
  private timers: PendingTimer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  after(awsDelayMs: number, fn: () => void): Timer {
    return this.schedule({ due: this.current + Math.max(0, awsDelayMs), seq: this.seq++, fn, cancelled: false });
  }

  every(awsPeriodMs: number, fn: () => void): Timer {
    const period = Math.max(1, awsPeriodMs);
    return this.schedule({ due: this.current + period, seq: this.seq++, period, fn, cancelled: false });
  }

  sleep(awsDelayMs: number): Promise<void> {
    return new Promise((resolve) => this.after(awsDelayMs, resolve));
  }

  /** Moves time forward by ms, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      this.timers.sort((a, b) => a.due - b.due || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.due > target) break;
      this.current = next.due;
      if (next.period) next.due += next.period;
      else next.cancelled = true;
      next.fn();
    }
    this.current = target;
  }

  private schedule(t: PendingTimer): Timer {
    this.timers.push(t);
    return {
      cancel: () => {
        t.cancelled = true;
      },
    };
  }
}
