import type Database from 'better-sqlite3';

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
 * One stored sample, as published: a raw value (or a value/count array), or a statistic set. Raw values are
 * kept (as [value, count] pairs) so percentiles can be computed later; a statistic set has none.
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

/** CloudWatch keeps 1-minute data for 15 days; halo keeps every sample that long, and nothing older. */
export const RETENTION_MS = 15 * 86_400_000;
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

/** Metric identities and their samples in SQLite, indexed by (metric, timestamp). */
export class MetricStore {
  private readonly ids = new Map<string, number>();
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
    `);
    this.stmts = {
      findMetric: db.prepare<[string, string], { id: number }>('SELECT id FROM cw_metric WHERE region = ? AND key = ?'),
      addMetric: db.prepare('INSERT INTO cw_metric (region, key, namespace, name, dims, last_ts) VALUES (?, ?, ?, ?, ?, ?)'),
      touchMetric: db.prepare('UPDATE cw_metric SET last_ts = max(last_ts, ?) WHERE id = ?'),
      addSample: db.prepare('INSERT INTO cw_sample (metric, ts, unit, n, sum, min, max, vals) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      samples: db.prepare<[number, number, number], { ts: number; unit: string; n: number; sum: number; min: number; max: number; vals: string | null }>(
        'SELECT ts, unit, n, sum, min, max, vals FROM cw_sample WHERE metric = ? AND ts >= ? AND ts < ? ORDER BY ts',
      ),
      // Rows as arrays and without the raw values: the hot path of alarm evaluation.
      samplesLite: db.prepare<[number, number, number], [number, string, number, number, number, number, number]>(
        'SELECT ts, unit, n, sum, min, max, vals IS NOT NULL FROM cw_sample WHERE metric = ? AND ts >= ? AND ts < ? ORDER BY ts',
      ).raw(true),
      byName: db.prepare<[string, string, string, number], MetricRow>('SELECT id, namespace, name, dims, last_ts FROM cw_metric WHERE region = ? AND namespace = ? AND name = ? AND last_ts >= ?'),
      byNamespace: db.prepare<[string, string, number], MetricRow>('SELECT id, namespace, name, dims, last_ts FROM cw_metric WHERE region = ? AND namespace = ? AND last_ts >= ?'),
      all: db.prepare<[string, number], MetricRow>('SELECT id, namespace, name, dims, last_ts FROM cw_metric WHERE region = ? AND last_ts >= ?'),
      allIds: db.prepare<[], { id: number }>('SELECT id FROM cw_metric'),
      pruneSamples: db.prepare('DELETE FROM cw_sample WHERE metric = ? AND ts < ?'),
      pruneMetrics: db.prepare('DELETE FROM cw_metric WHERE last_ts < ?'),
    };
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
      this.stmts.addSample.run(id, s.ts, s.unit, s.count, s.sum, s.min, s.max, s.values ? JSON.stringify(s.values) : null);
    }
  }

  /**
   * Samples of a metric with from <= ts < to, oldest first. Raw values are read only when asked for (percentiles):
   * without them, a sample that has raw values reports `values: []` rather than null.
   */
  samples(region: string, metric: MetricRef, from: number, to: number, withValues = true): Sample[] {
    const id = this.find(region, metric);
    if (id === undefined) return [];
    if (!withValues) {
      const empty: Array<[number, number]> = [];
      return this.stmts.samplesLite.all(id, from, to).map((r) => ({ ts: r[0], unit: r[1], count: r[2], sum: r[3], min: r[4], max: r[5], values: r[6] ? empty : null }));
    }
    return this.stmts.samples.all(id, from, to).map((r) => ({
      ts: r.ts, unit: r.unit, count: r.n, sum: r.sum, min: r.min, max: r.max, values: r.vals ? (JSON.parse(r.vals) as Array<[number, number]>) : null,
    }));
  }

  /** Metrics with data since `since`, optionally of one namespace and name. */
  list(region: string, since: number, namespace?: string, name?: string): Array<MetricRef & { lastTs: number }> {
    const rows = namespace !== undefined && name !== undefined
      ? this.stmts.byName.all(region, namespace, name, since)
      : namespace !== undefined
        ? this.stmts.byNamespace.all(region, namespace, since)
        : this.stmts.all.all(region, since);
    return rows
      .filter((r) => name === undefined || r.name === name)
      .map((r) => ({ Namespace: r.namespace, MetricName: r.name, Dimensions: JSON.parse(r.dims) as Dimension[], lastTs: r.last_ts }));
  }

  /** Deletes samples older than the retention, and metrics without data for the retention. */
  prune(now: number): void {
    const cutoff = now - RETENTION_MS;
    this.db.transaction(() => {
      for (const { id } of this.stmts.allIds.all()) this.stmts.pruneSamples.run(id, cutoff);
      this.stmts.pruneMetrics.run(cutoff);
    })();
    this.ids.clear();
  }
}

const stores = new WeakMap<Database.Database, MetricStore>();

export function metricStore(db: Database.Database): MetricStore {
  let store = stores.get(db);
  if (!store) {
    store = new MetricStore(db);
    stores.set(db, store);
  }
  return store;
}
