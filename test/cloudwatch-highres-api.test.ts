import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { TestCloud } from './support/cloud.js';

describe('a high-resolution alarm through the real aws CLI and SDK v3, on a clock 10 times faster', () => {
  let cloud: TestCloud;
  let cw: CloudWatchClient;

  before(async () => {
    cloud = await TestCloud.start({ timeScale: 10 });
    cw = new CloudWatchClient(cloud.sdk);
  });
  after(async () => {
    cw?.destroy();
    await cloud?.dispose();
  });

  /** Publishes `value` with StorageResolution 1 until the alarm is in `state`; gives up after 400 rounds. */
  async function publishUntil(value: number, state: string): Promise<void> {
    for (let i = 0; i < 400; i++) {
      await cw.send(
        new PutMetricDataCommand({ Namespace: 'Halo/Fast', MetricData: [{ MetricName: 'Latency', Value: value, StorageResolution: 1 }] }),
      );
      const d = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['fast-latency'] }));
      if (d.MetricAlarms?.[0]?.StateValue === state) return;
      await sleep(25);
    }
    assert.fail(`fast-latency did not reach ${state}`);
  }

  it('a 10 s alarm goes to ALARM and back to OK within one minute of cloud time', async () => {
    const put = cloud.aws(
      'cloudwatch',
      'put-metric-alarm',
      '--alarm-name',
      'fast-latency',
      '--namespace',
      'Halo/Fast',
      '--metric-name',
      'Latency',
      '--statistic',
      'Maximum',
      '--period',
      '10',
      '--evaluation-periods',
      '1',
      '--threshold',
      '100',
      '--comparison-operator',
      'GreaterThanThreshold',
      // A publisher slowed down by a busy machine may leave a 10 s period empty: `ignore` keeps the state through it.
      '--treat-missing-data',
      'ignore',
    );
    assert.equal(put.status, 0, put.stderr);
    const described = cloud.aws('cloudwatch', 'describe-alarms', '--alarm-names', 'fast-latency').json.MetricAlarms[0];
    assert.equal(described.Period, 10);
    await publishUntil(500, 'ALARM');
    await publishUntil(20, 'OK');
    const history = await cw.send(
      new DescribeAlarmHistoryCommand({ AlarmName: 'fast-latency', HistoryItemType: 'StateUpdate', ScanBy: 'TimestampAscending' }),
    );
    const changes = (history.AlarmHistoryItems ?? []).map((h) => ({ at: (h.Timestamp as Date).getTime(), summary: h.HistorySummary }));
    const toAlarm = changes.find((c) => /to ALARM$/.test(String(c.summary)));
    const toOk = changes.find((c) => c.summary === 'Alarm updated from ALARM to OK');
    assert.ok(toAlarm && toOk, JSON.stringify(changes));
    // Two state changes less than a minute of cloud time apart are impossible for an alarm evaluated once a minute.
    assert.ok(toOk.at - toAlarm.at < 60_000, `ALARM at ${new Date(toAlarm.at).toISOString()}, OK at ${new Date(toOk.at).toISOString()}`);
    const reason = cloud.aws('cloudwatch', 'describe-alarms', '--alarm-names', 'fast-latency').json.MetricAlarms[0].StateReason;
    assert.match(
      reason,
      /^Threshold Crossed: 1 out of the last 1 datapoints \[20\.0 \(.+\)\] was not greater than the threshold \(100\.0\)/,
    );
  });

  it('put-metric-alarm refuses a 15 s period with the error AWS gives', () => {
    const r = cloud.aws(
      'cloudwatch',
      'put-metric-alarm',
      '--alarm-name',
      'odd',
      '--namespace',
      'Halo/Fast',
      '--metric-name',
      'Latency',
      '--statistic',
      'Maximum',
      '--period',
      '15',
      '--evaluation-periods',
      '1',
      '--threshold',
      '1',
      '--comparison-operator',
      'GreaterThanThreshold',
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /\(ValidationError\).*Period must be 10, 20, 30 or a multiple of 60/s);
  });
});
