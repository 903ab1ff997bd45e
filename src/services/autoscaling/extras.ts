import type { Cloud } from '../../cloud.js';
import type { GroupController } from './controller.js';
import type { FleetInstance } from './fleet.js';
import { stepRefresh, forgetRefreshes } from './instance-refresh.js';
import { forgetHooks, stepHooks } from './lifecycle-hooks.js';
import { forgetPolicies } from './policies.js';
import { forgetScheduledActions, stepScheduledActions } from './scheduled-actions.js';
import type { GroupRecord } from './state.js';
import { forgetWarmPool, stepWarmPool } from './warm-pools.js';

export { takeFromWarmPool } from './warm-pools.js';

/** What the controller lends the group features for placing warm instances as it places the group's own. */
export interface Placement {
  subnetIn: (g: GroupRecord, zone: string) => Promise<string | undefined>;
  zoneOrder: (g: GroupRecord) => string[];
}

/**
 * The group features beside the controller's own work, once per group per pass, before it checks health and
 * capacity: scheduled actions due, lifecycle hooks that timed out, the warm pool, the instance refresh.
 */
export async function stepGroupExtras(cloud: Cloud, controller: GroupController, region: string, group: string, ec2: Map<string, FleetInstance>, placement: Placement): Promise<void> {
  stepScheduledActions(cloud, region, group);
  await stepHooks(cloud, region, group);
  await stepWarmPool(cloud, controller.fleet, region, group, ec2, placement.subnetIn, placement.zoneOrder);
  await stepRefresh(cloud, controller, region, group);
}

/** A deleted group's hooks, policies (and their alarms), scheduled actions, warm pool (and its instances) and refreshes. */
export function forgetGroupExtras(cloud: Cloud, region: string, group: string): void {
  forgetHooks(cloud, region, group);
  forgetPolicies(cloud, region, group);
  forgetScheduledActions(cloud, region, group);
  forgetWarmPool(cloud, region, group);
  forgetRefreshes(cloud, region, group);
}
