import type { Sample } from './metric-store.js';

/** The samples of one period, summed up. `values` is null when some sample was a statistic set without raw values. */
export interface Aggregate {
  count: number;
  sum: number;
  min: number;
  max: number;
  values: Array<[number, number]> | null;
}

export const BASIC_STATISTICS = ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'] as const;
const PERCENTILE = /^p(\d{1,2}(\.\d{1,10})?|100(\.0{1,10})?)$/;

export const isBasicStatistic = (s: string) => (BASIC_STATISTICS as readonly string[]).includes(s);
export const isPercentile = (s: string) => PERCENTILE.test(s);

export function aggregate(samples: Sample[]): Aggregate | undefined {
  if (samples.length === 0) return undefined;
  const agg: Aggregate = { count: 0, sum: 0, min: Infinity, max: -Infinity, values: [] };
  for (const s of samples) {
    agg.count += s.count;
    agg.sum += s.sum;
    agg.min = Math.min(agg.min, s.min);
    agg.max = Math.max(agg.max, s.max);
    // A statistic set still yields percentiles when all its samples have one value (AWS's rule).
    const raw = s.values ?? (s.count === 1 || s.min === s.max ? [[s.min, s.count] as [number, number]] : null);
    if (raw && agg.values) agg.values.push(...raw);
    else agg.values = null;
  }
  return agg;
}

/** The value of one statistic (SampleCount, Sum, Average, Minimum, Maximum or pNN), undefined when unavailable. */
export function statisticValue(agg: Aggregate, stat: string): number | undefined {
  switch (stat) {
    case 'SampleCount':
      return agg.count;
    case 'Sum':
      return agg.sum;
    case 'Average':
      return agg.count > 0 ? agg.sum / agg.count : undefined;
    case 'Minimum':
      return agg.min;
    case 'Maximum':
      return agg.max;
    default:
      if (!isPercentile(stat) || !agg.values) return undefined;
      return percentile(agg.values, Number(stat.slice(1)));
  }
}

/** Nearest-rank percentile over weighted values: the smallest value whose cumulative count reaches p% of the total. */
export function percentile(weighted: Array<[number, number]>, p: number): number | undefined {
  const items = weighted.filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  if (items.length === 0) return undefined;
  const total = items.reduce((n, [, c]) => n + c, 0);
  const rank = (p / 100) * total;
  let seen = 0;
  for (const [v, c] of items) {
    seen += c;
    if (seen >= rank - 1e-9 && seen > 0) return v;
  }
  return items[items.length - 1][0];
}
