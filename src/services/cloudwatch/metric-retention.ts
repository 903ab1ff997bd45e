/**
 * How long CloudWatch keeps metric data, and at which resolution (the API reference of GetMetricStatistics and
 * GetMetricData): data points with a period under 60 s for 3 hours, 1-minute data for 15 days, 5-minute data for
 * 63 days, 1-hour data for 455 days. Finer data is aggregated into the coarser resolutions as it ages.
 */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Raw samples (as published) are kept at least this long, so sub-minute periods can be served. */
export const RAW_RETENTION_MS = 3 * HOUR_MS;

export interface RollupTier {
  /** Resolution in seconds. */
  res: number;
  retentionMs: number;
}

/** The rolled-up resolutions, finest first. */
export const TIERS: RollupTier[] = [
  { res: 60, retentionMs: 15 * DAY_MS },
  { res: 300, retentionMs: 63 * DAY_MS },
  { res: 3600, retentionMs: 455 * DAY_MS },
];

export const LONGEST_RETENTION_MS = TIERS[TIERS.length - 1].retentionMs;

/**
 * Raw samples older than this have been rolled up (and are deleted): the start of the hour at least
 * RAW_RETENTION_MS ago. Advancing in whole hours keeps every 5-minute and 1-hour bucket whole in one pass.
 */
export const rollupWatermark = (now: number) => Math.floor((now - RAW_RETENTION_MS) / HOUR_MS) * HOUR_MS;

/** The finest rolled-up resolution (seconds) that still holds data from `from`, or undefined past all of them. */
export function tierFor(from: number, now: number): number | undefined {
  return TIERS.find((t) => from >= now - t.retentionMs)?.res;
}

/**
 * AWS's rule for old data: with a StartTime more than 3 hours ago the period must be a multiple of 60 s; more
 * than 15 days ago a multiple of 300 s; more than 63 days ago a multiple of 3600 s. Otherwise no data points are
 * returned (not an error).
 */
export function periodServes(periodSeconds: number, start: number, now: number): boolean {
  const age = now - start;
  if (age > 63 * DAY_MS) return periodSeconds % 3600 === 0;
  if (age > 15 * DAY_MS) return periodSeconds % 300 === 0;
  if (age > RAW_RETENTION_MS) return periodSeconds % 60 === 0;
  return true;
}
