import { AwsError } from '../../protocol/errors.js';
import { registerProvider } from '../cloudformation/providers/registry.js';
import type { Props, ProviderContext, ResourceProvider } from '../cloudformation/providers/types.js';
import { bool, num, str } from '../cloudformation/providers/values.js';
import { alarmArn } from './alarm-model.js';

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map((x) => String(x)) : undefined);
const dimensions = (v: unknown) => (Array.isArray(v) ? v.map((d: any) => ({ Name: String(d.Name), Value: String(d.Value) })) : undefined);

/** Template properties (strings or JSON values) as PutMetricAlarm's input. */
function alarmInput(name: string, p: Props): Record<string, unknown> {
  return {
    AlarmName: name,
    AlarmDescription: str(p.AlarmDescription),
    ActionsEnabled: bool(p.ActionsEnabled),
    OKActions: strings(p.OKActions),
    AlarmActions: strings(p.AlarmActions),
    InsufficientDataActions: strings(p.InsufficientDataActions),
    MetricName: str(p.MetricName),
    Namespace: str(p.Namespace),
    Statistic: str(p.Statistic),
    ExtendedStatistic: str(p.ExtendedStatistic),
    Dimensions: dimensions(p.Dimensions),
    Period: num(p.Period),
    Unit: str(p.Unit),
    EvaluationPeriods: num(p.EvaluationPeriods),
    DatapointsToAlarm: num(p.DatapointsToAlarm),
    Threshold: num(p.Threshold),
    ComparisonOperator: str(p.ComparisonOperator),
    TreatMissingData: str(p.TreatMissingData),
    EvaluateLowSampleCountPercentile: str(p.EvaluateLowSampleCountPercentile),
    ThresholdMetricId: str(p.ThresholdMetricId),
    Tags: Array.isArray(p.Tags) ? p.Tags.map((t: any) => ({ Key: String(t.Key), Value: String(t.Value ?? '') })) : undefined,
    Metrics: Array.isArray(p.Metrics)
      ? p.Metrics.map((q: any) => ({
          Id: str(q.Id),
          Expression: str(q.Expression),
          Label: str(q.Label),
          ReturnData: bool(q.ReturnData),
          Period: num(q.Period),
          MetricStat: q.MetricStat && {
            Metric: {
              Namespace: str(q.MetricStat.Metric?.Namespace),
              MetricName: str(q.MetricStat.Metric?.MetricName),
              Dimensions: dimensions(q.MetricStat.Metric?.Dimensions),
            },
            Period: num(q.MetricStat.Period),
            Stat: str(q.MetricStat.Stat),
            Unit: str(q.MetricStat.Unit),
          },
        }))
      : undefined,
  };
}

async function put(name: string, props: Props, ctx: ProviderContext) {
  await ctx.invoke('monitoring', 'PutMetricAlarm', alarmInput(name, props));
  return { physicalId: name, attributes: { Arn: alarmArn(ctx.region, ctx.accountId, name) } };
}

/** AWS::CloudWatch::Alarm: Ref is the alarm name, GetAtt Arn. Only a new AlarmName replaces the alarm. */
export const alarmProvider: ResourceProvider = {
  type: 'AWS::CloudWatch::Alarm',
  required: ['ComparisonOperator', 'EvaluationPeriods'],
  replaceOn: ['AlarmName'],
  async create(props, ctx) {
    return put(str(props.AlarmName) ?? ctx.physicalName(255), props, ctx);
  },
  async update(physicalId, props, _previous, ctx) {
    return put(physicalId, props, ctx);
  },
  async delete(physicalId, _props, ctx) {
    try {
      await ctx.invoke('monitoring', 'DeleteAlarms', { AlarmNames: [physicalId] });
    } catch (err) {
      if (!(err instanceof AwsError && err.code === 'ResourceNotFound')) throw err;
    }
  },
};

registerProvider(alarmProvider);
