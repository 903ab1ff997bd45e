import { requirePermission } from '../../../auth/policy/authorize.js';
import { cfnErrors } from '../errors.js';
import type { RequestContext } from '../../types.js';
import { recordSignal } from '../engine/signals.js';
import { IN_PROGRESS, requireStack, type StackRecord } from '../engine/state.js';

interface SignalResourceInput {
  StackName: string;
  LogicalResourceId: string;
  UniqueId: string;
  Status: string;
}

/**
 * The instance calling: an instance signaling without credentials through its metadata address (cfn-signal), or a
 * role session of an instance profile (the metadata service names those after the instance: `assumed-role/<role>/i-...`).
 */
function callerInstance(ctx: RequestContext): string | undefined {
  if (ctx.principal.type === 'instance') return /:instance\/(i-[0-9a-f]+)$/.exec(ctx.principal.arn)?.[1];
  if (ctx.principal.type !== 'assumed-role') return undefined;
  const m = /\/(i-[0-9a-f]+)$/.exec(ctx.principal.arn);
  return m?.[1];
}

/**
 * CloudFormation lets a stack's own instances signal it without any IAM permission (cfn-signal needs no
 * credentials; CloudFormation checks that the instance belongs to the stack). Anyone else needs
 * cloudformation:SignalResource on the stack.
 */
async function authorizeSignal(ctx: RequestContext, stack: StackRecord): Promise<void> {
  const stackId = stack.StackId;
  if (ctx.principal.type === 'admin') return;
  const instanceId = callerInstance(ctx);
  if (instanceId) {
    try {
      const out = await ctx.cloud.invoke<{ Reservations: Array<{ Instances: Array<{ Tags?: Array<{ Key: string; Value: string }> }> }> }>(
        'ec2',
        'DescribeInstances',
        { InstanceIds: [instanceId] },
        { region: ctx.region },
      );
      const tags = out.Reservations[0]?.Instances[0]?.Tags ?? [];
      if (tags.some((t) => t.Key === 'aws:cloudformation:stack-id' && t.Value === stackId)) return;
      // An instance of one of the stack's Auto Scaling groups belongs to the stack too.
      const group = tags.find((t) => t.Key === 'aws:autoscaling:groupName')?.Value;
      const groups = Object.values(stack.resources)
        .filter((r) => r.type === 'AWS::AutoScaling::AutoScalingGroup')
        .map((r) => r.physicalId);
      if (group && groups.includes(group)) return;
    } catch {
      // not an instance of this cloud any more: IAM decides
    }
  }
  requirePermission(ctx, 'cloudformation:SignalResource', stackId);
}

/** SignalResource: a SUCCESS or FAILURE signal to a resource that waits for signals (CreationPolicy, rolling update). */
export async function signalResource(input: SignalResourceInput, ctx: RequestContext) {
  if (input.Status !== 'SUCCESS' && input.Status !== 'FAILURE') {
    throw cfnErrors.validation(
      `1 validation error detected: Value '${input.Status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [SUCCESS, FAILURE]`,
    );
  }
  if (!input.UniqueId || input.UniqueId.length > 64) {
    throw cfnErrors.validation(
      `1 validation error detected: Value '${input.UniqueId}' at 'uniqueId' failed to satisfy constraint: Member must have length less than or equal to 64`,
    );
  }
  const stack = requireStack(ctx, input.StackName);
  await authorizeSignal(ctx, stack);
  if (!IN_PROGRESS.test(stack.StackStatus)) {
    throw cfnErrors.validation(`Stack ${stack.StackId} is in ${stack.StackStatus} state and cannot be signaled`);
  }
  const r = stack.resources[input.LogicalResourceId];
  if (!r) throw cfnErrors.validation(`Resource ${input.LogicalResourceId} does not exist for stack ${stack.StackName}`);
  if (!r.awaitingSignals || !IN_PROGRESS.test(r.status)) {
    throw cfnErrors.validation(`Resource ${input.LogicalResourceId} is in ${r.status} state and cannot be signaled`);
  }
  recordSignal(ctx.cloud, stack.StackId, r.logicalId, { uniqueId: input.UniqueId, status: input.Status, at: ctx.cloud.clock.now() });
  return {};
}
