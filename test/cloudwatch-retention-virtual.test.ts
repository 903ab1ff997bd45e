import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { periodServes, rollupWatermark, tierFor } from '../src/services/cloudwatch/metric-retention.js';
import { MAX_VALUE_PAIRS, mergeValues } from '../src/services/cloudwatch/rollup-values.js';
import { cloudwatchService } from '../src/services/cloudwatch/service.js';
import { Store } from '../src/store/db.js';

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const REGION = 'us-east-1';
const START = Date.UTC(2026, 0, 1);

const dir = mkdtempSync(path.join(os.tmpdir(), 'halo-cw-retention-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let clouds: Cloud[] = [];
afterEach(async () => {
  for (const c of clouds) await c.shutdown();
  clouds = [];
});

/** A cloud on a virtual clock at `at`, on a state file that outlives it (a restarted daemon). */
function cloudAt(file: string, at: number) {
  const clock = new VirtualClock(at);
  const cloud = new Cloud(new Store(path.join(dir, file)), clock, timingProfile('instant'), { home: dir, hostsPerZone: 2 });
  cloud.credentials.admin();
  cloud.register(cloudwatchService);
  clouds.push(cloud);
  const cw = (op: string, input: unknown) => cloud.invoke('monitoring', op, input, { region: REGION });
  const stats = async (
    metric: string,
    period: number,
    from: number,
    to: number,
    extra: Record<string, unknown> = { Statistics: ['SampleCount', 'Sum', 'Minimum', 'Maximum'] },
  ) =>
    (
      await cw('GetMetricStatistics', {
        Namespace: 'Halo/Keep',
        MetricName: metric,
        StartTime: new Date(from),
        EndTime: new Date(to),
        Period: period,
        ...extra,
      })
    ).Datapoints.sort((a: { Timestamp: Date }, b: { Timestamp: Date }) => a.Timestamp.getTime() - b.Timestamp.getTime());
  const data = async (metric: string, period: number, from: number, to: number) =>
    (
      await cw('GetMetricData', {
        StartTime: new Date(from),
        EndTime: new Date(to),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          { Id: 'm', MetricStat: { Metric: { Namespace: 'Halo/Keep', MetricName: metric }, Period: period, Stat: 'Sum' } },
        ],
      })
    ).MetricDataResults[0].Values as number[];
  const count = (sql: string) => (cloud.store.db.prepare(sql).get() as { n: number }).n;
  return { cloud, clock, cw, stats, data, count };
}

describe('metric retention and rollups, as AWS keeps metric data', () => {
  it('sub-minute periods are served for 3 hours; after that the same data answers in 1-minute periods', async () => {
    const t = cloudAt('highres.db', START);
    const data = Array.from({ length: 120 }, (_, i) => ({
      MetricName: 'Fine',
      Value: i % 10,
      Timestamp: new Date(START + i * SECOND),
      StorageResolution: 1,
    }));
    await t.cw('PutMetricData', { Namespace: 'Halo/Keep', MetricData: data });
    assert.equal((await t.stats('Fine', 10, START, START + 2 * MINUTE)).length, 12);
    const p90Before = (await t.stats('Fine', 60, START, START + 2 * MINUTE, { ExtendedStatistics: ['p90'] })).map(
      (d: any) => d.ExtendedStatistics.p90,
    );
    t.clock.advance(2 * HOUR);
    assert.equal((await t.stats('Fine', 10, START, START + 2 * MINUTE)).length, 12, 'still within 3 hours');
    t.clock.advance(2 * HOUR);
    assert.deepEqual(
      await t.stats('Fine', 10, START, START + 2 * MINUTE),
      [],
      'a 10 s period more than 3 hours back returns no data points',
    );
    const minutes = await t.stats('Fine', 60, START, START + 2 * MINUTE);
    assert.deepEqual(
      minutes.map((d: any) => [d.Timestamp.getTime() - START, d.SampleCount, d.Sum, d.Minimum, d.Maximum]),
      [
        [0, 60, 270, 0, 9],
        [MINUTE, 60, 270, 0, 9],
      ],
    );
    const p90After = (await t.stats('Fine', 60, START, START + 2 * MINUTE, { ExtendedStatistics: ['p90'] })).map(
      (d: any) => d.ExtendedStatistics.p90,
    );
    assert.deepEqual(p90After, p90Before, 'few distinct values: percentiles stay exact after the rollup');
    assert.equal(t.count('SELECT count(*) AS n FROM cw_sample'), 0, 'raw samples are gone');
    assert.equal(t.count('SELECT count(*) AS n FROM cw_rollup WHERE res = 60'), 2);
    assert.equal(t.count('SELECT count(*) AS n FROM cw_rollup WHERE res = 300'), 1);
    assert.equal(t.count('SELECT count(*) AS n FROM cw_rollup WHERE res = 3600'), 1);
  });

  it('1-minute data for 15 days, 5-minute for 63 days, 1-hour for 455 days; a period too fine for the age gets no data', async () => {
    const first = cloudAt('aged.db', START);
    // One value a minute for ten minutes: 1, 2, ... 10.
    await first.cw('PutMetricData', {
      Namespace: 'Halo/Keep',
      MetricData: Array.from({ length: 10 }, (_, k) => ({
        MetricName: 'Load',
        Value: k + 1,
        Timestamp: new Date(START + k * MINUTE + SECOND),
      })),
    });
    first.clock.advance(10 * DAY);
    const tenDays = await first.stats('Load', 60, START, START + 10 * MINUTE);
    assert.deepEqual(
      tenDays.map((d: any) => d.Sum),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    assert.deepEqual(await first.data('Load', 60, START, START + 10 * MINUTE), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // A late data point (PutMetricData accepts two weeks back) joins the rolled-up minute it belongs to.
    await first.cw('PutMetricData', {
      Namespace: 'Halo/Keep',
      MetricData: [{ MetricName: 'Load', Value: 100, Timestamp: new Date(START + 3 * MINUTE + 10 * SECOND) }],
    });
    const late = (await first.stats('Load', 60, START + 3 * MINUTE, START + 4 * MINUTE))[0];
    assert.deepEqual([late.SampleCount, late.Sum, late.Maximum], [2, 104, 100]);
    await first.cloud.shutdown();

    // The daemon restarted 30 days after the data: 1-minute data is past its 15 days.
    const second = cloudAt('aged.db', START + 30 * DAY);
    assert.deepEqual(await second.stats('Load', 60, START, START + 10 * MINUTE), []);
    assert.deepEqual(await second.data('Load', 60, START, START + 10 * MINUTE), []);
    const fives = await second.stats('Load', 300, START, START + 10 * MINUTE);
    assert.deepEqual(
      fives.map((d: any) => [d.Timestamp.getTime() - START, d.SampleCount, d.Sum, d.Minimum, d.Maximum]),
      [
        [0, 6, 115, 1, 100],
        [5 * MINUTE, 5, 40, 6, 10],
      ],
    );
    assert.deepEqual(await second.data('Load', 300, START, START + 10 * MINUTE), [115, 40]);
    assert.equal(second.count('SELECT count(*) AS n FROM cw_rollup WHERE res = 60'), 0);
    await second.cloud.shutdown();

    const third = cloudAt('aged.db', START + 100 * DAY);
    assert.deepEqual(await third.stats('Load', 300, START, START + HOUR), []);
    const hours = await third.stats('Load', 3600, START, START + HOUR);
    assert.deepEqual(
      hours.map((d: any) => [d.SampleCount, d.Sum, d.Minimum, d.Maximum]),
      [[11, 155, 1, 100]],
    );
    assert.equal(third.count('SELECT count(*) AS n FROM cw_rollup WHERE res = 300'), 0);
    await third.cloud.shutdown();

    const last = cloudAt('aged.db', START + 456 * DAY);
    assert.deepEqual(await last.stats('Load', 3600, START, START + HOUR), []);
    assert.equal(last.count('SELECT count(*) AS n FROM cw_rollup'), 0);
    assert.equal(last.count('SELECT count(*) AS n FROM cw_metric'), 0, 'a metric without data for 455 days is gone');
  });

  it('storage is bounded by time, not by publish rate; percentiles of a busy minute stay within 1/128 of rank', async () => {
    const t = cloudAt('busy.db', START);
    // Ten minutes, 50 distinct values every second: 30,000 values in 600 raw samples.
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const all: number[][] = Array.from({ length: 10 }, () => []);
    for (let s = 0; s < 600; s += 20) {
      const batch = [];
      for (let k = s; k < s + 20; k++) {
        const values = Array.from({ length: 50 }, () => Math.round(next() * 1e6) / 1e3);
        all[Math.floor(k / 60)].push(...values);
        batch.push({ MetricName: 'Busy', Values: values, Timestamp: new Date(START + k * SECOND), StorageResolution: 1 });
      }
      await t.cw('PutMetricData', { Namespace: 'Halo/Keep', MetricData: batch });
    }
    assert.equal(t.count('SELECT count(*) AS n FROM cw_sample'), 600);
    t.clock.advance(4 * HOUR);
    assert.equal(t.count('SELECT count(*) AS n FROM cw_sample'), 0);
    assert.equal(t.count('SELECT count(*) AS n FROM cw_rollup'), 10 + 2 + 1);
    const longest = t.count('SELECT max(json_array_length(vals)) AS n FROM cw_rollup');
    assert.ok(longest <= MAX_VALUE_PAIRS, `${longest} value pairs in a rolled-up period`);
    const minutes = await t.stats('Busy', 60, START, START + 10 * MINUTE, { ExtendedStatistics: ['p50', 'p99'] });
    assert.equal(minutes.length, 10);
    minutes.forEach((d: any, m: number) => {
      const values = all[m];
      for (const [stat, p] of [
        ['p50', 0.5],
        ['p99', 0.99],
      ] as const) {
        const v = d.ExtendedStatistics[stat];
        const rank = values.filter((x) => x <= v).length;
        assert.ok(
          Math.abs(rank - p * values.length) <= values.length / MAX_VALUE_PAIRS,
          `minute ${m} ${stat}: rank ${rank} of ${values.length}`,
        );
      }
    });
    const sums = await t.stats('Busy', 60, START, START + 10 * MINUTE, { Statistics: ['SampleCount', 'Sum'] });
    sums.forEach((d: any, m: number) => {
      assert.equal(d.SampleCount, 3000);
      assert.ok(Math.abs(d.Sum - all[m].reduce((a, b) => a + b, 0)) < 1e-6);
    });
  });
});

describe('retention rules', () => {
  const now = START + 500 * DAY;
  it('the period a StartTime of a given age needs: any within 3 h, multiples of 60 s, 300 s, 3600 s after 3 h, 15 d, 63 d', () => {
    const cases: Array<[number, number, boolean]> = [
      [2 * HOUR, 10, true],
      [4 * HOUR, 10, false],
      [4 * HOUR, 60, true],
      [10 * DAY, 120, true],
      [16 * DAY, 60, false],
      [16 * DAY, 300, true],
      [16 * DAY, 600, true],
      [16 * DAY, 900, true],
      [64 * DAY, 300, false],
      [64 * DAY, 3600, true],
      [400 * DAY, 7200, true],
    ];
    for (const [age, period, ok] of cases)
      assert.equal(periodServes(period, now - age, now), ok, `age ${age / HOUR} h, period ${period} s`);
  });

  it('which resolution holds a start of a given age, and where raw samples end', () => {
    assert.equal(tierFor(now - 14 * DAY, now), 60);
    assert.equal(tierFor(now - 20 * DAY, now), 300);
    assert.equal(tierFor(now - 100 * DAY, now), 3600);
    assert.equal(tierFor(now - 456 * DAY, now), undefined);
    assert.equal(rollupWatermark(START + 5 * HOUR + 59 * MINUTE), START + 2 * HOUR);
  });

  it('merged values: equal values add up; past the cap, runs of equal count keep the total', () => {
    assert.deepEqual(
      mergeValues([
        [
          [3, 1],
          [1, 2],
        ],
        [[3, 4]],
      ]),
      [
        [1, 2],
        [3, 5],
      ],
    );
    assert.equal(mergeValues([[[1, 1]], null]), null);
    const many = mergeValues([Array.from({ length: 1000 }, (_, i) => [i, 1] as [number, number])]) as Array<[number, number]>;
    assert.ok(many.length <= MAX_VALUE_PAIRS);
    assert.equal(
      many.reduce((n, [, c]) => n + c, 0),
      1000,
    );
    assert.deepEqual(
      many.map(([v]) => v),
      [...many.map(([v]) => v)].sort((a, b) => a - b),
    );
  });
});
