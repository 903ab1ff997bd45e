import type { RequestContext } from '../types.js';
import { groups } from './state.js';

/**
 * The group an Auto Scaling request acts on, by its ARN, for policies' resource-level permissions (AWS checks
 * `autoScalingGroup:<uuid>:autoScalingGroupName/<name>` for the actions that name a group, or an instance of one).
 * A group not made yet is checked with `*` for its id, so `autoScalingGroup:*:autoScalingGroupName/NAME` policies
 * match it. Describe* and requests naming no group are checked against `*`, as on AWS.
 */
export function groupArns(ctx: RequestContext, input: Record<string, unknown>): string[] {
  if (ctx.operation.startsWith('Describe')) return ['*'];
  const table = groups(ctx.cloud);
  const name = typeof input.AutoScalingGroupName === 'string' ? input.AutoScalingGroupName : undefined;
  if (name) {
    return [
      table.get(ctx.region, name)?.AutoScalingGroupARN ??
        `arn:aws:autoscaling:${ctx.region}:${ctx.accountId}:autoScalingGroup:*:autoScalingGroupName/${name}`,
    ];
  }
  const instanceId = typeof input.InstanceId === 'string' ? input.InstanceId : undefined;
  const owner = instanceId ? table.list(ctx.region).find((g) => g.Instances.some((i) => i.InstanceId === instanceId)) : undefined;
  return owner ? [owner.AutoScalingGroupARN] : ['*'];
}
