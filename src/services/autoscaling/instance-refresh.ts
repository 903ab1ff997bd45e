import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../cloud.js';
import type { Table } from '../../store/db.js';
import type { RequestContext } from '../types.js';
import type { GroupController } from './controller.js';
import { errors } from './errors.js';
import { autoScalingPage } from './paging.js';
import { groupChanged } from './events.js';
import { isSuspended } from './processes.js';
import type { StartInstanceRefreshInput } from './generated/types.js';
import { groups, isTerminating, needGroup, updateGroup, type GroupInstance, type GroupRecord, type LaunchTemplateSpec } from './state.js';

type Status =
  | 'Pending'
  | 'InProgress'
  | 'Successful'
  | 'Failed'
  | 'Cancelling'
  | 'Cancelled'
  | 'RollbackInProgress'
  | 'RollbackFailed'
  | 'RollbackSuccessful'
  | 'Baking';
const ACTIVE: Status[] = ['Pending', 'InProgress', 'Cancelling', 'RollbackInProgress', 'Baking'];

export interface RefreshPreferences {
  MinHealthyPercentage: number;
  MaxHealthyPercentage: number;
  InstanceWarmup?: number;
  CheckpointPercentages?: number[];
  CheckpointDelay?: number;
  SkipMatching: boolean;
  AutoRollback: boolean;
  ScaleInProtectedInstances: 'Refresh' | 'Ignore' | 'Wait';
  StandbyInstances: 'Terminate' | 'Ignore' | 'Wait';
}

interface GroupConfig {
  LaunchConfigurationName?: string;
  LaunchTemplate?: LaunchTemplateSpec;
}

/** An instance refresh (table `autoscaling.instanceRefresh`, scope region, id `<group>\n<start, padded>\n<id>`). */
export interface RefreshRecord {
  InstanceRefreshId: string;
  AutoScalingGroupName: string;
  Status: Status;
  StatusReason?: string;
  StartTime: number;
  EndTime?: number;
  PercentageComplete: number;
  InstancesToUpdate: number;
  Preferences: RefreshPreferences;
  DesiredConfiguration?: { LaunchTemplate?: LaunchTemplateSpec };
  /** The group's launch configuration or template before the refresh (what a rollback returns to). */
  Previous: GroupConfig;
  /** The instances to replace, as found when the refresh (or its rollback) began. */
  ToReplace: string[];
  Total: number;
  /** Launch before terminate: instances added above desired capacity for the batch in flight. */
  Surge: number;
  CheckpointsReached: number[];
  CheckpointUntil?: number;
  RollbackDetails?: {
    RollbackReason: string;
    RollbackStartTime: number;
    PercentageCompleteOnRollback: number;
    InstancesToUpdateOnRollback: number;
  };
}

export const refreshes = (cloud: Cloud): Table<RefreshRecord> => cloud.store.table('autoscaling.instanceRefresh');
const key = (r: Pick<RefreshRecord, 'AutoScalingGroupName' | 'StartTime' | 'InstanceRefreshId'>) =>
  `${r.AutoScalingGroupName}\n${String(r.StartTime).padStart(15, '0')}\n${r.InstanceRefreshId}`;
const ofGroup = (cloud: Cloud, region: string, group: string) =>
  refreshes(cloud)
    .list(region)
    .filter((r) => r.AutoScalingGroupName === group)
    .sort((a, b) => b.StartTime - a.StartTime);
export const activeRefreshOf = (cloud: Cloud, region: string, group: string) =>
  ofGroup(cloud, region, group).find((r) => ACTIVE.includes(r.Status));

export const DEFAULT_CHECKPOINT_DELAY = 3600;

/** Instances a refresh replaces: in service or pending, not protected or on standby unless the preferences say so. */
function candidates(g: GroupRecord, p: RefreshPreferences): GroupInstance[] {
  return g.Instances.filter(
    (i) =>
      (i.LifecycleState === 'InService' || i.LifecycleState.startsWith('Pending')) &&
      !(i.ProtectedFromScaleIn && p.ScaleInProtectedInstances === 'Ignore'),
  ).concat(p.StandbyInstances === 'Terminate' ? g.Instances.filter((i) => i.LifecycleState === 'Standby') : []);
}

const sameTemplate = (a?: LaunchTemplateSpec, b?: LaunchTemplateSpec) =>
  !!a &&
  !!b &&
  (a.LaunchTemplateId ?? a.LaunchTemplateName) === (b.LaunchTemplateId ?? b.LaunchTemplateName) &&
  (a.Version ?? '$Default') === (b.Version ?? '$Default');

/** SkipMatching: an instance already launched from the group's configuration is left alone. */
const matches = (i: GroupInstance, g: GroupRecord) =>
  g.LaunchConfigurationName ? i.LaunchConfigurationName === g.LaunchConfigurationName : sameTemplate(i.LaunchTemplate, g.LaunchTemplate);

const SCALE_IN_PROTECTED = ['Refresh', 'Ignore', 'Wait'] as const;
const STANDBY = ['Terminate', 'Ignore', 'Wait'] as const;

export function startInstanceRefresh(input: StartInstanceRefreshInput, ctx: RequestContext) {
  const { cloud, region } = ctx;
  const g = needGroup(ctx, input.AutoScalingGroupName);
  if (input.Strategy !== undefined && input.Strategy !== 'Rolling')
    throw errors.validation(`Invalid Strategy ${input.Strategy}. The only strategy is Rolling.`);
  if (activeRefreshOf(cloud, region, g.AutoScalingGroupName)) throw errors.refreshInProgress(g.AutoScalingGroupName);
  if (input.DesiredConfiguration?.MixedInstancesPolicy)
    throw errors.validation('This cloud does not run mixed instances policies: give DesiredConfiguration.LaunchTemplate.');
  const q = input.Preferences ?? {};
  const min = q.MinHealthyPercentage ?? 90;
  const max = q.MaxHealthyPercentage ?? 100;
  if (min < 0 || min > 100) throw errors.validation('MinHealthyPercentage must be between 0 and 100.');
  if (max < 100 || max > 200) throw errors.validation('MaxHealthyPercentage must be between 100 and 200.');
  if (max - min > 100)
    throw errors.validation('The difference between MaxHealthyPercentage and MinHealthyPercentage cannot be greater than 100.');
  if (min === 100 && max === 100) throw errors.validation('MinHealthyPercentage of 100 requires a MaxHealthyPercentage greater than 100.');
  const checkpoints = q.CheckpointPercentages;
  if (checkpoints?.some((c, n) => c < 1 || c > 100 || (n > 0 && c <= checkpoints[n - 1])))
    throw errors.validation('CheckpointPercentages must be increasing values between 1 and 100.');
  if (q.CheckpointDelay !== undefined && !checkpoints?.length) throw errors.validation('CheckpointDelay requires CheckpointPercentages.');
  if (q.AutoRollback && !input.DesiredConfiguration) throw errors.validation('AutoRollback requires a DesiredConfiguration.');
  const prefs: RefreshPreferences = {
    MinHealthyPercentage: min,
    MaxHealthyPercentage: max,
    InstanceWarmup: q.InstanceWarmup,
    CheckpointPercentages: checkpoints,
    CheckpointDelay: checkpoints?.length ? (q.CheckpointDelay ?? DEFAULT_CHECKPOINT_DELAY) : undefined,
    SkipMatching: q.SkipMatching ?? false,
    AutoRollback: q.AutoRollback ?? false,
    // The model's enums (the protocol layer refuses any other value).
    ScaleInProtectedInstances: SCALE_IN_PROTECTED.find((v) => v === q.ScaleInProtectedInstances) ?? 'Ignore',
    StandbyInstances: STANDBY.find((v) => v === q.StandbyInstances) ?? 'Ignore',
  };
  const previous: GroupConfig = { LaunchConfigurationName: g.LaunchConfigurationName, LaunchTemplate: g.LaunchTemplate };
  // The group launches from the desired configuration while the refresh runs (DescribeAutoScalingGroups still shows
  // the previous one); it stays the group's only if the refresh succeeds: a cancel, a failure or a rollback restores the previous one.
  const after = input.DesiredConfiguration?.LaunchTemplate
    ? (updateGroup(cloud, region, g.AutoScalingGroupName, (x) => {
        x.LaunchTemplate = input.DesiredConfiguration?.LaunchTemplate;
        x.LaunchConfigurationName = undefined;
      }) as GroupRecord)
    : g;
  const list = candidates(after, prefs)
    .filter((i) => !(prefs.SkipMatching && matches(i, after)))
    .map((i) => i.InstanceId);
  const now = cloud.clock.now();
  const r: RefreshRecord = {
    InstanceRefreshId: randomUUID(),
    AutoScalingGroupName: g.AutoScalingGroupName,
    Status: 'Pending',
    StartTime: now,
    PercentageComplete: 0,
    InstancesToUpdate: list.length,
    Preferences: prefs,
    DesiredConfiguration: input.DesiredConfiguration?.LaunchTemplate
      ? { LaunchTemplate: input.DesiredConfiguration.LaunchTemplate }
      : undefined,
    Previous: previous,
    ToReplace: list,
    Total: list.length,
    Surge: 0,
    CheckpointsReached: [],
  };
  refreshes(cloud).put(region, key(r), r);
  groupChanged(cloud);
  return { InstanceRefreshId: r.InstanceRefreshId };
}

const present = (r: RefreshRecord) => ({
  InstanceRefreshId: r.InstanceRefreshId,
  AutoScalingGroupName: r.AutoScalingGroupName,
  Status: r.Status,
  StatusReason: r.StatusReason,
  StartTime: new Date(r.StartTime),
  EndTime: r.EndTime === undefined ? undefined : new Date(r.EndTime),
  PercentageComplete: r.PercentageComplete,
  InstancesToUpdate: r.InstancesToUpdate,
  ProgressDetails: { LivePoolProgress: { PercentageComplete: r.PercentageComplete, InstancesToUpdate: r.InstancesToUpdate } },
  Preferences: r.Preferences,
  DesiredConfiguration: r.DesiredConfiguration,
  RollbackDetails: r.RollbackDetails && { ...r.RollbackDetails, RollbackStartTime: new Date(r.RollbackDetails.RollbackStartTime) },
  Strategy: 'Rolling',
});

export function describeInstanceRefreshes(
  input: { AutoScalingGroupName: string; InstanceRefreshIds?: string[]; MaxRecords?: number; NextToken?: string },
  ctx: RequestContext,
) {
  needGroup(ctx, input.AutoScalingGroupName);
  let list = ofGroup(ctx.cloud, ctx.region, input.AutoScalingGroupName);
  if (input.InstanceRefreshIds?.length) list = list.filter((r) => input.InstanceRefreshIds?.includes(r.InstanceRefreshId));
  const page = autoScalingPage(list, input);
  return { InstanceRefreshes: page.items.map(present), NextToken: page.next };
}

function save(cloud: Cloud, region: string, r: RefreshRecord): void {
  refreshes(cloud).put(region, key(r), r);
}

export function cancelInstanceRefresh(input: { AutoScalingGroupName: string }, ctx: RequestContext) {
  needGroup(ctx, input.AutoScalingGroupName);
  const r = activeRefreshOf(ctx.cloud, ctx.region, input.AutoScalingGroupName);
  if (!r || r.Status === 'Cancelling' || r.Status === 'RollbackInProgress') throw errors.noActiveRefresh(input.AutoScalingGroupName);
  // The desired configuration never becomes the group's: what launches while the refresh is Cancelling (the
  // replacements in flight finish first) launches from the configuration the group had before it.
  if (r.DesiredConfiguration) restorePrevious(ctx.cloud, ctx.region, r);
  save(ctx.cloud, ctx.region, { ...r, Status: 'Cancelling', StatusReason: "Instance refresh is being cancelled at the user's request." });
  groupChanged(ctx.cloud);
  return { InstanceRefreshId: r.InstanceRefreshId };
}

/** The group's configuration from before the refresh becomes its configuration again. */
function restorePrevious(cloud: Cloud, region: string, r: RefreshRecord): GroupRecord | undefined {
  return updateGroup(cloud, region, r.AutoScalingGroupName, (x) => {
    x.LaunchConfigurationName = r.Previous.LaunchConfigurationName;
    x.LaunchTemplate = r.Previous.LaunchTemplate;
  });
}

function beginRollback(cloud: Cloud, region: string, r: RefreshRecord, reason: string): RefreshRecord {
  restorePrevious(cloud, region, r);
  const g = updateGroup(cloud, region, r.AutoScalingGroupName, (x) => {
    if (r.Surge) x.DesiredCapacity = Math.max(x.MinSize, x.DesiredCapacity - r.Surge);
  });
  // What the refresh launched goes back to the previous configuration.
  const launched = g
    ? candidates(g, r.Preferences)
        .filter((i) => !r.ToReplace.includes(i.InstanceId))
        .map((i) => i.InstanceId)
    : [];
  const next: RefreshRecord = {
    ...r,
    Status: 'RollbackInProgress',
    StatusReason: reason,
    Surge: 0,
    CheckpointUntil: undefined,
    RollbackDetails: {
      RollbackReason: reason,
      RollbackStartTime: cloud.clock.now(),
      PercentageCompleteOnRollback: r.PercentageComplete,
      InstancesToUpdateOnRollback: r.InstancesToUpdate,
    },
    ToReplace: launched,
    Total: launched.length,
    PercentageComplete: 0,
    InstancesToUpdate: launched.length,
    CheckpointsReached: [],
  };
  save(cloud, region, next);
  groupChanged(cloud);
  return next;
}

export function rollbackInstanceRefresh(input: { AutoScalingGroupName: string }, ctx: RequestContext) {
  needGroup(ctx, input.AutoScalingGroupName);
  const r = activeRefreshOf(ctx.cloud, ctx.region, input.AutoScalingGroupName);
  if (!r || r.Status === 'Cancelling' || r.Status === 'RollbackInProgress') throw errors.noActiveRefresh(input.AutoScalingGroupName);
  if (!r.DesiredConfiguration)
    throw errors.irreversibleRefresh(
      'The request failed because a desired configuration was not found for the instance refresh; it cannot be rolled back.',
    );
  beginRollback(ctx.cloud, ctx.region, r, 'Rollback started by user request.');
  return { InstanceRefreshId: r.InstanceRefreshId };
}

/** Launch failures in a row after which a refresh fails. */
const FAILED_LAUNCHES = 3;

/**
 * Moves the group's active refresh on by one step: instances are replaced in batches that keep at least
 * MinHealthyPercentage of desired capacity healthy and in service (terminate, then the controller launches), or,
 * with MaxHealthyPercentage above 100, launched first up to that percentage and the old ones then terminated. A
 * replacement counts once it is InService and healthy for the warmup; checkpoints pause it; a suspended
 * InstanceRefresh process pauses it; repeated launch failures fail it (and roll it back with AutoRollback).
 */
export async function stepRefresh(cloud: Cloud, controller: GroupController, region: string, group: string): Promise<void> {
  let r = activeRefreshOf(cloud, region, group);
  const g = groups(cloud).get(region, group);
  if (!r || !g) return;
  const now = cloud.clock.now();
  if (r.Status === 'Pending') {
    r = { ...r, Status: 'InProgress', StatusReason: undefined };
    save(cloud, region, r);
  }
  const warmup = (r.Preferences.InstanceWarmup ?? g.DefaultInstanceWarmup ?? g.HealthCheckGracePeriod) * 1000;
  const inFlight = g.Launches.length > 0 || g.Instances.some((i) => i.LifecycleState.startsWith('Pending') || isTerminating(i));
  const remaining = r.ToReplace.filter((id) => g.Instances.some((i) => i.InstanceId === id && !isTerminating(i)));
  const replacing = new Set(r.ToReplace);
  const fresh = g.Instances.filter((i) => !replacing.has(i.InstanceId) && i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy');
  const warmed = fresh.filter((i) => now >= (i.InServiceAt ?? now) + warmup);
  const done = Math.min(r.Total - remaining.length, warmed.length);
  const progress = { PercentageComplete: r.Total ? Math.floor((100 * done) / r.Total) : 100, InstancesToUpdate: r.Total - done };
  r = { ...r, ...progress };
  const finish = (status: Status, reason?: string) => {
    const ended = r as RefreshRecord;
    if ((status === 'Cancelled' || status === 'Failed') && ended.DesiredConfiguration) restorePrevious(cloud, region, ended);
    save(cloud, region, { ...ended, Status: status, StatusReason: reason, EndTime: now });
    groupChanged(cloud);
  };

  if (r.Status === 'Cancelling') {
    if (r.Surge) {
      updateGroup(cloud, region, group, (x) => {
        x.DesiredCapacity = Math.max(x.MinSize, x.DesiredCapacity - (r as RefreshRecord).Surge);
      });
      r.Surge = 0;
    }
    if (!inFlight) finish('Cancelled', "Instance refresh was cancelled at the user's request.");
    else save(cloud, region, r);
    return;
  }
  const rollingBack = r.Status === 'RollbackInProgress';
  if (!remaining.length && done >= r.Total && !inFlight && r.Surge === 0) {
    finish(rollingBack ? 'RollbackSuccessful' : 'Successful', rollingBack ? r.StatusReason : undefined);
    return;
  }
  if (g.LaunchFailures >= FAILED_LAUNCHES) {
    const reason = `Instance refresh failed: ${g.LaunchFailures} launches in a row failed (see the scaling activities).`;
    if (!rollingBack && r.Preferences.AutoRollback && r.DesiredConfiguration) beginRollback(cloud, region, r, reason);
    else finish(rollingBack ? 'RollbackFailed' : 'Failed', reason);
    return;
  }
  save(cloud, region, r);
  if (isSuspended(g, 'InstanceRefresh') || isSuspended(g, 'Launch') || isSuspended(g, 'Terminate')) return;
  if (r.CheckpointUntil !== undefined) {
    if (now < r.CheckpointUntil) return;
    r = { ...r, CheckpointUntil: undefined, StatusReason: undefined };
    save(cloud, region, r);
  }
  const checkpoint = rollingBack
    ? undefined
    : r.Preferences.CheckpointPercentages?.find((c) => !(r as RefreshRecord).CheckpointsReached.includes(c));
  if (checkpoint !== undefined && r.PercentageComplete >= checkpoint && !inFlight) {
    r = { ...r, CheckpointsReached: [...r.CheckpointsReached, checkpoint] };
    if (checkpoint < 100 && remaining.length) {
      r.CheckpointUntil = now + (r.Preferences.CheckpointDelay ?? DEFAULT_CHECKPOINT_DELAY) * 1000;
      r.StatusReason = `Waiting at checkpoint ${checkpoint}% for ${r.Preferences.CheckpointDelay ?? DEFAULT_CHECKPOINT_DELAY} seconds.`;
    }
    save(cloud, region, r);
    return;
  }
  // One batch at a time: the last one must be launched, in service and warmed up.
  if (inFlight || fresh.length > warmed.length || !remaining.length) return;
  const why = `an instance was taken out of service in response to an instance refresh.`;
  const old = g.Instances.filter((i) => remaining.includes(i.InstanceId)).sort((a, b) => a.LaunchedAt - b.LaunchedAt);
  if (r.Preferences.MaxHealthyPercentage > 100) {
    if (r.Surge > 0) {
      const batch = old.slice(0, r.Surge);
      save(cloud, region, { ...r, Surge: 0 });
      for (const i of batch) await controller.beginTermination(region, group, i.InstanceId, why, true);
    } else {
      const room = Math.max(1, Math.floor((g.DesiredCapacity * r.Preferences.MaxHealthyPercentage) / 100) - g.DesiredCapacity);
      const batch = Math.min(room, remaining.length);
      save(cloud, region, { ...r, Surge: batch });
      updateGroup(cloud, region, group, (x) => {
        x.DesiredCapacity += batch;
      });
    }
  } else {
    const healthy = g.Instances.filter((i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy').length;
    const minHealthy = Math.ceil((g.DesiredCapacity * r.Preferences.MinHealthyPercentage) / 100);
    const batch = Math.min(remaining.length, Math.max(1, healthy - minHealthy));
    for (const i of old.slice(0, batch)) await controller.beginTermination(region, group, i.InstanceId, why, false);
  }
  groupChanged(cloud);
}

export function forgetRefreshes(cloud: Cloud, region: string, group: string): void {
  for (const r of ofGroup(cloud, region, group)) refreshes(cloud).delete(region, key(r));
}
