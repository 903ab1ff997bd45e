import type { Cloud } from '../../cloud.js';
import { cloudwatchErrors } from './errors.js';
import type { RequestContext } from '../types.js';
import { metricStore, type Dimension, type Sample } from './metric-store.js';
import type { MetricPublished } from './events.js';

export const UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
];

export interface MetricDatum {
  MetricName: string;
  Dimensions?: Dimension[];
  Timestamp?: Date;
  Value?: number;
  StatisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
  Values?: number[];
  Counts?: number[];
  Unit?: string;
  StorageResolution?: number;
}

const MAX_ABS = 2 ** 360;
const TWO_WEEKS = 14 * 86_400_000;
const TWO_HOURS = 2 * 3_600_000;

function checkNumber(v: number, param: string): void {
  if (!Number.isFinite(v) || Math.abs(v) > MAX_ABS) {
    throw cloudwatchErrors.invalidParameterValue(
      `The value ${v} for parameter ${param} is invalid: values must be finite and within -2^360 to 2^360.`,
    );
  }
}

export function checkUnit(unit: string | undefined, param: string): void {
  if (unit !== undefined && !UNITS.includes(unit)) {
    throw cloudwatchErrors.invalidParameterValue(
      `The value ${unit} for parameter ${param} is not a valid unit. Valid units are: ${UNITS.join(', ')}.`,
    );
  }
}

export function checkDimensions(dims: Dimension[] | undefined, param: string): void {
  if (!dims) return;
  if (dims.length > 30) throw cloudwatchErrors.invalidParameterValue(`The collection ${param} must not have more than 30 members.`);
  const seen = new Set<string>();
  dims.forEach((d, i) => {
    if (!d.Name || d.Name.length > 255)
      throw cloudwatchErrors.invalidParameterValue(`The parameter ${param}.member.${i + 1}.Name must be 1 to 255 characters long.`);
    if (!d.Value || d.Value.length > 1024)
      throw cloudwatchErrors.invalidParameterValue(`The parameter ${param}.member.${i + 1}.Value must be 1 to 1024 characters long.`);
    if (seen.has(d.Name)) throw cloudwatchErrors.invalidParameterValue(`The dimension ${d.Name} appears more than once in ${param}.`);
    seen.add(d.Name);
  });
}

export function checkNamespace(ns: string, allowAws: boolean): void {
  if (!ns || ns.length > 255 || !/^[^:].*$/.test(ns) || /[^\x20-\x7e]/.test(ns))
    throw cloudwatchErrors.invalidParameterValue(`The value ${ns} for parameter Namespace is invalid.`);
  if (!allowAws && ns.startsWith('AWS/'))
    throw cloudwatchErrors.invalidParameterValue(
      `The value ${ns} for parameter Namespace is invalid: namespaces starting with AWS/ are reserved for AWS services.`,
    );
}

/** Validates one datum as AWS does and turns it into the samples to store. */
export function samplesOf(d: MetricDatum, param: string, now: number): Sample[] {
  if (!d.MetricName || d.MetricName.length > 255)
    throw cloudwatchErrors.invalidParameterValue(`The parameter ${param}.MetricName must be 1 to 255 characters long.`);
  checkDimensions(d.Dimensions, `${param}.Dimensions`);
  checkUnit(d.Unit, `${param}.Unit`);
  if (d.StorageResolution !== undefined && d.StorageResolution !== 1 && d.StorageResolution !== 60) {
    throw cloudwatchErrors.invalidParameterValue(
      `The value ${d.StorageResolution} for parameter ${param}.StorageResolution is invalid: use 1 or 60.`,
    );
  }
  const stamped = d.Timestamp ? d.Timestamp.getTime() : now;
  if (stamped < now - TWO_WEEKS)
    throw cloudwatchErrors.invalidParameterValue(
      `The parameter ${param}.Timestamp must specify a time no more than two weeks in the past.`,
    );
  if (stamped > now + TWO_HOURS)
    throw cloudwatchErrors.invalidParameterValue(
      `The parameter ${param}.Timestamp must specify a time no more than two hours in the future.`,
    );
  // StorageResolution 60 (the default) is stored at 1-minute resolution; only 1 keeps the second.
  const ts = d.StorageResolution === 1 ? stamped : stamped - (stamped % 60_000);
  const unit = d.Unit ?? 'None';
  const given = [d.Value !== undefined, d.StatisticValues !== undefined, d.Values !== undefined].filter(Boolean).length;
  if (given === 0) {
    throw cloudwatchErrors.missingMetricDataParameter(
      `The parameters ${param}.Value, ${param}.StatisticValues or ${param}.Values: one of them must be specified.`,
    );
  }
  if (given > 1) {
    throw cloudwatchErrors.invalidParameterCombination(
      `The parameters ${param}.Value, ${param}.StatisticValues and ${param}.Values are mutually exclusive and you have specified more than one.`,
    );
  }
  if (d.Counts !== undefined && d.Values === undefined) {
    throw cloudwatchErrors.invalidParameterCombination(`The parameter ${param}.Counts requires ${param}.Values.`);
  }
  if (d.Value !== undefined) {
    checkNumber(d.Value, `${param}.Value`);
    return [{ ts, unit, count: 1, sum: d.Value, min: d.Value, max: d.Value, values: [[d.Value, 1]] }];
  }
  if (d.StatisticValues) {
    const s = d.StatisticValues;
    for (const [k, v] of Object.entries(s)) checkNumber(v, `${param}.StatisticValues.${k}`);
    if (!(s.SampleCount > 0))
      throw cloudwatchErrors.invalidParameterValue(`The parameter ${param}.StatisticValues.SampleCount must be greater than 0.`);
    if (s.Minimum > s.Maximum)
      throw cloudwatchErrors.invalidParameterValue(
        `The parameters ${param}.StatisticValues.Minimum must not be greater than ${param}.StatisticValues.Maximum.`,
      );
    return [{ ts, unit, count: s.SampleCount, sum: s.Sum, min: s.Minimum, max: s.Maximum, values: null }];
  }
  const values = d.Values ?? [];
  if (values.length > 150)
    throw cloudwatchErrors.invalidParameterValue(`The collection ${param}.Values must not have more than 150 members.`);
  const counts = d.Counts ?? values.map(() => 1);
  if (counts.length !== values.length) {
    throw cloudwatchErrors.invalidParameterValue(`The parameters ${param}.Values and ${param}.Counts must be arrays of the same length.`);
  }
  if (values.length === 0) return [];
  values.forEach((v, i) => checkNumber(v, `${param}.Values.member.${i + 1}`));
  counts.forEach((c, i) => {
    checkNumber(c, `${param}.Counts.member.${i + 1}`);
    if (c < 0) throw cloudwatchErrors.invalidParameterValue(`The parameter ${param}.Counts.member.${i + 1} must not be negative.`);
  });
  const pairs = values.map((v, i) => [v, counts[i]] as [number, number]).filter(([, c]) => c > 0);
  if (pairs.length === 0) return [];
  return [
    {
      ts,
      unit,
      count: pairs.reduce((n, [, c]) => n + c, 0),
      sum: pairs.reduce((n, [v, c]) => n + v * c, 0),
      min: Math.min(...pairs.map(([v]) => v)),
      max: Math.max(...pairs.map(([v]) => v)),
      values: pairs,
    },
  ];
}

export function putMetricData(input: { Namespace: string; MetricData: MetricDatum[] }, ctx: RequestContext) {
  checkNamespace(input.Namespace, false);
  const data = input.MetricData ?? [];
  if (data.length === 0) throw cloudwatchErrors.missingMetricDataParameter('The parameter MetricData is required and must not be empty.');
  if (data.length > 1000) throw cloudwatchErrors.invalidParameterValue('The collection MetricData must not have more than 1000 members.');
  storeData(ctx.cloud, ctx.region, input.Namespace, data);
  return {};
}

/** Validates every datum first, then stores them all in one transaction (all land, or none). */
function storeData(cloud: Cloud, region: string, namespace: string, data: MetricDatum[]): void {
  const now = cloud.clock.now();
  const prepared = data.map((d, i) => ({ d, samples: samplesOf(d, `MetricData.member.${i + 1}`, now) }));
  const store = metricStore(cloud);
  cloud.store.tx(() => {
    for (const { d, samples } of prepared) {
      if (samples.length) store.add(region, { Namespace: namespace, MetricName: d.MetricName, Dimensions: d.Dimensions }, samples);
    }
  });
}

/**
 * Publishes one data point in-process, as AWS services do (other services publish theirs through the METRIC_PUBLISHED event, events.ts).
 * Unlike PutMetricData it accepts AWS/ namespaces. Throws AwsError on invalid input.
 */
export function publishMetric(cloud: Cloud, region: string, datum: MetricPublished['datum']): void {
  checkNamespace(datum.Namespace, true);
  const ts = datum.Timestamp === undefined ? undefined : new Date(datum.Timestamp);
  storeData(cloud, region, datum.Namespace, [
    {
      MetricName: datum.MetricName,
      Dimensions: datum.Dimensions,
      Value: datum.Value,
      Unit: datum.Unit,
      Timestamp: ts,
      StorageResolution: datum.StorageResolution,
    },
  ]);
}
