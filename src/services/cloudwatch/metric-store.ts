import type Database from 'better-sqlite3';
import type { Cloud } from '../../cloud.js';
import { liveKey } from '../../store/live.js';
import { LONGEST_RETENTION_MS, rollupWatermark, tierFor, TIERS } from './metric-retention.js';
import { decodeValues, encodeValues, mergeValues, valuesOf } from './rollup-values.js';

export interface Dimension {
  Name: string;
  Value: string;
}

/** What names a metric: its namespace, name and full set of dimensions (order does not matter). */
export interface MetricRef {
  Namespace: string;
  MetricName: string;
  Dimensions?: Dimension[];
}

/**
 * One stored sample: as published (a raw value, a value/count array, or a statistic set), or a rolled-up period.
 * Values are kept as [value, count] pairs so percentiles can be computed later; a statistic set has none.
 */
export interface Sample {
  ts: number;
  unit: string;
  count: number;
  sum: number;
  min: number;
  max: number;
  values: Array<[number, number]> | null;
}

/** ListMetrics shows a metric for two weeks after its last data point. */
export const LIST_WINDOW_MS = 14 * 86_400_000;

export const sortedDimensions = (dims: Dimension[] | undefined): Dimension[] =>
  [...(dims ?? [])].map((d) => ({ Name: d.Name, Value: d.Value })).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));

const keys = new WeakMap<MetricRef, string>();
/** The canonical key of a metric, remembered per metric object (alarms ask for the same one every minute). */
function metricKey(m: MetricRef): string {
  let key = keys.get(m);
  if (key === undefined) {
    key = JSON.stringify([m.Namespace, m.MetricName, sortedDimensions(m.Dimensions).map((d) => [d.Name, d.Value])]);
    keys.set(m, key);
  }
  return key;
}

interface MetricRow {
  id: number;
  namespace: string;
  name: string;
  dims: string;
  last_ts: number;
}

/** Metric identities, their raw samples (indexed by metric, timestamp) and rolled-up periods, in SQLite. */
export class MetricStore {
  private readonly ids = new Map<string, number>();
  /**
   * Raw samples with ts < rolledUpTo have been aggregated into cw_rollup (and deleted); rolled-up data is read for
   * that part of a range, raw samples for the rest.
   */
  private rolledUpTo: number;
  private readonly stmts;

  constructor(readonly db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS cw_metric (
        id INTEGER PRIMARY KEY, region TEXT NOT NULL, key TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
        dims TEXT NOT NULL, last_ts INTEGER NOT NULL, UNIQUE (region, key)
      );
      CREATE INDEX IF NOT EXISTS cw_metric_name ON cw_metric (region, namespace, name);
      CREATE TABLE IF NOT EXISTS cw_sample (
        metric INTEGER NOT NULL, ts INTEGER NOT NULL, unit TEXT NOT NULL,
        n REAL NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, vals TEXT
      );
      CREATE INDEX IF NOT EXISTS cw_sample_metric_ts ON cw_sample (metric, ts);
      CREATE TABLE IF NOT EXISTS cw_rollup (
        metric INTEGER NOT NULL, res INTEGER NOT NULL, ts INTEGER NOT NULL, unit TEXT NOT NULL,
        n REAL NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, vals TEXT,
        PRIMARY KEY (metric, res, ts, unit)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS cw_rollup_res_ts ON cw_rollup (res, ts);
      CREATE TABLE IF NOT EXISTS cw_rollup_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    `);
    // Merges the values of two rolled-up rows in SQL upserts (null: percentiles unavailable for the period).
    db.function('cw_merge_vals', (a: unknown, b: unknown) =>
      encodeValues(mergeValues([decodeValues(a as string | null), decodeValues(b as string | null)])),
    );
    this.stmts = {
      findMetric: db.prepare<[string, string], { id: number }>('SELECT id FROM cw_metric WHERE region = ? AND key = ?'),
      addMetric: db.prepare('INSERT INTO cw_metric (region, key, namespace, name, dims, last_ts) VALUES (?, ?, ?, ?, ?, ?)'),
      touchMetric: db.prepare('UPDATE cw_metric SET last_ts = max(last_ts, ?) WHERE id = ?'),
      addSample: db.prepare('INSERT INTO cw_sample (metric, ts, unit, n, sum, min, max, vals) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      samples: db.prepare<
        [number, number, number],
        { ts: number; unit: string; n: number; sum: number; min: number; max: number; vals: string | null }
      >('SELECT ts, unit, n, sum, min, max, vals FROM cw_sample WHERE metric = ? AND ts >= ? AND ts < ? ORDER BY ts'),
      // Rows as arrays and without the raw values: the hot path of alarm evaluation.
      samplesLite: db
        .prepare<[number, number, number], [number, string, number, number, number, number, number]>(
          'SELECT ts, unit, n, sum, min, max, vals IS NOT NULL FROM cw_sample WHERE metric = ? AND ts >= ? AND ts < ? ORDER BY ts',
        )
        .raw(true),
      byName: db.prepare<[string, string, string, number], MetricRow>(
        'SELECT id, namespace, name, dims, last_ts FROM cw_metric WHERE region = ? AND namespace = ? AND name = ? AND last_ts >= ?',
      ),
      byNamespace: db.prepare<[string, string, number], MetricRow>(
        'SELECT id, namespace, name, dims, last_ts FROM cw_metric WHERE region = ? AND namespace = ? AND last_ts >= ?',
      ),
      all: db.prepare<[string, number], MetricRow>(
        'SELECT id, namespace, name, dims, last_ts FROM cw_metric WHERE region = ? AND last_ts >= ?',
      ),
      pruneSamples: db.prepare('DELETE FROM cw_sample WHERE metric = ? AND ts < ?'),
      pruneMetrics: db.prepare('DELETE FROM cw_metric WHERE last_ts < ?'),
      rollups: db.prepare<
        [number, number, number, number],
        { ts: number; unit: string; n: number; sum: number; min: number; max: number; vals: string | null }
      >('SELECT ts, unit, n, sum, min, max, vals FROM cw_rollup WHERE metric = ? AND res = ? AND ts >= ? AND ts < ? ORDER BY ts'),
      rollupsLite: db
        .prepare<[number, number, number, number], [number, string, number, number, number, number, number]>(
          'SELECT ts, unit, n, sum, min, max, vals IS NOT NULL FROM cw_rollup WHERE metric = ? AND res = ? AND ts >= ? AND ts < ? ORDER BY ts',
        )
        .raw(true),
      mergeRollup: db.prepare(`INSERT INTO cw_rollup (metric, res, ts, unit, n, sum, min, max, vals) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (metric, res, ts, unit) DO UPDATE SET n = n + excluded.n, sum = sum + excluded.sum, min = min(min, excluded.min),
        max = max(max, excluded.max), vals = CASE WHEN vals IS NULL OR excluded.vals IS NULL THEN NULL ELSE cw_merge_vals(vals, excluded.vals) END`),
      pruneRollups: db.prepare('DELETE FROM cw_rollup WHERE res = ? AND ts < ?'),
      metricsSince: db.prepare<[number], { id: number }>('SELECT id FROM cw_metric WHERE last_ts >= ?'),
      getState: db.prepare<[string], { value: number }>('SELECT value FROM cw_rollup_state WHERE key = ?'),
      setState: db.prepare('INSERT OR REPLACE INTO cw_rollup_state (key, value) VALUES (?, ?)'),
    };
    this.rolledUpTo = this.stmts.getState.get('rolledUpTo')?.value ?? 0;
  }

  /** The id of a metric, or undefined when nothing was ever published to it. */
  find(region: string, metric: MetricRef): number | undefined {
    const key = metricKey(metric);
    const cached = this.ids.get(`${region}\n${key}`);
    if (cached !== undefined) return cached;
    const id = this.stmts.findMetric.get(region, key)?.id;
    if (id !== undefined) this.ids.set(`${region}\n${key}`, id);
    return id;
  }

  /** Appends samples of one metric; call inside a transaction when adding many. */
  add(region: string, metric: MetricRef, samples: Sample[]): void {
    let id = this.find(region, metric);
    const last = Math.max(...samples.map((s) => s.ts));
    if (id === undefined) {
      const key = metricKey(metric);
      const dims = JSON.stringify(sortedDimensions(metric.Dimensions));
      id = Number(this.stmts.addMetric.run(region, key, metric.Namespace, metric.MetricName, dims, last).lastInsertRowid);
      this.ids.set(`${region}\n${key}`, id);
    } else {
      this.stmts.touchMetric.run(last, id);
    }
    for (const s of samples) {
      // A late sample (PutMetricData accepts two weeks back) for a range already rolled up joins the rollups.
      if (s.ts < this.rolledUpTo) this.mergeIntoRollups(id, s);
      else this.stmts.addSample.run(id, s.ts, s.unit, s.count, s.sum, s.min, s.max, s.values ? JSON.stringify(s.values) : null);
    }
  }

  /** Adds one aggregate to the period of every rolled-up resolution that contains it. */
  private mergeIntoRollups(id: number, s: Sample): void {
    const vals = encodeValues(mergeValues([valuesOf(s)]));
    for (const { res } of TIERS) {
      const ms = res * 1000;
      this.stmts.mergeRollup.run(id, res, s.ts - (s.ts % ms), s.unit, s.count, s.sum, s.min, s.max, vals);
    }
  }

  /**
   * Samples of a metric with from <= ts < to, oldest first: raw samples where they are kept, else the periods of
   * the finest rolled-up resolution that still holds `from` at time `now` (each period as one sample at its start).
   * Raw values are read only when asked for (percentiles): without them, a sample that has values reports
   * `values: []` rather than null.
   */
  samples(region: string, metric: MetricRef, from: number, to: number, withValues = true, now = to): Sample[] {
    const id = this.find(region, metric);
    if (id === undefined) return [];
    const out: Sample[] = [];
    if (from < this.rolledUpTo) {
      const res = tierFor(from, now);
      if (res !== undefined)
        this.read(withValues ? this.stmts.rollups : undefined, this.stmts.rollupsLite, out, id, res, from, Math.min(to, this.rolledUpTo));
    }
    if (to > this.rolledUpTo)
      this.read(
        withValues ? this.stmts.samples : undefined,
        this.stmts.samplesLite,
        out,
        id,
        undefined,
        Math.max(from, this.rolledUpTo),
        to,
      );
    return out;
  }

  private read(
    full:
      | Database.Statement<any[], { ts: number; unit: string; n: number; sum: number; min: number; max: number; vals: string | null }>
      | undefined,
    lite: Database.Statement<any[], [number, string, number, number, number, number, number]>,
    out: Sample[],
    id: number,
    res: number | undefined,
    from: number,
    to: number,
  ): void {
    const args = res === undefined ? [id, from, to] : [id, res, from, to];
    if (!full) {
      const empty: Array<[number, number]> = [];
      for (const r of lite.all(...args))
        out.push({ ts: r[0], unit: r[1], count: r[2], sum: r[3], min: r[4], max: r[5], values: r[6] ? empty : null });
      return;
    }
    for (const r of full.all(...args)) {
      out.push({ ts: r.ts, unit: r.unit, count: r.n, sum: r.sum, min: r.min, max: r.max, values: decodeValues(r.vals) });
    }
  }

  /** Metrics with data since `since`, optionally of one namespace and name. */
  list(region: string, since: number, namespace?: string, name?: string): Array<MetricRef & { lastTs: number }> {
    const rows =
      namespace !== undefined && name !== undefined
        ? this.stmts.byName.all(region, namespace, name, since)
        : namespace !== undefined
          ? this.stmts.byNamespace.all(region, namespace, since)
          : this.stmts.all.all(region, since);
    return rows
      .filter((r) => name === undefined || r.name === name)
      .map((r) => ({ Namespace: r.namespace, MetricName: r.name, Dimensions: JSON.parse(r.dims) as Dimension[], lastTs: r.last_ts }));
  }

  /**
   * The hourly pass: aggregates raw samples older than the raw window into 1-minute, 5-minute and 1-hour periods
   * (per unit), deletes them, then deletes rolled-up periods past their retention and metrics without data for
   * the longest retention. Works metric by metric on the (metric, ts) index, in transactions of BATCH metrics.
   */
  rollUp(now: number): { metrics: number; samples: number } {
    const target = rollupWatermark(now);
    const from = this.rolledUpTo;
    let samples = 0;
    let metrics = 0;
    if (target > from) {
      const ids = this.stmts.metricsSince.all(from).map((r) => r.id);
      for (let i = 0; i < ids.length; i += ROLLUP_BATCH) {
        this.db.transaction(() => {
          for (const id of ids.slice(i, i + ROLLUP_BATCH)) {
            const n = this.rollUpMetric(id, from, target);
            samples += n;
            if (n > 0) metrics++;
          }
        })();
      }
      this.stmts.setState.run('rolledUpTo', target);
      this.rolledUpTo = target;
    }
    this.db.transaction(() => {
      for (const t of TIERS) this.stmts.pruneRollups.run(t.res, now - t.retentionMs);
      if (this.stmts.pruneMetrics.run(now - LONGEST_RETENTION_MS).changes > 0) this.ids.clear();
    })();
    return { metrics, samples };
  }

  /** Rolls up the raw samples of one metric in [from, to) into every resolution; returns how many there were. */
  private rollUpMetric(id: number, from: number, to: number): number {
    const rows = this.stmts.samples.all(id, from, to);
    if (rows.length === 0) return 0;
    // One aggregate per (resolution, unit, period), built in memory and written once.
    const periods = TIERS.map(
      () =>
        new Map<
          string,
          { ts: number; unit: string; count: number; sum: number; min: number; max: number; values: Array<Array<[number, number]> | null> }
        >(),
    );
    for (const r of rows) {
      const values = valuesOf({ count: r.n, min: r.min, max: r.max, values: decodeValues(r.vals) });
      TIERS.forEach((tier, k) => {
        const ts = r.ts - (r.ts % (tier.res * 1000));
        const key = `${r.unit}\n${ts}`;
        let p = periods[k].get(key);
        if (!p) {
          p = { ts, unit: r.unit, count: 0, sum: 0, min: Infinity, max: -Infinity, values: [] };
          periods[k].set(key, p);
        }
        p.count += r.n;
        p.sum += r.sum;
        p.min = Math.min(p.min, r.min);
        p.max = Math.max(p.max, r.max);
        p.values.push(values);
      });
    }
    TIERS.forEach((tier, k) => {
      for (const p of periods[k].values()) {
        this.stmts.mergeRollup.run(id, tier.res, p.ts, p.unit, p.count, p.sum, p.min, p.max, encodeValues(mergeValues(p.values)));
      }
    });
    this.stmts.pruneSamples.run(id, to);
    return rows.length;
  }
}

/** Metrics per transaction of the rollup pass: short enough not to hold the database for long. */
const ROLLUP_BATCH = 500;

const METRIC_STORE = liveKey('cloudwatch.metricStore', (cloud) => new MetricStore(cloud.store.db));

export const metricStore = (cloud: Cloud): MetricStore => cloud.live.get(METRIC_STORE);
