/** `1m05s`, `42s`, `1h02m`: an elapsed wall time for people. */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Without a terminal (CI logs, pipes), how often a long step says it is still going. */
const QUIET_HEARTBEAT_MS = 30_000;

/**
 * The live part of a long command: lines (events, results) printed as they come, and under them one status line
 * (a spinner, the current step, its elapsed time and the whole command's) redrawn in place on a terminal. Without a
 * terminal the step is printed when it changes and then every 30 s, so a log still shows that it is alive.
 */
export class Progress {
  private readonly started = Date.now();
  private stepStarted = Date.now();
  private label = '';
  private frame = 0;
  private drawn = false;
  private lastQuiet = 0;
  private timer?: NodeJS.Timeout;
  private readonly tty: boolean;

  /** `out` receives the lines; the status line goes to stderr (a terminal only). */
  constructor(
    private readonly out: (line: string) => void = (line) => console.log(line),
    tty = Boolean(process.stderr.isTTY),
  ) {
    this.tty = tty;
  }

  /** Starts a step: the status line names it and counts its time from now. */
  step(label: string): void {
    this.stepStarted = Date.now();
    this.label = label;
    this.lastQuiet = 0;
    this.render();
    if (!this.timer) {
      this.timer = setInterval(() => this.render(), this.tty ? 120 : 1000);
      this.timer.unref();
    }
  }

  /** Changes what the current step says it is doing, keeping its start. */
  detail(label: string): void {
    if (label === this.label) return;
    this.label = label;
    this.lastQuiet = 0;
    this.render();
  }

  /** Prints a line above the status line. */
  log(line: string): void {
    this.clear();
    this.out(line);
    this.render();
  }

  /** Ends the current step: its line says what came of it and how long it took. */
  done(result: string): void {
    this.stop();
    this.out(`${result} (${elapsed(Date.now() - this.stepStarted)})`);
  }

  /** Stops the status line (on success or failure); the command's total time. */
  stop(): string {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    this.label = '';
    return elapsed(Date.now() - this.started);
  }

  private render(): void {
    if (!this.label) return;
    const now = Date.now();
    const times = `${elapsed(now - this.stepStarted)}, total ${elapsed(now - this.started)}`;
    if (this.tty) {
      const width = process.stderr.columns || 100;
      const text = `${FRAMES[this.frame++ % FRAMES.length]} ${this.label} (${times})`;
      process.stderr.write(`\r\x1b[2K${text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text}`);
      this.drawn = true;
    } else if (!this.lastQuiet || now - this.lastQuiet >= QUIET_HEARTBEAT_MS) {
      this.lastQuiet = now;
      this.out(`… ${this.label} (${times})`);
    }
  }

  private clear(): void {
    if (this.tty && this.drawn) process.stderr.write('\r\x1b[2K');
    this.drawn = false;
  }
}
