import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { TestCloud } from './support/cloud.js';

const MINUTE = 60_000;

describe('CloudWatch metrics through the real aws CLI (awsQuery) and the SDK v3 client (JSON 1.0)', () => {
  let cloud: TestCloud;
  let cw: CloudWatchClient;
  // Whole minutes, a little in the past, so every period is complete.
  const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE;
  const iso = (ms: number) => new Date(ms).toISOString();

  before(async () => {
    cloud = await TestCloud.start();
    cw = new CloudWatchClient(cloud.sdk);
  });
  after(async () => {
    cw?.destroy();
    await cloud?.dispose();
  });

  it('put-metric-data stores values, value/count arrays and statistic sets; get-metric-statistics sums them up', () => {
    const data = [
      {
        MetricName: 'Latency',
        Dimensions: [{ Name: 'Service', Value: 'web' }],
        Timestamp: iso(t0 + 1_000),
        Value: 10,
        Unit: 'Milliseconds',
      },
      {
        MetricName: 'Latency',
        Dimensions: [{ Name: 'Service', Value: 'web' }],
        Timestamp: iso(t0 + 2_000),
        Values: [20, 30],
        Counts: [2, 1],
        Unit: 'Milliseconds',
      },
      {
        MetricName: 'Latency',
        Dimensions: [{ Name: 'Service', Value: 'web' }],
        Timestamp: iso(t0 + MINUTE + 5_000),
        StatisticValues: { SampleCount: 4, Sum: 100, Minimum: 5, Maximum: 50 },
        Unit: 'Milliseconds',
      },
    ];
    const put = cloud.aws('cloudwatch', 'put-metric-data', '--namespace', 'Halo/Test', '--metric-data', JSON.stringify(data));
    assert.equal(put.status, 0, put.stderr);
    const r = cloud.aws(
      'cloudwatch',
      'get-metric-statistics',
      '--namespace',
      'Halo/Test',
      '--metric-name',
      'Latency',
      '--dimensions',
      'Name=Service,Value=web',
      '--start-time',
      iso(t0),
      '--end-time',
      iso(t0 + 3 * MINUTE),
      '--period',
      '60',
      '--statistics',
      'SampleCount',
      'Sum',
      'Average',
      'Minimum',
      'Maximum',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.Label, 'Latency');
    const points = [...r.json.Datapoints].sort((a: any, b: any) => Date.parse(a.Timestamp) - Date.parse(b.Timestamp));
    assert.deepEqual(points, [
      {
        Timestamp: iso(t0).replace('.000Z', '+00:00'),
        SampleCount: 4,
        Average: 20,
        Sum: 80,
        Minimum: 10,
        Maximum: 30,
        Unit: 'Milliseconds',
      },
      {
        Timestamp: iso(t0 + MINUTE).replace('.000Z', '+00:00'),
        SampleCount: 4,
        Average: 25,
        Sum: 100,
        Minimum: 5,
        Maximum: 50,
        Unit: 'Milliseconds',
      },
    ]);
  });

  it('percentiles come from the raw values (ExtendedStatistics), over a wider period', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    const put = cloud.aws(
      'cloudwatch',
      'put-metric-data',
      '--namespace',
      'Halo/Test',
      '--metric-data',
      JSON.stringify([{ MetricName: 'Size', Timestamp: iso(t0 + 30_000), Values: values, Unit: 'Bytes' }]),
    );
    assert.equal(put.status, 0, put.stderr);
    const r = cloud.aws(
      'cloudwatch',
      'get-metric-statistics',
      '--namespace',
      'Halo/Test',
      '--metric-name',
      'Size',
      '--start-time',
      iso(t0),
      '--end-time',
      iso(t0 + 5 * MINUTE),
      '--period',
      '300',
      '--extended-statistics',
      'p50',
      'p90',
      'p99',
      'p100',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.Datapoints.length, 1);
    assert.deepEqual(r.json.Datapoints[0].ExtendedStatistics, { p50: 50, p90: 90, p99: 99, p100: 100 });
  });

  it('the unit filter keeps only data published with that unit', () => {
    cloud.aws(
      'cloudwatch',
      'put-metric-data',
      '--namespace',
      'Halo/Test',
      '--metric-data',
      JSON.stringify([
        { MetricName: 'Mixed', Timestamp: iso(t0), Value: 1, Unit: 'Count' },
        { MetricName: 'Mixed', Timestamp: iso(t0), Value: 1000, Unit: 'Bytes' },
      ]),
    );
    const r = cloud.aws(
      'cloudwatch',
      'get-metric-statistics',
      '--namespace',
      'Halo/Test',
      '--metric-name',
      'Mixed',
      '--start-time',
      iso(t0),
      '--end-time',
      iso(t0 + MINUTE),
      '--period',
      '60',
      '--statistics',
      'Sum',
      '--unit',
      'Bytes',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      r.json.Datapoints.map((d: any) => [d.Sum, d.Unit]),
      [[1000, 'Bytes']],
    );
  });

  it('refuses what AWS refuses, with its error codes', () => {
    const reserved = cloud.aws('cloudwatch', 'put-metric-data', '--namespace', 'AWS/EC2', '--metric-name', 'X', '--value', '1');
    assert.notEqual(reserved.status, 0);
    assert.match(reserved.stderr, /InvalidParameterValue/);
    const both = cloud.aws(
      'cloudwatch',
      'put-metric-data',
      '--namespace',
      'Halo/Test',
      '--metric-data',
      JSON.stringify([{ MetricName: 'X', Value: 1, Values: [1] }]),
    );
    assert.match(both.stderr, /InvalidParameterCombination/);
    const old = cloud.aws(
      'cloudwatch',
      'put-metric-data',
      '--namespace',
      'Halo/Test',
      '--metric-data',
      JSON.stringify([{ MetricName: 'X', Value: 1, Timestamp: iso(Date.now() - 15 * 86_400_000) }]),
    );
    assert.match(old.stderr, /InvalidParameterValue.*two weeks/s);
    const unit = cloud.aws(
      'cloudwatch',
      'put-metric-data',
      '--namespace',
      'Halo/Test',
      '--metric-name',
      'X',
      '--value',
      '1',
      '--unit',
      'Parsecs',
    );
    assert.match(unit.stderr, /InvalidParameterValue/);
    const period = cloud.aws(
      'cloudwatch',
      'get-metric-statistics',
      '--namespace',
      'Halo/Test',
      '--metric-name',
      'Latency',
      '--start-time',
      iso(t0),
      '--end-time',
      iso(t0 + MINUTE),
      '--period',
      '90',
      '--statistics',
      'Sum',
    );
    assert.match(period.stderr, /InvalidParameterValue/);
    const neither = cloud.aws(
      'cloudwatch',
      'get-metric-statistics',
      '--namespace',
      'Halo/Test',
      '--metric-name',
      'Latency',
      '--start-time',
      iso(t0),
      '--end-time',
      iso(t0 + MINUTE),
      '--period',
      '60',
    );
    assert.match(neither.stderr, /InvalidParameterCombination/);
    const tooMany = cloud.aws(
      'cloudwatch',
      'get-metric-statistics',
      '--namespace',
      'Halo/Test',
      '--metric-name',
      'Latency',
      '--start-time',
      iso(t0 - 2 * 86_400_000),
      '--end-time',
      iso(t0),
      '--period',
      '60',
      '--statistics',
      'Sum',
    );
    assert.match(tooMany.stderr, /InvalidParameterCombination.*1440/s);
  });

  it('list-metrics filters by namespace, name and dimensions', () => {
    const all = cloud.aws('cloudwatch', 'list-metrics', '--namespace', 'Halo/Test');
    assert.equal(all.status, 0, all.stderr);
    assert.deepEqual(all.json.Metrics.map((m: any) => m.MetricName).sort(), ['Latency', 'Mixed', 'Size']);
    const byDim = cloud.aws('cloudwatch', 'list-metrics', '--namespace', 'Halo/Test', '--dimensions', 'Name=Service,Value=web');
    assert.deepEqual(byDim.json.Metrics, [
      { Namespace: 'Halo/Test', MetricName: 'Latency', Dimensions: [{ Name: 'Service', Value: 'web' }] },
    ]);
    const byName = cloud.aws('cloudwatch', 'list-metrics', '--metric-name', 'Size');
    assert.deepEqual(byName.json.Metrics, [{ Namespace: 'Halo/Test', MetricName: 'Size', Dimensions: [] }]);
  });

  it('SDK v3: PutMetricData, then GetMetricData with metric stats and math expressions', async () => {
    const ts = (m: number) => new Date(t0 + m * MINUTE + 1_000);
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'Halo/Sdk',
        MetricData: [0, 1, 2].flatMap((m) => [
          { MetricName: 'Errors', Timestamp: ts(m), Value: m + 1, Unit: 'Count' },
          { MetricName: 'Requests', Timestamp: ts(m), Value: 10 * (m + 1), Unit: 'Count' },
        ]),
      }),
    );
    const out = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(t0),
        EndTime: new Date(t0 + 3 * MINUTE),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          { Id: 'e', MetricStat: { Metric: { Namespace: 'Halo/Sdk', MetricName: 'Errors' }, Period: 60, Stat: 'Sum' }, ReturnData: false },
          { Id: 'r', MetricStat: { Metric: { Namespace: 'Halo/Sdk', MetricName: 'Requests' }, Period: 60, Stat: 'Sum' } },
          { Id: 'rate', Expression: '100 * e / r', Label: 'ErrorRate' },
          { Id: 'total', Expression: 'SUM([e, r])' },
          { Id: 'peak', Expression: 'MAX(r)' },
        ],
      }),
    );
    const byId = Object.fromEntries((out.MetricDataResults ?? []).map((r) => [r.Id, r]));
    assert.deepEqual(Object.keys(byId).sort(), ['peak', 'r', 'rate', 'total']);
    assert.deepEqual(byId.r.Values, [10, 20, 30]);
    assert.deepEqual(
      byId.r.Timestamps?.map((d: Date) => d.getTime()),
      [t0, t0 + MINUTE, t0 + 2 * MINUTE],
    );
    assert.equal(byId.r.Label, 'Requests');
    assert.deepEqual(byId.rate.Values, [10, 10, 10]);
    assert.equal(byId.rate.Label, 'ErrorRate');
    assert.deepEqual(byId.total.Values, [11, 22, 33]);
    assert.deepEqual(byId.peak.Values, [30]);
    const listed = await cw.send(new ListMetricsCommand({ Namespace: 'Halo/Sdk' }));
    assert.deepEqual(listed.Metrics?.map((m) => m.MetricName).sort(), ['Errors', 'Requests']);
  });

  it("get-metric-data pages by MaxDatapoints: the aws CLI's auto-pagination with a small page size gets what one call gets", async () => {
    const data = [
      ...[0, 1, 2, 3, 4, 5, 6].map((m) => ({ MetricName: 'Hits', Timestamp: iso(t0 + m * MINUTE + 1_000), Value: m + 1, Unit: 'Count' })),
      ...[0, 1, 2, 3].map((m) => ({ MetricName: 'Misses', Timestamp: iso(t0 + m * MINUTE + 1_000), Value: 100 + m, Unit: 'Count' })),
    ];
    const put = cloud.aws('cloudwatch', 'put-metric-data', '--namespace', 'Halo/Paging', '--metric-data', JSON.stringify(data));
    assert.equal(put.status, 0, put.stderr);
    const queries = JSON.stringify([
      { Id: 'hits', MetricStat: { Metric: { Namespace: 'Halo/Paging', MetricName: 'Hits' }, Period: 60, Stat: 'Sum' } },
      { Id: 'misses', MetricStat: { Metric: { Namespace: 'Halo/Paging', MetricName: 'Misses' }, Period: 60, Stat: 'Sum' } },
      { Id: 'none', MetricStat: { Metric: { Namespace: 'Halo/Paging', MetricName: 'Nothing' }, Period: 60, Stat: 'Sum' } },
    ]);
    const args = [
      'cloudwatch',
      'get-metric-data',
      '--metric-data-queries',
      queries,
      '--start-time',
      iso(t0),
      '--end-time',
      iso(t0 + 8 * MINUTE),
      '--scan-by',
      'TimestampAscending',
    ];
    const whole = cloud.aws(...args, '--no-paginate');
    assert.equal(whole.status, 0, whole.stderr);
    assert.equal(whole.json.NextToken, undefined);
    assert.deepEqual(
      whole.json.MetricDataResults.map((r: any) => [r.Id, r.Values, r.StatusCode]),
      [
        ['hits', [1, 2, 3, 4, 5, 6, 7], 'Complete'],
        ['misses', [100, 101, 102, 103], 'Complete'],
        ['none', [], 'Complete'],
      ],
    );
    // 11 points, 3 a page: the CLI follows NextToken four times and concatenates the pages' results.
    const paged = cloud.aws(...args, '--page-size', '3');
    assert.equal(paged.status, 0, paged.stderr);
    assert.deepEqual(
      paged.json.MetricDataResults.map((r: any) => [r.Id, r.Values, r.StatusCode]),
      [
        ['hits', [1, 2, 3], 'PartialData'],
        ['none', [], 'Complete'],
        ['hits', [4, 5, 6], 'PartialData'],
        ['hits', [7], 'Complete'],
        ['misses', [100, 101], 'PartialData'],
        ['misses', [102, 103], 'Complete'],
      ],
    );
    const joined = (id: string, key: 'Values' | 'Timestamps') =>
      paged.json.MetricDataResults.filter((r: any) => r.Id === id).flatMap((r: any) => r[key]);
    for (const r of whole.json.MetricDataResults) {
      assert.deepEqual(joined(r.Id, 'Values'), r.Values);
      assert.deepEqual(joined(r.Id, 'Timestamps'), r.Timestamps);
    }
    // A token belongs to its request: edited, or replayed with other parameters, it is refused.
    const first = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(t0),
        EndTime: new Date(t0 + 8 * MINUTE),
        MaxDatapoints: 5,
        MetricDataQueries: JSON.parse(queries),
      }),
    );
    assert.ok(first.NextToken);
    await assert.rejects(
      cw.send(
        new GetMetricDataCommand({
          StartTime: new Date(t0),
          EndTime: new Date(t0 + 7 * MINUTE),
          MaxDatapoints: 5,
          NextToken: first.NextToken,
          MetricDataQueries: JSON.parse(queries),
        }),
      ),
      (err: Error) => err.name === 'InvalidNextToken',
    );
    await assert.rejects(
      cw.send(
        new GetMetricDataCommand({
          StartTime: new Date(t0),
          EndTime: new Date(t0 + 8 * MINUTE),
          NextToken: 'bogus',
          MetricDataQueries: JSON.parse(queries),
        }),
      ),
      (err: Error) => err.name === 'InvalidNextToken',
    );
  });

  it('SDK v3 gzips a large PutMetricData body (Content-Encoding: gzip): every datum lands', async () => {
    const encodings: string[] = [];
    const client = new CloudWatchClient(cloud.sdk);
    client.middlewareStack.add(
      (next) => async (args: any) => {
        encodings.push(String(args.request.headers['content-encoding']));
        return next(args);
      },
      { step: 'finalizeRequest' },
    );
    await client.send(
      new PutMetricDataCommand({
        Namespace: 'Halo/Big',
        MetricData: Array.from({ length: 300 }, (_, i) => ({
          MetricName: `M${i}`,
          Dimensions: [{ Name: 'Host', Value: `host-${i}` }],
          Value: i,
        })),
      }),
    );
    client.destroy();
    assert.deepEqual(encodings, ['gzip']);
    assert.equal((await cw.send(new ListMetricsCommand({ Namespace: 'Halo/Big' }))).Metrics?.length, 300);
  });

  it('SDK v3: an expression naming an unknown id is refused', async () => {
    await assert.rejects(
      cw.send(
        new GetMetricDataCommand({
          StartTime: new Date(t0),
          EndTime: new Date(t0 + MINUTE),
          MetricDataQueries: [{ Id: 'x', Expression: 'nope * 2' }],
        }),
      ),
      (err: Error) => /^Validation(Error|Exception)$/.test(err.name) && /nope/.test(err.message),
    );
  });
});
