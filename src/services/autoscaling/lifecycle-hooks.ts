import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../cloud.js';
import type { Table } from '../../store/db.js';
import type { RequestContext } from '../types.js';
import { endActivity, setActivityStatus } from './activities.js';
import { controllerOf } from './controller.js';
import { errors } from './errors.js';
import { groupChanged } from './events.js';
import { groups, needGroup, updateGroup } from './state.js';
import { setWarmState, warmPools } from './warm-pools.js';

export const LAUNCHING = 'autoscaling:EC2_INSTANCE_LAUNCHING';
export const TERMINATING = 'autoscaling:EC2_INSTANCE_TERMINATING';
type Transition = typeof LAUNCHING | typeof TERMINATING;
type Result = 'CONTINUE' | 'ABANDON';

/** AWS's bounds and defaults (PutLifecycleHook). */
export const HOOK_LIMIT = 50;
export const DEFAULT_HEARTBEAT_TIMEOUT = 3600;
/** An instance waits at most 100 heartbeat timeouts or 48 hours, whichever is less. */
export const globalTimeoutOf = (heartbeat: number) => Math.min(100 * heartbeat, 172_800);

/** A lifecycle hook (table `autoscaling.lifecycleHook`, scope region, id `<group>\n<hook>`). */
export interface LifecycleHookRecord {
  LifecycleHookName: string;
  AutoScalingGroupName: string;
  LifecycleTransition: Transition;
  NotificationTargetARN?: string;
  RoleARN?: string;
  NotificationMetadata?: string;
  HeartbeatTimeout: number;
  GlobalTimeout: number;
  DefaultResult: Result;
}

/**
 * One instance waiting for one hook (table `autoscaling.lifecycleAction`, scope region, id `<group>\n<instance>\n<hook>`).
 * Deadlines are cloud time; a heartbeat moves `Deadline`, never past `GlobalDeadline`.
 */
export interface LifecycleActionRecord {
  AutoScalingGroupName: string;
  InstanceId: string;
  LifecycleHookName: string;
  LifecycleTransition: Transition;
  LifecycleActionToken: string;
  HeartbeatTimeout: number;
  Deadline: number;
  GlobalDeadline: number;
  DefaultResult: Result;
  Result?: Result;
  /** Why it ended: completed by the user or timed out. */
  EndedBy?: 'user' | 'timeout';
}

export const hooks = (cloud: Cloud): Table<LifecycleHookRecord> => cloud.store.table('autoscaling.lifecycleHook');
export const lifecycleActions = (cloud: Cloud): Table<LifecycleActionRecord> => cloud.store.table('autoscaling.lifecycleAction');

const hookKey = (group: string, hook: string) => `${group}\n${hook}`;
const actionKey = (a: Pick<LifecycleActionRecord, 'AutoScalingGroupName' | 'InstanceId' | 'LifecycleHookName'>) =>
  `${a.AutoScalingGroupName}\n${a.InstanceId}\n${a.LifecycleHookName}`;

export const hooksOf = (cloud: Cloud, region: string, group: string) =>
  hooks(cloud)
    .list(region)
    .filter((h) => h.AutoScalingGroupName === group);
const actionsOf = (cloud: Cloud, region: string, group: string) =>
  lifecycleActions(cloud)
    .list(region)
    .filter((a) => a.AutoScalingGroupName === group);

function publish(cloud: Cloud, region: string, topic: string, subject: string, message: Record<string, unknown>): void {
  cloud
    .invoke('sns', 'Publish', { TopicArn: topic, Subject: subject, Message: JSON.stringify(message) }, { region })
    .catch((err: unknown) => {
      console.error(`[halo] lifecycle notification to ${topic} failed: ${(err as Error).message}`);
    });
}

const isSnsTopic = (arn: string) => /^arn:aws:sns:[a-z0-9-]+:\d{12}:[\w-]+$/.test(arn);

export function putLifecycleHook(
  input: {
    LifecycleHookName: string;
    AutoScalingGroupName: string;
    LifecycleTransition?: string;
    RoleARN?: string;
    NotificationTargetARN?: string;
    NotificationMetadata?: string;
    HeartbeatTimeout?: number;
    DefaultResult?: string;
  },
  ctx: RequestContext,
) {
  const { cloud, region } = ctx;
  const g = needGroup(ctx, input.AutoScalingGroupName);
  const existing = hooks(cloud).get(region, hookKey(g.AutoScalingGroupName, input.LifecycleHookName));
  const transition = input.LifecycleTransition ?? existing?.LifecycleTransition;
  if (!transition) throw errors.validation('LifecycleTransition is required for new lifecycle hooks.');
  if (transition !== LAUNCHING && transition !== TERMINATING) throw errors.validation(`Invalid Lifecycle Transition name: ${transition}`);
  const heartbeat = input.HeartbeatTimeout ?? existing?.HeartbeatTimeout ?? DEFAULT_HEARTBEAT_TIMEOUT;
  if (heartbeat < 30 || heartbeat > 7200)
    throw errors.validation(`HeartbeatTimeout must be between 30 and 7200 seconds, got ${heartbeat}.`);
  const result = input.DefaultResult ?? existing?.DefaultResult ?? 'ABANDON';
  if (result !== 'CONTINUE' && result !== 'ABANDON')
    throw errors.validation(`Invalid DefaultResult: ${result}. Valid values are CONTINUE and ABANDON.`);
  const target = input.NotificationTargetARN ?? existing?.NotificationTargetARN;
  const role = input.RoleARN ?? existing?.RoleARN;
  if (target && !isSnsTopic(target))
    throw errors.validation(`Notification target ${target} is not valid: this cloud notifies SNS topics (arn:aws:sns:...).`);
  if (input.NotificationTargetARN && !role) throw errors.validation('RoleARN is required when NotificationTargetARN is given.');
  if (!existing && hooksOf(cloud, region, g.AutoScalingGroupName).length >= HOOK_LIMIT)
    throw errors.limitExceeded('lifecycle hooks per Auto Scaling group', HOOK_LIMIT);
  const record: LifecycleHookRecord = {
    LifecycleHookName: input.LifecycleHookName,
    AutoScalingGroupName: g.AutoScalingGroupName,
    LifecycleTransition: transition,
    NotificationTargetARN: target || undefined,
    RoleARN: role || undefined,
    NotificationMetadata: input.NotificationMetadata ?? existing?.NotificationMetadata,
    HeartbeatTimeout: heartbeat,
    GlobalTimeout: globalTimeoutOf(heartbeat),
    DefaultResult: result,
  };
  hooks(cloud).put(region, hookKey(g.AutoScalingGroupName, record.LifecycleHookName), record);
  // AWS confirms a new notification target with a test notification.
  if (record.NotificationTargetARN && record.NotificationTargetARN !== existing?.NotificationTargetARN) {
    publish(cloud, region, record.NotificationTargetARN, `Auto Scaling: test notification for group "${g.AutoScalingGroupName}"`, {
      AccountId: ctx.accountId,
      RequestId: randomUUID(),
      AutoScalingGroupARN: g.AutoScalingGroupARN,
      AutoScalingGroupName: g.AutoScalingGroupName,
      Service: 'AWS Auto Scaling',
      Event: 'autoscaling:TEST_NOTIFICATION',
      Time: new Date(cloud.clock.now()).toISOString(),
    });
  }
  return {};
}

export function describeLifecycleHooks(input: { AutoScalingGroupName: string; LifecycleHookNames?: string[] }, ctx: RequestContext) {
  needGroup(ctx, input.AutoScalingGroupName);
  let list = hooksOf(ctx.cloud, ctx.region, input.AutoScalingGroupName);
  if (input.LifecycleHookNames?.length) list = list.filter((h) => input.LifecycleHookNames?.includes(h.LifecycleHookName));
  return { LifecycleHooks: list.sort((a, b) => a.LifecycleHookName.localeCompare(b.LifecycleHookName)) };
}

export function deleteLifecycleHook(input: { LifecycleHookName: string; AutoScalingGroupName: string }, ctx: RequestContext) {
  const { cloud, region } = ctx;
  needGroup(ctx, input.AutoScalingGroupName);
  const key = hookKey(input.AutoScalingGroupName, input.LifecycleHookName);
  const hook = hooks(cloud).get(region, key);
  if (!hook) throw errors.hookNotFound(input.LifecycleHookName, input.AutoScalingGroupName);
  // Outstanding actions are completed first: ABANDON for launching instances, CONTINUE for terminating ones.
  for (const a of actionsOf(cloud, region, hook.AutoScalingGroupName).filter(
    (x) => x.LifecycleHookName === hook.LifecycleHookName && !x.Result,
  )) {
    lifecycleActions(cloud).put(region, actionKey(a), {
      ...a,
      Result: a.LifecycleTransition === LAUNCHING ? 'ABANDON' : 'CONTINUE',
      EndedBy: 'user',
    });
  }
  hooks(cloud).delete(region, key);
  void settleGroup(cloud, region, hook.AutoScalingGroupName);
  return {};
}

function findAction(
  ctx: RequestContext,
  input: { LifecycleHookName: string; AutoScalingGroupName: string; LifecycleActionToken?: string; InstanceId?: string },
): LifecycleActionRecord {
  needGroup(ctx, input.AutoScalingGroupName);
  if (!hooks(ctx.cloud).get(ctx.region, hookKey(input.AutoScalingGroupName, input.LifecycleHookName)))
    throw errors.hookNotFound(input.LifecycleHookName, input.AutoScalingGroupName);
  if (!input.LifecycleActionToken && !input.InstanceId)
    throw errors.validation('Either LifecycleActionToken or InstanceId must be specified.');
  const found = actionsOf(ctx.cloud, ctx.region, input.AutoScalingGroupName).find(
    (a) =>
      a.LifecycleHookName === input.LifecycleHookName &&
      !a.Result &&
      (input.LifecycleActionToken ? a.LifecycleActionToken === input.LifecycleActionToken : true) &&
      (input.InstanceId ? a.InstanceId === input.InstanceId : true),
  );
  if (!found)
    throw errors.noLifecycleAction(input.LifecycleActionToken ? `token ${input.LifecycleActionToken}` : `instance ID ${input.InstanceId}`);
  return found;
}

export async function completeLifecycleAction(
  input: {
    LifecycleHookName: string;
    AutoScalingGroupName: string;
    LifecycleActionToken?: string;
    LifecycleActionResult: string;
    InstanceId?: string;
  },
  ctx: RequestContext,
) {
  if (input.LifecycleActionResult !== 'CONTINUE' && input.LifecycleActionResult !== 'ABANDON')
    throw errors.validation(`Invalid Lifecycle Action Result: ${input.LifecycleActionResult}. Valid values are CONTINUE and ABANDON.`);
  const a = findAction(ctx, input);
  lifecycleActions(ctx.cloud).put(ctx.region, actionKey(a), { ...a, Result: input.LifecycleActionResult, EndedBy: 'user' });
  await settleGroup(ctx.cloud, ctx.region, a.AutoScalingGroupName);
  return {};
}

export function recordLifecycleActionHeartbeat(
  input: { LifecycleHookName: string; AutoScalingGroupName: string; LifecycleActionToken?: string; InstanceId?: string },
  ctx: RequestContext,
) {
  const a = findAction(ctx, input);
  const now = ctx.cloud.clock.now();
  lifecycleActions(ctx.cloud).put(ctx.region, actionKey(a), {
    ...a,
    Deadline: Math.min(now + a.HeartbeatTimeout * 1000, a.GlobalDeadline),
  });
  return {};
}

/**
 * Puts an instance that is entering (Pending) or leaving (Terminating) service on hold for the group's hooks of that
 * transition: Pending:Wait / Terminating:Wait, one action per hook, a notification to each hook's target. False
 * when the group has no such hook (the instance goes on at once). A group being force-deleted skips its hooks.
 * With `warm`, the instance is one entering the group's warm pool (Warmed:Pending): launched into it (the launch
 * hooks) or back in it at scale-in (the termination hooks, as AWS holds an instance it reuses); it waits in
 * Warmed:Pending:Wait, so that its user data can prepare it before it is stopped.
 */
export function holdForHooks(
  cloud: Cloud,
  region: string,
  group: string,
  instanceId: string,
  transition: Transition,
  warm = false,
): boolean {
  const g = groups(cloud).get(region, group);
  if (!g || g.Status === 'Delete in progress') return false;
  const list = hooksOf(cloud, region, group).filter((h) => h.LifecycleTransition === transition);
  if (!list.length) return false;
  const now = cloud.clock.now();
  const held = cloud.store.tx(() => {
    let i: { ActivityId?: string } | undefined;
    if (warm) i = setWarmState(cloud, region, group, instanceId, 'Warmed:Pending:Wait');
    else {
      const after = updateGroup(cloud, region, group, (x) => {
        const y = x.Instances.find((z) => z.InstanceId === instanceId);
        if (y) y.LifecycleState = transition === LAUNCHING ? 'Pending:Wait' : 'Terminating:Wait';
      });
      i = after?.Instances.find((y) => y.InstanceId === instanceId);
    }
    if (!i) return undefined;
    const made = list.map((h) => {
      const a: LifecycleActionRecord = {
        AutoScalingGroupName: group,
        InstanceId: instanceId,
        LifecycleHookName: h.LifecycleHookName,
        LifecycleTransition: transition,
        LifecycleActionToken: randomUUID(),
        HeartbeatTimeout: h.HeartbeatTimeout,
        Deadline: now + h.HeartbeatTimeout * 1000,
        GlobalDeadline: now + h.GlobalTimeout * 1000,
        DefaultResult: h.DefaultResult,
      };
      lifecycleActions(cloud).put(region, actionKey(a), a);
      return { a, h };
    });
    setActivityStatus(cloud, region, group, i.ActivityId, 'MidLifecycleAction');
    return { made };
  });
  if (!held) return false;
  for (const { a, h } of held.made) {
    if (!h.NotificationTargetARN) continue;
    const launching = transition === LAUNCHING;
    publish(
      cloud,
      region,
      h.NotificationTargetARN,
      `Auto Scaling:  Lifecycle action '${launching ? 'LAUNCHING' : 'TERMINATING'}' for instance ${instanceId} in progress.`,
      {
        Origin: launching ? 'EC2' : 'AutoScalingGroup',
        Destination: warm ? 'WarmPool' : launching ? 'AutoScalingGroup' : 'EC2',
        Service: 'AWS Auto Scaling',
        Time: new Date(now).toISOString(),
        AccountId: cloud.accountId,
        LifecycleTransition: transition,
        RequestId: randomUUID(),
        LifecycleActionToken: a.LifecycleActionToken,
        EC2InstanceId: instanceId,
        LifecycleHookName: h.LifecycleHookName,
        AutoScalingGroupName: group,
        ...(h.NotificationMetadata !== undefined ? { NotificationMetadata: h.NotificationMetadata } : {}),
      },
    );
  }
  return true;
}

/** Heartbeat timeouts apply each action's DefaultResult; then every instance whose actions have all ended goes on. */
export async function stepHooks(cloud: Cloud, region: string, group: string): Promise<void> {
  const now = cloud.clock.now();
  for (const a of actionsOf(cloud, region, group).filter((x) => !x.Result && (now >= x.Deadline || now >= x.GlobalDeadline))) {
    lifecycleActions(cloud).put(region, actionKey(a), { ...a, Result: a.DefaultResult, EndedBy: 'timeout' });
  }
  await settleGroup(cloud, region, group);
}

/**
 * Every instance of the group whose lifecycle actions have all ended: a launch goes on (Pending:Proceed, which the
 * controller takes InService) or, if any action ABANDONed it, is terminated (and the group launches another); a
 * termination goes on (Terminating:Proceed, which the controller terminates in EC2) whatever the result; an
 * instance of the warm pool goes on to Warmed:Pending:Proceed (see inside). Actions of instances no longer waiting
 * (terminated meanwhile, the group deleted) are dropped.
 */
async function settleGroup(cloud: Cloud, region: string, group: string): Promise<void> {
  const g = groups(cloud).get(region, group);
  const byInstance = new Map<string, LifecycleActionRecord[]>();
  for (const a of actionsOf(cloud, region, group)) byInstance.set(a.InstanceId, [...(byInstance.get(a.InstanceId) ?? []), a]);
  const pool = warmPools(cloud).get(region, group);
  for (const [id, list] of byInstance) {
    const i = g?.Instances.find((x) => x.InstanceId === id);
    const warm = i ? undefined : pool?.Instances.find((x) => x.InstanceId === id);
    const waiting = warm ? 'Warmed:Pending:Wait' : list[0].LifecycleTransition === LAUNCHING ? 'Pending:Wait' : 'Terminating:Wait';
    const drop = () => {
      for (const a of list) lifecycleActions(cloud).delete(region, actionKey(a));
    };
    const current = i ?? warm;
    if (!g || !current || current.LifecycleState !== waiting) {
      drop();
      continue;
    }
    if (list.some((a) => !a.Result)) continue;
    drop();
    const abandoned = list.find((a) => a.Result === 'ABANDON');
    const why = abandoned?.EndedBy === 'timeout' ? 'Heartbeat Timeout' : 'Lifecycle Action Completed with ABANDON Result';
    const failed = (a: LifecycleActionRecord) =>
      `Instance failed to complete user's Lifecycle Action: Lifecycle Action with token ${a.LifecycleActionToken} was abandoned: ${why}`;
    if (warm) {
      // Into the warm pool: on (to be stopped, or kept running) unless a launch hook ABANDONed it, which terminates it
      // (the pool launches another); an instance back at scale-in goes on whatever the result, as a termination does.
      if (abandoned && list[0].LifecycleTransition === LAUNCHING) {
        setWarmState(cloud, region, group, id, 'Warmed:Terminating');
        endActivity(cloud, region, g, warm.ActivityId, 'Cancelled', undefined, id, failed(abandoned));
        await controllerOf(cloud)
          ?.fleet.terminate(region, [id])
          .catch((err: unknown) => console.error(`[halo] warm pool of ${group}: terminating ${id}: ${(err as Error).message}`));
      } else {
        setWarmState(cloud, region, group, id, 'Warmed:Pending:Proceed');
        setActivityStatus(cloud, region, group, warm.ActivityId, 'InProgress');
      }
    } else if (waiting === 'Terminating:Wait') {
      updateGroup(cloud, region, group, (x) => {
        const y = x.Instances.find((z) => z.InstanceId === id);
        if (y) y.LifecycleState = 'Terminating:Proceed';
      });
      setActivityStatus(cloud, region, group, current.ActivityId, 'InProgress');
    } else if (!abandoned) {
      updateGroup(cloud, region, group, (x) => {
        const y = x.Instances.find((z) => z.InstanceId === id);
        if (y) y.LifecycleState = 'Pending:Proceed';
      });
      setActivityStatus(cloud, region, group, current.ActivityId, 'InProgress');
    } else {
      endActivity(cloud, region, g, current.ActivityId, 'Cancelled', 'autoscaling:EC2_INSTANCE_LAUNCH_ERROR', id, failed(abandoned));
      await controllerOf(cloud)?.beginTermination(
        region,
        group,
        id,
        `an instance was taken out of service in response to a launch lifecycle action that was abandoned (${why}).`,
        false,
      );
    }
  }
  groupChanged(cloud);
}

/** A deleted group's hooks and waiting actions. */
export function forgetHooks(cloud: Cloud, region: string, group: string): void {
  for (const h of hooksOf(cloud, region, group)) hooks(cloud).delete(region, hookKey(group, h.LifecycleHookName));
  for (const a of actionsOf(cloud, region, group)) lifecycleActions(cloud).delete(region, actionKey(a));
}

/** The lifecycle actions of a group still waiting for a result. */
export const waitingActions = (cloud: Cloud, region: string, group: string) => actionsOf(cloud, region, group).filter((a) => !a.Result);
