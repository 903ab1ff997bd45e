import assert from 'node:assert/strict';
import os from 'node:os';
import { afterEach, describe, it } from 'node:test';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { actionsSettled } from '../src/services/cloudwatch/alarm-state.js';
import { alarmEvaluatorOf, cloudwatchService, publishMetric } from '../src/services/cloudwatch/service.js';
import { Store } from '../src/store/db.js';

const SECOND = 1_000;
const REGION = 'us-east-1';
const START = Date.UTC(2026, 0, 1);

let clouds: Cloud[] = [];
afterEach(async () => {
  for (const c of clouds) await c.shutdown();
  clouds = [];
});

function setup() {
  const clock = new VirtualClock(START);
  const cloud = new Cloud(new Store(':memory:'), clock, timingProfile('instant'), { home: os.tmpdir(), hostsPerZone: 2 });
  cloud.credentials.admin();
  cloud.register(cloudwatchService);
  clouds.push(cloud);
  const cw = (op: string, input: unknown) => cloud.invoke('monitoring', op, input, { region: REGION });
  const state = async (name: string) => (await cw('DescribeAlarms', { AlarmNames: [name] })).MetricAlarms[0].StateValue as string;
  /** Publishes `value` on `metric` once per second of cloud time for `seconds` seconds (the clock moves with it). */
  const run = async (seconds: number, values: Record<string, number>, resolution: 1 | 60 = 1) => {
    for (let s = 0; s < seconds; s++) {
      for (const [metric, value] of Object.entries(values)) {
        publishMetric(cloud, REGION, {
          Namespace: 'Halo/Fast',
          MetricName: metric,
          Value: value,
          Timestamp: clock.now() + 500,
          StorageResolution: resolution,
        });
      }
      clock.advance(SECOND);
    }
    await actionsSettled(cloud);
  };
  /** The cloud time (ms since START) of each state change of an alarm, read from its history. */
  const transitions = async (name: string) => {
    const items = (await cw('DescribeAlarmHistory', { AlarmName: name, HistoryItemType: 'StateUpdate', ScanBy: 'TimestampAscending' }))
      .AlarmHistoryItems;
    return items.map((h: { Timestamp: Date; HistorySummary: string }) => [
      h.Timestamp.getTime() - START,
      h.HistorySummary.replace(/^Alarm updated from /, ''),
    ]);
  };
  return { cloud, clock, cw, state, run, transitions };
}

const alarm = (name: string, metric: string, period: number, extra: Record<string, unknown> = {}) => ({
  AlarmName: name,
  Namespace: 'Halo/Fast',
  MetricName: metric,
  Statistic: 'Maximum',
  Period: period,
  EvaluationPeriods: 3,
  Threshold: 50,
  ComparisonOperator: 'GreaterThanThreshold',
  ...extra,
});

describe('high-resolution alarms on the virtual clock', () => {
  it('a 10 s alarm with 3 evaluation periods goes to ALARM 30 s after breaching data starts, not at the next minute', async () => {
    const t = setup();
    await t.cw('PutMetricAlarm', alarm('fast', 'Load', 10));
    await t.run(60, { Load: 10 });
    assert.equal(await t.state('fast'), 'OK');
    // Breaching data from START + 60 s: three 10 s periods of it end at START + 90 s.
    await t.run(20, { Load: 90 });
    assert.equal(await t.state('fast'), 'OK');
    await t.run(9, { Load: 90 });
    assert.equal(await t.state('fast'), 'OK', 'the third breaching period has not ended yet');
    await t.run(1, { Load: 90 });
    assert.equal(await t.state('fast'), 'ALARM');
    assert.deepEqual(
      (await t.transitions('fast')).map(([at, what]: [number, string]) => [at / SECOND, what]),
      [
        [10, 'INSUFFICIENT_DATA to OK'],
        [90, 'OK to ALARM'],
      ],
    );
    // 3 of 3 must breach: one healthy 10 s period brings it back to OK.
    await t.run(10, { Load: 10 });
    assert.equal(await t.state('fast'), 'OK');
  });

  it('a 30 s alarm is evaluated every 10 s over its last 30 s periods', async () => {
    const t = setup();
    await t.cw('PutMetricAlarm', alarm('half', 'Load', 30, { EvaluationPeriods: 1 }));
    await t.run(60, { Load: 10 });
    assert.equal(await t.state('half'), 'OK');
    await t.run(10, { Load: 90 });
    // The 10 s tick at START + 70 s already sees a breaching maximum in [40 s, 70 s).
    assert.equal(await t.state('half'), 'ALARM');
    assert.deepEqual(
      (await t.transitions('half')).map(([at]: [number]) => at / SECOND),
      [10, 70],
    );
    await t.run(20, { Load: 10 });
    assert.equal(await t.state('half'), 'ALARM', 'the period [60 s, 90 s) still holds a breaching point');
    await t.run(10, { Load: 10 });
    assert.equal(await t.state('half'), 'OK');
    assert.deepEqual(
      (await t.transitions('half')).map(([at]: [number]) => at / SECOND),
      [10, 70, 100],
    );
  });

  it('mixed with 60 s alarms: standard alarms keep changing on minute boundaries only', async () => {
    const t = setup();
    await t.cw('PutMetricAlarm', alarm('fast', 'Load', 10, { EvaluationPeriods: 1 }));
    await t.cw('PutMetricAlarm', alarm('twenty', 'Load', 20, { EvaluationPeriods: 1 }));
    await t.cw('PutMetricAlarm', alarm('slow', 'Load', 60, { EvaluationPeriods: 1 }));
    await t.run(60, { Load: 10 });
    for (const name of ['fast', 'twenty', 'slow']) assert.equal(await t.state(name), 'OK', name);
    await t.run(15, { Load: 90 });
    assert.equal(await t.state('fast'), 'ALARM');
    assert.equal(await t.state('twenty'), 'ALARM');
    assert.equal(await t.state('slow'), 'OK', 'a 60 s alarm waits for the minute boundary');
    await t.run(45, { Load: 90 });
    assert.equal(await t.state('slow'), 'ALARM');
    assert.deepEqual(
      (await t.transitions('fast')).map(([at]: [number]) => at / SECOND),
      [10, 70],
    );
    assert.deepEqual(
      (await t.transitions('twenty')).map(([at]: [number]) => at / SECOND),
      [10, 70],
    );
    assert.deepEqual(
      (await t.transitions('slow')).map(([at]: [number]) => at / SECOND),
      [60, 120],
    );
  });

  it('10 s ticks evaluate only the high-resolution alarms; each minute boundary evaluates all of them', async () => {
    const t = setup();
    for (let i = 0; i < 20; i++) await t.cw('PutMetricAlarm', alarm(`slow-${i}`, 'Load', 60));
    await t.cw('PutMetricAlarm', alarm('fast', 'Load', 10));
    const evaluator = alarmEvaluatorOf(t.cloud);
    assert.ok(evaluator);
    t.clock.advance(12 * SECOND);
    assert.equal(evaluator.tick(), 1, 'a tick between minute boundaries');
    t.clock.advance(50 * SECOND);
    // The timers already ran the minute's full evaluation; a second tick in the same minute is not full again.
    assert.equal(evaluator.tick(), 1);
    // An alarm changed from 10 s to 60 s leaves the 10 s schedule; a deleted one too.
    await t.cw('PutMetricAlarm', alarm('fast', 'Load', 60));
    t.clock.advance(10 * SECOND);
    assert.equal(evaluator.tick(), 0);
    await t.cw('PutMetricAlarm', alarm('again', 'Load', 30));
    t.clock.advance(10 * SECOND);
    assert.equal(evaluator.tick(), 1);
    await t.cw('DeleteAlarms', { AlarmNames: ['again'] });
    t.clock.advance(10 * SECOND);
    assert.equal(evaluator.tick(), 0);
  });

  it('on standard-resolution data (stored per minute) a 10 s alarm lapses into INSUFFICIENT_DATA, as AWS warns', async () => {
    const t = setup();
    await t.cw('PutMetricAlarm', alarm('coarse', 'Slow', 10, { EvaluationPeriods: 1 }));
    await t.run(60, { Slow: 90 }, 60);
    // One point a minute, in the 10 s period that starts it: the evaluation range (3 periods) loses it after 30 s.
    const stats = await t.cw('GetMetricStatistics', {
      Namespace: 'Halo/Fast',
      MetricName: 'Slow',
      StartTime: new Date(START),
      EndTime: new Date(START + 60 * SECOND),
      Period: 10,
      Statistics: ['SampleCount'],
    });
    assert.deepEqual(
      stats.Datapoints.map((d: { Timestamp: Date; SampleCount: number }) => [d.Timestamp.getTime() - START, d.SampleCount]),
      [[0, 60]],
    );
    assert.deepEqual(
      (await t.transitions('coarse')).map(([at, what]: [number, string]) => [at / SECOND, what]),
      [
        [10, 'INSUFFICIENT_DATA to ALARM'],
        [40, 'ALARM to INSUFFICIENT_DATA'],
      ],
    );
  });

  it('PutMetricAlarm accepts periods 10, 20, 30 and multiples of 60, and refuses others with ValidationError', async () => {
    const t = setup();
    for (const period of [10, 20, 30, 60, 120, 3600])
      await t.cw('PutMetricAlarm', alarm(`p${period}`, 'Load', period, { EvaluationPeriods: 1 }));
    for (const period of [1, 5, 15, 45, 90, 0]) {
      await assert.rejects(
        t.cw('PutMetricAlarm', alarm('bad', 'Load', period)),
        (e: Error & { code: string }) => e.code === 'ValidationError' && e.message === 'Period must be 10, 20, 30 or a multiple of 60.',
      );
    }
    const mathAlarm = {
      AlarmName: 'math',
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Metrics: [{ Id: 'm', MetricStat: { Metric: { Namespace: 'Halo/Fast', MetricName: 'Load' }, Period: 5, Stat: 'Sum' } }],
    };
    await assert.rejects(t.cw('PutMetricAlarm', mathAlarm), { code: 'ValidationError' });
  });
});
