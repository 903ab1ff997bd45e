import type { Cloud } from '../../cloud.js';
import { cloudwatchErrors } from './errors.js';
import { checkDimensions, checkNamespace, checkUnit } from './metric-data.js';
import { checkQueries, type MetricDataQuery } from './metric-data-queries.js';
import type { Dimension } from './metric-store.js';
import { ANOMALY_OPERATORS, STATIC_OPERATORS, TREAT_MISSING, type AlarmStateValue } from './alarm-rules.js';
import { isBasicStatistic, isPercentile } from './statistics.js';
import { parseAction } from './alarm-action-arns.js';
import { isValidAlarmPeriod } from './alarm-schedule.js';
import type { PutMetricAlarmInput } from './generated/types.js';

/** What metric and composite alarms share, as stored. Timestamps are ISO strings. */
interface AlarmCommon {
  AlarmName: string;
  AlarmArn: string;
  AlarmDescription?: string;
  AlarmConfigurationUpdatedTimestamp: string;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  StateValue: AlarmStateValue;
  StateReason: string;
  StateReasonData?: string;
  StateUpdatedTimestamp: string;
  StateTransitionedTimestamp: string;
  Tags?: Array<{ Key: string; Value: string }>;
}

/** A metric alarm as stored: the MetricAlarm shape of the model, plus its tags. */
export interface AlarmRecord extends AlarmCommon {
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Dimensions?: Dimension[];
  Period?: number;
  Unit?: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold?: number;
  ComparisonOperator: string;
  TreatMissingData?: string;
  EvaluateLowSampleCountPercentile?: string;
  Metrics?: MetricDataQuery[];
  Tags?: Array<{ Key: string; Value: string }>;
}

/** A composite alarm as stored: the CompositeAlarm shape of the model, plus its tags. */
export interface CompositeAlarmRecord extends AlarmCommon {
  AlarmRule: string;
}

export type AnyAlarm = AlarmRecord | CompositeAlarmRecord;
export const isComposite = (a: AnyAlarm): a is CompositeAlarmRecord => 'AlarmRule' in a && typeof a.AlarmRule === 'string';
export const alarmTypeOf = (a: AnyAlarm) => (isComposite(a) ? ('CompositeAlarm' as const) : ('MetricAlarm' as const));
export const compositeTable = (cloud: Cloud) => cloud.store.table<CompositeAlarmRecord>('cloudwatch.compositeAlarm');

/** The stored alarm of either kind with that name. */
export function findAnyAlarm(cloud: Cloud, region: string, name: string): AnyAlarm | undefined {
  return alarmTable(cloud).get(region, name) ?? compositeTable(cloud).get(region, name);
}

export type AlarmConfig = Omit<
  AlarmRecord,
  | 'AlarmArn'
  | 'AlarmConfigurationUpdatedTimestamp'
  | 'StateValue'
  | 'StateReason'
  | 'StateReasonData'
  | 'StateUpdatedTimestamp'
  | 'StateTransitionedTimestamp'
>;

export const alarmTable = (cloud: Cloud) => cloud.store.table<AlarmRecord>('cloudwatch.alarm');
export const alarmArn = (region: string, account: string, name: string) => `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`;

/** The alarm's period in seconds: its own, or that of its metric math queries. */
export function alarmPeriod(a: AlarmConfig): number {
  if (a.Period !== undefined) return a.Period;
  const stat = a.Metrics?.find((m) => m.MetricStat)?.MetricStat;
  return stat?.Period ?? a.Metrics?.find((m) => m.Period)?.Period ?? 60;
}

/** Validates PutMetricAlarm's input as CloudWatch does; returns the alarm's configuration. */
export function checkAlarmConfig(input: PutMetricAlarmInput, region: string): AlarmConfig {
  const name: string = input.AlarmName;
  if (!name || name.length > 255 || /[^\x20-\x7e]/.test(name))
    throw cloudwatchErrors.invalidParameterValue('The parameter AlarmName must be 1 to 255 ASCII characters.');
  if (input.AlarmDescription !== undefined && input.AlarmDescription.length > 1024)
    throw cloudwatchErrors.invalidParameterValue('The parameter AlarmDescription must not be longer than 1024 characters.');
  const op: string = input.ComparisonOperator;
  if ((ANOMALY_OPERATORS as readonly string[]).includes(op) || input.ThresholdMetricId !== undefined) {
    throw cloudwatchErrors.invalidParameterValue(
      `Anomaly detection alarms (ComparisonOperator ${op}, ThresholdMetricId) are not supported by this cloud; use one of ${STATIC_OPERATORS.join(', ')} with a Threshold.`,
    );
  }
  if (!(STATIC_OPERATORS as readonly string[]).includes(op))
    throw cloudwatchErrors.invalidParameterValue(
      `The value ${op} for parameter ComparisonOperator is invalid. Use one of ${STATIC_OPERATORS.join(', ')}.`,
    );
  if (input.Threshold === undefined) throw cloudwatchErrors.missingParameter('Threshold');
  if (!Number.isFinite(input.Threshold)) throw cloudwatchErrors.invalidParameterValue('The parameter Threshold must be a finite number.');
  const n: number = input.EvaluationPeriods;
  if (!Number.isInteger(n) || n < 1) throw cloudwatchErrors.invalidParameterValue('The parameter EvaluationPeriods must be at least 1.');
  const m: number | undefined = input.DatapointsToAlarm;
  if (m !== undefined && (!Number.isInteger(m) || m < 1 || m > n)) {
    throw cloudwatchErrors.invalidParameterValue('The parameter DatapointsToAlarm must be at least 1 and at most EvaluationPeriods.');
  }
  if (input.TreatMissingData !== undefined && !(TREAT_MISSING as readonly string[]).includes(input.TreatMissingData)) {
    throw cloudwatchErrors.invalidParameterValue(
      `The value ${input.TreatMissingData} for parameter TreatMissingData is invalid. Use one of ${TREAT_MISSING.join(', ')}.`,
    );
  }
  if (input.EvaluateLowSampleCountPercentile !== undefined && !['evaluate', 'ignore'].includes(input.EvaluateLowSampleCountPercentile)) {
    throw cloudwatchErrors.invalidParameterValue('The parameter EvaluateLowSampleCountPercentile must be evaluate or ignore.');
  }
  let period: number;
  if (input.Metrics !== undefined) {
    for (const k of ['MetricName', 'Namespace', 'Statistic', 'ExtendedStatistic', 'Dimensions', 'Period', 'Unit'] as const) {
      if (input[k] !== undefined)
        throw cloudwatchErrors.invalidParameterCombination(`The parameter ${k} cannot be specified together with Metrics.`);
    }
    const metrics: MetricDataQuery[] = input.Metrics;
    checkQueries(metrics, 'Metrics');
    if (metrics.filter((q) => q.ReturnData !== false).length !== 1)
      throw cloudwatchErrors.invalidParameterValue('Exactly one element of the metrics list should return data.');
    if (metrics.filter((q) => q.MetricStat).length > 10)
      throw cloudwatchErrors.limitExceeded('A metric math alarm can use at most 10 metrics.');
    const periods = new Set(metrics.filter((q) => q.MetricStat).map((q) => q.MetricStat?.Period));
    if (periods.size > 1) throw cloudwatchErrors.invalidParameterValue('All metrics of a metric math alarm must use the same period.');
    period = [...periods][0] ?? metrics.find((q) => q.Period)?.Period ?? 60;
  } else {
    if (!input.MetricName) throw cloudwatchErrors.missingParameter('MetricName');
    if (!input.Namespace) throw cloudwatchErrors.missingParameter('Namespace');
    if (input.Period === undefined) throw cloudwatchErrors.missingParameter('Period');
    checkNamespace(input.Namespace, true);
    checkDimensions(input.Dimensions, 'Dimensions');
    checkUnit(input.Unit, 'Unit');
    if (input.Statistic === undefined && input.ExtendedStatistic === undefined)
      throw cloudwatchErrors.missingParameter('Statistic or ExtendedStatistic');
    if (input.Statistic !== undefined && input.ExtendedStatistic !== undefined)
      throw cloudwatchErrors.invalidParameterCombination('Statistic and ExtendedStatistic cannot both be specified.');
    if (input.Statistic !== undefined && !isBasicStatistic(input.Statistic))
      throw cloudwatchErrors.invalidParameterValue(
        `The value ${input.Statistic} for parameter Statistic is invalid. Use SampleCount, Average, Sum, Minimum or Maximum.`,
      );
    if (input.ExtendedStatistic !== undefined && !isPercentile(input.ExtendedStatistic))
      throw cloudwatchErrors.invalidParameterValue(
        `The value ${input.ExtendedStatistic} for parameter ExtendedStatistic is not a percentile (p0.0 to p100).`,
      );
    period = input.Period;
  }
  // AWS answers a ValidationError "Period must be 10, 30 or a multiple of 60" (20 was added to the API since).
  if (!isValidAlarmPeriod(period)) throw cloudwatchErrors.invalidPeriod();
  const maxRange = period >= 3600 ? 7 * 86_400 : 86_400;
  if (period * n > maxRange)
    throw cloudwatchErrors.invalidParameterValue(`The evaluation range (Period × EvaluationPeriods) must not exceed ${maxRange} seconds.`);
  const actions: Record<string, string[]> = {};
  for (const k of ['OKActions', 'AlarmActions', 'InsufficientDataActions'] as const) {
    const list: string[] = input[k] ?? [];
    if (list.length > 5) throw cloudwatchErrors.limitExceeded(`The collection ${k} must not have more than 5 members.`);
    for (const arn of list) {
      const action = parseAction(arn);
      if (!action)
        throw cloudwatchErrors.invalidParameterValue(
          `The value ${arn} for parameter ${k} is not a valid action ARN. This cloud executes SNS topics (arn:aws:sns:...), EC2 actions (arn:aws:automate:${region}:ec2:stop|terminate|reboot|recover) and EC2 Auto Scaling policies (arn:aws:autoscaling:...:scalingPolicy:...).`,
        );
      if (action.region !== region)
        throw cloudwatchErrors.invalidParameterValue(`Invalid region ${action.region} specified in ${arn}. Only ${region} is supported.`);
      if (action.kind === 'ec2') {
        if (input.Metrics !== undefined)
          throw cloudwatchErrors.invalidParameterCombination('Alarms based on metric math expressions cannot perform EC2 actions.');
        if (!input.Dimensions?.some((d) => d.Name === 'InstanceId')) {
          throw cloudwatchErrors.invalidParameterCombination(
            `EC2 actions such as ${arn} need an alarm on a metric with an InstanceId dimension.`,
          );
        }
      }
    }
    actions[k] = [...list];
  }
  if (input.Tags && input.Tags.length > 50) throw cloudwatchErrors.limitExceeded('An alarm can have at most 50 tags.');
  return {
    AlarmName: name,
    AlarmDescription: input.AlarmDescription,
    ActionsEnabled: input.ActionsEnabled ?? true,
    OKActions: actions.OKActions,
    AlarmActions: actions.AlarmActions,
    InsufficientDataActions: actions.InsufficientDataActions,
    MetricName: input.MetricName,
    Namespace: input.Namespace,
    Statistic: input.Statistic,
    ExtendedStatistic: input.ExtendedStatistic,
    Dimensions: input.Dimensions,
    Period: input.Metrics === undefined ? period : undefined,
    Unit: input.Unit,
    EvaluationPeriods: n,
    DatapointsToAlarm: m,
    Threshold: input.Threshold,
    ComparisonOperator: op,
    TreatMissingData: input.TreatMissingData,
    EvaluateLowSampleCountPercentile: input.EvaluateLowSampleCountPercentile,
    Metrics: input.Metrics,
    Tags: input.Tags,
  };
}
