import { isAwsError } from '../../../protocol/errors.js';
import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { Props, ProviderContext, ResourceProvider } from '../../cloudformation/providers/types.js';
import { propsOf, type PropsReader } from '../../cloudformation/providers/props.js';

/** A timestamp property (ISO 8601 text, as templates give it), as the API's time. */
function time(p: PropsReader, key: string): Date | undefined {
  const text = p.str(key);
  if (text === undefined) return undefined;
  const at = new Date(text);
  if (Number.isNaN(at.getTime()))
    throw new Error(`Properties validation failed for resource ${p.logicalId} with message: #/${key}: ${text} is not a valid date-time`);
  return at;
}

async function put(name: string, props: Props, ctx: ProviderContext) {
  const p = propsOf(props, ctx.logicalId);
  await ctx.invoke('autoscaling', 'PutScheduledUpdateGroupAction', {
    AutoScalingGroupName: p.requiredStr('AutoScalingGroupName'),
    ScheduledActionName: name,
    StartTime: time(p, 'StartTime'),
    EndTime: time(p, 'EndTime'),
    Recurrence: p.str('Recurrence'),
    TimeZone: p.str('TimeZone'),
    MinSize: p.num('MinSize'),
    MaxSize: p.num('MaxSize'),
    DesiredCapacity: p.num('DesiredCapacity'),
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
    const input = {
      AutoScalingGroupName: propsOf(props, ctx.logicalId).requiredStr('AutoScalingGroupName'),
      ScheduledActionName: physicalId,
    };
    try {
      await ctx.invoke('autoscaling', 'DeleteScheduledAction', input);
    } catch (err) {
      if (!isAwsError(err, 'ValidationError')) throw err;
    }
  },
};

registerProvider(scheduledActionProvider);
