import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../cloud.js';
import type { Table } from '../../store/db.js';
import type { RequestContext } from '../types.js';
import { cause, endActivity, startActivity } from './activities.js';
import { errors } from './errors.js';
import { autoScalingPage } from './paging.js';
import { groupChanged } from './events.js';
import type { Fleet, FleetInstance } from './fleet.js';
import { activeRefreshOf } from './instance-refresh.js';
import { isSuspended } from './processes.js';
import { isAwsError } from '../../protocol/errors.js';
import { backoffMs, ZONAL_ERRORS, zoneRecentlyFailed } from './controller.js';
import { holdForHooks, LAUNCHING, TERMINATING } from './lifecycle-hooks.js';
import { countsTowardCapacity, groups, needGroup, updateGroup, type GroupRecord, type LaunchTemplateSpec } from './state.js';

export type PoolState = 'Stopped' | 'Running' | 'Hibernated';
export type WarmState =
  | 'Warmed:Pending'
  | 'Warmed:Pending:Wait'
  | 'Warmed:Pending:Proceed'
  | 'Warmed:Stopped'
  | 'Warmed:Running'
  | 'Warmed:Hibernated'
  | 'Warmed:Terminating';

/** On its way into the pool: launched into it or back at scale-in, held by lifecycle hooks or not yet stopped. */
export const entering = (i: { LifecycleState: string }) => i.LifecycleState.startsWith('Warmed:Pending');

export interface WarmInstance {
  InstanceId: string;
  InstanceType: string;
  AvailabilityZone: string;
  SubnetId?: string;
  LifecycleState: WarmState;
  LaunchConfigurationName?: string;
  LaunchTemplate?: LaunchTemplateSpec;
  LaunchedAt: number;
  ActivityId?: string;
  /** StopInstances was called for it (Stopped and Hibernated pools). */
  Stopping?: boolean;
  /** Back from the group at scale-in (ReuseOnScaleIn): the termination lifecycle hooks hold it, not the launch ones. */
  Returned?: boolean;
}

/** A group's warm pool (table `autoscaling.warmPool`, scope region, id the group's name). */
export interface WarmPoolRecord {
  AutoScalingGroupName: string;
  MinSize: number;
  /** Absent (or -1 given) when the pool fills up to the group's MaxSize. */
  MaxGroupPreparedCapacity?: number;
  PoolState: PoolState;
  InstanceReusePolicy?: { ReuseOnScaleIn?: boolean };
  Status?: 'PendingDelete';
  Instances: WarmInstance[];
  /**
   * Launches decided on and recorded before RunInstances with their ClientToken: after a daemon restart, the
   * instance EC2 shows with that token joins the pool rather than being launched again.
   */
  Launches?: Array<{ ClientToken: string; ActivityId: string; At: number }>;
  /** Launches into the pool that failed in a row, and when the next may be tried (AWS time). */
  LaunchFailures?: number;
  NextLaunchAt?: number;
}

export const warmPools = (cloud: Cloud): Table<WarmPoolRecord> => cloud.store.table('autoscaling.warmPool');

/**
 * Starting and stopping instances. The cloud's EC2 does it through `invoke`; a fleet of unit tests (which run no
 * EC2 instances) may bring its own `stop`/`start`.
 */
interface PowerControl {
  stop(region: string, ids: string[], hibernate?: boolean): Promise<void>;
  start(region: string, ids: string[]): Promise<void>;
}

/**
 * Stops (hibernates, for a Hibernated pool) or starts instances. An instance that was not launched with hibernation
 * configured (one the group launched before its pool was Hibernated, back on scale-in) is stopped instead, as EC2
 * Auto Scaling does with an instance that cannot hibernate.
 */
async function power(cloud: Cloud, fleet: Fleet, region: string, op: 'stop' | 'start', ids: string[], hibernate = false): Promise<void> {
  const own = fleet as Fleet & Partial<PowerControl>;
  if (op === 'stop' && own.stop) return own.stop.call(fleet, region, ids, hibernate);
  if (op === 'start' && own.start) return own.start.call(fleet, region, ids);
  if (op === 'start') {
    await cloud.invoke('ec2', 'StartInstances', { InstanceIds: ids }, { region });
    return;
  }
  if (hibernate) {
    const configured = await hibernationConfigured(cloud, region, ids);
    const hibernating = ids.filter((id) => configured.has(id));
    const stopping = ids.filter((id) => !configured.has(id));
    if (hibernating.length) await cloud.invoke('ec2', 'StopInstances', { InstanceIds: hibernating, Hibernate: true }, { region });
    if (stopping.length) await cloud.invoke('ec2', 'StopInstances', { InstanceIds: stopping }, { region });
    return;
  }
  await cloud.invoke('ec2', 'StopInstances', { InstanceIds: ids }, { region });
}

async function hibernationConfigured(cloud: Cloud, region: string, ids: string[]): Promise<Set<string>> {
  const out = await cloud.invoke<{
    Reservations: Array<{ Instances: Array<{ InstanceId: string; HibernationOptions?: { Configured?: boolean } }> }>;
  }>('ec2', 'DescribeInstances', { InstanceIds: ids }, { region });
  return new Set(
    out.Reservations.flatMap((r) => r.Instances)
      .filter((i) => i.HibernationOptions?.Configured)
      .map((i) => i.InstanceId),
  );
}

/** Whether the group's instances are launched with hibernation configured: its warm pool keeps them Hibernated. */
export function launchesHibernating(cloud: Cloud, region: string, group: string): boolean {
  return warmPools(cloud).get(region, group)?.PoolState === 'Hibernated';
}

/** How many instances the pool should hold: up to MaxGroupPreparedCapacity (or MaxSize) beside desired capacity, at least MinSize. */
export function warmPoolTarget(pool: WarmPoolRecord, g: GroupRecord): number {
  const max = pool.MaxGroupPreparedCapacity ?? g.MaxSize;
  return Math.max(pool.MinSize, max - g.DesiredCapacity);
}

const presentConfig = (p: WarmPoolRecord) => ({
  MaxGroupPreparedCapacity: p.MaxGroupPreparedCapacity,
  MinSize: p.MinSize,
  PoolState: p.PoolState,
  Status: p.Status,
  InstanceReusePolicy: p.InstanceReusePolicy,
});

/** What DescribeAutoScalingGroups shows of a group's warm pool. */
export function warmPoolSummary(
  cloud: Cloud,
  region: string,
  group: string,
): { WarmPoolConfiguration?: ReturnType<typeof presentConfig>; WarmPoolSize?: number } {
  const p = warmPools(cloud).get(region, group);
  return p
    ? { WarmPoolConfiguration: presentConfig(p), WarmPoolSize: p.Instances.filter((i) => i.LifecycleState !== 'Warmed:Terminating').length }
    : {};
}

export function putWarmPool(
  input: {
    AutoScalingGroupName: string;
    MaxGroupPreparedCapacity?: number;
    MinSize?: number;
    PoolState?: string;
    InstanceReusePolicy?: { ReuseOnScaleIn?: boolean };
  },
  ctx: RequestContext,
) {
  const g = needGroup(ctx, input.AutoScalingGroupName);
  if (g.MixedInstancesPolicy)
    throw errors.validation('You cannot add a warm pool to an Auto Scaling group that has a mixed instances policy.');
  const existing = warmPools(ctx.cloud).get(ctx.region, g.AutoScalingGroupName);
  if (existing?.Status === 'PendingDelete')
    throw errors.validation(`The warm pool of Auto Scaling group ${g.AutoScalingGroupName} is being deleted.`);
  const state = input.PoolState ?? existing?.PoolState ?? 'Stopped';
  if (!['Stopped', 'Running', 'Hibernated'].includes(state))
    throw errors.validation(`Invalid PoolState: ${state}. Valid values are Stopped, Running and Hibernated.`);
  const min = input.MinSize ?? existing?.MinSize ?? 0;
  if (min < 0) throw errors.validation('MinSize must be greater than or equal to 0.');
  const prepared =
    input.MaxGroupPreparedCapacity === undefined
      ? existing?.MaxGroupPreparedCapacity
      : input.MaxGroupPreparedCapacity === -1
        ? undefined
        : input.MaxGroupPreparedCapacity;
  if (prepared !== undefined && prepared < 0) throw errors.validation('MaxGroupPreparedCapacity must be -1 or greater than or equal to 0.');
  if (prepared !== undefined && prepared < min)
    throw errors.validation(`MinSize (${min}) cannot be greater than MaxGroupPreparedCapacity (${prepared}).`);
  warmPools(ctx.cloud).put(ctx.region, g.AutoScalingGroupName, {
    AutoScalingGroupName: g.AutoScalingGroupName,
    MinSize: min,
    MaxGroupPreparedCapacity: prepared,
    PoolState: state as PoolState,
    InstanceReusePolicy: input.InstanceReusePolicy ?? existing?.InstanceReusePolicy,
    Instances: existing?.Instances ?? [],
  });
  groupChanged(ctx.cloud);
  return {};
}

export function describeWarmPool(input: { AutoScalingGroupName: string; MaxRecords?: number; NextToken?: string }, ctx: RequestContext) {
  needGroup(ctx, input.AutoScalingGroupName);
  const p = warmPools(ctx.cloud).get(ctx.region, input.AutoScalingGroupName);
  const page = autoScalingPage(p?.Instances ?? [], input, 50);
  return {
    WarmPoolConfiguration: p ? presentConfig(p) : undefined,
    Instances: page.items.map((i) => ({
      InstanceId: i.InstanceId,
      InstanceType: i.InstanceType,
      AvailabilityZone: i.AvailabilityZone,
      LifecycleState: i.LifecycleState,
      HealthStatus: 'Healthy',
      LaunchConfigurationName: i.LaunchConfigurationName,
      LaunchTemplate: i.LaunchTemplate,
      ProtectedFromScaleIn: false,
    })),
    NextToken: page.next,
  };
}

/** Without ForceDelete the pool's instances are terminated first (Status PendingDelete); with it, at once. */
export function deleteWarmPool(input: { AutoScalingGroupName: string; ForceDelete?: boolean }, ctx: RequestContext) {
  needGroup(ctx, input.AutoScalingGroupName);
  const p = warmPools(ctx.cloud).get(ctx.region, input.AutoScalingGroupName);
  if (!p) throw errors.warmPoolNotFound(input.AutoScalingGroupName);
  if (input.ForceDelete) {
    forgetWarmPool(ctx.cloud, ctx.region, input.AutoScalingGroupName);
  } else {
    warmPools(ctx.cloud).put(ctx.region, p.AutoScalingGroupName, { ...p, Status: 'PendingDelete' });
    groupChanged(ctx.cloud);
  }
  return {};
}

/** Drops a group's warm pool and terminates its instances without waiting. */
export function forgetWarmPool(cloud: Cloud, region: string, group: string): void {
  const p = warmPools(cloud).get(region, group);
  if (!p) return;
  warmPools(cloud).delete(region, group);
  const ids = p.Instances.map((i) => i.InstanceId);
  if (ids.length) {
    cloud.invoke('ec2', 'TerminateInstances', { InstanceIds: ids }, { region }).catch((err: unknown) => {
      console.error(`[halo] terminating the warm pool of ${group} failed: ${(err as Error).message}`);
    });
  }
}

const GONE = new Set(['shutting-down', 'terminated', 'vanished']);

/** Where warm instances go (as the controller places the group's own) and the warm launches its process has in flight. */
export interface WarmPlacement {
  subnetIn: (g: GroupRecord, zone: string) => Promise<string | undefined>;
  zoneOrder: (g: GroupRecord) => string[];
  /** Client tokens of RunInstances calls still running (their intents are not leftovers of a crash). */
  inFlight: Set<string>;
}

/**
 * Keeps a group's warm pool: new instances are launched into it and, once running and through the group's lifecycle
 * hooks (Warmed:Pending:Wait), stopped for Stopped and Hibernated pools; instances that went away leave it; the pool
 * is filled to its target or trimmed; a pool being deleted is emptied, then dropped.
 */
export async function stepWarmPool(
  cloud: Cloud,
  fleet: Fleet,
  region: string,
  group: string,
  ec2: Map<string, FleetInstance>,
  placement: WarmPlacement,
): Promise<void> {
  const g = groups(cloud).get(region, group);
  let p = warmPools(cloud).get(region, group);
  if (!g || !p) return;
  adoptLeftovers(cloud, region, g, p, ec2, placement.inFlight);
  p = warmPools(cloud).get(region, group) as WarmPoolRecord;
  const toStop: string[] = [];
  const ready: WarmInstance[] = [];
  const gone: WarmInstance[] = [];
  for (const i of p.Instances) {
    const state = ec2.get(i.InstanceId)?.State ?? 'vanished';
    if (GONE.has(state)) {
      if (state !== 'shutting-down' || i.LifecycleState !== 'Warmed:Terminating') gone.push(i);
      continue;
    }
    if (i.LifecycleState !== 'Warmed:Pending' && i.LifecycleState !== 'Warmed:Pending:Proceed') continue;
    // Before it is stopped, the hooks hold it: one back at scale-in the termination hooks; a new one the launch hooks
    // (at its launch already, unless the hooks came later or a restarted daemon adopted it).
    if (
      i.LifecycleState === 'Warmed:Pending' &&
      !i.Stopping &&
      holdForHooks(cloud, region, group, i.InstanceId, i.Returned ? TERMINATING : LAUNCHING, true)
    )
      continue;
    if (state === 'running' && p.PoolState === 'Running') ready.push(i);
    else if (state === 'running' && !i.Stopping) toStop.push(i.InstanceId);
    else if (state === 'stopped' && i.Stopping) ready.push(i);
  }
  if (toStop.length) {
    try {
      await power(cloud, fleet, region, 'stop', toStop, p.PoolState === 'Hibernated');
    } catch (err) {
      console.error(`[halo] stopping warm instances of ${group} failed: ${(err as Error).message}`);
    }
  }
  const readyState: WarmState =
    p.PoolState === 'Running' ? 'Warmed:Running' : p.PoolState === 'Hibernated' ? 'Warmed:Hibernated' : 'Warmed:Stopped';
  p = updatePool(cloud, region, group, (x) => {
    x.Instances = x.Instances.filter((i) => !gone.some((y) => y.InstanceId === i.InstanceId));
    for (const i of x.Instances) {
      if (toStop.includes(i.InstanceId)) i.Stopping = true;
      if (ready.some((y) => y.InstanceId === i.InstanceId)) i.LifecycleState = readyState;
    }
  });
  if (!p) return;
  for (const i of ready) endActivity(cloud, region, g, i.ActivityId, 'Successful');

  const live = p.Instances.filter((i) => i.LifecycleState !== 'Warmed:Terminating');
  if (p.Launches?.length) return;
  const target = p.Status === 'PendingDelete' ? 0 : warmPoolTarget(p, g);
  if (p.Status === 'PendingDelete' && !p.Instances.length) {
    warmPools(cloud).delete(region, group);
    return;
  }
  // An instance refresh replaces the pool's instances too: those of another configuration are terminated (and relaunched).
  const refreshing = !!activeRefreshOf(cloud, region, group);
  const outdated = refreshing ? live.filter((i) => !entering(i) && !sameConfig(i, g)) : [];
  if (outdated.length) {
    const now = cloud.clock.now();
    updatePool(cloud, region, group, (x) => {
      for (const i of x.Instances) if (outdated.some((o) => o.InstanceId === i.InstanceId)) i.LifecycleState = 'Warmed:Terminating';
    });
    for (const i of outdated) {
      startActivity(cloud, region, g, {
        Description: `Terminating EC2 instance from warm pool: ${i.InstanceId}`,
        Cause: cause(now, 'an instance was taken out of the warm pool in response to an instance refresh.'),
        StatusCode: 'Successful',
      });
    }
    await fleet
      .terminate(
        region,
        outdated.map((i) => i.InstanceId),
      )
      .catch((err: unknown) => console.error(`[halo] warm pool of ${group}: ${(err as Error).message}`));
    return;
  }
  if (live.length > target) {
    // Instances still on their way in go first, then the newest.
    const surplus = [...live]
      .sort((a, b) => Number(entering(b)) - Number(entering(a)) || b.LaunchedAt - a.LaunchedAt)
      .slice(0, live.length - target);
    const now = cloud.clock.now();
    updatePool(cloud, region, group, (x) => {
      for (const i of x.Instances) if (surplus.some((s) => s.InstanceId === i.InstanceId)) i.LifecycleState = 'Warmed:Terminating';
    });
    for (const i of surplus) {
      startActivity(cloud, region, g, {
        Description: `Terminating EC2 instance from warm pool: ${i.InstanceId}`,
        Cause: cause(
          now,
          `an instance was taken out of the warm pool in response to a difference between desired and actual warm pool capacity, shrinking it from ${live.length} to ${target}.`,
        ),
        StatusCode: 'Successful',
      });
    }
    await fleet
      .terminate(
        region,
        surplus.map((i) => i.InstanceId),
      )
      .catch((err: unknown) => console.error(`[halo] warm pool of ${group}: ${(err as Error).message}`));
    return;
  }
  // With ReuseOnScaleIn, instances the group is about to scale in will fill the pool: no launch for them.
  const returning = p.InstanceReusePolicy?.ReuseOnScaleIn
    ? Math.max(0, g.Instances.filter(countsTowardCapacity).length - g.DesiredCapacity)
    : 0;
  const now = cloud.clock.now();
  if (live.length + returning < target && !isSuspended(g, 'Launch') && now >= (g.NextLaunchAt ?? 0) && now >= (p.NextLaunchAt ?? 0)) {
    for (let n = live.length + returning; n < target; n++)
      if (!(await launchWarm(cloud, fleet, region, group, n, target, placement))) break;
  }
}

/**
 * Launches one instance into the pool, in the group's zone with the fewest pool instances first: a zone where EC2
 * just had no capacity (for the group or the pool) is left alone for a while and the next zone tried, as for the
 * group's own launches; when none takes it, the pool's launches back off (10 s, doubling, up to 5 minutes).
 */
async function launchWarm(
  cloud: Cloud,
  fleet: Fleet,
  region: string,
  group: string,
  from: number,
  to: number,
  placement: WarmPlacement,
): Promise<boolean> {
  const { subnetIn, zoneOrder, inFlight } = placement;
  const g = groups(cloud).get(region, group);
  const p = warmPools(cloud).get(region, group);
  if (!g || !p) return false;
  // Balance the pool over the group's zones as the group itself is balanced.
  const count = new Map(g.AvailabilityZones.map((z) => [z, 0]));
  for (const i of p.Instances) count.set(i.AvailabilityZone, (count.get(i.AvailabilityZone) ?? 0) + 1);
  const order = zoneOrder(g);
  const now = cloud.clock.now();
  const byCount = [...order].sort((a, b) => (count.get(a) ?? 0) - (count.get(b) ?? 0) || order.indexOf(a) - order.indexOf(b));
  const recent = (z: string) => zoneRecentlyFailed(g, z, now);
  const zones = byCount.some((z) => !recent(z)) ? byCount.filter((z) => !recent(z)) : byCount;
  const why = cause(
    now,
    `an instance was launched into the warm pool in response to a difference between desired and actual warm pool capacity, increasing it from ${from} to ${to}.`,
  );
  for (const zone of zones) {
    const token = randomUUID();
    const activityId = randomUUID();
    let subnetId: string | undefined;
    try {
      subnetId = g.Subnets.length ? await subnetIn(g, zone) : undefined;
      inFlight.add(token);
      updatePool(cloud, region, group, (x) => {
        x.Launches = [...(x.Launches ?? []), { ClientToken: token, ActivityId: activityId, At: now }];
      });
      const launched = await fleet.launch(region, {
        group: g,
        zone,
        subnetId,
        clientToken: token,
        hibernation: p.PoolState === 'Hibernated',
      });
      const a = startActivity(cloud, region, g, {
        ActivityId: activityId,
        Description: `Launching a new EC2 instance into warm pool: ${launched.InstanceId}`,
        Cause: why,
        Details: { 'Subnet ID': launched.SubnetId ?? '', 'Availability Zone': launched.AvailabilityZone },
      });
      const after = updatePool(cloud, region, group, (x) => {
        x.Launches = x.Launches?.filter((l) => l.ClientToken !== token);
        x.LaunchFailures = undefined;
        x.NextLaunchAt = undefined;
        x.Instances.push({
          InstanceId: launched.InstanceId,
          InstanceType: launched.InstanceType,
          AvailabilityZone: launched.AvailabilityZone,
          SubnetId: launched.SubnetId,
          LifecycleState: 'Warmed:Pending',
          LaunchConfigurationName: g.LaunchConfigurationName,
          LaunchTemplate: g.LaunchTemplate,
          LaunchedAt: now,
          ActivityId: a.ActivityId,
        });
      });
      if (!after) await fleet.terminate(region, [launched.InstanceId]);
      // The launch hooks hold it from now on, before it boots, so that its user data finds the action to complete.
      else holdForHooks(cloud, region, group, launched.InstanceId, LAUNCHING, true);
      return !!after;
    } catch (err) {
      const code = isAwsError(err) ? err.code : 'InternalError';
      const message = (err as Error).message.replace(/\.$/, '');
      updatePool(cloud, region, group, (x) => {
        x.Launches = x.Launches?.filter((l) => l.ClientToken !== token);
      });
      if (ZONAL_ERRORS.has(code))
        updateGroup(cloud, region, group, (x) => {
          x.FailedZones[zone] = { At: cloud.clock.now(), Message: message };
        });
      startActivity(cloud, region, g, {
        ActivityId: activityId,
        Description: `Launching a new EC2 instance into warm pool.  Status Reason: ${message}. Launching EC2 instance failed.`,
        Cause: why,
        StatusCode: 'Failed',
        StatusMessage: `${message}. Launching EC2 instance failed.`,
        Details: { 'Subnet ID': subnetId ?? '', 'Availability Zone': zone },
      });
      if (!ZONAL_ERRORS.has(code)) break;
    } finally {
      inFlight.delete(token);
    }
  }
  const later = cloud.clock.now();
  updatePool(cloud, region, group, (x) => {
    x.LaunchFailures = (x.LaunchFailures ?? 0) + 1;
    x.NextLaunchAt = later + backoffMs(x.LaunchFailures);
  });
  return false;
}

/** Warm launches of an earlier daemon: the instance EC2 shows with the intent's token joins the pool; without one, the intent is dropped. */
function adoptLeftovers(
  cloud: Cloud,
  region: string,
  g: GroupRecord,
  p: WarmPoolRecord,
  ec2: Map<string, FleetInstance>,
  inFlight: Set<string>,
): void {
  const leftovers = (p.Launches ?? []).filter((l) => !inFlight.has(l.ClientToken));
  if (!leftovers.length) return;
  updatePool(cloud, region, g.AutoScalingGroupName, (x) => {
    for (const l of leftovers) {
      x.Launches = x.Launches?.filter((y) => y.ClientToken !== l.ClientToken);
      const found = [...ec2.values()].find((i) => i.ClientToken === l.ClientToken && i.GroupName === g.AutoScalingGroupName);
      if (found && !x.Instances.some((i) => i.InstanceId === found.InstanceId)) {
        x.Instances.push({
          InstanceId: found.InstanceId,
          InstanceType: found.InstanceType,
          AvailabilityZone: found.AvailabilityZone,
          SubnetId: found.SubnetId,
          LifecycleState: 'Warmed:Pending',
          LaunchConfigurationName: g.LaunchConfigurationName,
          LaunchTemplate: g.LaunchTemplate,
          LaunchedAt: l.At,
        });
      }
    }
  });
}

/** Whether a warm instance was launched from the group's current launch configuration or template. */
function sameConfig(i: WarmInstance, g: GroupRecord): boolean {
  if (g.LaunchConfigurationName || i.LaunchConfigurationName) return i.LaunchConfigurationName === g.LaunchConfigurationName;
  return JSON.stringify(i.LaunchTemplate ?? null) === JSON.stringify(g.LaunchTemplate ?? null);
}

/** Moves one instance of the pool to another state (lifecycle hooks); the instance, or undefined when it is not in the pool. */
export function setWarmState(cloud: Cloud, region: string, group: string, instanceId: string, state: WarmState): WarmInstance | undefined {
  let found: WarmInstance | undefined;
  updatePool(cloud, region, group, (x) => {
    found = x.Instances.find((i) => i.InstanceId === instanceId);
    if (found) found.LifecycleState = state;
  });
  return found;
}

function updatePool(cloud: Cloud, region: string, group: string, fn: (p: WarmPoolRecord) => void): WarmPoolRecord | undefined {
  return cloud.store.tx(() => {
    const p = warmPools(cloud).get(region, group);
    if (!p) return undefined;
    fn(p);
    warmPools(cloud).put(region, group, p);
    return p;
  });
}

/**
 * The group needs an instance: a ready warm instance (in the first of `zones` that has one) leaves the pool and
 * joins the group as Pending, started if it was stopped; the controller takes it InService as for a launch. False
 * when the pool has none ready (the controller then launches a new instance).
 */
export async function takeFromWarmPool(
  cloud: Cloud,
  fleet: Fleet,
  region: string,
  group: string,
  why: string,
  zones: string[],
): Promise<boolean> {
  const p = warmPools(cloud).get(region, group);
  if (!p || p.Status === 'PendingDelete') return false;
  const g0 = groups(cloud).get(region, group);
  const refreshing = !!activeRefreshOf(cloud, region, group);
  const ready = p.Instances.filter(
    (i) =>
      ['Warmed:Stopped', 'Warmed:Running', 'Warmed:Hibernated'].includes(i.LifecycleState) &&
      zones.includes(i.AvailabilityZone) &&
      !(refreshing && g0 && !sameConfig(i, g0)),
  ).sort((a, b) => zones.indexOf(a.AvailabilityZone) - zones.indexOf(b.AvailabilityZone) || a.LaunchedAt - b.LaunchedAt);
  const pick = ready[0];
  if (!pick) return false;
  if (
    !updatePool(cloud, region, group, (x) => {
      x.Instances = x.Instances.filter((i) => i.InstanceId !== pick.InstanceId);
    })
  )
    return false;
  if (pick.LifecycleState !== 'Warmed:Running') {
    try {
      await power(cloud, fleet, region, 'start', [pick.InstanceId]);
    } catch (err) {
      console.error(`[halo] starting warm instance ${pick.InstanceId} of ${group} failed: ${(err as Error).message}`);
      await fleet.terminate(region, [pick.InstanceId]).catch(() => undefined);
      return false;
    }
  }
  const g = groups(cloud).get(region, group);
  if (!g) return false;
  const a = startActivity(cloud, region, g, {
    Description: `Launching a new EC2 instance from warm pool: ${pick.InstanceId}`,
    Cause: why,
    Details: { 'Subnet ID': pick.SubnetId ?? '', 'Availability Zone': pick.AvailabilityZone },
  });
  const now = cloud.clock.now();
  updateGroup(cloud, region, group, (x) => {
    x.Instances.push({
      InstanceId: pick.InstanceId,
      InstanceType: pick.InstanceType,
      AvailabilityZone: pick.AvailabilityZone,
      SubnetId: pick.SubnetId,
      LifecycleState: 'Pending',
      HealthStatus: 'Healthy',
      LaunchConfigurationName: pick.LaunchConfigurationName,
      LaunchTemplate: pick.LaunchTemplate,
      ProtectedFromScaleIn: x.NewInstancesProtectedFromScaleIn,
      LaunchedAt: now,
      ActivityId: a.ActivityId,
    });
    x.LaunchFailures = 0;
    x.NextLaunchAt = undefined;
  });
  holdForHooks(cloud, region, group, pick.InstanceId, LAUNCHING);
  return true;
}

/**
 * InstanceReusePolicy ReuseOnScaleIn: an instance the group scales in leaves the group for its warm pool
 * (Warmed:Pending, then stopped for Stopped and Hibernated pools) instead of being terminated. False when the group
 * has no such pool (the instance is terminated).
 */
export function returnToWarmPool(cloud: Cloud, region: string, group: string, instanceId: string, why: string): boolean {
  const p = warmPools(cloud).get(region, group);
  const g = groups(cloud).get(region, group);
  const i = g?.Instances.find((x) => x.InstanceId === instanceId);
  if (!p?.InstanceReusePolicy?.ReuseOnScaleIn || p.Status === 'PendingDelete' || !g || !i || i.LifecycleState !== 'InService') return false;
  const now = cloud.clock.now();
  const a = startActivity(cloud, region, g, {
    Description: `Moving EC2 instance to warm pool: ${instanceId}`,
    Cause: cause(now, why),
    Details: { 'Subnet ID': i.SubnetId ?? '', 'Availability Zone': i.AvailabilityZone },
  });
  cloud.store.tx(() => {
    updateGroup(cloud, region, group, (x) => {
      x.Instances = x.Instances.filter((y) => y.InstanceId !== instanceId);
    });
    updatePool(cloud, region, group, (x) => {
      x.Instances.push({
        InstanceId: i.InstanceId,
        InstanceType: i.InstanceType,
        AvailabilityZone: i.AvailabilityZone,
        SubnetId: i.SubnetId,
        LifecycleState: 'Warmed:Pending',
        LaunchConfigurationName: i.LaunchConfigurationName,
        LaunchTemplate: i.LaunchTemplate,
        LaunchedAt: i.LaunchedAt,
        ActivityId: a.ActivityId,
        Returned: true,
      });
    });
  });
  groupChanged(cloud);
  return true;
}
