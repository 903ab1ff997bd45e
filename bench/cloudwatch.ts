import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { cloudwatchService } from '../src/services/cloudwatch/service.js';
import { Store } from '../src/store/db.js';

const MINUTE = 60_000;
const REGION = 'us-east-1';
const ALARMS = 10_000;
const INGEST_DATUMS = 100_000;
const BATCH = 1000;

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
      data.push({ MetricName: 'StatusCheckFailed_System', Dimensions: [{ Name: 'InstanceId', Value: instance(i) }], Value: value(i), Timestamp: new Date(ts) });
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
      await cloud.invoke('monitoring', 'PutMetricAlarm', {
        AlarmName: `recover-${i}`, Namespace: 'Halo/Bench', MetricName: 'StatusCheckFailed_System', Statistic: 'Minimum', Period: 60,
        EvaluationPeriods: 5, DatapointsToAlarm: 1, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold',
        Dimensions: [{ Name: 'InstanceId', Value: instance(i) }],
      }, { region: REGION });
    }
    // Five healthy minutes bring every alarm to OK (these evaluations are not measured).
    for (let m = 0; m < 5; m++) {
      await putBatch(cloud, 0, ALARMS, () => 0, clock.now() + 1_000);
      clock.advance(MINUTE);
    }
    const inAlarm = () => (cloud.store.db.prepare("SELECT count(*) AS n FROM resources WHERE kind = 'cloudwatch.alarm' AND json_extract(data, '$.StateValue') = ?").get('ALARM') as { n: number }).n;
    const minute = () => {
      const started = performance.now();
      clock.advance(MINUTE);
      return performance.now() - started;
    };
    // A quiet minute: every alarm evaluated, none changes state.
    await putBatch(cloud, 0, ALARMS, () => 0, clock.now() + 1_000);
    const steady = minute();
    // A busy minute: half of the alarms go to ALARM (state, reason and history written for each).
    await putBatch(cloud, 0, ALARMS, (i) => (i % 2), clock.now() + 1_000);
    const busy = minute();
    if (inAlarm() !== ALARMS / 2) throw new Error(`bench: expected ${ALARMS / 2} alarms in ALARM, found ${inAlarm()}`);
    return { steady, busy };
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

/** The floor: the same number of rows into an equally indexed table, one prepared INSERT per row, 1,000 per transaction. */
function bareInsert(dir: string) {
  const store = new Store(path.join(dir, 'bare.db'));
  try {
    store.db.exec('CREATE TABLE t (metric INTEGER, ts INTEGER, unit TEXT, n REAL, sum REAL, min REAL, max REAL, vals TEXT); CREATE INDEX t_metric_ts ON t (metric, ts)');
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
    const { steady, busy } = await alarmEvaluation(dir);
    rmSync(path.join(dir, 'state.db'), { force: true });
    rmSync(path.join(dir, 'state.db-wal'), { force: true });
    rmSync(path.join(dir, 'state.db-shm'), { force: true });
    const floor = bareInsert(dir);
    const rate = await ingest(dir);
    return [
      { name: `evaluation of ${ALARMS} alarms in one 60 s period, no state change (goal: under 1 %)`, value: steady, unit: 'ms', floorName: 'the period at time scale 1', floor: MINUTE },
      { name: `evaluation of ${ALARMS} alarms in one 60 s period, ${ALARMS / 2} go to ALARM`, value: busy, unit: 'ms', floorName: 'the period at time scale 1', floor: MINUTE },
      { name: 'PutMetricData ingest, in-process handler, 1000 datums per call', value: rate, unit: 'datapoints/s', floorName: 'bare SQLite insert loop', floor },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
