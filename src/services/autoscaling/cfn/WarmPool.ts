import { isAwsError } from '../../../protocol/errors.js';
import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { Props, ProviderContext, ResourceProvider } from '../../cloudformation/providers/types.js';
import { propsOf } from '../../cloudformation/providers/props.js';

async function put(props: Props, ctx: ProviderContext) {
  const p = propsOf(props, ctx.logicalId);
  const group = p.requiredStr('AutoScalingGroupName');
  const reuse = p.obj('InstanceReusePolicy');
  await ctx.invoke('autoscaling', 'PutWarmPool', {
    AutoScalingGroupName: group,
    MinSize: p.num('MinSize'),
    MaxGroupPreparedCapacity: p.num('MaxGroupPreparedCapacity'),
    PoolState: p.str('PoolState'),
    InstanceReusePolicy: reuse && { ReuseOnScaleIn: reuse.bool('ReuseOnScaleIn') },
  });
  return { physicalId: group };
}

async function stillThere(ctx: ProviderContext, ids: string[]): Promise<boolean> {
  const out = await ctx.invoke('ec2', 'DescribeInstances', { InstanceIds: ids }).catch((err: unknown) => {
    if (isAwsError(err, 'InvalidInstanceID.NotFound')) return { Reservations: [] };
    throw err;
  });
  return (out.Reservations ?? []).some((r) => (r.Instances ?? []).some((i) => i.State?.Name !== 'terminated'));
}

/** AWS::AutoScaling::WarmPool: one per group, known by the group's name; deleting it terminates its instances. */
export const warmPoolProvider: ResourceProvider = {
  type: 'AWS::AutoScaling::WarmPool',
  required: ['AutoScalingGroupName'],
  replaceOn: ['AutoScalingGroupName'],
  create: (props, ctx) => put(props, ctx),
  update: (_physicalId, props, _previous, ctx) => put(props, ctx),
  async delete(physicalId, _props, ctx) {
    let ids: string[];
    try {
      const pool = await ctx.invoke('autoscaling', 'DescribeWarmPool', { AutoScalingGroupName: physicalId });
      ids = (pool.Instances ?? []).flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
      await ctx.invoke('autoscaling', 'DeleteWarmPool', { AutoScalingGroupName: physicalId, ForceDelete: true });
    } catch (err) {
      if (!isAwsError(err, 'ValidationError')) throw err;
      return;
    }
    // Done once its instances are terminated, as CloudFormation waits for them: the subnets and security groups deleted
    // after it would otherwise still hold an instance shutting down (DependencyViolation).
    while (ids.length && (await stillThere(ctx, ids))) await ctx.clock.sleep(5000);
  },
};

registerProvider(warmPoolProvider);
