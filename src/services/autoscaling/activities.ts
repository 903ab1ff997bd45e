import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../cloud.js';
import { paginate, withoutPaging } from '../../protocol/paginate.js';
import type { RequestContext } from '../types.js';
import { errors } from './errors.js';
import { notify } from './notifications.js';
import { activities, groups, type ActivityRecord, type GroupRecord } from './state.js';

/** AWS writes activity times to the second, without milliseconds: `2026-01-01T00:00:00Z`. */
export const at = (ms: number) => `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;

/** The causes AWS writes, each prefixed with `At <time> ` by `cause()`. */
export const causes = {
  capacityIncrease: (from: number, to: number) =>
    `an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${from} to ${to}.`,
  capacityDecrease: (from: number, to: number) =>
    `an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${from} to ${to}.`,
  terminatedOrStopped: () =>
    'an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.',
  statusCheckFailure: () => 'an instance was taken out of service in response to an EC2 instance status checks failure.',
  userHealth: () => 'an instance was taken out of service in response to a user health-check.',
  userTerminate: (id: string) => `instance ${id} was taken out of service in response to a user request.`,
  userTerminateShrink: (id: string, from: number, to: number) =>
    `instance ${id} was taken out of service in response to a user request, shrinking the capacity from ${from} to ${to}.`,
  userSetDesired: (from: number, to: number) =>
    `a user request explicitly set group desired capacity changing the desired capacity from ${from} to ${to}.`,
  userUpdate: (min: number, max: number, desired: number, from: number) =>
    `a user request update of AutoScalingGroup constraints to min: ${min}, max: ${max}, desired: ${desired} changing the desired capacity from ${from} to ${desired}.`,
  userCreate: (desired: number) => `a user request created an AutoScalingGroup changing the desired capacity from 0 to ${desired}.`,
  rebalanceLaunch: () => "an instance was launched to aid in balancing the group's zones.",
  rebalanceTerminate: (from: number, to: number) =>
    `instances were launched to balance instances in zones with other zones resulting in more than desired number of instances in the group. An instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${from} to ${to}.`,
  maxLifetime: () => 'an instance was taken out of service because it reached its maximum instance lifetime.',
  attach: (ids: string[]) => `a user request attached instance(s) ${ids.join(', ')} to the AutoScalingGroup.`,
  detach: (id: string) => `a user request detached instance ${id} from the AutoScalingGroup.`,
  enterStandby: (id: string) => `instance ${id} was moved to standby in response to a user request.`,
  exitStandby: (id: string) => `instance ${id} was moved out of standby in response to a user request.`,
  forceDelete: () => 'a user request forced the deletion of the AutoScalingGroup, terminating its instances.',
};

export const cause = (when: number, text: string) => `At ${at(when)} ${text}`;

/** Activities sort by group, then start time, then the order they were recorded in (a cloud-wide sequence). */
function key(cloud: Cloud, group: string, start: number, id: string): string {
  const seq = Number(cloud.store.meta('autoscaling.activitySeq') ?? '0') + 1;
  cloud.store.setMeta('autoscaling.activitySeq', String(seq));
  return `${group}\n${String(start).padStart(15, '0')}\n${String(seq).padStart(12, '0')}\n${id}`;
}

export interface NewActivity {
  Description: string;
  Cause: string;
  StatusCode?: ActivityRecord['StatusCode'];
  StatusMessage?: string;
  Details?: Record<string, string>;
  /** The notification event this activity reports when it ends (or at once when it starts ended). */
  event?: NotificationEvent;
  instanceId?: string;
  /** An id chosen beforehand (a launch records its intent with it before calling EC2). */
  ActivityId?: string;
}

export type NotificationEvent =
  | 'autoscaling:EC2_INSTANCE_LAUNCH'
  | 'autoscaling:EC2_INSTANCE_LAUNCH_ERROR'
  | 'autoscaling:EC2_INSTANCE_TERMINATE'
  | 'autoscaling:EC2_INSTANCE_TERMINATE_ERROR';

/** Records a scaling activity of a group; one that starts ended (Successful, Failed) notifies at once. */
export function startActivity(cloud: Cloud, region: string, g: GroupRecord, a: NewActivity): ActivityRecord {
  const now = cloud.clock.now();
  const record: ActivityRecord = {
    ActivityId: a.ActivityId ?? randomUUID(),
    AutoScalingGroupName: g.AutoScalingGroupName,
    AutoScalingGroupARN: g.AutoScalingGroupARN,
    Description: a.Description,
    Cause: a.Cause,
    StartTime: now,
    StatusCode: a.StatusCode ?? 'InProgress',
    StatusMessage: a.StatusMessage,
    Progress: a.StatusCode && a.StatusCode !== 'InProgress' ? 100 : 0,
    Details: JSON.stringify(a.Details ?? {}),
  };
  if (record.StatusCode !== 'InProgress') record.EndTime = now;
  activities(cloud).put(region, key(cloud, g.AutoScalingGroupName, now, record.ActivityId), record);
  if (record.EndTime !== undefined && a.event) notify(cloud, region, g, a.event, record, a.instanceId);
  return record;
}

/** Ends an activity (Successful, Failed, Cancelled) and sends its notification; `at` when it ended with a state change. */
export function endActivity(
  cloud: Cloud,
  region: string,
  g: GroupRecord,
  activityId: string | undefined,
  status: ActivityRecord['StatusCode'],
  event?: NotificationEvent,
  instanceId?: string,
  message?: string,
  at = cloud.clock.now(),
): void {
  if (!activityId) return;
  const found = findActivity(cloud, region, g.AutoScalingGroupName, activityId);
  if (!found || found.value.EndTime !== undefined) return;
  const done: ActivityRecord = {
    ...found.value,
    StatusCode: status,
    Progress: 100,
    EndTime: at,
    StatusMessage: message ?? found.value.StatusMessage,
  };
  activities(cloud).put(region, found.id, done);
  if (event) notify(cloud, region, g, event, done, instanceId);
}

/** Changes the status of an activity still running (MidLifecycleAction while an instance waits for its hooks). */
export function setActivityStatus(
  cloud: Cloud,
  region: string,
  group: string,
  activityId: string | undefined,
  status: ActivityRecord['StatusCode'],
): void {
  const found = activityId ? findActivity(cloud, region, group, activityId) : undefined;
  if (found && found.value.EndTime === undefined) activities(cloud).put(region, found.id, { ...found.value, StatusCode: status });
}

function findActivity(cloud: Cloud, region: string, group: string, activityId: string): { id: string; value: ActivityRecord } | undefined {
  const rows = cloud.store.db
    .prepare<[string, string, string], { id: string; data: string }>(
      "SELECT id, data FROM resources WHERE kind = 'autoscaling.activity' AND scope = ? AND id >= ? AND id < ? ORDER BY id DESC",
    )
    .all(region, `${group}\n`, `${group}\n\uffff`);
  for (const r of rows) if (r.id.endsWith(`\n${activityId}`)) return { id: r.id, value: JSON.parse(r.data) as ActivityRecord };
  return undefined;
}

/** Whether a group has an activity still in progress. */
export function hasActivityInProgress(cloud: Cloud, region: string, group: string): boolean {
  return activitiesOf(cloud, region, group).some((a) => a.StatusCode === 'InProgress' || a.StatusCode === 'PreInService');
}

/** The group's newest activity (the one a cooldown follows). */
export function latestActivity(cloud: Cloud, region: string, group: string): ActivityRecord | undefined {
  return activitiesOf(cloud, region, group)[0];
}

/** When the last of the group's activities started at or after `since` ended (undefined when none has). */
export function lastActivityEndSince(cloud: Cloud, region: string, group: string, since: number): number | undefined {
  let end: number | undefined;
  for (const a of activitiesOf(cloud, region, group)) {
    if (a.StartTime < since) break;
    if (a.EndTime !== undefined && (end === undefined || a.EndTime > end)) end = a.EndTime;
  }
  return end;
}

/**
 * A group's activities, newest first: those of the group that exists now under that name (its ARN), or, with
 * `includeDeleted`, also those of deleted groups of that name.
 */
function activitiesOf(cloud: Cloud, region: string, group: string, includeDeleted = false): ActivityRecord[] {
  const arn = groups(cloud).get(region, group)?.AutoScalingGroupARN;
  return cloud.store.db
    .prepare<[string, string, string], { data: string }>(
      "SELECT data FROM resources WHERE kind = 'autoscaling.activity' AND scope = ? AND id >= ? AND id < ? ORDER BY id DESC",
    )
    .all(region, `${group}\n`, `${group}\n\uffff`)
    .map((r) => JSON.parse(r.data) as ActivityRecord)
    .filter((a) => includeDeleted || a.AutoScalingGroupARN === arn);
}

/** AWS keeps scaling activities for six weeks. */
export const ACTIVITY_RETENTION_MS = 42 * 24 * 3_600_000;

/** Deletes activities older than the retention (cloud time). */
export function pruneActivities(cloud: Cloud, now: number): void {
  const rows = cloud.store.db
    .prepare<[], { scope: string; id: string }>("SELECT scope, id FROM resources WHERE kind = 'autoscaling.activity'")
    .all();
  const cutoff = String(now - ACTIVITY_RETENTION_MS).padStart(15, '0');
  const old = rows.filter((r) => (r.id.split('\n')[1] ?? '') < cutoff);
  if (!old.length) return;
  cloud.store.tx(() => {
    for (const r of old) activities(cloud).delete(r.scope, r.id);
  });
}

const present = (a: ActivityRecord, state?: 'InService' | 'Deleted') => ({
  ActivityId: a.ActivityId,
  AutoScalingGroupName: a.AutoScalingGroupName,
  AutoScalingGroupARN: a.AutoScalingGroupARN,
  Description: a.Description,
  Cause: a.Cause,
  StartTime: new Date(a.StartTime),
  EndTime: a.EndTime === undefined ? undefined : new Date(a.EndTime),
  StatusCode: a.StatusCode,
  StatusMessage: a.StatusMessage,
  Progress: a.Progress,
  Details: a.Details,
  AutoScalingGroupState: state,
});

/** DescribeScalingActivities: newest first, 100 a page by default (at most 100), of one group or all. */
export function describeScalingActivities(
  input: { ActivityIds?: string[]; AutoScalingGroupName?: string; IncludeDeletedGroups?: boolean; MaxRecords?: number; NextToken?: string },
  ctx: RequestContext,
) {
  const { cloud, region } = ctx;
  if (input.ActivityIds && input.ActivityIds.length > 50) throw errors.validation('The maximum number of activity IDs is 50.');
  let list: ActivityRecord[];
  if (input.AutoScalingGroupName) {
    if (!groups(cloud).get(region, input.AutoScalingGroupName) && !input.IncludeDeletedGroups)
      throw errors.groupNotFound(input.AutoScalingGroupName);
    list = activitiesOf(cloud, region, input.AutoScalingGroupName, input.IncludeDeletedGroups);
  } else {
    const live = new Set(
      groups(cloud)
        .list(region)
        .map((g) => g.AutoScalingGroupARN),
    );
    list = activities(cloud)
      .list(region)
      .filter((a) => input.IncludeDeletedGroups || live.has(a.AutoScalingGroupARN))
      .sort((a, b) => b.StartTime - a.StartTime);
  }
  if (input.ActivityIds?.length) list = list.filter((a) => input.ActivityIds?.includes(a.ActivityId));
  const page = paginate(list, {
    token: input.NextToken,
    max: input.MaxRecords,
    defaultMax: 100,
    limit: 100,
    bind: withoutPaging(input, 'NextToken', 'MaxRecords'),
    badToken: () => errors.invalidNextToken(),
    badSize: (n) => errors.validation(`MaxRecords must be between 1 and 100, got ${n}.`),
  });
  // With IncludeDeletedGroups, each activity says whether its group is still there (InService) or Deleted.
  const stateOf = (a: ActivityRecord) => {
    if (!input.IncludeDeletedGroups) return undefined;
    return groups(cloud).get(region, a.AutoScalingGroupName)?.AutoScalingGroupARN === a.AutoScalingGroupARN ? 'InService' : 'Deleted';
  };
  return { Activities: page.items.map((a) => present(a, stateOf(a))), NextToken: page.next };
}
