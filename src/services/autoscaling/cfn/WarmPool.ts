import { isAwsError } from '../../../protocol/errors.js';
import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { Props, ProviderContext, ResourceProvider } from '../../cloudformation/providers/types.js';
import { bool, num, str } from '../../cloudformation/providers/values.js';

async function put(p: Props, ctx: ProviderContext) {
  const group = String(p.AutoScalingGroupName);
  const reuse = p.InstanceReusePolicy ? { ReuseOnScaleIn: bool(p.InstanceReusePolicy.ReuseOnScaleIn) } : undefined;
  await ctx.invoke('autoscaling', 'PutWarmPool', {
    AutoScalingGroupName: group,
    MinSize: num(p.MinSize),
    MaxGroupPreparedCapacity: num(p.MaxGroupPreparedCapacity),
    PoolState: str(p.PoolState),
    InstanceReusePolicy: reuse,
  });
  return { physicalId: group };
}

/** AWS::AutoScaling::WarmPool: one per group, known by the group's name; deleting it terminates its instances. */
export const warmPoolProvider: ResourceProvider = {
  type: 'AWS::AutoScaling::WarmPool',
  required: ['AutoScalingGroupName'],
  replaceOn: ['AutoScalingGroupName'],
  create: (props, ctx) => put(props, ctx),
  update: (_physicalId, props, _previous, ctx) => put(props, ctx),
  async delete(physicalId, _props, ctx) {
    try {
      await ctx.invoke('autoscaling', 'DeleteWarmPool', { AutoScalingGroupName: physicalId, ForceDelete: true });
    } catch (err) {
      if (!isAwsError(err, 'ValidationError')) throw err;
    }
  },
};

registerProvider(warmPoolProvider);
