import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  DescribeAlarmsForMetricCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { AWS_CLI, TestCloud } from './support/cloud.js';

const execFileAsync = promisify(execFile);

/** The real aws CLI without blocking this process (TestCloud.aws is synchronous). */
async function awsAsync(cloud: TestCloud, ...args: string[]): Promise<any> {
  const { stdout } = await execFileAsync(AWS_CLI, ['--endpoint-url', cloud.endpoint, '--output', 'json', ...args], { env: cloud.env });
  return JSON.parse(stdout);
}

interface Received {
  headers: IncomingHttpHeaders;
  body: any;
}

/** An SNS HTTP subscriber on 127.0.0.1 that keeps what it receives. */
async function subscriber(): Promise<{
  server: Server;
  url: string;
  received: Received[];
  next: (type: string, from?: number) => Promise<Received>;
}> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(text) });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sns`;
  const next = async (type: string, from = 0) => {
    for (let i = 0; i < 200; i++) {
      const found = received.slice(from).find((r) => r.body.Type === type);
      if (found) return found;
      await sleep(50);
    }
    throw new Error(`no ${type} message arrived in 10 s`);
  };
  return { server, url, received, next };
}

describe('CloudWatch alarms end to end: aws CLI, SDK v3, SNS HTTP delivery, on a clock 600 times faster', () => {
  let cloud: TestCloud;
  let cw: CloudWatchClient;
  let sub: Awaited<ReturnType<typeof subscriber>>;
  let topicArn = '';

  before(async () => {
    cloud = await TestCloud.start({ timeScale: 600 });
    cw = new CloudWatchClient(cloud.sdk);
    sub = await subscriber();
  });
  after(async () => {
    cw?.destroy();
    sub?.server.close();
    await cloud?.dispose();
  });

  it('SNS: create-topic, subscribe a loopback HTTP endpoint, confirm with the token it received', async () => {
    const topic = cloud.aws('sns', 'create-topic', '--name', 'alarms');
    assert.equal(topic.status, 0, topic.stderr);
    topicArn = topic.json.TopicArn;
    assert.equal(topicArn, `arn:aws:sns:us-east-1:${topicArn.split(':')[4]}:alarms`);
    const s = cloud.aws('sns', 'subscribe', '--topic-arn', topicArn, '--protocol', 'http', '--notification-endpoint', sub.url);
    assert.equal(s.status, 0, s.stderr);
    assert.equal(s.json.SubscriptionArn, 'pending confirmation');
    const confirmation = await sub.next('SubscriptionConfirmation');
    assert.equal(confirmation.headers['x-amz-sns-message-type'], 'SubscriptionConfirmation');
    assert.equal(confirmation.body.TopicArn, topicArn);
    const c = cloud.aws('sns', 'confirm-subscription', '--topic-arn', topicArn, '--token', confirmation.body.Token);
    assert.equal(c.status, 0, c.stderr);
    const list = cloud.aws('sns', 'list-subscriptions-by-topic', '--topic-arn', topicArn);
    assert.deepEqual(
      list.json.Subscriptions.map((x: any) => [x.SubscriptionArn, x.Protocol, x.Endpoint]),
      [[c.json.SubscriptionArn, 'http', sub.url]],
    );
    const outside = cloud.aws(
      'sns',
      'subscribe',
      '--topic-arn',
      topicArn,
      '--protocol',
      'http',
      '--notification-endpoint',
      'http://203.0.113.7/hook',
    );
    assert.match(outside.stderr, /InvalidParameter.*loopback/s);
  });

  it('an alarm really fires: breaching data → ALARM on the scaled clock → SNS notification over HTTP', async () => {
    const put = cloud.aws(
      'cloudwatch',
      'put-metric-alarm',
      '--alarm-name',
      'high-load',
      '--namespace',
      'Halo/E2E',
      '--metric-name',
      'Load',
      '--dimensions',
      'Name=Host,Value=web-1',
      '--statistic',
      'Maximum',
      '--period',
      '60',
      '--evaluation-periods',
      '2',
      '--threshold',
      '50',
      '--comparison-operator',
      'GreaterThanThreshold',
      '--alarm-actions',
      topicArn,
      '--alarm-description',
      'load too high',
      // A publisher slowed by a busy machine leaves gaps of several 0.1 s periods: `ignore` keeps ALARM through them.
      '--treat-missing-data',
      'ignore',
    );
    assert.equal(put.status, 0, put.stderr);
    const from = sub.received.length;
    // At 600x one wall second is ten AWS minutes: keep the breaching data flowing, as a real source would, until
    // the test is done, or the alarm rightly goes back to INSUFFICIENT_DATA once the data stops.
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        await cw.send(
          new PutMetricDataCommand({
            Namespace: 'Halo/E2E',
            MetricData: [{ MetricName: 'Load', Dimensions: [{ Name: 'Host', Value: 'web-1' }], Value: 90 }],
          }),
        );
        await sleep(20);
      }
    })();
    try {
      let state = '';
      for (let i = 0; i < 200 && state !== 'ALARM'; i++) {
        const d = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['high-load'] }));
        state = d.MetricAlarms?.[0]?.StateValue ?? '';
        await sleep(50);
      }
      assert.equal(state, 'ALARM');
      await checkFired(from);
    } finally {
      publishing = false;
      await publisher;
    }
  });

  /** While data keeps flowing: the CLI runs asynchronously here, so the publisher in this process is not paused. */
  async function checkFired(from: number) {
    const described = await awsAsync(cloud, 'cloudwatch', 'describe-alarms', '--alarm-names', 'high-load');
    const alarm = described.MetricAlarms[0];
    assert.equal(alarm.StateValue, 'ALARM');
    assert.match(
      alarm.StateReason,
      /^Threshold Crossed: 2 out of the last 2 datapoints \[90\.0 \(.+\), 90\.0 \(.+\)\] were greater than the threshold \(50\.0\) \(minimum 2 datapoints for (INSUFFICIENT_DATA|OK) -> ALARM transition\)\.$/,
    );
    assert.deepEqual(JSON.parse(alarm.StateReasonData).recentDatapoints, [90, 90]);
    const note = await sub.next('Notification', from);
    assert.equal(note.headers['x-amz-sns-message-type'], 'Notification');
    assert.equal(note.headers['x-amz-sns-topic-arn'], topicArn);
    assert.equal(note.body.Subject, 'ALARM: "high-load" in US East (N. Virginia)');
    const message = JSON.parse(note.body.Message);
    assert.equal(message.AlarmName, 'high-load');
    assert.equal(message.AlarmDescription, 'load too high');
    assert.equal(message.NewStateValue, 'ALARM');
    assert.equal(message.NewStateReason, alarm.StateReason);
    assert.deepEqual(message.Trigger.Dimensions, [{ value: 'web-1', name: 'Host' }]);
    const history = await awsAsync(cloud, 'cloudwatch', 'describe-alarm-history', '--alarm-name', 'high-load');
    const summaries = history.AlarmHistoryItems.map((h: any) => h.HistorySummary);
    assert.ok(summaries.includes('Alarm "high-load" created'), summaries.join('\n'));
    assert.ok(
      summaries.some((s: string) => /^Alarm updated from (INSUFFICIENT_DATA|OK) to ALARM$/.test(s)),
      summaries.join('\n'),
    );
    assert.ok(summaries.includes(`Successfully executed action ${topicArn}`), summaries.join('\n'));
  }

  it('set-alarm-state changes the state, runs the SNS action and is recorded in describe-alarm-history', async () => {
    const put = cloud.aws(
      'cloudwatch',
      'put-metric-alarm',
      '--alarm-name',
      'manual',
      '--namespace',
      'Halo/E2E',
      '--metric-name',
      'Silent',
      '--statistic',
      'Sum',
      '--period',
      '60',
      '--evaluation-periods',
      '1',
      '--threshold',
      '1',
      '--comparison-operator',
      'GreaterThanOrEqualToThreshold',
      '--treat-missing-data',
      'ignore',
      '--alarm-actions',
      topicArn,
    );
    assert.equal(put.status, 0, put.stderr);
    const from = sub.received.length;
    const set = cloud.aws('cloudwatch', 'set-alarm-state', '--alarm-name', 'manual', '--state-value', 'ALARM', '--state-reason', 'drill');
    assert.equal(set.status, 0, set.stderr);
    const note = await sub.next('Notification', from);
    assert.equal(JSON.parse(note.body.Message).NewStateReason, 'drill');
    const d = cloud.aws('cloudwatch', 'describe-alarms', '--alarm-name-prefix', 'man', '--state-value', 'ALARM');
    assert.deepEqual(
      d.json.MetricAlarms.map((a: any) => [a.AlarmName, a.StateValue, a.StateReason]),
      [['manual', 'ALARM', 'drill']],
    );
    const h = cloud.aws('cloudwatch', 'describe-alarm-history', '--alarm-name', 'manual', '--history-item-type', 'StateUpdate');
    const items = h.json.AlarmHistoryItems;
    assert.equal(items.length, 1);
    assert.equal(items[0].HistorySummary, 'Alarm updated from INSUFFICIENT_DATA to ALARM');
    const data = JSON.parse(items[0].HistoryData);
    assert.deepEqual(
      [data.oldState.stateValue, data.newState.stateValue, data.newState.stateReason],
      ['INSUFFICIENT_DATA', 'ALARM', 'drill'],
    );
    const missing = cloud.aws('cloudwatch', 'set-alarm-state', '--alarm-name', 'nope', '--state-value', 'OK', '--state-reason', 'x');
    assert.match(missing.stderr, /ResourceNotFound/);
    const both = cloud.aws('cloudwatch', 'describe-alarms', '--alarm-names', 'manual', '--alarm-name-prefix', 'm');
    assert.match(both.stderr, /InvalidParameterCombination/);
  });

  it('SDK v3 (JSON 1.0): PutMetricAlarm, DescribeAlarms by action prefix, DescribeAlarmsForMetric, DescribeAlarmHistory, errors', async () => {
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: 'sdk-alarm',
        Namespace: 'Halo/E2E',
        MetricName: 'Latency',
        ExtendedStatistic: 'p99',
        Period: 300,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        Threshold: 250,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        Unit: 'Milliseconds',
        OKActions: [topicArn],
      }),
    );
    const byAction = await cw.send(new DescribeAlarmsCommand({ ActionPrefix: 'arn:aws:sns:us-east-1:', AlarmNamePrefix: 'sdk' }));
    const a = byAction.MetricAlarms?.[0];
    assert.equal(a?.AlarmName, 'sdk-alarm');
    assert.deepEqual(
      [a?.ExtendedStatistic, a?.Period, a?.EvaluationPeriods, a?.DatapointsToAlarm, a?.TreatMissingData, a?.Unit],
      ['p99', 300, 3, 2, 'notBreaching', 'Milliseconds'],
    );
    assert.ok(a?.AlarmConfigurationUpdatedTimestamp instanceof Date);
    const forMetric = await cw.send(new DescribeAlarmsForMetricCommand({ Namespace: 'Halo/E2E', MetricName: 'Latency' }));
    assert.deepEqual(
      forMetric.MetricAlarms?.map((x) => x.AlarmName),
      ['sdk-alarm'],
    );
    const hist = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'sdk-alarm', HistoryItemType: 'ConfigurationUpdate' }));
    assert.equal(hist.AlarmHistoryItems?.[0]?.HistorySummary, 'Alarm "sdk-alarm" created');
    await assert.rejects(
      cw.send(
        new PutMetricAlarmCommand({
          AlarmName: 'x',
          Namespace: 'N',
          MetricName: 'M',
          Statistic: 'Average',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'LessThanLowerOrGreaterThanUpperThreshold',
        }),
      ),
      (err: Error) =>
        err.name === 'InvalidParameterValue' || (err as any).Code === 'InvalidParameterValue' || /Anomaly detection/.test(err.message),
    );
    const del = cloud.aws('cloudwatch', 'delete-alarms', '--alarm-names', 'sdk-alarm', 'does-not-exist');
    assert.match(del.stderr, /ResourceNotFound/);
    assert.equal(cloud.aws('cloudwatch', 'delete-alarms', '--alarm-names', 'sdk-alarm').status, 0);
    assert.deepEqual((await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['sdk-alarm'] }))).MetricAlarms, []);
  });
});
