import type { RequestContext } from '../types.js';
import { at } from './activities.js';
import { errors } from './errors.js';
import { NOTIFICATION_TYPES } from './notifications.js';
import { groups, updateGroup, type GroupRecord } from './state.js';
import { TERMINATION_POLICIES } from './termination.js';
import { groupChanged } from './events.js';

export const PROCESSES = [
  'AZRebalance',
  'AddToLoadBalancer',
  'AlarmNotification',
  'HealthCheck',
  'InstanceRefresh',
  'Launch',
  'RemoveFromLoadBalancerLowPriority',
  'ReplaceUnhealthy',
  'ScheduledActions',
  'Terminate',
];

export const isSuspended = (g: GroupRecord, process: string) => g.SuspendedProcesses.some((p) => p.ProcessName === process);

function checked(names: string[] | undefined): string[] {
  const list = names?.length ? names : PROCESSES;
  const bad = list.find((p) => !PROCESSES.includes(p));
  if (bad) throw errors.validation(`Process ${bad} is not a valid process`);
  return list;
}

export function suspendProcesses(input: { AutoScalingGroupName: string; ScalingProcesses?: string[] }, ctx: RequestContext) {
  const list = checked(input.ScalingProcesses);
  const reason = `User suspended at ${at(ctx.cloud.clock.now())}`;
  const g = updateGroup(ctx.cloud, ctx.region, input.AutoScalingGroupName, (x) => {
    for (const p of list) if (!isSuspended(x, p)) x.SuspendedProcesses.push({ ProcessName: p, SuspensionReason: reason });
  });
  if (!g) throw errors.groupNotFound(input.AutoScalingGroupName);
  return {};
}

export function resumeProcesses(input: { AutoScalingGroupName: string; ScalingProcesses?: string[] }, ctx: RequestContext) {
  const list = checked(input.ScalingProcesses);
  const g = updateGroup(ctx.cloud, ctx.region, input.AutoScalingGroupName, (x) => {
    x.SuspendedProcesses = x.SuspendedProcesses.filter((p) => !list.includes(p.ProcessName));
  });
  if (!g) throw errors.groupNotFound(input.AutoScalingGroupName);
  groupChanged(ctx.cloud);
  return {};
}

export const describeScalingProcessTypes = () => ({ Processes: PROCESSES.map((ProcessName) => ({ ProcessName })) });
export const describeTerminationPolicyTypes = () => ({ TerminationPolicyTypes: TERMINATION_POLICIES });
export const describeAdjustmentTypes = () => ({
  AdjustmentTypes: ['ChangeInCapacity', 'ExactCapacity', 'PercentChangeInCapacity'].map((AdjustmentType) => ({ AdjustmentType })),
});
export const describeLifecycleHookTypes = () => ({
  LifecycleHookTypes: ['autoscaling:EC2_INSTANCE_LAUNCHING', 'autoscaling:EC2_INSTANCE_TERMINATING'],
});
export { NOTIFICATION_TYPES };

export const GROUP_LIMIT = 500;

export function describeAccountLimits(_input: unknown, ctx: RequestContext) {
  return {
    MaxNumberOfAutoScalingGroups: GROUP_LIMIT,
    MaxNumberOfLaunchConfigurations: 200,
    NumberOfAutoScalingGroups: groups(ctx.cloud).list(ctx.region).length,
    NumberOfLaunchConfigurations: ctx.cloud.store.table('autoscaling.launchConfiguration').list(ctx.region).length,
  };
}
