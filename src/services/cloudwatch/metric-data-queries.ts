import { cloudwatchErrors } from './errors.js';
import { paginate, withoutPaging } from '../../protocol/paginate.js';
import type { RequestContext } from '../types.js';
import { checkDimensions, checkNamespace, checkUnit } from './metric-data.js';
import { evaluateExpression, parseExpression, referencedIds, type MathValue, type Series } from './metric-math.js';
import { checkPeriod, roundStart, statisticSeries } from './metric-queries.js';
import { periodServes } from './metric-retention.js';
import { metricStore, type Dimension, type MetricStore } from './metric-store.js';
import { isBasicStatistic, isPercentile } from './statistics.js';

export interface MetricDataQuery {
  Id: string;
  MetricStat?: {
    Metric: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[] };
    Period: number;
    Stat: string;
    Unit?: string;
  };
  Expression?: string;
  Label?: string;
  ReturnData?: boolean;
  Period?: number;
  AccountId?: string;
}

/** Checks a list of metric data queries as GetMetricData and metric-math alarms share them. */
export function checkQueries(queries: MetricDataQuery[], param: string): void {
  if (queries.length === 0) throw cloudwatchErrors.emptyParameter(param);
  if (queries.length > 500) throw cloudwatchErrors.validation(`The collection ${param} must not have more than 500 members.`);
  const ids = new Set<string>();
  queries.forEach((q, i) => {
    const at = `${param}.member.${i + 1}`;
    if (!/^[a-z][a-zA-Z0-9_]*$/.test(q.Id))
      throw cloudwatchErrors.validation(
        `The value ${q.Id} for parameter ${at}.Id is invalid: it must start with a lowercase letter and contain only letters, digits and underscores.`,
      );
    if (ids.has(q.Id)) throw cloudwatchErrors.validation(`The value ${q.Id} for parameter ${at}.Id is used by more than one query.`);
    ids.add(q.Id);
    if ((q.MetricStat === undefined) === (q.Expression === undefined)) {
      throw cloudwatchErrors.validation(`Exactly one of ${at}.MetricStat and ${at}.Expression must be specified.`);
    }
    if (q.MetricStat) {
      const m = q.MetricStat.Metric;
      if (!m.Namespace || !m.MetricName)
        throw cloudwatchErrors.missingMetricDataParameter(`The parameters ${at}.MetricStat.Metric.Namespace and MetricName are required.`);
      checkNamespace(m.Namespace, true);
      checkDimensions(m.Dimensions, `${at}.MetricStat.Metric.Dimensions`);
      checkPeriod(q.MetricStat.Period, `${at}.MetricStat.Period`);
      checkUnit(q.MetricStat.Unit, `${at}.MetricStat.Unit`);
      const stat = q.MetricStat.Stat;
      if (!isBasicStatistic(stat) && !isPercentile(stat))
        throw cloudwatchErrors.validation(
          `The value ${stat} for parameter ${at}.MetricStat.Stat is not supported (use SampleCount, Sum, Average, Minimum, Maximum or pNN).`,
        );
    } else {
      parseExpression(q.Expression as string);
    }
  });
  for (const q of queries) {
    if (q.Expression === undefined) continue;
    const node = parseExpression(q.Expression);
    const refs = referencedIds(node);
    for (const r of refs)
      if (!ids.has(r)) throw cloudwatchErrors.validation(`Error in expression '${q.Id}': Unrecognized identifier '${r}'.`);
  }
}

/**
 * Evaluates every query over [start, end) with periods aligned at start; expressions may read any query by id.
 * With `retentionRule` (GetMetricData), a metric whose period is too fine for the age of `start` has no data.
 */
export function runQueries(
  store: MetricStore,
  region: string,
  queries: MetricDataQuery[],
  start: number,
  end: number,
  now = end,
  retentionRule = false,
): Map<string, MathValue> {
  const byId = new Map(queries.map((q) => [q.Id, q]));
  const results = new Map<string, MathValue>();
  const inProgress = new Set<string>();
  const resolve = (id: string): MathValue => {
    const done = results.get(id);
    if (done) return done;
    const q = byId.get(id);
    if (!q) throw cloudwatchErrors.validation(`Unrecognized identifier '${id}'.`);
    if (inProgress.has(id)) throw cloudwatchErrors.validation(`Error in expression '${id}': circular reference.`);
    inProgress.add(id);
    let value: MathValue;
    if (q.MetricStat) {
      const ms = q.MetricStat;
      const points =
        retentionRule && !periodServes(ms.Period, start, now)
          ? []
          : statisticSeries(
              store,
              region,
              ms.Metric as { Namespace: string; MetricName: string; Dimensions?: Dimension[] },
              ms.Stat,
              ms.Unit,
              start,
              end,
              ms.Period * 1000,
              now,
            );
      value = { kind: 'series', points: new Map(points.map((p) => [p.ts, p.value])) };
    } else {
      value = evaluateExpression(parseExpression(q.Expression as string), resolve, q.Expression as string);
    }
    inProgress.delete(id);
    results.set(id, value);
    return value;
  };
  for (const q of queries) resolve(q.Id);
  return results;
}

interface GetMetricDataInput {
  MetricDataQueries: MetricDataQuery[];
  StartTime: Date;
  EndTime: Date;
  NextToken?: string;
  ScanBy?: string;
  MaxDatapoints?: number;
}

/** GetMetricData's page size when MaxDatapoints is not given, and the most one page holds. */
const MAX_DATAPOINTS = 100_800;

export function getMetricData(input: GetMetricDataInput, ctx: RequestContext) {
  checkQueries(input.MetricDataQueries, 'MetricDataQueries');
  if (input.ScanBy !== undefined && input.ScanBy !== 'TimestampDescending' && input.ScanBy !== 'TimestampAscending') {
    throw cloudwatchErrors.invalidParameterValue(
      `The value ${input.ScanBy} for parameter ScanBy is invalid. Use TimestampDescending or TimestampAscending.`,
    );
  }
  const now = ctx.cloud.clock.now();
  // Rounded down as GetMetricStatistics: to the minute within 15 days, 5 minutes within 63 days, else the hour.
  const start = roundStart(input.StartTime.getTime(), now, 60);
  const end = input.EndTime.getTime();
  if (start >= end) throw cloudwatchErrors.invalidParameterValue('The parameter StartTime must be less than the parameter EndTime.');
  const values = runQueries(metricStore(ctx.cloud), ctx.region, input.MetricDataQueries, start, end, now, true);
  const ascending = input.ScanBy === 'TimestampAscending';
  const returned = input.MetricDataQueries.filter((q) => q.ReturnData !== false).map((q) => {
    const v = values.get(q.Id) as MathValue;
    let points: Array<[number, number]>;
    if (v.kind === 'series') points = [...v.points];
    else if (v.kind === 'scalar') points = [[start, v.value]];
    else
      throw cloudwatchErrors.validation(
        `Error in expression '${q.Id}': the expression returns a list of time series; wrap it in SUM, AVG, MIN or MAX.`,
      );
    points.sort((a, b) => (ascending ? a[0] - b[0] : b[0] - a[0]));
    return { query: q, points };
  });
  // MaxDatapoints counts the points of every result together: a page holds the points of the results in order, and
  // a result cut by the page's end is PartialData, continued on the next page under the same Id.
  const all = returned.flatMap((r, index) => r.points.map((point, at) => ({ index, point, last: at === r.points.length - 1 })));
  const { items, next } = paginate(all, {
    token: input.NextToken,
    max: input.MaxDatapoints,
    defaultMax: MAX_DATAPOINTS,
    limit: MAX_DATAPOINTS,
    bind: withoutPaging(input, 'NextToken', 'MaxDatapoints'),
    badToken: cloudwatchErrors.invalidNextToken,
  });
  const firstPage = !input.NextToken;
  const onPage = new Map<number, typeof items>();
  for (const x of items) {
    const list = onPage.get(x.index);
    if (list) list.push(x);
    else onPage.set(x.index, [x]);
  }
  const results = returned.flatMap((r, index) => {
    const mine = onPage.get(index) ?? [];
    // A result without any point is answered once, on the first page.
    if (mine.length === 0 && !(firstPage && r.points.length === 0)) return [];
    return [
      {
        Id: r.query.Id,
        Label: r.query.Label ?? r.query.MetricStat?.Metric.MetricName ?? r.query.Id,
        Timestamps: mine.map((x) => new Date(x.point[0])),
        Values: mine.map((x) => x.point[1]),
        StatusCode: mine.length && !mine[mine.length - 1].last ? 'PartialData' : 'Complete',
      },
    ];
  });
  return { MetricDataResults: results, NextToken: next, Messages: [] };
}

export type { Series };
