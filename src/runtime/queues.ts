const ignore = () => undefined;

/**
 * One job at a time per key, in the order asked (creating and destroying one VPC's namespace must never overlap).
 * A job that fails rejects its own caller only; the next job of the key runs all the same.
 */
export class Serial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const done = (this.tails.get(key) ?? Promise.resolve()).then(ignore, ignore).then(job);
    this.tails.set(key, done);
    const forget = () => {
      if (this.tails.get(key) === done) this.tails.delete(key);
    };
    done.then(forget, forget);
    return done;
  }
}

/**
 * Re-applies something derived from current state (a firewall ruleset, the host's address maps), one application at
 * a time per key. Asked while one runs, the caller waits for the next one, which reads the state when it starts:
 * every caller so gets an application that started after its ask (nothing it changed is missed), and many asks at
 * once (50 instances launching) cost two applications, not fifty. A failure rejects every caller of that application.
 */
export class Coalescer {
  private readonly current = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Promise<void>>();
  /** Applications asked for in this turn of the event loop, not begun yet: later asks of the same turn join them. */
  private readonly starting = new Set<string>();

  request(key: string, apply: () => Promise<void>): Promise<void> {
    if (this.starting.has(key)) return this.current.get(key) as Promise<void>;
    const queued = this.queued.get(key);
    if (queued) return queued;
    const current = this.current.get(key);
    if (!current) return this.start(key, apply);
    const next = current.then(ignore, ignore).then(() => {
      this.queued.delete(key);
      return this.start(key, apply);
    });
    this.queued.set(key, next);
    return next;
  }

  /** Resolves once nothing runs or waits for this key, whatever the outcome. */
  async settled(key: string): Promise<void> {
    for (let p = this.queued.get(key) ?? this.current.get(key); p; p = this.queued.get(key) ?? this.current.get(key))
      await p.then(ignore, ignore);
  }

  private start(key: string, apply: () => Promise<void>): Promise<void> {
    // Begun at the end of this turn: the events of one change (an Elastic IP moved: one address disassociated,
    // another associated) cost one application, not one and then another after it.
    this.starting.add(key);
    const run = Promise.resolve().then(() => {
      this.starting.delete(key);
      return apply();
    });
    this.current.set(key, run);
    const clear = () => {
      if (this.current.get(key) === run) this.current.delete(key);
    };
    run.then(clear, clear);
    return run;
  }
}

/**
 * Promise.all that waits for every promise before it rejects (with the first failure): whoever cleans up after a
 * failure knows that nothing it started still runs.
 */
export async function allSettled<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((x) => (x as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
