import type { Cloud } from '../../cloud.js';
import type { GroupController } from './controller.js';
import type { FleetInstance } from './fleet.js';
import { forgetRefreshes, refreshes, stepRefresh } from './instance-refresh.js';
import { forgetHooks, stepHooks } from './lifecycle-hooks.js';
import { forgetPolicies } from './policies.js';
import { forgetScheduledActions, scheduledActions, stepScheduledActions } from './scheduled-actions.js';
import { groups } from './state.js';
import { entering, forgetWarmPool, stepWarmPool, warmPools, warmPoolTarget, type WarmPlacement } from './warm-pools.js';

export { launchesHibernating, returnToWarmPool, takeFromWarmPool } from './warm-pools.js';

/** What the controller lends the group features for placing warm instances as it places the group's own. */
export type Placement = WarmPlacement;

/**
 * The group features beside the controller's own work, once per group per pass, before it checks health and
 * capacity: scheduled actions due, lifecycle hooks that timed out, the warm pool, the instance refresh.
 */
export async function stepGroupExtras(
  cloud: Cloud,
  controller: GroupController,
  region: string,
  group: string,
  ec2: Map<string, FleetInstance>,
  placement: Placement,
): Promise<void> {
  stepScheduledActions(cloud, region, group);
  await stepHooks(cloud, region, group);
  await stepWarmPool(cloud, controller.fleet, region, group, ec2, placement);
  await stepRefresh(cloud, controller, region, group);
}

/**
 * The groups of a region whose features have work now even when the group itself is steady (the controller skips
 * steady groups): a scheduled action due, a warm pool not yet as it should be, an instance refresh under way.
 * Lifecycle hooks need no entry: an instance of the group waiting for one is not InService, so its group is never
 * steady, and one of the warm pool waits in Warmed:Pending:Wait, which keeps its pool settling.
 * One read of each table per region.
 */
export function groupsWithWork(cloud: Cloud, region: string, now: number): Set<string> {
  const busy = new Set<string>();
  for (const a of scheduledActions(cloud).list(region))
    if ((a.NextRun !== undefined && a.NextRun <= now) || (a.EndTime !== undefined && a.EndTime <= now)) busy.add(a.AutoScalingGroupName);
  for (const r of refreshes(cloud).list(region))
    if (['Pending', 'InProgress', 'Cancelling', 'RollbackInProgress', 'Baking'].includes(r.Status)) busy.add(r.AutoScalingGroupName);
  for (const p of warmPools(cloud).list(region)) {
    const g = groups(cloud).get(region, p.AutoScalingGroupName);
    if (!g) continue;
    const settling = p.Status || p.Instances.some((i) => entering(i) || i.LifecycleState === 'Warmed:Terminating');
    if (settling || p.Instances.length !== warmPoolTarget(p, g)) busy.add(p.AutoScalingGroupName);
  }
  return busy;
}

/** A deleted group's hooks, policies (and their alarms), scheduled actions, warm pool (and its instances) and refreshes. */
export function forgetGroupExtras(cloud: Cloud, region: string, group: string): void {
  forgetHooks(cloud, region, group);
  forgetPolicies(cloud, region, group);
  forgetScheduledActions(cloud, region, group);
  forgetWarmPool(cloud, region, group);
  forgetRefreshes(cloud, region, group);
}
