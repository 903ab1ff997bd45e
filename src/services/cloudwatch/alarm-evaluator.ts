import type { Statement } from 'better-sqlite3';
import type { Cloud } from '../../cloud.js';
import type { Timer } from '../../clock/clock.js';
import { listenForActionResults } from './alarm-actions.js';
import { alarmHistory } from './alarm-history.js';
import { alarmPeriod, type AlarmRecord } from './alarm-model.js';
import { stateReason, stateReasonData } from './alarm-reason.js';
import { decide, EXTRA_RANGE_PERIODS, type RangePoint, type TreatMissingData } from './alarm-rules.js';
import { changeState } from './alarm-state.js';
import { runQueries } from './metric-data-queries.js';
import { statisticSeries } from './metric-queries.js';
import { metricStore, type MetricRef } from './metric-store.js';

const MINUTE = 60_000;
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
  const store = metricStore(cloud.store.db);
  const byTs = new Map<number, { value: number; sampleCount?: number }>();
  if (alarm.Metrics) {
    const results = runQueries(store, region, alarm.Metrics, start, at);
    const main = results.get(alarm.Metrics.find((q) => q.ReturnData !== false)?.Id ?? '');
    if (main?.kind === 'series') for (const [ts, value] of main.points) byTs.set(ts, { value });
  } else {
    const metric = metricOf(alarm);
    const stat = (alarm.ExtendedStatistic ?? alarm.Statistic) as string;
    for (const p of statisticSeries(store, region, metric, stat, alarm.Unit, start, at, periodMs)) byTs.set(p.ts, { value: p.value, sampleCount: p.sampleCount });
  }
  const range: RangePoint[] = [];
  for (let k = 0; k < count; k++) {
    const ts = start + k * periodMs;
    const point = byTs.get(ts);
    range.push(point ? { ts, value: point.value, sampleCount: point.sampleCount } : { ts });
  }
  return range;
}

/** Evaluates one alarm at time `at` (a minute boundary) and applies the resulting state change, if any. */
export function evaluateAlarm(cloud: Cloud, region: string, alarm: AlarmRecord, at: number): AlarmRecord {
  const range = evaluationRange(cloud, region, alarm, at);
  if (alarm.ExtendedStatistic && alarm.EvaluateLowSampleCountPercentile === 'ignore') {
    // "ignore": while the sample size is too low to be significant, the alarm does not change state.
    const newest = [...range].reverse().find((p) => p.value !== undefined);
    if (newest && (newest.sampleCount ?? 0) < lowSampleLimit(alarm.ExtendedStatistic)) return alarm;
  }
  const n = alarm.EvaluationPeriods;
  const m = alarm.DatapointsToAlarm ?? n;
  const treat = (alarm.TreatMissingData ?? 'missing') as TreatMissingData;
  const decision = decide(range, n, m, alarm.ComparisonOperator, alarm.Threshold as number, treat);
  if (!decision.state || decision.state === alarm.StateValue) return alarm;
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

/**
 * Evaluates every metric alarm of every region once a minute of AWS time, on minute boundaries of the cloud clock.
 * It keeps no state of its own: alarms are read from the store at each tick, so a restarted daemon carries on.
 */
export class AlarmEvaluator {
  private timer?: Timer;
  private pruneTimer?: Timer;
  private stopListening?: () => void;

  /** Parsed alarms by region and name, reused while their stored JSON is unchanged (parsing 10,000 a minute shows). */
  private readonly parsed = new Map<string, { raw: string; alarm: AlarmRecord }>();
  private listRows?: Statement<[], { scope: string; id: string; data: string }>;

  constructor(private readonly cloud: Cloud) {}

  private alarms(): Array<{ scope: string; alarm: AlarmRecord }> {
    // The store's own rows, read raw so that unchanged alarms are not parsed again.
    this.listRows ??= this.cloud.store.db.prepare<[], { scope: string; id: string; data: string }>("SELECT scope, id, data FROM resources WHERE kind = 'cloudwatch.alarm'");
    const rows = this.listRows.all();
    const seen = new Set<string>();
    const out = rows.map((r) => {
      const key = `${r.scope}\n${r.id}`;
      seen.add(key);
      let entry = this.parsed.get(key);
      if (!entry || entry.raw !== r.data) {
        entry = { raw: r.data, alarm: JSON.parse(r.data) as AlarmRecord };
        this.parsed.set(key, entry);
      }
      return { scope: r.scope, alarm: entry.alarm };
    });
    for (const key of this.parsed.keys()) if (!seen.has(key)) this.parsed.delete(key);
    return out;
  }

  start(): void {
    this.stopListening = listenForActionResults(this.cloud);
    this.armNextTick();
    this.pruneTimer = this.cloud.clock.every(PRUNE_EVERY_MS, () => this.prune());
  }

  /** Each tick is scheduled for the next minute boundary anew, so timer lateness never accumulates into a skipped minute. */
  private armNextTick(): void {
    const clock = this.cloud.clock;
    const untilNextMinute = MINUTE - (clock.now() % MINUTE);
    this.timer = clock.after(untilNextMinute, () => {
      this.tick();
      this.armNextTick();
    });
  }

  stop(): void {
    this.timer?.cancel();
    this.pruneTimer?.cancel();
    this.stopListening?.();
  }

  /** Evaluates every alarm as of the current minute boundary. */
  tick(): number {
    const now = this.cloud.clock.now();
    const at = now - (now % MINUTE);
    let evaluated = 0;
    // One transaction for the whole tick: state changes and history items of many alarms land in one commit.
    this.cloud.store.tx(() => {
      for (const { scope, alarm } of this.alarms()) {
        try {
          evaluateAlarm(this.cloud, scope, alarm, at);
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
    metricStore(this.cloud.store.db).prune(now);
    alarmHistory(this.cloud.store.db).prune(now);
  }
}
