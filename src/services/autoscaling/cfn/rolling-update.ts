import { awaitingOf, parseDuration, SignalTimeoutError } from '../../cloudformation/engine/signals.js';
import { propsOf, type PropsReader } from '../../cloudformation/providers/props.js';
import type { ProviderContext, Props } from '../../cloudformation/providers/types.js';
import { bool, num, str } from '../../cloudformation/providers/values.js';
import { describeGroup, type DescribedGroup, type GroupInstance } from './group.js';

/** The group properties whose change makes an UpdatePolicy replace the group's instances (or the group). */
export const ROLLING_TRIGGERS = [
  'LaunchConfigurationName',
  'LaunchTemplate',
  'MixedInstancesPolicy',
  'VPCZoneIdentifier',
  'PlacementGroup',
];

export interface RollingPolicy {
  minInService: number;
  maxBatch: number;
  pause: string;
  pauseMs: number;
  waitOnSignals: boolean;
  minSuccessPercent: number;
  suspend: string[];
}

/** UpdatePolicy AutoScalingRollingUpdate with AWS's defaults (PauseTime PT0S, or PT5M when waiting on signals). */
export function rollingUpdatePolicy(update: unknown): RollingPolicy | undefined {
  const r = (update as Props | undefined)?.AutoScalingRollingUpdate as Props | undefined;
  if (!r) return undefined;
  const waitOnSignals = bool(r.WaitOnResourceSignals) ?? false;
  const pause = str(r.PauseTime) ?? (waitOnSignals ? 'PT5M' : 'PT0S');
  const pauseMs = parseDuration(pause);
  if (pauseMs === undefined) throw new Error(`Invalid PauseTime ${pause} in AutoScalingRollingUpdate (an ISO 8601 duration, e.g. PT5M)`);
  return {
    minInService: num(r.MinInstancesInService) ?? 0,
    maxBatch: Math.max(1, num(r.MaxBatchSize) ?? 1),
    pause,
    pauseMs,
    waitOnSignals,
    minSuccessPercent: num(r.MinSuccessfulInstancesPercent) ?? 100,
    suspend: Array.isArray(r.SuspendProcesses) ? r.SuspendProcesses.map((s) => String(s)) : [],
  };
}

const leaving = (i: GroupInstance) => /^Terminat|^Detach|^Standby|^EnteringStandby/.test(i.LifecycleState);

/** Whether an instance was launched from the group's current launch configuration or template. */
function upToDate(i: GroupInstance, p: PropsReader): boolean {
  const configuration = p.str('LaunchConfigurationName');
  if (configuration) return i.LaunchConfigurationName === configuration;
  const t = p.obj('LaunchTemplate');
  if (t) {
    const [id, name, version] = [t.str('LaunchTemplateId'), t.str('LaunchTemplateName'), t.str('Version')];
    const same = (id && i.LaunchTemplate?.LaunchTemplateId === id) || (name && i.LaunchTemplate?.LaunchTemplateName === name);
    return Boolean(same) && (version === undefined || i.LaunchTemplate?.Version === version);
  }
  return true;
}

async function latestFailure(ctx: ProviderContext, name: string): Promise<string | undefined> {
  const out = await ctx.invoke('autoscaling', 'DescribeScalingActivities', { AutoScalingGroupName: name, MaxRecords: 1 });
  const a = out.Activities?.[0];
  return a?.StatusCode === 'Failed' ? (a.StatusMessage ?? a.Description ?? 'Instance failed to launch') : undefined;
}

/** Waits until `count` instances that are not `old` are InService. */
async function waitNewInService(ctx: ProviderContext, name: string, old: Set<string>, count: number): Promise<DescribedGroup> {
  for (;;) {
    const g = await describeGroup(ctx, name);
    if (!g) throw new Error(`Auto Scaling group ${name} disappeared during the rolling update`);
    const fresh = (g.Instances ?? []).filter((i) => !old.has(i.InstanceId) && i.LifecycleState === 'InService');
    if (fresh.length >= count) return g;
    const failure = await latestFailure(ctx, name);
    if (failure) throw new Error(failure);
    await ctx.clock.sleep(5000);
  }
}

/**
 * AutoScalingRollingUpdate: replaces the instances not launched from the group's new configuration, MaxBatchSize at
 * a time, keeping MinInstancesInService InService (launching the batch's replacements first when it must, by
 * raising the desired capacity, and MaxSize for the time of the update), then waiting for the batch's signals
 * (WaitOnResourceSignals, PauseTime as their time-out) or PauseTime. SuspendProcesses are suspended meanwhile.
 */
export async function rollingUpdate(
  ctx: ProviderContext,
  name: string,
  p: Props,
  policy: RollingPolicy,
  placementChanged: boolean,
): Promise<void> {
  const start = await describeGroup(ctx, name);
  if (!start) throw new Error(`Auto Scaling group ${name} not found`);
  // New subnets or placement group: every instance is replaced; otherwise those of the old configuration.
  const old = new Set(
    (start.Instances ?? [])
      .filter((i) => !leaving(i) && (placementChanged || !upToDate(i, propsOf(p, ctx.logicalId))))
      .map((i) => i.InstanceId),
  );
  if (!old.size) return;
  if (policy.suspend.length)
    await ctx.invoke('autoscaling', 'SuspendProcesses', { AutoScalingGroupName: name, ScalingProcesses: policy.suspend });
  const maxSize = start.MaxSize;
  try {
    for (;;) {
      const g = await describeGroup(ctx, name);
      if (!g) throw new Error(`Auto Scaling group ${name} disappeared during the rolling update`);
      const live = (g.Instances ?? []).filter((i) => !leaving(i));
      const batch = live.filter((i) => old.has(i.InstanceId)).slice(0, policy.maxBatch);
      if (!batch.length) break;
      const freshInService = live.filter((i) => !old.has(i.InstanceId) && i.LifecycleState === 'InService').length;
      const inService = live.filter((i) => i.LifecycleState === 'InService').length;
      const launchFirst = inService - batch.length < policy.minInService;
      const signals = policy.waitOnSignals
        ? ctx.awaitSignals(awaitingOf(batch.length, policy.pause, policy.minSuccessPercent, ctx.clock.now()))
        : undefined;
      let signalError: unknown;
      const signalled = signals?.catch((err: unknown) => {
        signalError = err;
      });
      if (launchFirst) {
        const desired = g.DesiredCapacity + batch.length;
        await ctx.invoke('autoscaling', 'UpdateAutoScalingGroup', {
          AutoScalingGroupName: name,
          DesiredCapacity: desired,
          MaxSize: Math.max(g.MaxSize, desired),
        });
        await waitNewInService(ctx, name, old, freshInService + batch.length);
        for (const i of batch) {
          await ctx.invoke('autoscaling', 'TerminateInstanceInAutoScalingGroup', {
            InstanceId: i.InstanceId,
            ShouldDecrementDesiredCapacity: true,
          });
        }
      } else {
        for (const i of batch) {
          await ctx.invoke('autoscaling', 'TerminateInstanceInAutoScalingGroup', {
            InstanceId: i.InstanceId,
            ShouldDecrementDesiredCapacity: false,
          });
        }
        await waitNewInService(ctx, name, old, Math.min(freshInService + batch.length, g.DesiredCapacity));
      }
      if (signalled) {
        await signalled;
        if (signalError instanceof SignalTimeoutError) {
          throw new Error(
            `Failed to receive ${signalError.missing} resource signal(s) for the current batch. Each resource signal timeout is counted as a FAILURE.`,
          );
        }
        if (signalError) throw signalError;
      } else if (policy.pauseMs > 0) {
        await ctx.clock.sleep(policy.pauseMs);
      }
    }
  } finally {
    const g = await describeGroup(ctx, name).catch(() => undefined);
    if (g && g.MaxSize !== maxSize) {
      await ctx
        .invoke('autoscaling', 'UpdateAutoScalingGroup', {
          AutoScalingGroupName: name,
          MaxSize: maxSize,
          DesiredCapacity: Math.min(g.DesiredCapacity, maxSize),
        })
        .catch(() => undefined);
    }
    if (policy.suspend.length)
      await ctx
        .invoke('autoscaling', 'ResumeProcesses', { AutoScalingGroupName: name, ScalingProcesses: policy.suspend })
        .catch(() => undefined);
  }
}
