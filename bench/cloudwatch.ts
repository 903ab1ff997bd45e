import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { MetricStore } from '../src/services/cloudwatch/metric-store.js';
import { cloudwatchService } from '../src/services/cloudwatch/service.js';
import { Store } from '../src/store/db.js';

const MINUTE = 60_000;
const REGION = 'us-east-1';
const ALARMS = 10_000;
const INGEST_DATUMS = 100_000;
const BATCH = 1000;
const HIGH_RES_ALARMS = 100;
const ROLLUP_METRICS = 1000;
const ROLLUP_EVERY_MS = 10_000;
const HOUR = 3_600_000;

function virtualCloud(dir: string): { cloud: Cloud; clock: VirtualClock } {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const cloud = new Cloud(new Store(path.join(dir, 'state.db')), clock, timingProfile('instant'), { home: dir, hostsPerZone: 2 });
  cloud.credentials.admin();
  cloud.register(cloudwatchService);
  return { cloud, clock };
}

const instance = (i: number) => `i-${i.toString(16).padStart(17, '0')}`;

async function putBatch(cloud: Cloud, from: number, to: number, value: (i: number) => number, ts: number): Promise<void> {
  for (let start = from; start < to; start += BATCH) {
    const data = [];
    for (let i = start; i < Math.min(to, start + BATCH); i++) {
      data.push({
        MetricName: 'StatusCheckFailed_System',
        Dimensions: [{ Name: 'InstanceId', Value: instance(i) }],
        Value: value(i),
        Timestamp: new Date(ts),
      });
    }
    await cloud.invoke('monitoring', 'PutMetricData', { Namespace: 'Halo/Bench', MetricData: data }, { region: REGION });
  }
}

/**
 * One minute of AWS time with 10,000 seed-like alarms (status check, Minimum, 60 s, 5 periods, 1 datapoint to
 * alarm), each on its own instance's metric, half of them turning to ALARM in the measured minute.
 */
async function alarmEvaluation(dir: string) {
  const { cloud, clock } = virtualCloud(dir);
  try {
    for (let i = 0; i < ALARMS; i++) {
      await cloud.invoke(
        'monitoring',
        'PutMetricAlarm',
        {
          AlarmName: `recover-${i}`,
          Namespace: 'Halo/Bench',
          MetricName: 'StatusCheckFailed_System',
          Statistic: 'Minimum',
          Period: 60,
          EvaluationPeriods: 5,
          DatapointsToAlarm: 1,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          Dimensions: [{ Name: 'InstanceId', Value: instance(i) }],
        },
        { region: REGION },
      );
    }
    // Five healthy minutes bring every alarm to OK (these evaluations are not measured).
    for (let m = 0; m < 5; m++) {
      await putBatch(cloud, 0, ALARMS, () => 0, clock.now() + 1_000);
      clock.advance(MINUTE);
    }
    const inAlarm = () =>
      (
        cloud.store.db
          .prepare("SELECT count(*) AS n FROM resources WHERE kind = 'cloudwatch.alarm' AND json_extract(data, '$.StateValue') = ?")
          .get('ALARM') as { n: number }
      ).n;
    const minute = () => {
      const started = performance.now();
      clock.advance(MINUTE);
      return performance.now() - started;
    };
    // A quiet minute: every alarm evaluated, none changes state.
    await putBatch(cloud, 0, ALARMS, () => 0, clock.now() + 1_000);
    const steady = minute();
    // A busy minute: half of the alarms go to ALARM (state, reason and history written for each).
    await putBatch(cloud, 0, ALARMS, (i) => i % 2, clock.now() + 1_000);
    const busy = minute();
    if (inAlarm() !== ALARMS / 2) throw new Error(`bench: expected ${ALARMS / 2} alarms in ALARM, found ${inAlarm()}`);
    // High-resolution alarms next to the 10,000: a 10 s tick between minute boundaries evaluates only them.
    for (let i = 0; i < HIGH_RES_ALARMS; i++) {
      await cloud.invoke(
        'monitoring',
        'PutMetricAlarm',
        {
          AlarmName: `fast-${i}`,
          Namespace: 'Halo/Bench',
          MetricName: 'StatusCheckFailed_System',
          Statistic: 'Maximum',
          Period: 10,
          EvaluationPeriods: 3,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          Dimensions: [{ Name: 'InstanceId', Value: instance(i) }],
        },
        { region: REGION },
      );
    }
    clock.advance(MINUTE - (clock.now() % MINUTE));
    // A first 10 s period brings them to OK (not measured), the second is a quiet tick.
    await putBatch(cloud, 0, HIGH_RES_ALARMS, () => 0, clock.now() + 1_000);
    clock.advance(10_000);
    await putBatch(cloud, 0, HIGH_RES_ALARMS, () => 0, clock.now() + 1_000);
    const started = performance.now();
    clock.advance(10_000);
    const highRes = performance.now() - started;
    return { steady, busy, highRes };
  } finally {
    await cloud.shutdown();
  }
}

/** PutMetricData through its handler (validation, metric lookup, one transaction per call of 1,000 datums). */
async function ingest(dir: string) {
  const { cloud, clock } = virtualCloud(dir);
  try {
    const started = performance.now();
    await putBatch(cloud, 0, INGEST_DATUMS, (i) => i % 100, clock.now());
    return INGEST_DATUMS / ((performance.now() - started) / 1000);
  } finally {
    await cloud.shutdown();
  }
}

/** One hour of samples (one every 10 s) of ROLLUP_METRICS metrics, as the store keeps them and as a bare table. */
function rollupRows(add: (metric: number, ts: number, value: number) => void): void {
  for (let ts = 0; ts < HOUR; ts += ROLLUP_EVERY_MS) {
    for (let m = 0; m < ROLLUP_METRICS; m++) add(m, Date.UTC(2026, 0, 1) + ts, (m + ts / ROLLUP_EVERY_MS) % 100);
  }
}

/** The hourly rollup pass over one hour of data: aggregate into 1-minute, 5-minute and 1-hour periods, delete the raw rows. */
function rollupPass(dir: string) {
  const store = new Store(path.join(dir, 'rollup.db'));
  try {
    const metrics = new MetricStore(store.db);
    const refs = Array.from({ length: ROLLUP_METRICS }, (_, m) => ({
      Namespace: 'Halo/Bench',
      MetricName: 'Load',
      Dimensions: [{ Name: 'Host', Value: `h${m}` }],
    }));
    store.tx(() =>
      rollupRows((m, ts, v) => metrics.add(REGION, refs[m], [{ ts, unit: 'None', count: 1, sum: v, min: v, max: v, values: [[v, 1]] }])),
    );
    const started = performance.now();
    const done = metrics.rollUp(Date.UTC(2026, 0, 1) + 4 * HOUR);
    const elapsed = performance.now() - started;
    if (done.samples !== ROLLUP_METRICS * (HOUR / ROLLUP_EVERY_MS)) throw new Error(`bench: rolled up ${done.samples} samples`);
    return elapsed;
  } finally {
    store.close();
  }
}

/** Its floor: the same rows in an equally indexed bare table, aggregated by SQL alone into the three resolutions (no values kept), then deleted. */
function bareRollup(dir: string) {
  const store = new Store(path.join(dir, 'bare-rollup.db'));
  try {
    store.db
      .exec(`CREATE TABLE t (metric INTEGER, ts INTEGER, unit TEXT, n REAL, sum REAL, min REAL, max REAL, vals TEXT); CREATE INDEX t_metric_ts ON t (metric, ts);
      CREATE TABLE r (metric INTEGER, res INTEGER, ts INTEGER, unit TEXT, n REAL, sum REAL, min REAL, max REAL, PRIMARY KEY (metric, res, ts, unit)) WITHOUT ROWID;
      CREATE INDEX r_res_ts ON r (res, ts)`);
    const insert = store.db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    store.tx(() => rollupRows((m, ts, v) => insert.run(m, ts, 'None', 1, v, v, v, `[[${v},1]]`)));
    const started = performance.now();
    store.tx(() => {
      for (const res of [60_000, 300_000, 3_600_000]) {
        store.db
          .prepare(
            `INSERT INTO r SELECT metric, ${res / 1000}, ts - ts % ${res}, unit, sum(n), sum(sum), min(min), max(max) FROM t GROUP BY metric, unit, ts - ts % ${res}`,
          )
          .run();
      }
      store.db.prepare('DELETE FROM t WHERE ts < ?').run(Date.UTC(2026, 0, 1) + HOUR);
    });
    return performance.now() - started;
  } finally {
    store.close();
  }
}

/** The floor: the same number of rows into an equally indexed table, one prepared INSERT per row, 1,000 per transaction. */
function bareInsert(dir: string) {
  const store = new Store(path.join(dir, 'bare.db'));
  try {
    store.db.exec(
      'CREATE TABLE t (metric INTEGER, ts INTEGER, unit TEXT, n REAL, sum REAL, min REAL, max REAL, vals TEXT); CREATE INDEX t_metric_ts ON t (metric, ts)',
    );
    const insert = store.db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const batch = store.db.transaction((from: number) => {
      for (let i = from; i < from + BATCH; i++) insert.run(i % 5000, i, 'None', 1, i % 100, i % 100, i % 100, `[[${i % 100},1]]`);
    });
    const started = performance.now();
    for (let from = 0; from < INGEST_DATUMS; from += BATCH) batch(from);
    return INGEST_DATUMS / ((performance.now() - started) / 1000);
  } finally {
    store.close();
  }
}

export async function benchCloudWatch(): Promise<Array<{ name: string; value: number; unit: string; floorName: string; floor: number }>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'halo-bench-cw-'));
  try {
    const { steady, busy, highRes } = await alarmEvaluation(dir);
    rmSync(path.join(dir, 'state.db'), { force: true });
    rmSync(path.join(dir, 'state.db-wal'), { force: true });
    rmSync(path.join(dir, 'state.db-shm'), { force: true });
    const floor = bareInsert(dir);
    const rate = await ingest(dir);
    const rollup = rollupPass(dir);
    const rollupFloor = bareRollup(dir);
    const rolled = `${ROLLUP_METRICS * (HOUR / ROLLUP_EVERY_MS)} samples (${ROLLUP_METRICS} metrics, one hour at 10 s)`;
    return [
      {
        name: `evaluation of ${ALARMS} alarms in one 60 s period, no state change (goal: under 1 %)`,
        value: steady,
        unit: 'ms',
        floorName: 'the period at time scale 1',
        floor: MINUTE,
      },
      {
        name: `evaluation of ${ALARMS} alarms in one 60 s period, ${ALARMS / 2} go to ALARM`,
        value: busy,
        unit: 'ms',
        floorName: 'the period at time scale 1',
        floor: MINUTE,
      },
      {
        name: `a 10 s tick with ${HIGH_RES_ALARMS} high-resolution alarms next to the ${ALARMS}, no state change (goal: under 1 %)`,
        value: highRes,
        unit: 'ms',
        floorName: 'the 10 s period at time scale 1',
        floor: 10_000,
      },
      {
        name: 'PutMetricData ingest, in-process handler, 1000 datums per call',
        value: rate,
        unit: 'datapoints/s',
        floorName: 'bare SQLite insert loop',
        floor,
      },
      {
        name: `hourly rollup pass over ${rolled}`,
        value: rollup,
        unit: 'ms',
        floorName: 'bare SQL GROUP BY into the 3 resolutions + DELETE',
        floor: rollupFloor,
      },
      { name: `hourly rollup pass over ${rolled}`, value: rollup, unit: 'ms', floorName: 'the hour at time scale 1', floor: HOUR },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
