import { isAwsError } from '../../../protocol/errors.js';
import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { Props, ProviderContext, ResourceProvider } from '../../cloudformation/providers/types.js';
import { num, str } from '../../cloudformation/providers/values.js';

async function put(name: string, p: Props, ctx: ProviderContext) {
  await ctx.invoke('autoscaling', 'PutScheduledUpdateGroupAction', {
    AutoScalingGroupName: String(p.AutoScalingGroupName),
    ScheduledActionName: name,
    StartTime: str(p.StartTime),
    EndTime: str(p.EndTime),
    Recurrence: str(p.Recurrence),
    TimeZone: str(p.TimeZone),
    MinSize: num(p.MinSize),
    MaxSize: num(p.MaxSize),
    DesiredCapacity: num(p.DesiredCapacity),
  });
  return { physicalId: name };
}

/** AWS::AutoScaling::ScheduledAction: Ref is the scheduled action's name (CloudFormation names it). */
export const scheduledActionProvider: ResourceProvider = {
  type: 'AWS::AutoScaling::ScheduledAction',
  required: ['AutoScalingGroupName'],
  replaceOn: ['AutoScalingGroupName'],
  async create(props, ctx) {
    return put(ctx.physicalName(255), props, ctx);
  },
  async update(physicalId, props, _previous, ctx) {
    return put(physicalId, props, ctx);
  },
  async delete(physicalId, props, ctx) {
    try {
      await ctx.invoke('autoscaling', 'DeleteScheduledAction', {
        AutoScalingGroupName: String(props.AutoScalingGroupName),
        ScheduledActionName: physicalId,
      });
    } catch (err) {
      if (!isAwsError(err, 'ValidationError')) throw err;
    }
  },
};

registerProvider(scheduledActionProvider);
