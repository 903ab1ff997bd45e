import { isComposite, type AlarmRecord, type AnyAlarm } from './alarm-model.js';
import { awsDate } from './alarm-reason.js';

/** Region names as CloudWatch writes them in alarm notifications. */
const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'ca-central-1': 'Canada (Central)',
  'eu-north-1': 'EU (Stockholm)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-west-3': 'EU (Paris)',
  'eu-central-1': 'EU (Frankfurt)',
  'ap-south-1': 'Asia Pacific (Mumbai)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
  'ap-northeast-2': 'Asia Pacific (Seoul)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'sa-east-1': 'South America (Sao Paulo)',
};

export const regionName = (region: string) => REGION_NAMES[region] ?? region;

/** The subject CloudWatch gives alarm notifications. */
export const alarmSubject = (alarm: AnyAlarm, region: string) =>
  `${alarm.StateValue}: "${alarm.AlarmName}" in ${regionName(region)}`.slice(0, 100);

/** The JSON message CloudWatch publishes to SNS when an alarm changes state. */
export function alarmMessage(alarm: AnyAlarm, oldState: string, region: string, accountId: string): string {
  const common = {
    AlarmName: alarm.AlarmName,
    AlarmDescription: alarm.AlarmDescription ?? null,
    AWSAccountId: accountId,
    AlarmConfigurationUpdatedTimestamp: awsDate(Date.parse(alarm.AlarmConfigurationUpdatedTimestamp)),
    NewStateValue: alarm.StateValue,
    NewStateReason: alarm.StateReason,
    StateChangeTime: awsDate(Date.parse(alarm.StateUpdatedTimestamp)),
    Region: regionName(region),
    AlarmArn: alarm.AlarmArn,
    OldStateValue: oldState,
    OKActions: alarm.OKActions,
    AlarmActions: alarm.AlarmActions,
    InsufficientDataActions: alarm.InsufficientDataActions,
  };
  if (isComposite(alarm)) return JSON.stringify({ ...common, AlarmRule: alarm.AlarmRule });
  return JSON.stringify({ ...common, Trigger: metricTrigger(alarm) });
}

function metricTrigger(alarm: AlarmRecord): Record<string, unknown> {
  const evaluation = {
    EvaluationPeriods: alarm.EvaluationPeriods,
    DatapointsToAlarm: alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods,
    ComparisonOperator: alarm.ComparisonOperator,
    Threshold: alarm.Threshold,
    TreatMissingData: alarm.TreatMissingData ?? 'missing',
    EvaluateLowSampleCountPercentile: alarm.EvaluateLowSampleCountPercentile ?? '',
  };
  const trigger: Record<string, unknown> = alarm.Metrics
    ? {
        Period: alarm.Metrics.find((m) => m.MetricStat)?.MetricStat?.Period ?? 60,
        ...evaluation,
        Metrics: alarm.Metrics.map((q) => ({
          Id: q.Id,
          Expression: q.Expression,
          Label: q.Label,
          ReturnData: q.ReturnData ?? true,
          MetricStat: q.MetricStat && {
            Metric: {
              Namespace: q.MetricStat.Metric.Namespace,
              MetricName: q.MetricStat.Metric.MetricName,
              Dimensions: (q.MetricStat.Metric.Dimensions ?? []).map((d) => ({ value: d.Value, name: d.Name })),
            },
            Period: q.MetricStat.Period,
            Stat: q.MetricStat.Stat,
            Unit: q.MetricStat.Unit ?? null,
          },
        })),
      }
    : {
        MetricName: alarm.MetricName,
        Namespace: alarm.Namespace,
        StatisticType: alarm.ExtendedStatistic ? 'ExtendedStatistic' : 'Statistic',
        ...(alarm.ExtendedStatistic
          ? { ExtendedStatistic: alarm.ExtendedStatistic }
          : { Statistic: (alarm.Statistic ?? '').toUpperCase() }),
        Unit: alarm.Unit ?? null,
        Dimensions: (alarm.Dimensions ?? []).map((d) => ({ value: d.Value, name: d.Name })),
        Period: alarm.Period,
        ...evaluation,
      };
  return trigger;
}
