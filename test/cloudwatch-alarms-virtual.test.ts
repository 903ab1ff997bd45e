import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import type { ActionResult, RecoverRequest } from '../src/services/cloudwatch/alarm-actions.js';
import { actionsSettled } from '../src/services/cloudwatch/alarm-state.js';
import { cloudwatchService, publishMetric } from '../src/services/cloudwatch/service.js';
import { snsService } from '../src/services/sns/service.js';
import { Store } from '../src/store/db.js';

const MINUTE = 60_000;
const REGION = 'us-east-1';
const START = Date.UTC(2026, 0, 1);

/** A cloud with CloudWatch and SNS only, on a virtual clock that starts on a minute boundary. */
function virtualCloud(file = ':memory:', start = START) {
  const clock = new VirtualClock(start);
  const cloud = new Cloud(new Store(file), clock, timingProfile('instant'), { home: os.tmpdir(), hostsPerZone: 2 });
  cloud.credentials.admin();
  cloud.register(cloudwatchService);
  cloud.register(snsService);
  return { cloud, clock };
}

let clouds: Cloud[] = [];
afterEach(async () => {
  for (const c of clouds) await c.shutdown();
  clouds = [];
});

function setup() {
  const v = virtualCloud();
  clouds.push(v.cloud);
  const cw = (op: string, input: unknown) => v.cloud.invoke('monitoring', op, input, { region: REGION });
  const alarm = async (name: string) => (await cw('DescribeAlarms', { AlarmNames: [name] })).MetricAlarms[0];
  const history = async (name: string, type?: string) =>
    (await cw('DescribeAlarmHistory', { AlarmName: name, HistoryItemType: type, ScanBy: 'TimestampAscending' })).AlarmHistoryItems;
  /** Publishes `value` (or nothing for undefined) in the current minute, then lets the minute end (one evaluation). */
  const minute = async (value: number | number[] | undefined, metric = 'Load') => {
    const now = v.clock.now();
    if (value !== undefined) {
      for (const x of [value].flat())
        publishMetric(v.cloud, REGION, { Namespace: 'Halo/Test', MetricName: metric, Value: x, Timestamp: now + 30_000 });
    }
    v.clock.advance(MINUTE);
    await actionsSettled(v.cloud);
  };
  return { ...v, cw, alarm, history, minute };
}

const baseAlarm = (name: string, extra: Record<string, unknown> = {}) => ({
  AlarmName: name,
  Namespace: 'Halo/Test',
  MetricName: 'Load',
  Statistic: 'Maximum',
  Period: 60,
  EvaluationPeriods: 3,
  Threshold: 50,
  ComparisonOperator: 'GreaterThanThreshold',
  ...extra,
});

describe('metric alarms on the virtual clock', () => {
  it('a new alarm starts in INSUFFICIENT_DATA with a creation history item', async () => {
    const t = setup();
    await t.cw('PutMetricAlarm', baseAlarm('new'));
    const a = await t.alarm('new');
    assert.equal(a.StateValue, 'INSUFFICIENT_DATA');
    assert.equal(a.StateReason, 'Unchecked: Initial alarm creation');
    assert.equal(a.AlarmArn, `arn:aws:cloudwatch:${REGION}:${t.cloud.accountId}:alarm:new`);
    const [created] = await t.history('new');
    assert.equal(created.HistoryItemType, 'ConfigurationUpdate');
    assert.equal(created.HistorySummary, 'Alarm "new" created');
    const data = JSON.parse(created.HistoryData);
    assert.equal(data.type, 'Create');
    assert.equal(data.createdAlarm.metricName, 'Load');
  });

  it('3 of 3: ALARM after the third breaching period, not before; StateReason and StateReasonData as AWS writes them', async () => {
    const t = setup();
    await t.cw('PutMetricAlarm', baseAlarm('cpu'));
    await t.minute(80);
    assert.equal((await t.alarm('cpu')).StateValue, 'INSUFFICIENT_DATA');
    await t.minute(90);
    assert.equal((await t.alarm('cpu')).StateValue, 'INSUFFICIENT_DATA');
    await t.minute(70);
    const a = await t.alarm('cpu');
    assert.equal(a.StateValue, 'ALARM');
    assert.equal(
      a.StateReason,
      'Threshold Crossed: 3 out of the last 3 datapoints [70.0 (01/01/26 00:02:00), 90.0 (01/01/26 00:01:00), 80.0 (01/01/26 00:00:00)] were greater than the threshold (50.0) (minimum 3 datapoints for INSUFFICIENT_DATA -> ALARM transition).',
    );
    const data = JSON.parse(a.StateReasonData);
    assert.equal(data.version, '1.0');
    assert.equal(data.statistic, 'Maximum');
    assert.equal(data.period, 60);
    assert.equal(data.threshold, 50);
    assert.deepEqual(data.recentDatapoints, [80, 90, 70]);
    assert.equal(data.startDate, '2025-12-31T23:58:00.000+0000');
    assert.deepEqual(data.evaluatedDatapoints[0], { timestamp: '2026-01-01T00:02:00.000+0000', sampleCount: 1, value: 70 });
    // One good period of the last three brings it back to OK.
    await t.minute(10);
    const ok = await t.alarm('cpu');
    assert.equal(ok.StateValue, 'OK');
    assert.match(
      ok.StateReason,
      /^Threshold Crossed: 1 out of the last 3 datapoints \[10\.0 \(01\/01\/26 00:03:00\)\] was not greater than the threshold \(50\.0\) \(minimum 1 datapoint for ALARM -> OK transition\)\.$/,
    );
    const window = await t.cw('DescribeAlarmHistory', {
      AlarmName: 'cpu',
      StartDate: new Date(START + 3 * MINUTE),
      EndDate: new Date(START + 4 * MINUTE - 1),
    });
    assert.deepEqual(
      window.AlarmHistoryItems.map((h: any) => h.HistorySummary),
      ['Alarm updated from INSUFFICIENT_DATA to ALARM'],
    );
    const updates = await t.history('cpu', 'StateUpdate');
    assert.deepEqual(
      updates.map((h: any) => h.HistorySummary),
      ['Alarm updated from INSUFFICIENT_DATA to ALARM', 'Alarm updated from ALARM to OK'],
    );
    const h = JSON.parse(updates[1].HistoryData);
    assert.equal(h.oldState.stateValue, 'ALARM');
    assert.equal(h.newState.stateValue, 'OK');
    assert.deepEqual(h.newState.stateReasonData.recentDatapoints, [90, 70, 10]);
  });

  it('M of N: 2 breaching of the last 3 alarm, they need not be consecutive', async () => {
    const t = setup();
    await t.cw('PutMetricAlarm', baseAlarm('mofn', { DatapointsToAlarm: 2 }));
    await t.minute(80);
    await t.minute(10);
    await t.minute(20);
    assert.equal((await t.alarm('mofn')).StateValue, 'OK');
    await t.minute(60);
    assert.equal((await t.alarm('mofn')).StateValue, 'OK');
    await t.minute(10);
    assert.equal((await t.alarm('mofn')).StateValue, 'OK');
    await t.minute(99);
    assert.equal((await t.alarm('mofn')).StateValue, 'ALARM');
  });

  for (const [mode, expected] of [
    ['missing', 'INSUFFICIENT_DATA'],
    ['breaching', 'ALARM'],
    ['notBreaching', 'OK'],
    ['ignore', 'OK'],
  ] as const) {
    it(`TreatMissingData ${mode}: after good data stops, the alarm ends in ${expected}`, async () => {
      const t = setup();
      await t.cw('PutMetricAlarm', baseAlarm(`gap-${mode}`, { TreatMissingData: mode }));
      for (let i = 0; i < 3; i++) await t.minute(10);
      assert.equal((await t.alarm(`gap-${mode}`)).StateValue, 'OK');
      for (let i = 0; i < 8; i++) await t.minute(undefined);
      const a = await t.alarm(`gap-${mode}`);
      assert.equal(a.StateValue, expected);
      if (mode === 'breaching')
        assert.equal(
          a.StateReason,
          'Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].',
        );
      if (mode === 'missing') assert.equal(a.StateReason, 'Insufficient Data: 3 datapoints were unknown.');
    });
  }

  it('TreatMissingData ignore keeps ALARM too, when breaching data stops', async () => {
    const t = setup();
    await t.cw('PutMetricAlarm', baseAlarm('keep', { TreatMissingData: 'ignore', EvaluationPeriods: 1 }));
    await t.minute(99);
    assert.equal((await t.alarm('keep')).StateValue, 'ALARM');
    for (let i = 0; i < 5; i++) await t.minute(undefined);
    assert.equal((await t.alarm('keep')).StateValue, 'ALARM');
  });

  it('percentile alarms (ExtendedStatistic) evaluate the percentile of each period', async () => {
    const t = setup();
    await t.cw('PutMetricAlarm', baseAlarm('p90', { Statistic: undefined, ExtendedStatistic: 'p90', EvaluationPeriods: 1, Threshold: 85 }));
    const spread = Array.from({ length: 100 }, (_, i) => i + 1);
    await t.minute(spread);
    const a = await t.alarm('p90');
    assert.equal(a.StateValue, 'ALARM');
    assert.equal(JSON.parse(a.StateReasonData).extendedStatistic, 'p90');
    assert.deepEqual(JSON.parse(a.StateReasonData).recentDatapoints, [90]);
    await t.minute(spread.map((v) => v * 0.5));
    assert.equal((await t.alarm('p90')).StateValue, 'OK');
  });

  it('EvaluateLowSampleCountPercentile ignore: too few samples for p90 (under 100) do not change the state', async () => {
    const t = setup();
    await t.cw(
      'PutMetricAlarm',
      baseAlarm('low', {
        Statistic: undefined,
        ExtendedStatistic: 'p90',
        EvaluationPeriods: 1,
        EvaluateLowSampleCountPercentile: 'ignore',
      }),
    );
    await t.minute([99, 99, 99]);
    assert.equal((await t.alarm('low')).StateValue, 'INSUFFICIENT_DATA');
    await t.minute(Array.from({ length: 100 }, () => 99));
    assert.equal((await t.alarm('low')).StateValue, 'ALARM');
  });

  it('metric math alarms evaluate the expression that returns data', async () => {
    const t = setup();
    await t.cw('PutMetricAlarm', {
      AlarmName: 'ratio',
      EvaluationPeriods: 1,
      Threshold: 10,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Metrics: [
        { Id: 'e', MetricStat: { Metric: { Namespace: 'Halo/Test', MetricName: 'Errors' }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        { Id: 'r', MetricStat: { Metric: { Namespace: 'Halo/Test', MetricName: 'Load' }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        { Id: 'pct', Expression: '100 * e / r' },
      ],
    });
    publishMetric(t.cloud, REGION, { Namespace: 'Halo/Test', MetricName: 'Errors', Value: 1, Timestamp: t.clock.now() + 1_000 });
    await t.minute(20);
    assert.equal((await t.alarm('ratio')).StateValue, 'OK');
    publishMetric(t.cloud, REGION, { Namespace: 'Halo/Test', MetricName: 'Errors', Value: 3, Timestamp: t.clock.now() + 1_000 });
    await t.minute(20);
    assert.equal((await t.alarm('ratio')).StateValue, 'ALARM');
  });

  it('actions run only on transitions, and not while actions are disabled', async () => {
    const t = setup();
    const { TopicArn } = await t.cloud.invoke('sns', 'CreateTopic', { Name: 'ops' }, { region: REGION });
    await t.cw('PutMetricAlarm', baseAlarm('act', { EvaluationPeriods: 1, AlarmActions: [TopicArn], OKActions: [TopicArn] }));
    // Transitions: INSUFFICIENT_DATA → ALARM, ALARM → OK, OK → ALARM; the repeated states run nothing.
    for (const v of [99, 99, 99, 10, 10, 99]) await t.minute(v);
    const actions = await t.history('act', 'Action');
    assert.deepEqual(
      actions.map((h: any) => h.HistorySummary),
      Array(3).fill(`Successfully executed action ${TopicArn}`),
    );
    const published = JSON.parse(JSON.parse(actions[0].HistoryData).publishedMessage);
    assert.equal(published.NewStateValue, 'ALARM');
    assert.equal(published.OldStateValue, 'INSUFFICIENT_DATA');
    assert.equal(published.Trigger.MetricName, 'Load');
    assert.equal(published.Trigger.Statistic, 'MAXIMUM');
    assert.equal(published.Region, 'US East (N. Virginia)');
    await t.cw('DisableAlarmActions', { AlarmNames: ['act'] });
    await t.minute(10);
    assert.equal((await t.alarm('act')).StateValue, 'OK');
    assert.equal((await t.history('act', 'Action')).length, 3);
  });

  it('SetAlarmState runs SNS actions but not EC2 actions, and the next evaluation sets the state back', async () => {
    const t = setup();
    const { TopicArn } = await t.cloud.invoke('sns', 'CreateTopic', { Name: 'ops' }, { region: REGION });
    const recover = `arn:aws:automate:${REGION}:ec2:recover`;
    await t.cw(
      'PutMetricAlarm',
      baseAlarm('set', {
        EvaluationPeriods: 1,
        Dimensions: [{ Name: 'InstanceId', Value: 'i-0123456789abcdef0' }],
        AlarmActions: [TopicArn, recover],
      }),
    );
    await t.cw('SetAlarmState', { AlarmName: 'set', StateValue: 'ALARM', StateReason: 'testing', StateReasonData: '{"why":"test"}' });
    await actionsSettled(t.cloud);
    const a = await t.alarm('set');
    assert.equal(a.StateValue, 'ALARM');
    assert.equal(a.StateReason, 'testing');
    const actions = (await t.history('set', 'Action')).map((h: any) => h.HistorySummary);
    assert.deepEqual(actions, [
      `Successfully executed action ${TopicArn}`,
      `No action taken for ${recover}: EC2 actions are not executed when the state is set by SetAlarmState`,
    ]);
    publishMetric(t.cloud, REGION, {
      Namespace: 'Halo/Test',
      MetricName: 'Load',
      Dimensions: [{ Name: 'InstanceId', Value: 'i-0123456789abcdef0' }],
      Value: 1,
      Timestamp: t.clock.now(),
    });
    t.clock.advance(MINUTE);
    assert.equal((await t.alarm('set')).StateValue, 'OK');
    await assert.rejects(t.cw('SetAlarmState', { AlarmName: 'nope', StateValue: 'OK', StateReason: 'x' }), { code: 'ResourceNotFound' });
    await assert.rejects(t.cw('SetAlarmState', { AlarmName: 'set', StateValue: 'OK', StateReason: 'x', StateReasonData: '{' }), {
      code: 'InvalidFormat',
    });
  });

  it('EC2 actions: recover is handed to EC2 by event and its result recorded; a missing EC2 operation is a recorded failure', async () => {
    const t = setup();
    const requests: RecoverRequest[] = [];
    t.cloud.events.on('ec2.recoverRequested', (r: RecoverRequest) => {
      requests.push(r);
      const result: ActionResult = {
        requestId: r.requestId,
        region: r.region,
        alarmName: r.alarmName,
        actionArn: r.actionArn,
        succeeded: true,
        message: 'moved to another host',
      };
      t.cloud.events.emit('cloudwatch.actionResult', result);
    });
    const dims = [{ Name: 'InstanceId', Value: 'i-0aaaaaaaaaaaaaaaa' }];
    const recover = `arn:aws:automate:${REGION}:ec2:recover`;
    const stop = `arn:aws:automate:${REGION}:ec2:stop`;
    await t.cw(
      'PutMetricAlarm',
      baseAlarm('sys', {
        MetricName: 'StatusCheckFailed_System',
        Namespace: 'AWS/EC2',
        Statistic: 'Minimum',
        EvaluationPeriods: 2,
        Threshold: 0,
        Dimensions: dims,
        AlarmActions: [recover, stop],
      }),
    );
    for (let i = 0; i < 2; i++) {
      publishMetric(t.cloud, REGION, {
        Namespace: 'AWS/EC2',
        MetricName: 'StatusCheckFailed_System',
        Dimensions: dims,
        Value: 1,
        Timestamp: t.clock.now() + 1_000,
      });
      t.clock.advance(MINUTE);
    }
    await actionsSettled(t.cloud);
    assert.equal((await t.alarm('sys')).StateValue, 'ALARM');
    assert.deepEqual(
      requests.map((r) => [r.instanceId, r.alarmName, r.actionArn]),
      [['i-0aaaaaaaaaaaaaaaa', 'sys', recover]],
    );
    const actions = (await t.history('sys', 'Action')).map((h: any) => h.HistorySummary);
    assert.deepEqual(actions, [
      `Requested recovery of i-0aaaaaaaaaaaaaaaa by action ${recover}`,
      `Successfully executed action ${recover}`,
      `Failed to execute action ${stop}. Received error: "ec2:StopInstances is not available in this cloud."`,
    ]);
  });

  it('tags given at creation are listed, added and removed (TagResource, UntagResource, ListTagsForResource)', async () => {
    const t = setup();
    await t.cw('PutMetricAlarm', baseAlarm('tagged', { Tags: [{ Key: 'team', Value: 'ops' }] }));
    const arn = (await t.alarm('tagged')).AlarmArn;
    assert.deepEqual((await t.cw('ListTagsForResource', { ResourceARN: arn })).Tags, [{ Key: 'team', Value: 'ops' }]);
    await t.cw('TagResource', {
      ResourceARN: arn,
      Tags: [
        { Key: 'tier', Value: 'web' },
        { Key: 'team', Value: 'sre' },
      ],
    });
    await t.cw('UntagResource', { ResourceARN: arn, TagKeys: ['tier'] });
    assert.deepEqual((await t.cw('ListTagsForResource', { ResourceARN: arn })).Tags, [{ Key: 'team', Value: 'sre' }]);
    await assert.rejects(t.cw('ListTagsForResource', { ResourceARN: `${arn}-gone` }), { code: 'ResourceNotFoundException' });
  });

  it('EC2 actions need an InstanceId dimension; anomaly detection operators are refused clearly', async () => {
    const t = setup();
    await assert.rejects(t.cw('PutMetricAlarm', baseAlarm('bad', { AlarmActions: [`arn:aws:automate:${REGION}:ec2:reboot`] })), {
      code: 'InvalidParameterCombination',
    });
    await assert.rejects(
      t.cw('PutMetricAlarm', baseAlarm('bad', { ComparisonOperator: 'GreaterThanUpperThreshold' })),
      (e: Error & { code: string }) => e.code === 'InvalidParameterValue' && /Anomaly detection/.test(e.message),
    );
    await assert.rejects(t.cw('PutMetricAlarm', baseAlarm('bad', { DatapointsToAlarm: 4 })), { code: 'InvalidParameterValue' });
    await assert.rejects(t.cw('PutMetricAlarm', baseAlarm('bad', { Period: 90 })), { code: 'ValidationError' });
    await assert.rejects(t.cw('PutMetricAlarm', baseAlarm('bad', { ExtendedStatistic: 'p99' })), { code: 'InvalidParameterCombination' });
    await assert.rejects(t.cw('PutMetricAlarm', baseAlarm('bad', { AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:x'] })), {
      code: 'InvalidParameterValue',
    });
    await assert.rejects(t.cw('DeleteAlarms', { AlarmNames: ['bad'] }), { code: 'ResourceNotFound' });
    const six = Array.from({ length: 6 }, (_, i) => `arn:aws:sns:${REGION}:123456789012:t${i}`);
    await assert.rejects(t.cw('PutMetricAlarm', baseAlarm('bad', { OKActions: six })), { code: 'LimitExceeded' });
    await assert.rejects(t.cw('PutMetricAlarm', baseAlarm('bad', { Threshold: undefined })), { code: 'MissingParameter' });
    await assert.rejects(t.cw('PutMetricAlarm', baseAlarm('bad', { Metrics: [{ Id: 'm', Expression: '1' }] })), {
      code: 'InvalidParameterCombination',
    });
  });

  it('retention: 1-minute periods for 15 days, then 5-minute ones; metrics without data for two weeks leave ListMetrics', async () => {
    const t = setup();
    publishMetric(t.cloud, REGION, { Namespace: 'Halo/Test', MetricName: 'Old', Value: 1 });
    t.clock.advance(14 * 86_400_000);
    assert.equal((await t.cw('ListMetrics', { Namespace: 'Halo/Test' })).Metrics.length, 1);
    const stats = (period: number) =>
      t.cw('GetMetricStatistics', {
        Namespace: 'Halo/Test',
        MetricName: 'Old',
        StartTime: new Date(START),
        EndTime: new Date(START + 5 * MINUTE),
        Period: period,
        Statistics: ['Sum'],
      });
    assert.equal((await stats(60)).Datapoints.length, 1);
    t.clock.advance(2 * 86_400_000);
    assert.equal((await stats(60)).Datapoints.length, 0);
    assert.equal((await stats(300)).Datapoints.length, 1);
    assert.equal((await t.cw('ListMetrics', { Namespace: 'Halo/Test' })).Metrics.length, 0);
    const rows = t.cloud.store.db.prepare('SELECT count(*) AS n FROM cw_sample').get() as { n: number };
    assert.equal(rows.n, 0);
  });
});

describe('the evaluator after a restart of the cloud', () => {
  it('reloads alarms from the state and evaluates them on the new clock', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'halo-cw-'));
    try {
      const file = path.join(dir, 'state.db');
      const first = virtualCloud(file);
      await first.cloud.invoke('monitoring', 'PutMetricAlarm', baseAlarm('durable', { EvaluationPeriods: 1 }), { region: REGION });
      first.clock.advance(MINUTE);
      await first.cloud.shutdown();
      const second = virtualCloud(file, START + 10 * MINUTE);
      clouds.push(second.cloud);
      publishMetric(second.cloud, REGION, {
        Namespace: 'Halo/Test',
        MetricName: 'Load',
        Value: 99,
        Timestamp: START + 10 * MINUTE + 1_000,
      });
      second.clock.advance(MINUTE);
      const a = (await second.cloud.invoke('monitoring', 'DescribeAlarms', {}, { region: REGION })).MetricAlarms![0];
      assert.equal(a.AlarmName, 'durable');
      assert.equal(a.StateValue, 'ALARM');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
