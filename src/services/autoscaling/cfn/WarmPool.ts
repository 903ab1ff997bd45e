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

async function stillThere(ctx: ProviderContext, ids: string[]): Promise<boolean> {
  type Out = { Reservations?: Array<{ Instances?: Array<{ State?: { Name?: string } }> }> };
  const out = await ctx.invoke<Out>('ec2', 'DescribeInstances', { InstanceIds: ids }).catch((err: unknown) => {
    if (isAwsError(err, 'InvalidInstanceID.NotFound')) return {} as Out;
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
      const pool = await ctx.invoke<{ Instances?: Array<{ InstanceId: string }> }>('autoscaling', 'DescribeWarmPool', {
        AutoScalingGroupName: physicalId,
      });
      ids = (pool.Instances ?? []).map((i) => i.InstanceId);
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
