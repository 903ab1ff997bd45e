import type { Cloud } from '../../../cloud.js';

interface GroupsOut {
  AutoScalingGroups?: Array<{ Instances?: Array<{ InstanceId: string; LifecycleState: string }> }>;
}
interface WarmPoolOut {
  WarmPoolConfiguration?: { PoolState?: string };
  Instances?: Array<{ InstanceId: string; LifecycleState: string }>;
}

/** The steady state a group's instance is heading for, from its current lifecycle state (Pending:Wait → InService …). */
function groupTarget(state: string): string {
  if (state.startsWith('Terminat')) return 'Terminated';
  if (state === 'EnteringStandby' || state === 'Standby') return 'Standby';
  if (state.startsWith('Detach')) return 'Detached';
  return 'InService';
}

/** The same for a warm pool's instance: Warmed:Pending:Wait → Warmed:<the pool's state>. */
function warmTarget(state: string, poolState: string): string {
  if (state.startsWith('Warmed:Terminat')) return 'Warmed:Terminated';
  if (state.startsWith('Warmed:Pending')) return `Warmed:${poolState}`;
  return state;
}

/**
 * `meta-data/autoscaling/target-lifecycle-state` of an instance of an Auto Scaling group or its warm pool, asked of
 * Auto Scaling when read (it changes as the instance moves between the pool and the group).
 */
export async function targetLifecycleState(cloud: Cloud, region: string, group: string, instanceId: string): Promise<string | undefined> {
  if (!cloud.services.has('autoscaling')) return undefined;
  const groups = await cloud.invoke<GroupsOut>('autoscaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: [group] }, { region });
  const member = groups.AutoScalingGroups?.[0]?.Instances?.find((i) => i.InstanceId === instanceId);
  if (member) return groupTarget(member.LifecycleState);
  const pool = await cloud
    .invoke<WarmPoolOut>('autoscaling', 'DescribeWarmPool', { AutoScalingGroupName: group }, { region })
    .catch(() => undefined);
  const warm = pool?.Instances?.find((i) => i.InstanceId === instanceId);
  return warm ? warmTarget(warm.LifecycleState, pool?.WarmPoolConfiguration?.PoolState ?? 'Stopped') : undefined;
}
