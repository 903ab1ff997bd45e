import type { RequestContext } from '../types.js';
import { cause, causes, hasActivityInProgress, latestActivity, startActivity } from './activities.js';
import { controllerOf } from './controller.js';
import { errors } from './errors.js';
import type { FleetInstance } from './fleet.js';
import { groupChanged } from './events.js';
import { groups, needGroup, updateGroup, type GroupInstance, type GroupRecord } from './state.js';

/** The group an instance belongs to, or AWS's error for an instance no group manages. */
function groupOfInstance(ctx: RequestContext, id: string): { g: GroupRecord; i: GroupInstance } {
  for (const g of groups(ctx.cloud).list(ctx.region)) {
    const i = g.Instances.find((x) => x.InstanceId === id);
    if (i) return { g, i };
  }
  throw errors.validation(`Instance Id not found - No managed instance found for instance ID: ${id}`);
}

function instanceIn(g: GroupRecord, id: string): GroupInstance {
  const i = g.Instances.find((x) => x.InstanceId === id);
  if (!i) throw errors.validation(`The instance ${id} is not part of Auto Scaling group ${g.AutoScalingGroupName}.`);
  return i;
}

const presentActivity = (a: ReturnType<typeof startActivity>) => ({
  ...a,
  StartTime: new Date(a.StartTime),
  EndTime: a.EndTime === undefined ? undefined : new Date(a.EndTime),
});

/**
 * Sets a group's desired capacity (as scaling policies and scheduled actions will): the controller launches or
 * terminates on its next pass. With `honorCooldown`, refused while an activity runs or the cooldown lasts.
 */
export function setDesiredCapacity(
  input: { AutoScalingGroupName: string; DesiredCapacity: number; HonorCooldown?: boolean },
  ctx: RequestContext,
) {
  const { cloud, region } = ctx;
  const g = needGroup(ctx, input.AutoScalingGroupName);
  const d = input.DesiredCapacity;
  if (d > g.MaxSize) throw errors.validation(`New SetDesiredCapacity value ${d} is above max value ${g.MaxSize} for the AutoScalingGroup.`);
  if (d < g.MinSize) throw errors.validation(`New SetDesiredCapacity value ${d} is below min value ${g.MinSize} for the AutoScalingGroup.`);
  const now = cloud.clock.now();
  if (input.HonorCooldown && (now < (g.CooldownUntil ?? 0) || hasActivityInProgress(cloud, region, g.AutoScalingGroupName))) {
    throw errors.cooldown(latestActivity(cloud, region, g.AutoScalingGroupName)?.ActivityId ?? '');
  }
  updateGroup(cloud, region, g.AutoScalingGroupName, (x) => {
    if (x.DesiredCapacity !== d) x.PendingCause = cause(now, causes.userSetDesired(x.DesiredCapacity, d));
    x.DesiredCapacity = d;
  });
  groupChanged(cloud);
  return {};
}

export function setInstanceHealth(
  input: { InstanceId: string; HealthStatus: string; ShouldRespectGracePeriod?: boolean },
  ctx: RequestContext,
) {
  if (!['Healthy', 'Unhealthy'].includes(input.HealthStatus))
    throw errors.validation(`Health status ${input.HealthStatus} is not valid. Valid values are Healthy and Unhealthy.`);
  const { g, i } = groupOfInstance(ctx, input.InstanceId);
  const now = ctx.cloud.clock.now();
  if (
    input.ShouldRespectGracePeriod &&
    input.HealthStatus === 'Unhealthy' &&
    (i.InServiceAt === undefined || now < i.InServiceAt + g.HealthCheckGracePeriod * 1000)
  ) {
    // AWS accepts the call and ignores an Unhealthy status given within the grace period.
    return {};
  }
  updateGroup(ctx.cloud, ctx.region, g.AutoScalingGroupName, (x) => {
    const y = x.Instances.find((z) => z.InstanceId === i.InstanceId);
    if (!y) return;
    y.HealthStatus = input.HealthStatus as 'Healthy' | 'Unhealthy';
    if (input.HealthStatus === 'Unhealthy') Object.assign(y, { UnhealthyCause: causes.userHealth(), UnhealthyAt: now });
    else Object.assign(y, { UnhealthyCause: undefined, UnhealthyAt: undefined });
  });
  groupChanged(ctx.cloud);
  return {};
}

function checkDecrement(g: GroupRecord, n: number, what: string): void {
  if (g.DesiredCapacity - n < g.MinSize) {
    throw errors.validation(
      `AutoScalingGroup ${g.AutoScalingGroupName} has min-size=${g.MinSize}, max-size=${g.MaxSize}, and desired-size=${g.DesiredCapacity}. To ${what} ${n} instance${n === 1 ? '' : 's'}, please update the AutoScalingGroup sizes appropriately.`,
    );
  }
}

export async function terminateInstanceInAutoScalingGroup(
  input: { InstanceId: string; ShouldDecrementDesiredCapacity: boolean },
  ctx: RequestContext,
) {
  const { g, i } = groupOfInstance(ctx, input.InstanceId);
  if (input.ShouldDecrementDesiredCapacity && g.DesiredCapacity - 1 < g.MinSize) {
    throw errors.validation(
      `Currently, desiredSize equals minSize (${g.MinSize}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
    );
  }
  const controller = controllerOf(ctx.cloud);
  if (!controller) throw errors.validation('The Auto Scaling controller of this cloud is not running.');
  const why = input.ShouldDecrementDesiredCapacity
    ? causes.userTerminateShrink(i.InstanceId, g.DesiredCapacity, g.DesiredCapacity - 1)
    : causes.userTerminate(i.InstanceId);
  const activity = await controller.beginTermination(
    ctx.region,
    g.AutoScalingGroupName,
    i.InstanceId,
    why,
    input.ShouldDecrementDesiredCapacity,
  );
  if (!activity) throw errors.validation(`The instance ${i.InstanceId} is already terminating.`);
  groupChanged(ctx.cloud);
  return { Activity: presentActivity(activity) };
}

export async function attachInstances(input: { AutoScalingGroupName: string; InstanceIds?: string[] }, ctx: RequestContext) {
  const g = needGroup(ctx, input.AutoScalingGroupName);
  const ids = input.InstanceIds ?? [];
  if (!ids.length) return {};
  if (g.DesiredCapacity + ids.length > g.MaxSize) {
    throw errors.validation(
      `AutoScalingGroup ${g.AutoScalingGroupName} has min-size=${g.MinSize}, max-size=${g.MaxSize}, and desired-size=${g.DesiredCapacity}. To attach ${ids.length} instance${ids.length === 1 ? '' : 's'}, please update the AutoScalingGroup sizes appropriately.`,
    );
  }
  const controller = controllerOf(ctx.cloud);
  const found = controller ? await controller.fleet.describe(ctx.region, ids) : new Map<string, FleetInstance>();
  for (const id of ids) {
    const e = found.get(id);
    if (!e || e.State === 'terminated')
      throw errors.validation(`Instance ${id} is not in a valid state to be attached. The instance does not exist or is terminated.`);
    if (e.State !== 'running') throw errors.validation(`Instance ${id} is not in a valid state to be attached. It must be running.`);
    if (!g.AvailabilityZones.includes(e.AvailabilityZone))
      throw errors.validation(
        `Instance ${id} is in ${e.AvailabilityZone}, which is not one of the Availability Zones of the AutoScalingGroup.`,
      );
    if (
      groups(ctx.cloud)
        .list(ctx.region)
        .some((x) => x.Instances.some((y) => y.InstanceId === id))
    )
      throw errors.validation(`The instance ${id} is already part of an Auto Scaling group.`);
  }
  const now = ctx.cloud.clock.now();
  const after = updateGroup(ctx.cloud, ctx.region, g.AutoScalingGroupName, (x) => {
    for (const id of ids) {
      const e = found.get(id) as NonNullable<ReturnType<typeof found.get>>;
      x.Instances.push({
        InstanceId: id,
        InstanceType: e.InstanceType,
        AvailabilityZone: e.AvailabilityZone,
        SubnetId: e.SubnetId,
        LifecycleState: 'InService',
        HealthStatus: 'Healthy',
        ProtectedFromScaleIn: x.NewInstancesProtectedFromScaleIn,
        LaunchedAt: e.LaunchTime,
        InServiceAt: now,
      });
    }
    x.DesiredCapacity += ids.length;
  }) as GroupRecord;
  for (const id of ids) {
    startActivity(ctx.cloud, ctx.region, after, {
      Description: `Attaching an existing EC2 instance: ${id}`,
      Cause: cause(now, causes.attach(ids)),
      StatusCode: 'Successful',
    });
  }
  groupChanged(ctx.cloud);
  return {};
}

/** DetachInstances and EnterStandby: instances leave service, with or without a replacement. */
function leaveService(
  ctx: RequestContext,
  input: { AutoScalingGroupName: string; InstanceIds?: string[]; ShouldDecrementDesiredCapacity: boolean },
  to: 'Detaching' | 'Standby',
) {
  const g = needGroup(ctx, input.AutoScalingGroupName);
  const ids = input.InstanceIds ?? [];
  for (const id of ids) {
    const i = instanceIn(g, id);
    if (to === 'Standby' && i.LifecycleState !== 'InService') throw errors.validation(`The instance ${id} is not in InService.`);
    if (to === 'Detaching' && !(i.LifecycleState === 'InService' || i.LifecycleState === 'Standby'))
      throw errors.validation(`The instance ${id} is not in InService or Standby.`);
  }
  if (input.ShouldDecrementDesiredCapacity)
    checkDecrement(
      g,
      ids.filter((id) => instanceIn(g, id).LifecycleState !== 'Standby').length,
      to === 'Standby' ? 'move to standby' : 'detach',
    );
  const now = ctx.cloud.clock.now();
  const after = updateGroup(ctx.cloud, ctx.region, g.AutoScalingGroupName, (x) => {
    for (const id of ids) {
      const i = instanceIn(x, id);
      if (input.ShouldDecrementDesiredCapacity && i.LifecycleState !== 'Standby') x.DesiredCapacity -= 1;
      i.LifecycleState = to;
    }
  }) as GroupRecord;
  const activities = ids.map((id) =>
    startActivity(ctx.cloud, ctx.region, after, {
      Description: to === 'Standby' ? `Moving EC2 instance to Standby: ${id}` : `Detaching EC2 instance: ${id}`,
      Cause: cause(now, to === 'Standby' ? causes.enterStandby(id) : causes.detach(id)),
      StatusCode: 'Successful',
    }),
  );
  groupChanged(ctx.cloud);
  return { Activities: activities.map(presentActivity) };
}

export const detachInstances = (
  input: { AutoScalingGroupName: string; InstanceIds?: string[]; ShouldDecrementDesiredCapacity: boolean },
  ctx: RequestContext,
) => leaveService(ctx, input, 'Detaching');
export const enterStandby = (
  input: { AutoScalingGroupName: string; InstanceIds?: string[]; ShouldDecrementDesiredCapacity: boolean },
  ctx: RequestContext,
) => leaveService(ctx, input, 'Standby');

export function exitStandby(input: { AutoScalingGroupName: string; InstanceIds?: string[] }, ctx: RequestContext) {
  const g = needGroup(ctx, input.AutoScalingGroupName);
  const ids = input.InstanceIds ?? [];
  for (const id of ids)
    if (instanceIn(g, id).LifecycleState !== 'Standby') throw errors.validation(`The instance ${id} is not in Standby.`);
  if (g.DesiredCapacity + ids.length > g.MaxSize) {
    throw errors.validation(
      `AutoScalingGroup ${g.AutoScalingGroupName} has min-size=${g.MinSize}, max-size=${g.MaxSize}, and desired-size=${g.DesiredCapacity}. To move ${ids.length} instance${ids.length === 1 ? '' : 's'} out of standby, please update the AutoScalingGroup sizes appropriately.`,
    );
  }
  const now = ctx.cloud.clock.now();
  const activities = ids.map((id) =>
    startActivity(ctx.cloud, ctx.region, g, {
      Description: `Moving EC2 instance out of Standby: ${id}`,
      Cause: cause(now, causes.exitStandby(id)),
    }),
  );
  updateGroup(ctx.cloud, ctx.region, g.AutoScalingGroupName, (x) => {
    ids.forEach((id, n) => {
      const i = instanceIn(x, id);
      // Back through Pending: the controller puts it InService (and ends the activity) as for a launch.
      Object.assign(i, { LifecycleState: 'Pending', ActivityId: activities[n].ActivityId });
    });
    x.DesiredCapacity += ids.length;
  });
  groupChanged(ctx.cloud);
  return { Activities: activities.map(presentActivity) };
}

export function setInstanceProtection(
  input: { AutoScalingGroupName: string; InstanceIds: string[]; ProtectedFromScaleIn: boolean },
  ctx: RequestContext,
) {
  const g = needGroup(ctx, input.AutoScalingGroupName);
  for (const id of input.InstanceIds) instanceIn(g, id);
  updateGroup(ctx.cloud, ctx.region, g.AutoScalingGroupName, (x) => {
    for (const id of input.InstanceIds) instanceIn(x, id).ProtectedFromScaleIn = input.ProtectedFromScaleIn;
  });
  return {};
}
