import { isAwsError } from '../../../protocol/errors.js';
import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { Props, ProviderContext, ResourceProvider } from '../../cloudformation/providers/types.js';
import { num, str } from '../../cloudformation/providers/values.js';

async function put(name: string, p: Props, ctx: ProviderContext) {
  await ctx.invoke('autoscaling', 'PutLifecycleHook', {
    AutoScalingGroupName: String(p.AutoScalingGroupName),
    LifecycleHookName: name,
    LifecycleTransition: str(p.LifecycleTransition),
    DefaultResult: str(p.DefaultResult),
    HeartbeatTimeout: num(p.HeartbeatTimeout),
    NotificationMetadata: str(p.NotificationMetadata),
    NotificationTargetARN: str(p.NotificationTargetARN),
    RoleARN: str(p.RoleARN),
  });
  return { physicalId: name };
}

/** AWS::AutoScaling::LifecycleHook: Ref is the hook's name (LifecycleHookName, or one CloudFormation makes). */
export const lifecycleHookProvider: ResourceProvider = {
  type: 'AWS::AutoScaling::LifecycleHook',
  required: ['AutoScalingGroupName', 'LifecycleTransition'],
  replaceOn: ['AutoScalingGroupName', 'LifecycleHookName'],
  async create(props, ctx) {
    return put(str(props.LifecycleHookName) ?? ctx.physicalName(255), props, ctx);
  },
  async update(physicalId, props, _previous, ctx) {
    return put(physicalId, props, ctx);
  },
  async delete(physicalId, props, ctx) {
    try {
      await ctx.invoke('autoscaling', 'DeleteLifecycleHook', {
        AutoScalingGroupName: String(props.AutoScalingGroupName),
        LifecycleHookName: physicalId,
      });
    } catch (err) {
      if (!isAwsError(err, 'ValidationError')) throw err;
    }
  },
};

registerProvider(lifecycleHookProvider);
