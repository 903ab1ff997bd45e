import type { Statement } from 'better-sqlite3';
import type { Cloud } from '../../cloud.js';
import type { Timer } from '../../clock/clock.js';
import { hasScalingActions, listenForActionResults } from './alarm-actions.js';
import { alarmHistory } from './alarm-history.js';
import { alarmPeriod, type AlarmRecord } from './alarm-model.js';
import { stateReason, stateReasonData } from './alarm-reason.js';
import { decide, EXTRA_RANGE_PERIODS, type RangePoint, type TreatMissingData } from './alarm-rules.js';
import {
  alarmKey,
  HIGH_RES_TICK_MS,
  highResolutionAlarms,
  isHighResolutionPeriod,
  onHighResolutionAlarm,
  STANDARD_TICK_MS,
} from './alarm-schedule.js';
import { changeState, repeatActions } from './alarm-state.js';
import { runQueries } from './metric-data-queries.js';
import { statisticSeries } from './metric-queries.js';
import { metricStore, type MetricRef } from './metric-store.js';

const PRUNE_EVERY_MS = 3_600_000;

/** The fewest samples a percentile needs to be significant, as the User Guide states it. */
function lowSampleLimit(stat: string): number {
  // In percent, so that p90 needs exactly 100 samples: 10 / (1 - 0.9) is not exact in floating point.
  const p = Number(stat.slice(1));
  if (p >= 50) return p >= 100 ? Infinity : 1000 / (100 - p);
  return p <= 0 ? Infinity : 1000 / p;
}

const metrics = new WeakMap<AlarmRecord, MetricRef>();
const metricOf = (alarm: AlarmRecord): MetricRef => {
  let m = metrics.get(alarm);
  if (!m) {
    m = { Namespace: alarm.Namespace as string, MetricName: alarm.MetricName as string, Dimensions: alarm.Dimensions };
    metrics.set(alarm, m);
  }
  return m;
};

/** The alarm's data per period of its evaluation range, oldest first; the last period ends at `at`. */
export function evaluationRange(cloud: Cloud, region: string, alarm: AlarmRecord, at: number): RangePoint[] {
  const periodMs = alarmPeriod(alarm) * 1000;
  const count = alarm.EvaluationPeriods + EXTRA_RANGE_PERIODS;
  const start = at - count * periodMs;
  const store = metricStore(cloud);
  const byTs = new Map<number, { value: number; sampleCount?: number }>();
  if (alarm.Metrics) {
    const results = runQueries(store, region, alarm.Metrics, start, at);
    const main = results.get(alarm.Metrics.find((q) => q.ReturnData !== false)?.Id ?? '');
    if (main?.kind === 'series') for (const [ts, value] of main.points) byTs.set(ts, { value });
  } else {
    const metric = metricOf(alarm);
    const stat = (alarm.ExtendedStatistic ?? alarm.Statistic) as string;
    for (const p of statisticSeries(store, region, metric, stat, alarm.Unit, start, at, periodMs))
      byTs.set(p.ts, { value: p.value, sampleCount: p.sampleCount });
  }
  const range: RangePoint[] = [];
  for (let k = 0; k < count; k++) {
    const ts = start + k * periodMs;
    const point = byTs.get(ts);
    range.push(point ? { ts, value: point.value, sampleCount: point.sampleCount } : { ts });
  }
  return range;
}

/**
 * Evaluates one alarm at time `at` (the end of its evaluation range: a 10-second or minute boundary) and applies the
 * resulting state change, if any. With `repeat` (the evaluations on minute boundaries), an alarm that stays in its
 * state runs that state's Auto Scaling actions again, with the newest datapoint of this evaluation.
 */
export function evaluateAlarm(cloud: Cloud, region: string, alarm: AlarmRecord, at: number, repeat = false): AlarmRecord {
  const range = evaluationRange(cloud, region, alarm, at);
  if (alarm.ExtendedStatistic && alarm.EvaluateLowSampleCountPercentile === 'ignore') {
    // "ignore": while the sample size is too low to be significant, the alarm does not change state.
    const newest = [...range].reverse().find((p) => p.value !== undefined);
    if (newest && (newest.sampleCount ?? 0) < lowSampleLimit(alarm.ExtendedStatistic)) {
      if (repeat && hasScalingActions(alarm)) repeatActions(cloud, region, alarm, undefined);
      return alarm;
    }
  }
  const n = alarm.EvaluationPeriods;
  const m = alarm.DatapointsToAlarm ?? n;
  const treat = (alarm.TreatMissingData ?? 'missing') as TreatMissingData;
  const decision = decide(range, n, m, alarm.ComparisonOperator, alarm.Threshold as number, treat);
  if (!decision.state || decision.state === alarm.StateValue) {
    if (repeat && hasScalingActions(alarm)) repeatActions(cloud, region, alarm, decision.evaluated.find((p) => !p.filled)?.value);
    return alarm;
  }
  const ctx = {
    decision,
    newState: decision.state,
    oldState: alarm.StateValue,
    operator: alarm.ComparisonOperator,
    threshold: alarm.Threshold as number,
    datapointsToAlarm: m,
    evaluationPeriods: n,
    period: alarmPeriod(alarm),
    statistic: alarm.Statistic,
    extendedStatistic: alarm.ExtendedStatistic,
    unit: alarm.Unit,
    queryDate: cloud.clock.now(),
    rangeStart: range[0].ts,
  };
  return changeState(cloud, region, alarm, decision.state, stateReason(ctx), stateReasonData(ctx), 'evaluation');
}

interface Row {
  scope: string;
  id: string;
  data: string;
}

/**
 * Evaluates the metric alarms of every region on the cloud clock: every 10 seconds the high-resolution alarms
 * (period 10, 20 or 30 s), and on each minute boundary every alarm. It keeps no state of its own beyond caches:
 * alarms are read from the store, so a restarted daemon carries on.
 */
export class AlarmEvaluator {
  private timer?: Timer;
  private pruneTimer?: Timer;
  private stopListening?: () => void;
  /** The last minute boundary at which every alarm was evaluated (a late timer must not skip one). */
  private lastMinute = -Infinity;
  private nextTickAt = 0;

  /** Parsed alarms by region and name, reused while their stored JSON is unchanged (parsing 10,000 a minute shows). */
  private readonly parsed = new Map<string, { raw: string; alarm: AlarmRecord }>();
  private listRows?: Statement<[], Row>;
  private oneRow?: Statement<[string, string], { data: string }>;

  constructor(private readonly cloud: Cloud) {}

  private parse(key: string, raw: string): AlarmRecord {
    let entry = this.parsed.get(key);
    if (!entry || entry.raw !== raw) {
      entry = { raw, alarm: JSON.parse(raw) as AlarmRecord };
      this.parsed.set(key, entry);
    }
    return entry.alarm;
  }

  /** Every metric alarm; rebuilds the set of high-resolution ones on the way. */
  private allAlarms(): Array<{ scope: string; alarm: AlarmRecord }> {
    // The store's own rows, read raw so that unchanged alarms are not parsed again.
    this.listRows ??= this.cloud.store.db.prepare<[], Row>("SELECT scope, id, data FROM resources WHERE kind = 'cloudwatch.alarm'");
    const highRes = highResolutionAlarms(this.cloud);
    highRes.clear();
    const seen = new Set<string>();
    const out = this.listRows.all().map((r) => {
      const key = alarmKey(r.scope, r.id);
      seen.add(key);
      const alarm = this.parse(key, r.data);
      if (isHighResolutionPeriod(alarmPeriod(alarm))) highRes.add(key);
      return { scope: r.scope, alarm };
    });
    for (const key of this.parsed.keys()) if (!seen.has(key)) this.parsed.delete(key);
    return out;
  }

  /** The high-resolution alarms only, each read by its key. */
  private highResAlarms(): Array<{ scope: string; alarm: AlarmRecord }> {
    this.oneRow ??= this.cloud.store.db.prepare<[string, string], { data: string }>(
      "SELECT data FROM resources WHERE kind = 'cloudwatch.alarm' AND scope = ? AND id = ?",
    );
    const highRes = highResolutionAlarms(this.cloud);
    const out: Array<{ scope: string; alarm: AlarmRecord }> = [];
    for (const key of [...highRes]) {
      const [scope, id] = key.split('\n');
      const row = this.oneRow.get(scope, id);
      const alarm = row ? this.parse(key, row.data) : undefined;
      if (!alarm || !isHighResolutionPeriod(alarmPeriod(alarm))) {
        highRes.delete(key);
        continue;
      }
      out.push({ scope, alarm });
    }
    return out;
  }

  start(): void {
    this.stopListening = listenForActionResults(this.cloud);
    // Learn the high-resolution alarms of a restarted daemon before the first 10-second tick.
    this.allAlarms();
    // As before high-resolution ticks: the first full evaluation is at the next minute boundary.
    const now = this.cloud.clock.now();
    this.lastMinute = now - (now % STANDARD_TICK_MS);
    onHighResolutionAlarm(this.cloud, () => this.wake());
    this.armNextTick();
    // A daemon that was down catches up on rollups and retention at once, then every hour.
    this.prune();
    this.pruneTimer = this.cloud.clock.every(PRUNE_EVERY_MS, () => this.prune());
  }

  /**
   * Each tick is scheduled anew for the next 10-second boundary while there are high-resolution alarms, else for
   * the next minute boundary (a cloud without them, or a virtual clock advanced by days, ticks once a minute), so
   * timer lateness never accumulates.
   */
  private armNextTick(): void {
    const clock = this.cloud.clock;
    const interval = highResolutionAlarms(this.cloud).size > 0 ? HIGH_RES_TICK_MS : STANDARD_TICK_MS;
    const now = clock.now();
    this.nextTickAt = now + interval - (now % interval);
    this.timer = clock.after(this.nextTickAt - now, () => {
      this.tick();
      this.armNextTick();
    });
  }

  /** A high-resolution alarm appeared: tick at the next 10-second boundary rather than the next minute. */
  private wake(): void {
    if (!this.timer) return;
    const now = this.cloud.clock.now();
    if (this.nextTickAt - now <= HIGH_RES_TICK_MS - (now % HIGH_RES_TICK_MS)) return;
    this.timer.cancel();
    this.armNextTick();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.pruneTimer?.cancel();
    this.stopListening?.();
  }

  /**
   * Evaluates the alarms due at the current 10-second boundary: the high-resolution ones, and every alarm when a
   * minute boundary has passed since the last full evaluation. Returns how many alarms were evaluated.
   */
  tick(): number {
    const now = this.cloud.clock.now();
    const at = now - (now % HIGH_RES_TICK_MS);
    const minute = now - (now % STANDARD_TICK_MS);
    const full = minute > this.lastMinute;
    if (full) this.lastMinute = minute;
    const due = full ? this.allAlarms() : this.highResAlarms();
    if (due.length === 0) return 0;
    let evaluated = 0;
    // One transaction for the whole tick: state changes and history items of many alarms land in one commit.
    this.cloud.store.tx(() => {
      for (const { scope, alarm } of due) {
        try {
          evaluateAlarm(this.cloud, scope, alarm, isHighResolutionPeriod(alarmPeriod(alarm)) ? at : minute, full);
          evaluated++;
        } catch (err) {
          console.error(`[halo] alarm ${alarm.AlarmName} (${scope}) could not be evaluated:`, err);
        }
      }
    });
    return evaluated;
  }

  prune(): void {
    const now = this.cloud.clock.now();
    metricStore(this.cloud).rollUp(now);
    alarmHistory(this.cloud).prune(now);
  }
}
