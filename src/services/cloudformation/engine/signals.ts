import type { Cloud } from '../../../cloud.js';

/**
 * Resource signals (CreationPolicy ResourceSignal, AutoScalingRollingUpdate WaitOnResourceSignals). A resource that
 * waits for signals records `awaiting` in its state (so SignalResource knows it may be signaled); each signal is a
 * row of its own, written by SignalResource, and the waiting engine is woken through `cloud.events`.
 */
export interface SignalRow {
  uniqueId: string;
  status: 'SUCCESS' | 'FAILURE';
  /** AWS time (ms) the signal arrived. */
  at: number;
  /** A wait condition handle's signal carries these too (its JSON's Reason and Data). */
  reason?: string;
  data?: string;
}

/** What a resource waiting for signals records in its state. */
export interface AwaitingSignals {
  count: number;
  /** AWS time (ms) by which the signals must have arrived. */
  expires: number;
  /** Of `count`, the share (%) that must succeed (AutoScalingCreationPolicy.MinSuccessfulInstancesPercent). */
  minSuccessPercent: number;
}

/** The signals did not all come in time (`missing` of them). */
export class SignalTimeoutError extends Error {
  constructor(readonly missing: number) {
    super(`Failed to receive ${missing} resource signal(s) within the specified duration`);
  }
}

const SIGNAL_EVENT = 'cloudformation.signalReceived';

export function signalTable(cloud: Cloud) {
  return cloud.store.table<SignalRow>('cloudformation.signal');
}

const scopeOf = (stackId: string, logicalId: string) => `${stackId}#${logicalId}`;

/** Records a signal (a second signal with the same UniqueId replaces the first) and wakes the waiting resource. */
export function recordSignal(cloud: Cloud, stackId: string, logicalId: string, row: SignalRow): void {
  signalTable(cloud).put(scopeOf(stackId, logicalId), row.uniqueId, row);
  cloud.events.emit(SIGNAL_EVENT, { stackId, logicalId });
}

export function clearSignals(cloud: Cloud, stackId: string, logicalId: string): void {
  const table = signalTable(cloud);
  const scope = scopeOf(stackId, logicalId);
  for (const row of table.list(scope)) table.delete(scope, row.uniqueId);
}

/** ISO-8601 duration (`PT15M`, `PT1H30M`, `P1DT2H`) in milliseconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim());
  if (!m || text.trim() === 'P' || text.trim().endsWith('T')) return undefined;
  const [, d, h, min, s] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
}

/** CloudFormation's longest signal wait (12 hours). */
export const MAX_SIGNAL_WAIT_MS = 12 * 3600_000;

/** The resource-signal part of a resource's CreationPolicy, when it has one (Count defaults to 1, Timeout to PT5M). */
export function creationSignals(policy: unknown, now: number): AwaitingSignals | undefined {
  if (!policy || typeof policy !== 'object') return undefined;
  const p = policy as {
    ResourceSignal?: { Count?: unknown; Timeout?: unknown };
    AutoScalingCreationPolicy?: { MinSuccessfulInstancesPercent?: unknown };
  };
  if (!p.ResourceSignal) return undefined;
  return awaitingOf(p.ResourceSignal.Count, p.ResourceSignal.Timeout, p.AutoScalingCreationPolicy?.MinSuccessfulInstancesPercent, now);
}

export function awaitingOf(countValue: unknown, timeoutValue: unknown, percentValue: unknown, now: number): AwaitingSignals {
  const count = countValue === undefined ? 1 : Number(countValue);
  if (!Number.isInteger(count) || count < 0) throw new Error(`Invalid value for ResourceSignal Count: ${String(countValue)}`);
  const timeout = timeoutValue === undefined ? 5 * 60_000 : parseDuration(String(timeoutValue));
  if (timeout === undefined)
    throw new Error(`Invalid value for ResourceSignal Timeout: ${String(timeoutValue)} (an ISO 8601 duration, e.g. PT15M)`);
  if (timeout > MAX_SIGNAL_WAIT_MS) throw new Error(`ResourceSignal Timeout ${String(timeoutValue)} exceeds the maximum of PT12H`);
  const percent = percentValue === undefined ? 100 : Number(percentValue);
  if (!Number.isFinite(percent) || percent < 0 || percent > 100)
    throw new Error(`Invalid value for MinSuccessfulInstancesPercent: ${String(percentValue)}`);
  return { count, expires: now + timeout, minSuccessPercent: percent };
}

/**
 * Waits until the awaited signals arrive: resolves when enough SUCCESS signals came, throws with AWS's reason when a
 * FAILURE signal makes success impossible or the time runs out. `onSignal` is told of each new signal (for the
 * stack event "Received SUCCESS signal with UniqueId ...").
 */
export async function waitForSignals(
  cloud: Cloud,
  stackId: string,
  logicalId: string,
  awaiting: AwaitingSignals,
  onSignal: (row: SignalRow) => void,
  abort?: AbortSignal,
): Promise<void> {
  const { count, expires, minSuccessPercent } = awaiting;
  if (count === 0) return;
  const needed = Math.max(1, Math.ceil((count * minSuccessPercent) / 100));
  const seen = new Set<string>();
  const table = signalTable(cloud);
  const scope = scopeOf(stackId, logicalId);
  await new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      timer.cancel();
      cloud.events.off(SIGNAL_EVENT, check);
      abort?.removeEventListener('abort', stop);
      if (err) reject(err);
      else resolve();
    };
    const tally = () => {
      const rows = table.list(scope);
      for (const row of rows) {
        const key = `${row.uniqueId}/${row.status}/${row.at}`;
        if (!seen.has(key)) {
          seen.add(key);
          onSignal(row);
        }
      }
      return rows;
    };
    const check = (e?: { stackId: string; logicalId: string }) => {
      if (e && (e.stackId !== stackId || e.logicalId !== logicalId)) return;
      const rows = tally();
      const failures = rows.filter((r) => r.status === 'FAILURE');
      const successes = rows.length - failures.length;
      if (successes >= count || (successes >= needed && rows.length >= count)) return finish();
      if (failures.length && count - failures.length < needed) {
        if (minSuccessPercent === 100 && count === 1)
          return finish(new Error(`Received FAILURE signal with UniqueId ${failures[0].uniqueId}`));
        return finish(
          new Error(
            `Received ${failures.length} FAILURE signal(s) out of ${count}. Unable to satisfy ${minSuccessPercent}% MinSuccessfulInstancesPercent requirement`,
          ),
        );
      }
    };
    const timer = cloud.clock.after(Math.max(0, expires - cloud.clock.now()), () => {
      const rows = tally();
      const successes = rows.filter((r) => r.status === 'SUCCESS').length;
      if (successes >= needed) return finish();
      finish(new SignalTimeoutError(count - successes));
    });
    // The stack operation was cancelled (another resource failed, TimeoutInMinutes): stop waiting.
    const stop = () => finish(new Error('Resource creation cancelled'));
    abort?.addEventListener('abort', stop);
    cloud.events.on(SIGNAL_EVENT, check);
    if (abort?.aborted) return stop();
    check();
  });
}
