import { isAwsError } from '../../../protocol/errors.js';
import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { Props, ProviderContext, ResourceProvider } from '../../cloudformation/providers/types.js';
import { bool, num, str } from '../../cloudformation/providers/values.js';
import { parsePolicyArn } from '../policies.js';

const dimensions = (v: unknown) => (Array.isArray(v) ? v.map((d: any) => ({ Name: String(d.Name), Value: String(d.Value) })) : undefined);

/** Template properties as PutScalingPolicy's input. */
function policyInput(group: string, name: string, p: Props): Record<string, unknown> {
  const t = p.TargetTrackingConfiguration;
  return {
    AutoScalingGroupName: group,
    PolicyName: name,
    PolicyType: str(p.PolicyType),
    AdjustmentType: str(p.AdjustmentType),
    ScalingAdjustment: num(p.ScalingAdjustment),
    Cooldown: num(p.Cooldown),
    MinAdjustmentMagnitude: num(p.MinAdjustmentMagnitude),
    MetricAggregationType: str(p.MetricAggregationType),
    EstimatedInstanceWarmup: num(p.EstimatedInstanceWarmup),
    StepAdjustments: Array.isArray(p.StepAdjustments)
      ? p.StepAdjustments.map((s: any) => ({
          MetricIntervalLowerBound: num(s.MetricIntervalLowerBound),
          MetricIntervalUpperBound: num(s.MetricIntervalUpperBound),
          ScalingAdjustment: num(s.ScalingAdjustment),
        }))
      : undefined,
    TargetTrackingConfiguration: t && {
      TargetValue: num(t.TargetValue),
      DisableScaleIn: bool(t.DisableScaleIn),
      PredefinedMetricSpecification: t.PredefinedMetricSpecification && {
        PredefinedMetricType: str(t.PredefinedMetricSpecification.PredefinedMetricType),
        ResourceLabel: str(t.PredefinedMetricSpecification.ResourceLabel),
      },
      CustomizedMetricSpecification: t.CustomizedMetricSpecification && {
        MetricName: str(t.CustomizedMetricSpecification.MetricName),
        Namespace: str(t.CustomizedMetricSpecification.Namespace),
        Statistic: str(t.CustomizedMetricSpecification.Statistic),
        Unit: str(t.CustomizedMetricSpecification.Unit),
        Dimensions: dimensions(t.CustomizedMetricSpecification.Dimensions),
      },
    },
  };
}

async function put(group: string, name: string, props: Props, ctx: ProviderContext) {
  const out = await ctx.invoke<{ PolicyARN: string }>('autoscaling', 'PutScalingPolicy', policyInput(group, name, props));
  return { physicalId: out.PolicyARN, attributes: { Arn: out.PolicyARN, PolicyName: name } };
}

/** AWS::AutoScaling::ScalingPolicy: Ref is the policy ARN; GetAtt Arn and PolicyName. The policy is named by CloudFormation. */
export const scalingPolicyProvider: ResourceProvider = {
  type: 'AWS::AutoScaling::ScalingPolicy',
  required: ['AutoScalingGroupName'],
  replaceOn: ['AutoScalingGroupName', 'PolicyType'],
  async create(props, ctx) {
    return put(String(props.AutoScalingGroupName), ctx.physicalName(255), props, ctx);
  },
  async update(physicalId, props, _previous, ctx) {
    const parsed = parsePolicyArn(physicalId);
    return put(String(props.AutoScalingGroupName), parsed?.policy ?? physicalId, props, ctx);
  },
  async delete(physicalId, _props, ctx) {
    try {
      await ctx.invoke('autoscaling', 'DeletePolicy', { PolicyName: physicalId });
    } catch (err) {
      if (!isAwsError(err, 'ValidationError')) throw err;
    }
  },
};

registerProvider(scalingPolicyProvider);
