import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../cloud.js';
import { isAwsError } from '../../protocol/errors.js';
import type { Table } from '../../store/db.js';
import type { RequestContext } from '../types.js';
import { cause, hasActivityInProgress, lastActivityEndSince, latestActivity } from './activities.js';
import { errors } from './errors.js';
import { autoScalingPage } from './paging.js';
import { groupChanged } from './events.js';
import {
  ADJUSTMENT_TYPES,
  adjusted,
  bounded,
  invalidSteps,
  stepFor,
  trackingCapacity,
  type AdjustmentType,
  type StepAdjustment,
} from './scaling-math.js';
import { countsTowardCapacity, isTerminating, needGroup, updateGroup, type GroupRecord } from './state.js';
import type { PutScalingPolicyInput } from './generated/types.js';
import { policyCapacity, warmupSeconds, type PolicyCapacity } from './warmup.js';

type PolicyType = 'SimpleScaling' | 'StepScaling' | 'TargetTrackingScaling';

interface MetricDimension {
  Name: string;
  Value: string;
}
export interface TargetTrackingConfiguration {
  PredefinedMetricSpecification?: { PredefinedMetricType: string; ResourceLabel?: string };
  CustomizedMetricSpecification?: {
    MetricName?: string;
    Namespace?: string;
    Dimensions?: MetricDimension[];
    Statistic?: string;
    Unit?: string;
  };
  TargetValue: number;
  DisableScaleIn?: boolean;
}

/** The alarm that runs a policy as its action, as CloudWatch tells ExecutePolicy in-process. */
export interface AlarmTrigger {
  AlarmName: string;
  StateValue: string;
}

/** A scaling policy (table `autoscaling.policy`, scope region, id `<group>\n<policy>`). */
export interface PolicyRecord {
  PolicyName: string;
  PolicyARN: string;
  AutoScalingGroupName: string;
  PolicyType: PolicyType;
  AdjustmentType?: AdjustmentType;
  MinAdjustmentMagnitude?: number;
  ScalingAdjustment?: number;
  Cooldown?: number;
  MetricAggregationType?: string;
  StepAdjustments?: StepAdjustment[];
  EstimatedInstanceWarmup?: number;
  TargetTrackingConfiguration?: TargetTrackingConfiguration;
  Enabled: boolean;
  Alarms: Array<{ AlarmName: string; AlarmARN: string }>;
  /** Simple scaling, records stored before ScaledAt: when the cooldown after this policy's last scaling ends (cloud time). */
  CooldownUntil?: number;
  /** Simple scaling: when the policy last ran (its cooldown counts from the end of the activities since then). */
  ScaledAt?: number;
}

export const policies = (cloud: Cloud): Table<PolicyRecord> => cloud.store.table('autoscaling.policy');
const key = (group: string, name: string) => `${group}\n${name}`;

export const policyArn = (region: string, account: string, group: string, name: string, uuid: string) =>
  `arn:aws:autoscaling:${region}:${account}:scalingPolicy:${uuid}:autoScalingGroupName/${group}:policyName/${name}`;

/** The group and policy names in a policy ARN. */
export function parsePolicyArn(arn: string): { region: string; group: string; policy: string } | undefined {
  const m = /^arn:aws:autoscaling:([a-z0-9-]+):\d{12}:scalingPolicy:[0-9a-f-]+:autoScalingGroupName\/(.+):policyName\/(.+)$/.exec(arn);
  return m ? { region: m[1], group: m[2], policy: m[3] } : undefined;
}

/** The AWS/EC2 metric of each predefined target tracking metric (per AutoScalingGroupName, Average). */
const PREDEFINED: Record<string, string> = {
  ASGAverageCPUUtilization: 'CPUUtilization',
  ASGAverageNetworkIn: 'NetworkIn',
  ASGAverageNetworkOut: 'NetworkOut',
};

function validate(input: PutScalingPolicyInput, type: PolicyType): void {
  const v = errors.validation;
  if (type !== 'TargetTrackingScaling') {
    if (!input.AdjustmentType) throw v(`AdjustmentType is required for policy type ${type}.`);
    if (!ADJUSTMENT_TYPES.includes(input.AdjustmentType as AdjustmentType))
      throw v(`Invalid adjustment type ${input.AdjustmentType}. Valid values are ${ADJUSTMENT_TYPES.join(', ')}.`);
    if (input.TargetTrackingConfiguration) throw v(`TargetTrackingConfiguration is not supported for policy type ${type}.`);
  }
  const magnitude = input.MinAdjustmentMagnitude ?? input.MinAdjustmentStep;
  if (magnitude !== undefined && input.AdjustmentType !== 'PercentChangeInCapacity')
    throw v('MinAdjustmentMagnitude is only supported for the PercentChangeInCapacity adjustment type.');
  if (magnitude !== undefined && magnitude < 1) throw v('MinAdjustmentMagnitude must be greater than or equal to 1.');
  if (type === 'SimpleScaling') {
    if (input.ScalingAdjustment === undefined) throw v('ScalingAdjustment is required for policy type SimpleScaling.');
    if (input.StepAdjustments) throw v('StepAdjustments is not supported for policy type SimpleScaling.');
    if (input.EstimatedInstanceWarmup !== undefined) throw v('EstimatedInstanceWarmup is not supported for policy type SimpleScaling.');
    if (input.AdjustmentType === 'ExactCapacity' && input.ScalingAdjustment < 0)
      throw v('ScalingAdjustment cannot be negative for the ExactCapacity adjustment type.');
  }
  if (type === 'StepScaling') {
    if (!input.StepAdjustments) throw v('StepAdjustments is required for policy type StepScaling.');
    if (input.ScalingAdjustment !== undefined) throw v('ScalingAdjustment is not supported for policy type StepScaling.');
    if (input.Cooldown !== undefined) throw v('Cooldown is not supported for policy type StepScaling.');
    const bad = invalidSteps(input.StepAdjustments);
    if (bad) throw v(bad);
    if (input.MetricAggregationType && !['Minimum', 'Maximum', 'Average'].includes(input.MetricAggregationType))
      throw v(`Invalid MetricAggregationType ${input.MetricAggregationType}.`);
  }
  if (type === 'TargetTrackingScaling') {
    const t = input.TargetTrackingConfiguration;
    if (!t) throw v('TargetTrackingConfiguration is required for policy type TargetTrackingScaling.');
    for (const k of ['AdjustmentType', 'ScalingAdjustment', 'Cooldown', 'StepAdjustments', 'MetricAggregationType'] as const) {
      if (input[k] !== undefined) throw v(`${k} is not supported for policy type TargetTrackingScaling.`);
    }
    if (!!t.PredefinedMetricSpecification === !!t.CustomizedMetricSpecification)
      throw v('Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be given.');
    const predefined = t.PredefinedMetricSpecification?.PredefinedMetricType;
    if (predefined !== undefined && !PREDEFINED[predefined]) {
      throw v(
        `Predefined metric type ${predefined} is not supported here: this cloud tracks ${Object.keys(PREDEFINED).join(', ')} (ALBRequestCountPerTarget needs a load balancer).`,
      );
    }
    const c = t.CustomizedMetricSpecification;
    if (c && (!c.MetricName || !c.Namespace || !c.Statistic))
      throw v('CustomizedMetricSpecification needs MetricName, Namespace and Statistic.');
  }
}

/** The two alarms a target tracking policy makes: high (3 of 3 minutes above the target), low (15 of 15 below 90% of it). */
function trackingAlarms(g: GroupRecord, policy: PolicyRecord) {
  const t = policy.TargetTrackingConfiguration as TargetTrackingConfiguration;
  const c = t.CustomizedMetricSpecification;
  const metric = c
    ? { Namespace: c.Namespace, MetricName: c.MetricName, Dimensions: c.Dimensions, Statistic: c.Statistic, Unit: c.Unit }
    : {
        Namespace: 'AWS/EC2',
        MetricName: PREDEFINED[t.PredefinedMetricSpecification?.PredefinedMetricType ?? ''],
        Dimensions: [{ Name: 'AutoScalingGroupName', Value: g.AutoScalingGroupName }],
        Statistic: 'Average',
      };
  const description = `DO NOT EDIT OR DELETE. For TargetTrackingScaling policy ${policy.PolicyARN}.`;
  const high = {
    AlarmName: `TargetTracking-${g.AutoScalingGroupName}-AlarmHigh-${randomUUID()}`,
    ...metric,
    Period: 60,
    EvaluationPeriods: 3,
    DatapointsToAlarm: 3,
    Threshold: t.TargetValue,
    ComparisonOperator: 'GreaterThanThreshold',
  };
  const low = {
    AlarmName: `TargetTracking-${g.AutoScalingGroupName}-AlarmLow-${randomUUID()}`,
    ...metric,
    Period: 60,
    EvaluationPeriods: 15,
    DatapointsToAlarm: 15,
    Threshold: Math.round(t.TargetValue * 0.9 * 1000) / 1000,
    ComparisonOperator: 'LessThanThreshold',
  };
  // With scale-in disabled AWS makes no AlarmLow at all.
  return (t.DisableScaleIn ? [high] : [high, low]).map((a) => ({
    ...a,
    AlarmDescription: description,
    AlarmActions: [policy.PolicyARN],
  }));
}

async function deleteAlarms(cloud: Cloud, region: string, names: string[]): Promise<void> {
  if (!names.length) return;
  try {
    await cloud.invoke('monitoring', 'DeleteAlarms', { AlarmNames: names }, { region });
  } catch (err) {
    if (!isAwsError(err, 'ResourceNotFound')) console.error(`[halo] deleting target tracking alarms failed: ${(err as Error).message}`);
  }
}

export async function putScalingPolicy(input: PutScalingPolicyInput, ctx: RequestContext) {
  const { cloud, region } = ctx;
  const g = needGroup(ctx, input.AutoScalingGroupName);
  const type = (input.PolicyType ?? 'SimpleScaling') as PolicyType;
  if (!['SimpleScaling', 'StepScaling', 'TargetTrackingScaling'].includes(type))
    throw errors.validation(`Invalid policy type ${type}. This cloud supports SimpleScaling, StepScaling and TargetTrackingScaling.`);
  validate(input, type);
  const existing = policies(cloud).get(region, key(g.AutoScalingGroupName, input.PolicyName));
  if (existing && existing.PolicyType !== type)
    throw errors.validation(`Policy ${input.PolicyName} is of type ${existing.PolicyType}; its type cannot be changed.`);
  const record: PolicyRecord = {
    PolicyName: input.PolicyName,
    PolicyARN: existing?.PolicyARN ?? policyArn(region, ctx.accountId, g.AutoScalingGroupName, input.PolicyName, randomUUID()),
    AutoScalingGroupName: g.AutoScalingGroupName,
    PolicyType: type,
    AdjustmentType: input.AdjustmentType as AdjustmentType | undefined,
    MinAdjustmentMagnitude: input.MinAdjustmentMagnitude ?? input.MinAdjustmentStep,
    ScalingAdjustment: input.ScalingAdjustment,
    Cooldown: input.Cooldown,
    MetricAggregationType: type === 'StepScaling' ? (input.MetricAggregationType ?? 'Average') : undefined,
    StepAdjustments: input.StepAdjustments,
    EstimatedInstanceWarmup: input.EstimatedInstanceWarmup,
    TargetTrackingConfiguration: input.TargetTrackingConfiguration && {
      ...input.TargetTrackingConfiguration,
      DisableScaleIn: input.TargetTrackingConfiguration.DisableScaleIn ?? false,
    },
    Enabled: input.Enabled ?? true,
    Alarms: existing?.Alarms ?? [],
    CooldownUntil: existing?.CooldownUntil,
    ScaledAt: existing?.ScaledAt,
  };
  if (type === 'TargetTrackingScaling') {
    const old = record.Alarms.map((a) => a.AlarmName);
    const made = trackingAlarms(g, record);
    for (const a of made) await cloud.invoke('monitoring', 'PutMetricAlarm', { ...a, ActionsEnabled: record.Enabled }, { region });
    record.Alarms = made.map((a) => ({
      AlarmName: a.AlarmName,
      AlarmARN: `arn:aws:cloudwatch:${region}:${ctx.accountId}:alarm:${a.AlarmName}`,
    }));
    await deleteAlarms(cloud, region, old);
  }
  policies(cloud).put(region, key(g.AutoScalingGroupName, record.PolicyName), record);
  return { PolicyARN: record.PolicyARN, Alarms: type === 'TargetTrackingScaling' ? record.Alarms : undefined };
}

const present = (p: PolicyRecord) => ({
  AutoScalingGroupName: p.AutoScalingGroupName,
  PolicyName: p.PolicyName,
  PolicyARN: p.PolicyARN,
  PolicyType: p.PolicyType,
  AdjustmentType: p.AdjustmentType,
  MinAdjustmentStep: p.MinAdjustmentMagnitude,
  MinAdjustmentMagnitude: p.MinAdjustmentMagnitude,
  ScalingAdjustment: p.ScalingAdjustment,
  Cooldown: p.Cooldown,
  StepAdjustments: p.StepAdjustments,
  MetricAggregationType: p.MetricAggregationType,
  EstimatedInstanceWarmup: p.EstimatedInstanceWarmup,
  Alarms: p.Alarms,
  TargetTrackingConfiguration: p.TargetTrackingConfiguration,
  Enabled: p.Enabled,
});

export function describePolicies(
  input: { AutoScalingGroupName?: string; PolicyNames?: string[]; PolicyTypes?: string[]; MaxRecords?: number; NextToken?: string },
  ctx: RequestContext,
) {
  if (input.AutoScalingGroupName) needGroup(ctx, input.AutoScalingGroupName);
  let list = policies(ctx.cloud).list(ctx.region);
  if (input.AutoScalingGroupName) list = list.filter((p) => p.AutoScalingGroupName === input.AutoScalingGroupName);
  if (input.PolicyNames?.length)
    list = list.filter((p) => input.PolicyNames?.includes(p.PolicyName) || input.PolicyNames?.includes(p.PolicyARN));
  if (input.PolicyTypes?.length) list = list.filter((p) => input.PolicyTypes?.includes(p.PolicyType));
  list.sort((a, b) => a.AutoScalingGroupName.localeCompare(b.AutoScalingGroupName) || a.PolicyName.localeCompare(b.PolicyName));
  const page = autoScalingPage(list, input);
  return { ScalingPolicies: page.items.map(present), NextToken: page.next };
}

/** A policy by name (with its group) or by ARN. */
function findPolicy(ctx: RequestContext, group: string | undefined, name: string): PolicyRecord {
  const arn = parsePolicyArn(name);
  const g = group ?? arn?.group;
  const p = g ? policies(ctx.cloud).get(ctx.region, key(g, arn?.policy ?? name)) : undefined;
  if (!p || (arn && p.PolicyARN !== name)) throw errors.policyNotFound(name);
  return p;
}

export async function deletePolicy(input: { AutoScalingGroupName?: string; PolicyName: string }, ctx: RequestContext) {
  if (input.AutoScalingGroupName) needGroup(ctx, input.AutoScalingGroupName);
  const p = findPolicy(ctx, input.AutoScalingGroupName, input.PolicyName);
  policies(ctx.cloud).delete(ctx.region, key(p.AutoScalingGroupName, p.PolicyName));
  await deleteAlarms(
    ctx.cloud,
    ctx.region,
    p.Alarms.map((a) => a.AlarmName),
  );
  return {};
}

/**
 * The desired capacity a step or target tracking policy asks for, with AWS's instance warm-up rules: a scale-out is
 * computed from the instances whose warm-up is over and applies only when it asks for more than the desired capacity
 * already holds (so a breach repeated while new instances warm up adds nothing more); a scale-in is computed from the
 * instances in service plus those terminating, applies only when it asks for less, and is blocked while any instance
 * is still warming up.
 */
function dynamicCapacity(g: GroupRecord, cap: PolicyCapacity, direction: 'out' | 'in', to: (base: number) => number): number {
  const desired = g.DesiredCapacity;
  if (direction === 'out') {
    const out = bounded(to(cap.ready), g.MinSize, g.MaxSize);
    return out > desired ? out : desired;
  }
  if (cap.warming > 0) return desired;
  const inward = bounded(to(cap.withTerminating), g.MinSize, g.MaxSize);
  return inward < desired ? inward : desired;
}

/**
 * Whether a simple scaling policy is still cooling down: an activity runs, or the cooldown after the activities it
 * caused has not ended (it counts from their end). The policy's own Cooldown overrides the group's default cooldown
 * for the activities it caused; after other activities the default cooldown applies.
 */
function simpleCooldownBlocks(cloud: Cloud, region: string, g: GroupRecord, p: PolicyRecord, now: number): boolean {
  if (now < (p.CooldownUntil ?? 0)) return true;
  // The activity a change of desired capacity causes has not started yet while the group's count differs from it.
  const counted = g.Instances.filter((i) => countsTowardCapacity(i)).length;
  if (counted !== g.DesiredCapacity || g.Instances.some(isTerminating) || hasActivityInProgress(cloud, region, g.AutoScalingGroupName))
    return true;
  const ended = p.ScaledAt === undefined ? undefined : lastActivityEndSince(cloud, region, g.AutoScalingGroupName, p.ScaledAt);
  if (p.Cooldown !== undefined && ended !== undefined) return now < ended + p.Cooldown * 1000;
  return now < (g.CooldownUntil ?? 0) || (p.ScaledAt !== undefined && now < (ended ?? p.ScaledAt) + g.DefaultCooldown * 1000);
}

/**
 * ExecutePolicy. A CloudWatch alarm whose action is the policy's ARN calls it with the alarm's MetricValue and
 * BreachThreshold (step scaling, target tracking) or HonorCooldown (simple scaling), once when it enters the state and
 * then on every evaluation while it stays there; a user may call it for simple and step policies. The new desired
 * capacity is bounded by the group's MinSize and MaxSize; the controller launches or terminates on its next pass.
 */
export function executePolicy(
  input: {
    AutoScalingGroupName?: string;
    PolicyName: string;
    HonorCooldown?: boolean;
    MetricValue?: number;
    BreachThreshold?: number;
    /** In-process only (the query protocol reads model members alone): the alarm whose action this is. */
    TriggeredBy?: AlarmTrigger;
  },
  ctx: RequestContext,
) {
  const { cloud, region } = ctx;
  if (input.AutoScalingGroupName) needGroup(ctx, input.AutoScalingGroupName);
  const p = findPolicy(ctx, input.AutoScalingGroupName, input.PolicyName);
  const g = needGroup(ctx, p.AutoScalingGroupName);
  if (!p.Enabled) throw errors.validation(`Policy ${p.PolicyName} is disabled.`);
  const now = cloud.clock.now();
  const current = g.DesiredCapacity;
  const cap = policyCapacity(g, warmupSeconds(p.EstimatedInstanceWarmup, g) * 1000, now);
  let next: number;
  if (p.PolicyType === 'StepScaling') {
    if (input.MetricValue === undefined || input.BreachThreshold === undefined)
      throw errors.validation('MetricValue and BreachThreshold are required for step scaling policies.');
    const step = stepFor(p.StepAdjustments ?? [], input.MetricValue - input.BreachThreshold);
    if (!step)
      throw errors.validation(
        `No step adjustment found for metric value ${input.MetricValue} and breach threshold ${input.BreachThreshold}.`,
      );
    const type = p.AdjustmentType as AdjustmentType;
    const direction = (type === 'ExactCapacity' ? step.ScalingAdjustment > current : step.ScalingAdjustment > 0) ? 'out' : 'in';
    next = dynamicCapacity(g, cap, direction, (base) => adjusted(type, base, step.ScalingAdjustment, p.MinAdjustmentMagnitude));
  } else if (p.PolicyType === 'TargetTrackingScaling') {
    const t = p.TargetTrackingConfiguration as TargetTrackingConfiguration;
    if (input.MetricValue === undefined)
      throw errors.validation('ExecutePolicy needs MetricValue for a target tracking policy (its alarms give it).');
    const metric = input.MetricValue;
    next =
      metric > t.TargetValue
        ? dynamicCapacity(g, cap, 'out', (base) => trackingCapacity(base, metric, t.TargetValue))
        : metric < t.TargetValue && !t.DisableScaleIn
          ? dynamicCapacity(g, cap, 'in', (base) => trackingCapacity(base, metric, t.TargetValue))
          : current;
  } else {
    if (input.BreachThreshold !== undefined || input.MetricValue !== undefined)
      throw errors.validation('MetricValue and BreachThreshold are only supported for step scaling policies.');
    if (input.HonorCooldown && simpleCooldownBlocks(cloud, region, g, p, now))
      throw errors.cooldown(latestActivity(cloud, region, g.AutoScalingGroupName)?.ActivityId ?? '');
    next = bounded(
      adjusted(p.AdjustmentType as AdjustmentType, current, p.ScalingAdjustment as number, p.MinAdjustmentMagnitude),
      g.MinSize,
      g.MaxSize,
    );
  }
  if (p.PolicyType === 'SimpleScaling') {
    policies(cloud).put(region, key(p.AutoScalingGroupName, p.PolicyName), { ...p, ScaledAt: now, CooldownUntil: undefined });
  }
  if (next !== current) {
    const by = input.TriggeredBy
      ? `a monitor alarm ${input.TriggeredBy.AlarmName} in state ${input.TriggeredBy.StateValue} triggered policy ${p.PolicyName}`
      : `a user request executed policy ${p.PolicyName}`;
    updateGroup(cloud, region, g.AutoScalingGroupName, (x) => {
      x.PendingCause = cause(now, `${by} changing the desired capacity from ${x.DesiredCapacity} to ${next}.`);
      x.DesiredCapacity = next;
    });
    groupChanged(cloud);
  }
  return {};
}

/** A deleted group's policies, and their alarms. */
export function forgetPolicies(cloud: Cloud, region: string, group: string): void {
  for (const p of policies(cloud)
    .list(region)
    .filter((x) => x.AutoScalingGroupName === group)) {
    policies(cloud).delete(region, key(group, p.PolicyName));
    void deleteAlarms(
      cloud,
      region,
      p.Alarms.map((a) => a.AlarmName),
    );
  }
}
