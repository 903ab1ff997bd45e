import { paginate, withoutPaging } from '../../protocol/paginate.js';
import { cloudwatchErrors } from './errors.js';
import type { RequestContext } from '../types.js';
import { checkDimensions, checkNamespace, checkUnit } from './metric-data.js';
import {
  LIST_WINDOW_MS,
  metricStore,
  sortedDimensions,
  type Dimension,
  type MetricRef,
  type MetricStore,
  type Sample,
} from './metric-store.js';
import { periodServes } from './metric-retention.js';
import { aggregate, isBasicStatistic, isPercentile, statisticValue, type Aggregate } from './statistics.js';

const MINUTE = 60_000;

/** A period is 1, 5, 10, 20, 30 seconds (high resolution) or a multiple of 60 seconds. */
export function checkPeriod(period: number, param: string): void {
  if (!Number.isInteger(period) || period < 1)
    throw cloudwatchErrors.invalidParameterValue(`The parameter ${param} must be a positive integer.`);
  if (period < 60 ? ![1, 5, 10, 20, 30].includes(period) : period % 60 !== 0) {
    throw cloudwatchErrors.invalidParameterValue(`The parameter ${param} must be 1, 5, 10, 20, 30 or a multiple of 60.`);
  }
}

/** Splits samples into periods [start + k*period, start + (k+1)*period), optionally keeping one unit only. */
export function bucketize(samples: Sample[], start: number, periodMs: number): Map<number, Sample[]> {
  const buckets = new Map<number, Sample[]>();
  for (const s of samples) {
    const b = start + Math.floor((s.ts - start) / periodMs) * periodMs;
    const list = buckets.get(b);
    if (list) list.push(s);
    else buckets.set(b, [s]);
  }
  return buckets;
}

export interface SeriesPoint {
  ts: number;
  value: number;
  sampleCount: number;
}

/** One statistic of a metric per period from `start` (aligned there) up to `end`, only for periods with data. */
export function statisticSeries(
  store: MetricStore,
  region: string,
  metric: MetricRef,
  stat: string,
  unit: string | undefined,
  start: number,
  end: number,
  periodMs: number,
  now = end,
): SeriesPoint[] {
  let samples = store.samples(region, metric, start, end, isPercentile(stat), now);
  if (unit !== undefined) samples = samples.filter((s) => s.unit === unit);
  const out: SeriesPoint[] = [];
  for (const [ts, list] of bucketize(samples, start, periodMs)) {
    const agg = aggregate(list) as Aggregate;
    const value = statisticValue(agg, stat);
    if (value !== undefined) out.push({ ts, value, sampleCount: agg.count });
  }
  return out.sort((a, b) => a.ts - b.ts);
}

/** AWS rounds StartTime down: to the minute within 15 days, to 5 minutes within 63 days, else to the hour. */
export function roundStart(start: number, now: number, period: number): number {
  if (period < 60) return start - (start % (period * 1000));
  const age = now - start;
  const unit = age <= 15 * 86_400_000 ? MINUTE : age <= 63 * 86_400_000 ? 5 * MINUTE : 60 * MINUTE;
  return start - (((start % unit) + unit) % unit);
}

interface GetMetricStatisticsInput {
  Namespace: string;
  MetricName: string;
  Dimensions?: Dimension[];
  StartTime: Date;
  EndTime: Date;
  Period: number;
  Statistics?: string[];
  ExtendedStatistics?: string[];
  Unit?: string;
}

export function getMetricStatistics(input: GetMetricStatisticsInput, ctx: RequestContext) {
  checkNamespace(input.Namespace, true);
  checkDimensions(input.Dimensions, 'Dimensions');
  checkUnit(input.Unit, 'Unit');
  checkPeriod(input.Period, 'Period');
  const stats = input.Statistics ?? [];
  const ext = input.ExtendedStatistics ?? [];
  if (stats.length === 0 && ext.length === 0)
    throw cloudwatchErrors.invalidParameterCombination('Must specify either Statistics or ExtendedStatistics.');
  if (stats.length > 0 && ext.length > 0)
    throw cloudwatchErrors.invalidParameterCombination('Must specify either Statistics or ExtendedStatistics, but not both.');
  if (stats.length > 5) throw cloudwatchErrors.invalidParameterValue('The collection Statistics must not have more than 5 members.');
  if (ext.length > 10)
    throw cloudwatchErrors.invalidParameterValue('The collection ExtendedStatistics must not have more than 10 members.');
  for (const s of stats)
    if (!isBasicStatistic(s))
      throw cloudwatchErrors.invalidParameterValue(
        `The value ${s} for parameter Statistics is not valid. Use SampleCount, Average, Sum, Minimum or Maximum.`,
      );
  for (const s of ext)
    if (!isPercentile(s))
      throw cloudwatchErrors.invalidParameterValue(
        `The value ${s} for parameter ExtendedStatistics is not a valid percentile (p0.0 to p100).`,
      );
  const now = ctx.cloud.clock.now();
  const periodMs = input.Period * 1000;
  const start = roundStart(input.StartTime.getTime(), now, input.Period);
  const end = input.EndTime.getTime();
  if (start >= end) throw cloudwatchErrors.invalidParameterValue('The parameter StartTime must be less than the parameter EndTime.');
  const count = Math.ceil((end - start) / periodMs);
  if (count > 1440) {
    throw cloudwatchErrors.invalidParameterCombination(
      `You have requested up to ${count} datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
    );
  }
  // Past the retention of the period's resolution, AWS returns no data points (and no error).
  if (!periodServes(input.Period, start, now)) return { Label: input.MetricName, Datapoints: [] };
  const metric = { Namespace: input.Namespace, MetricName: input.MetricName, Dimensions: input.Dimensions };
  let samples = metricStore(ctx.cloud).samples(ctx.region, metric, start, end, true, now);
  if (input.Unit !== undefined) samples = samples.filter((s) => s.unit === input.Unit);
  const datapoints: Array<Record<string, unknown>> = [];
  // Without a Unit, data published with different units is aggregated separately, each with its unit.
  const units = [...new Set(samples.map((s) => s.unit))];
  for (const unit of units) {
    for (const [ts, list] of bucketize(
      samples.filter((s) => s.unit === unit),
      start,
      periodMs,
    )) {
      const agg = aggregate(list) as Aggregate;
      const dp: Record<string, unknown> = { Timestamp: new Date(ts), Unit: unit };
      for (const s of stats) dp[s] = statisticValue(agg, s);
      if (ext.length) {
        const values: Record<string, number> = {};
        for (const s of ext) {
          const v = statisticValue(agg, s);
          if (v !== undefined) values[s] = v;
        }
        dp.ExtendedStatistics = values;
      }
      datapoints.push(dp);
    }
  }
  datapoints.sort((a, b) => (a.Timestamp as Date).getTime() - (b.Timestamp as Date).getTime());
  return { Label: input.MetricName, Datapoints: datapoints };
}

interface ListMetricsInput {
  Namespace?: string;
  MetricName?: string;
  Dimensions?: Array<{ Name: string; Value?: string }>;
  NextToken?: string;
  RecentlyActive?: string;
}

const PAGE = 500;

/** CloudWatch's answer to a NextToken it did not issue for this request. */

export function listMetrics(input: ListMetricsInput, ctx: RequestContext) {
  if (input.Dimensions && input.Dimensions.length > 30)
    throw cloudwatchErrors.invalidParameterValue('The collection Dimensions must not have more than 30 members.');
  if (input.RecentlyActive !== undefined && input.RecentlyActive !== 'PT3H')
    throw cloudwatchErrors.invalidParameterValue(
      `The value ${input.RecentlyActive} for parameter RecentlyActive is invalid. The only valid value is PT3H.`,
    );
  const now = ctx.cloud.clock.now();
  const since = input.RecentlyActive ? now - 3 * 3_600_000 : now - LIST_WINDOW_MS;
  let metrics = metricStore(ctx.cloud).list(ctx.region, since, input.Namespace, input.MetricName);
  if (input.MetricName !== undefined) metrics = metrics.filter((m) => m.MetricName === input.MetricName);
  for (const f of input.Dimensions ?? []) {
    metrics = metrics.filter((m) => (m.Dimensions ?? []).some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value)));
  }
  const key = (m: MetricRef) => JSON.stringify([m.Namespace, m.MetricName, sortedDimensions(m.Dimensions)]);
  metrics.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const { items: page, next } = paginate(metrics, {
    token: input.NextToken,
    max: undefined,
    defaultMax: PAGE,
    bind: withoutPaging(input, 'NextToken'),
    badToken: cloudwatchErrors.invalidNextToken,
  });
  return { Metrics: page.map((m) => ({ Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: m.Dimensions })), NextToken: next };
}
