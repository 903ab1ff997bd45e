import { isAwsError } from '../../protocol/errors.js';
import { registerProvider } from '../cloudformation/providers/registry.js';
import type { Props, ProviderContext, ResourceProvider } from '../cloudformation/providers/types.js';
import { propsOf, type PropsReader } from '../cloudformation/providers/props.js';
import { alarmArn } from './alarm-model.js';
import type { PutMetricAlarmInput } from './generated/types.js';

/** A template's Dimensions ([{Name, Value}]). */
const dimensions = (list: PropsReader[] | undefined) => list?.map((d) => ({ Name: d.requiredStr('Name'), Value: d.requiredStr('Value') }));

/** Template properties (strings or JSON values) as PutMetricAlarm's input. */
function alarmInput(name: string, props: Props, logicalId: string): PutMetricAlarmInput {
  const p = propsOf(props, logicalId);
  return {
    AlarmName: name,
    AlarmDescription: p.str('AlarmDescription'),
    ActionsEnabled: p.bool('ActionsEnabled'),
    OKActions: p.strList('OKActions'),
    AlarmActions: p.strList('AlarmActions'),
    InsufficientDataActions: p.strList('InsufficientDataActions'),
    MetricName: p.str('MetricName'),
    Namespace: p.str('Namespace'),
    Statistic: p.str('Statistic'),
    ExtendedStatistic: p.str('ExtendedStatistic'),
    Dimensions: dimensions(p.objList('Dimensions')),
    Period: p.num('Period'),
    Unit: p.str('Unit'),
    EvaluationPeriods: p.requiredNum('EvaluationPeriods'),
    DatapointsToAlarm: p.num('DatapointsToAlarm'),
    Threshold: p.num('Threshold'),
    ComparisonOperator: p.requiredStr('ComparisonOperator'),
    TreatMissingData: p.str('TreatMissingData'),
    EvaluateLowSampleCountPercentile: p.str('EvaluateLowSampleCountPercentile'),
    ThresholdMetricId: p.str('ThresholdMetricId'),
    Tags: p.has('Tags') ? p.tags() : undefined,
    Metrics: p.objList('Metrics')?.map((q) => {
      const stat = q.obj('MetricStat');
      const metric = stat?.obj('Metric');
      return {
        Id: q.requiredStr('Id'),
        Expression: q.str('Expression'),
        Label: q.str('Label'),
        ReturnData: q.bool('ReturnData'),
        Period: q.num('Period'),
        MetricStat: stat && {
          Metric: {
            Namespace: metric?.str('Namespace'),
            MetricName: metric?.str('MetricName'),
            Dimensions: dimensions(metric?.objList('Dimensions')),
          },
          Period: stat.requiredNum('Period'),
          Stat: stat.requiredStr('Stat'),
          Unit: stat.str('Unit'),
        },
      };
    }),
  };
}

async function put(name: string, props: Props, ctx: ProviderContext) {
  await ctx.invoke('monitoring', 'PutMetricAlarm', alarmInput(name, props, ctx.logicalId));
  return { physicalId: name, attributes: { Arn: alarmArn(ctx.region, ctx.accountId, name) } };
}

/** AWS::CloudWatch::Alarm: Ref is the alarm name, GetAtt Arn. Only a new AlarmName replaces the alarm. */
export const alarmProvider: ResourceProvider = {
  type: 'AWS::CloudWatch::Alarm',
  required: ['ComparisonOperator', 'EvaluationPeriods'],
  replaceOn: ['AlarmName'],
  async create(props, ctx) {
    return put(propsOf(props, ctx.logicalId).str('AlarmName') ?? ctx.physicalName(255), props, ctx);
  },
  async update(physicalId, props, _previous, ctx) {
    return put(physicalId, props, ctx);
  },
  async delete(physicalId, _props, ctx) {
    try {
      await ctx.invoke('monitoring', 'DeleteAlarms', { AlarmNames: [physicalId] });
    } catch (err) {
      if (!isAwsError(err, 'ResourceNotFound')) throw err;
    }
  },
};

registerProvider(alarmProvider);
