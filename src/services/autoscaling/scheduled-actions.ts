import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../cloud.js';
import type { Table } from '../../store/db.js';
import type { RequestContext } from '../types.js';
import { cause } from './activities.js';
import { errors } from './errors.js';
import { autoScalingPage } from './paging.js';
import { groupChanged } from './events.js';
import { isSuspended } from './processes.js';
import { isTimeZone, nextRun, parseCron } from './recurrence.js';
import { groups, needGroup, updateGroup, type GroupRecord } from './state.js';

/** A scheduled action (table `autoscaling.scheduledAction`, scope region, id `<group>\n<name>`). Times are cloud time. */
export interface ScheduledActionRecord {
  ScheduledActionName: string;
  ScheduledActionARN: string;
  AutoScalingGroupName: string;
  StartTime?: number;
  EndTime?: number;
  Recurrence?: string;
  TimeZone?: string;
  MinSize?: number;
  MaxSize?: number;
  DesiredCapacity?: number;
  /** When it runs next; undefined once a one-time action has run. */
  NextRun?: number;
}

export const scheduledActions = (cloud: Cloud): Table<ScheduledActionRecord> => cloud.store.table('autoscaling.scheduledAction');
const key = (group: string, name: string) => `${group}\n${name}`;
const ofGroup = (cloud: Cloud, region: string, group: string) =>
  scheduledActions(cloud)
    .list(region)
    .filter((a) => a.AutoScalingGroupName === group);

export const SCHEDULED_ACTION_LIMIT = 125;

interface PutInput {
  AutoScalingGroupName: string;
  ScheduledActionName: string;
  Time?: Date | string;
  StartTime?: Date | string;
  EndTime?: Date | string;
  Recurrence?: string;
  MinSize?: number;
  MaxSize?: number;
  DesiredCapacity?: number;
  TimeZone?: string;
}

const ms = (d: Date | string | undefined) => (d === undefined ? undefined : new Date(d).getTime());

/** Checks one action and returns its record (not stored); throws AWS's ValidationError. */
function build(input: PutInput, ctx: RequestContext, g: GroupRecord): ScheduledActionRecord {
  const v = errors.validation;
  const now = ctx.cloud.clock.now();
  const start = ms(input.StartTime ?? input.Time);
  const end = ms(input.EndTime);
  if (input.MinSize === undefined && input.MaxSize === undefined && input.DesiredCapacity === undefined)
    throw v('At least one of MinSize, MaxSize or DesiredCapacity must be specified.');
  if (start !== undefined && start < now) throw v('Given start time is in the past');
  if (end !== undefined && end < now) throw v('Given end time is in the past');
  if (start !== undefined && end !== undefined && end <= start) throw v('Given end time is not after the start time');
  const min = input.MinSize ?? g.MinSize;
  const max = input.MaxSize ?? g.MaxSize;
  if (min > max) throw v(`The scheduled action's MinSize (${min}) is greater than its MaxSize (${max}).`);
  if (input.DesiredCapacity !== undefined && (input.DesiredCapacity < min || input.DesiredCapacity > max))
    throw v(`The scheduled action's DesiredCapacity (${input.DesiredCapacity}) must be between its MinSize (${min}) and MaxSize (${max}).`);
  if (input.TimeZone !== undefined && !input.Recurrence) throw v('TimeZone is only supported with Recurrence.');
  if (input.TimeZone !== undefined && !isTimeZone(input.TimeZone))
    throw v(`Invalid time zone ${input.TimeZone}: use an IANA time zone name such as America/New_York.`);
  let next: number | undefined = start;
  if (input.Recurrence) {
    let cron;
    try {
      cron = parseCron(input.Recurrence);
    } catch (err) {
      throw v(`Given recurrence string ${input.Recurrence} is invalid: ${(err as Error).message}`);
    }
    next = nextRun(cron, start !== undefined ? start - 1 : now, input.TimeZone ?? 'UTC');
  } else if (start === undefined) {
    throw v('Either StartTime or Recurrence must be specified.');
  }
  const existing = scheduledActions(ctx.cloud).get(ctx.region, key(g.AutoScalingGroupName, input.ScheduledActionName));
  return {
    ScheduledActionName: input.ScheduledActionName,
    ScheduledActionARN:
      existing?.ScheduledActionARN ??
      `arn:aws:autoscaling:${ctx.region}:${ctx.accountId}:scheduledUpdateGroupAction:${randomUUID()}:autoScalingGroupName/${g.AutoScalingGroupName}:scheduledActionName/${input.ScheduledActionName}`,
    AutoScalingGroupName: g.AutoScalingGroupName,
    StartTime: start,
    EndTime: end,
    Recurrence: input.Recurrence,
    TimeZone: input.TimeZone,
    MinSize: input.MinSize,
    MaxSize: input.MaxSize,
    DesiredCapacity: input.DesiredCapacity,
    NextRun: next,
  };
}

function store(ctx: RequestContext, r: ScheduledActionRecord): void {
  const k = key(r.AutoScalingGroupName, r.ScheduledActionName);
  if (
    !scheduledActions(ctx.cloud).get(ctx.region, k) &&
    ofGroup(ctx.cloud, ctx.region, r.AutoScalingGroupName).length >= SCHEDULED_ACTION_LIMIT
  ) {
    throw errors.limitExceeded('scheduled actions per Auto Scaling group', SCHEDULED_ACTION_LIMIT);
  }
  scheduledActions(ctx.cloud).put(ctx.region, k, r);
}

export function putScheduledUpdateGroupAction(input: PutInput, ctx: RequestContext) {
  const g = needGroup(ctx, input.AutoScalingGroupName);
  store(ctx, build(input, ctx, g));
  return {};
}

export function batchPutScheduledUpdateGroupAction(
  input: { AutoScalingGroupName: string; ScheduledUpdateGroupActions: Array<Omit<PutInput, 'AutoScalingGroupName'>> },
  ctx: RequestContext,
) {
  const g = needGroup(ctx, input.AutoScalingGroupName);
  const failed: Array<{ ScheduledActionName: string; ErrorCode: string; ErrorMessage: string }> = [];
  for (const a of input.ScheduledUpdateGroupActions) {
    try {
      store(ctx, build({ ...a, AutoScalingGroupName: g.AutoScalingGroupName }, ctx, g));
    } catch (err) {
      const e = err as { code?: string; message: string };
      failed.push({ ScheduledActionName: a.ScheduledActionName, ErrorCode: e.code ?? 'InternalFailure', ErrorMessage: e.message });
    }
  }
  return { FailedScheduledUpdateGroupActions: failed };
}

export function deleteScheduledAction(input: { AutoScalingGroupName: string; ScheduledActionName: string }, ctx: RequestContext) {
  needGroup(ctx, input.AutoScalingGroupName);
  const k = key(input.AutoScalingGroupName, input.ScheduledActionName);
  if (!scheduledActions(ctx.cloud).get(ctx.region, k)) throw errors.scheduledActionNotFound(input.ScheduledActionName);
  scheduledActions(ctx.cloud).delete(ctx.region, k);
  return {};
}

export function batchDeleteScheduledAction(input: { AutoScalingGroupName: string; ScheduledActionNames: string[] }, ctx: RequestContext) {
  needGroup(ctx, input.AutoScalingGroupName);
  const failed: Array<{ ScheduledActionName: string; ErrorCode: string; ErrorMessage: string }> = [];
  for (const name of input.ScheduledActionNames) {
    const k = key(input.AutoScalingGroupName, name);
    if (!scheduledActions(ctx.cloud).get(ctx.region, k)) {
      const e = errors.scheduledActionNotFound(name);
      failed.push({ ScheduledActionName: name, ErrorCode: e.code, ErrorMessage: e.message });
    } else {
      scheduledActions(ctx.cloud).delete(ctx.region, k);
    }
  }
  return { FailedScheduledActions: failed };
}

export function describeScheduledActions(
  input: {
    AutoScalingGroupName?: string;
    ScheduledActionNames?: string[];
    StartTime?: Date | string;
    EndTime?: Date | string;
    MaxRecords?: number;
    NextToken?: string;
  },
  ctx: RequestContext,
) {
  if (input.AutoScalingGroupName) needGroup(ctx, input.AutoScalingGroupName);
  let list = scheduledActions(ctx.cloud).list(ctx.region);
  if (input.AutoScalingGroupName) list = list.filter((a) => a.AutoScalingGroupName === input.AutoScalingGroupName);
  if (input.ScheduledActionNames?.length) list = list.filter((a) => input.ScheduledActionNames?.includes(a.ScheduledActionName));
  const from = ms(input.StartTime);
  const to = ms(input.EndTime);
  if (from !== undefined) list = list.filter((a) => a.NextRun !== undefined && a.NextRun >= from);
  if (to !== undefined) list = list.filter((a) => a.NextRun !== undefined && a.NextRun <= to);
  list.sort(
    (a, b) => a.AutoScalingGroupName.localeCompare(b.AutoScalingGroupName) || a.ScheduledActionName.localeCompare(b.ScheduledActionName),
  );
  const page = autoScalingPage(list, input);
  const date = (n: number | undefined) => (n === undefined ? undefined : new Date(n));
  return {
    ScheduledUpdateGroupActions: page.items.map((a) => ({
      AutoScalingGroupName: a.AutoScalingGroupName,
      ScheduledActionName: a.ScheduledActionName,
      ScheduledActionARN: a.ScheduledActionARN,
      Time: date(a.NextRun ?? a.StartTime),
      StartTime: date(a.NextRun ?? a.StartTime),
      EndTime: date(a.EndTime),
      Recurrence: a.Recurrence,
      MinSize: a.MinSize,
      MaxSize: a.MaxSize,
      DesiredCapacity: a.DesiredCapacity,
      TimeZone: a.TimeZone,
    })),
    NextToken: page.next,
  };
}

/**
 * Runs the group's actions that are due (those due while ScheduledActions is suspended are skipped, as on AWS),
 * then moves each to its next run; a one-time action, or one past its EndTime, is deleted.
 */
export function stepScheduledActions(cloud: Cloud, region: string, group: string): void {
  const now = cloud.clock.now();
  for (const a of ofGroup(cloud, region, group)) {
    const k = key(group, a.ScheduledActionName);
    if (a.EndTime !== undefined && now >= a.EndTime) {
      scheduledActions(cloud).delete(region, k);
      continue;
    }
    if (a.NextRun === undefined || now < a.NextRun) continue;
    const g = groups(cloud).get(region, group);
    if (g && !isSuspended(g, 'ScheduledActions')) run(cloud, region, g, a, now);
    const next = a.Recurrence ? nextRun(parseCron(a.Recurrence), now, a.TimeZone ?? 'UTC') : undefined;
    if (next === undefined || (a.EndTime !== undefined && next >= a.EndTime)) scheduledActions(cloud).delete(region, k);
    else scheduledActions(cloud).put(region, k, { ...a, NextRun: next });
  }
}

function run(cloud: Cloud, region: string, g: GroupRecord, a: ScheduledActionRecord, now: number): void {
  updateGroup(cloud, region, g.AutoScalingGroupName, (x) => {
    const min = a.MinSize ?? x.MinSize;
    const max = a.MaxSize ?? x.MaxSize;
    const desired = Math.min(max, Math.max(min, a.DesiredCapacity ?? x.DesiredCapacity));
    if (desired !== x.DesiredCapacity) {
      x.PendingCause = cause(
        now,
        `a scheduled action update of AutoScalingGroup constraints to min: ${min}, max: ${max}, desired: ${desired} changing the desired capacity from ${x.DesiredCapacity} to ${desired}.`,
      );
    }
    Object.assign(x, { MinSize: min, MaxSize: max, DesiredCapacity: desired });
  });
  groupChanged(cloud);
}

export function forgetScheduledActions(cloud: Cloud, region: string, group: string): void {
  for (const a of ofGroup(cloud, region, group)) scheduledActions(cloud).delete(region, key(group, a.ScheduledActionName));
}
