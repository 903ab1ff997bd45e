import { isAwsError } from '../../../protocol/errors.js';
import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { Props, ProviderContext, ResourceProvider } from '../../cloudformation/providers/types.js';
import { propsOf, type PropsReader } from '../../cloudformation/providers/props.js';
import { given } from '../../cloudformation/providers/values.js';
import type { PutScalingPolicyInput } from '../generated/types.js';
import { parsePolicyArn } from '../policies.js';

const dimensions = (list: PropsReader[] | undefined) => list?.map((d) => ({ Name: d.requiredStr('Name'), Value: d.requiredStr('Value') }));

/** Template properties as PutScalingPolicy's input. */
function policyInput(group: string, name: string, props: Props, logicalId: string): PutScalingPolicyInput {
  const p = propsOf(props, logicalId);
  const t = p.obj('TargetTrackingConfiguration');
  const predefined = t?.obj('PredefinedMetricSpecification');
  const customized = t?.obj('CustomizedMetricSpecification');
  return {
    AutoScalingGroupName: group,
    PolicyName: name,
    PolicyType: p.str('PolicyType'),
    AdjustmentType: p.str('AdjustmentType'),
    ScalingAdjustment: p.num('ScalingAdjustment'),
    Cooldown: p.num('Cooldown'),
    MinAdjustmentMagnitude: p.num('MinAdjustmentMagnitude'),
    MetricAggregationType: p.str('MetricAggregationType'),
    EstimatedInstanceWarmup: p.num('EstimatedInstanceWarmup'),
    StepAdjustments: p.objList('StepAdjustments')?.map((s) => ({
      MetricIntervalLowerBound: s.num('MetricIntervalLowerBound'),
      MetricIntervalUpperBound: s.num('MetricIntervalUpperBound'),
      ScalingAdjustment: s.requiredNum('ScalingAdjustment'),
    })),
    TargetTrackingConfiguration: t && {
      TargetValue: t.requiredNum('TargetValue'),
      DisableScaleIn: t.bool('DisableScaleIn'),
      PredefinedMetricSpecification: predefined && {
        PredefinedMetricType: predefined.requiredStr('PredefinedMetricType'),
        ResourceLabel: predefined.str('ResourceLabel'),
      },
      CustomizedMetricSpecification: customized && {
        MetricName: customized.str('MetricName'),
        Namespace: customized.str('Namespace'),
        Statistic: customized.str('Statistic'),
        Unit: customized.str('Unit'),
        Dimensions: dimensions(customized.objList('Dimensions')),
      },
    },
  };
}

async function put(group: string, name: string, props: Props, ctx: ProviderContext) {
  const out = await ctx.invoke('autoscaling', 'PutScalingPolicy', policyInput(group, name, props, ctx.logicalId));
  const arn = given(out.PolicyARN, 'PolicyARN');
  return { physicalId: arn, attributes: { Arn: arn, PolicyName: name } };
}

/** AWS::AutoScaling::ScalingPolicy: Ref is the policy ARN; GetAtt Arn and PolicyName. The policy is named by CloudFormation. */
export const scalingPolicyProvider: ResourceProvider = {
  type: 'AWS::AutoScaling::ScalingPolicy',
  required: ['AutoScalingGroupName'],
  replaceOn: ['AutoScalingGroupName', 'PolicyType'],
  async create(props, ctx) {
    return put(propsOf(props, ctx.logicalId).requiredStr('AutoScalingGroupName'), ctx.physicalName(255), props, ctx);
  },
  async update(physicalId, props, _previous, ctx) {
    const parsed = parsePolicyArn(physicalId);
    return put(propsOf(props, ctx.logicalId).requiredStr('AutoScalingGroupName'), parsed?.policy ?? physicalId, props, ctx);
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
