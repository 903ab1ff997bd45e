import { randomUUID } from 'node:crypto';
import { isAwsError } from '../../protocol/errors.js';
import type { RequestContext } from '../types.js';
import { cause, causes, hasActivityInProgress, startActivity } from './activities.js';
import { errors } from './errors.js';
import { autoScalingPage } from './paging.js';
import { groupChanged } from './events.js';
import { GROUP_LIMIT } from './processes.js';
import {
  groupArn,
  groups,
  isTerminating,
  launchConfigurations,
  updateGroup,
  type GroupInstance,
  type GroupRecord,
  type GroupTag,
  type LaunchTemplateSpec,
} from './state.js';
import { checkTags, presentTag } from './tags.js';
import { TERMINATION_POLICIES } from './termination.js';
import { settingsFromInstance } from './from-instance.js';
import { activeRefreshOf } from './instance-refresh.js';
import { forgetGroupExtras } from './extras.js';
import { putLifecycleHook } from './lifecycle-hooks.js';
import { warmPoolSummary } from './warm-pools.js';

interface GroupInput {
  AutoScalingGroupName: string;
  LaunchConfigurationName?: string;
  LaunchTemplate?: LaunchTemplateSpec;
  MixedInstancesPolicy?: GroupRecord['MixedInstancesPolicy'];
  InstanceId?: string;
  MinSize?: number;
  MaxSize?: number;
  DesiredCapacity?: number;
  DefaultCooldown?: number;
  AvailabilityZones?: string[];
  VPCZoneIdentifier?: string;
  HealthCheckType?: string;
  HealthCheckGracePeriod?: number;
  TerminationPolicies?: string[];
  NewInstancesProtectedFromScaleIn?: boolean;
  MaxInstanceLifetime?: number;
  CapacityRebalance?: boolean;
  DefaultInstanceWarmup?: number;
  Tags?: Array<{ Key: string; Value?: string; PropagateAtLaunch?: boolean; ResourceId?: string; ResourceType?: string }>;
  LoadBalancerNames?: string[];
  TargetGroupARNs?: string[];
  /** Hooks made with the group, before its first launch (so its first instances wait in them too). */
  LifecycleHookSpecificationList?: Array<Omit<Parameters<typeof putLifecycleHook>[0], 'AutoScalingGroupName'>>;
}

/** The group's subnets (in the order given) and zones (the subnets' zones, or the zones given). */
async function placement(ctx: RequestContext, input: GroupInput): Promise<{ subnets: string[]; zones: string[] } | undefined> {
  const subnets = (input.VPCZoneIdentifier ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (subnets.length) {
    const out = await ctx.cloud.invoke<{ Subnets: Array<{ SubnetId: string; AvailabilityZone: string; VpcId: string }> }>(
      'ec2',
      'DescribeSubnets',
      { Filters: [{ Name: 'subnet-id', Values: subnets }] },
      { region: ctx.region },
    );
    const missing = subnets.find((s) => !out.Subnets.some((x) => x.SubnetId === s));
    if (missing) throw errors.validation(`The subnet ID '${missing}' does not exist`);
    const vpcs = new Set(out.Subnets.map((s) => s.VpcId));
    if (vpcs.size > 1) throw errors.validation('The subnets specified in VPCZoneIdentifier must belong to the same VPC.');
    const zones: string[] = [];
    for (const s of subnets) {
      const z = out.Subnets.find((x) => x.SubnetId === s)?.AvailabilityZone as string;
      if (!zones.includes(z)) zones.push(z);
    }
    if (input.AvailabilityZones?.length) {
      const stray = input.AvailabilityZones.find((z) => !zones.includes(z));
      if (stray)
        throw errors.validation(`The availability zone ${stray} is not among the availability zones of the subnets in VPCZoneIdentifier.`);
    }
    return { subnets, zones };
  }
  if (input.AvailabilityZones?.length) {
    const out = await ctx.cloud.invoke<{ AvailabilityZones: Array<{ ZoneName: string }> }>(
      'ec2',
      'DescribeAvailabilityZones',
      {},
      { region: ctx.region },
    );
    const bad = input.AvailabilityZones.find((z) => !out.AvailabilityZones.some((x) => x.ZoneName === z));
    if (bad) throw errors.validation(`The availability zone ${bad} is not legal for this region.`);
    return { subnets: [], zones: [...new Set(input.AvailabilityZones)] };
  }
  return undefined;
}

/** A launch template must exist (when EC2 serves launch templates). */
async function checkTemplate(ctx: RequestContext, t: LaunchTemplateSpec): Promise<void> {
  if (!t.LaunchTemplateId && !t.LaunchTemplateName)
    throw errors.validation('You must use a valid fully-formed launch template. A launch template ID or name is required.');
  if (t.LaunchTemplateId && t.LaunchTemplateName)
    throw errors.validation(
      'You must use a valid fully-formed launch template. You cannot specify both a launch template ID and a launch template name.',
    );
  try {
    await ctx.cloud.invoke(
      'ec2',
      'DescribeLaunchTemplates',
      t.LaunchTemplateId ? { LaunchTemplateIds: [t.LaunchTemplateId] } : { LaunchTemplateNames: [t.LaunchTemplateName] },
      { region: ctx.region },
    );
  } catch (err) {
    if (isAwsError(err, 'InvalidAction')) return;
    if (isAwsError(err)) throw errors.validation(`You must use a valid fully-formed launch template. ${err.message}`);
    throw err;
  }
}

function checkSizes(min: number, max: number, desired: number): void {
  if (min < 0)
    throw errors.validation(
      `1 validation error detected: Value '${min}' at 'minSize' failed to satisfy constraint: Member must have value greater than or equal to 0`,
    );
  if (max < 0)
    throw errors.validation(
      `1 validation error detected: Value '${max}' at 'maxSize' failed to satisfy constraint: Member must have value greater than or equal to 0`,
    );
  if (max < min) throw errors.validation(`Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
  if (desired < min || desired > max)
    throw errors.validation(`Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`);
}

function checkCommon(input: GroupInput): void {
  if (input.HealthCheckType !== undefined && !['EC2', 'ELB'].includes(input.HealthCheckType)) {
    throw errors.validation(`Health check type ${input.HealthCheckType} is not valid. Valid health check types are EC2 and ELB.`);
  }
  const badPolicy = input.TerminationPolicies?.find((p) => !TERMINATION_POLICIES.includes(p) && !p.startsWith('arn:aws:lambda:'));
  if (badPolicy) throw errors.validation(`Termination policy ${badPolicy} is not valid.`);
  if (
    input.MaxInstanceLifetime !== undefined &&
    input.MaxInstanceLifetime !== 0 &&
    (input.MaxInstanceLifetime < 86_400 || input.MaxInstanceLifetime > 31_536_000)
  ) {
    throw errors.validation('The maximum instance lifetime must be 0 or between 86400 and 31536000 seconds.');
  }
  if (input.HealthCheckGracePeriod !== undefined && input.HealthCheckGracePeriod < 0)
    throw errors.validation('HealthCheckGracePeriod must be greater than or equal to 0.');
  if (input.DefaultCooldown !== undefined && input.DefaultCooldown < 0)
    throw errors.validation('DefaultCooldown must be greater than or equal to 0.');
}

/** While no load balancer exists in this cloud, a group with health check type ELB is checked by EC2 only: an activity says so. */
function noteElb(ctx: RequestContext, g: GroupRecord): void {
  if (g.HealthCheckType !== 'ELB') return;
  startActivity(ctx.cloud, ctx.region, g, {
    Description:
      'Health check type ELB: no load balancer is attached to the group, so its instances are checked with EC2 health checks only.',
    Cause: cause(
      ctx.cloud.clock.now(),
      'a user request set the health check type of the AutoScalingGroup to ELB; this cloud has no Elastic Load Balancing yet.',
    ),
    StatusCode: 'Successful',
  });
}

/**
 * CreateAutoScalingGroup with InstanceId: AWS makes a launch configuration named after the group that derives its
 * attributes from the instance (all but the block device mapping) and, unless the request names subnets or zones,
 * places the group in the instance's subnet (or zone). The instance itself does not join the group. Should the group
 * not be created, that launch configuration is deleted again.
 */
async function createFromInstance(input: GroupInput & { InstanceId: string }, ctx: RequestContext): Promise<object> {
  const name = input.AutoScalingGroupName;
  if (launchConfigurations(ctx.cloud).get(ctx.region, name)) throw errors.launchConfigurationExists(name);
  const from = await settingsFromInstance(ctx, input.InstanceId);
  const where =
    input.VPCZoneIdentifier || input.AvailabilityZones?.length
      ? {}
      : from.subnetId
        ? { VPCZoneIdentifier: from.subnetId }
        : { AvailabilityZones: from.zone ? [from.zone] : undefined };
  await ctx.cloud.invoke(
    'autoscaling',
    'CreateLaunchConfiguration',
    { LaunchConfigurationName: name, InstanceId: input.InstanceId },
    { region: ctx.region },
  );
  try {
    return await createAutoScalingGroup({ ...input, ...where, InstanceId: undefined, LaunchConfigurationName: name }, ctx);
  } catch (err) {
    launchConfigurations(ctx.cloud).delete(ctx.region, name);
    throw err;
  }
}

export async function createAutoScalingGroup(input: GroupInput, ctx: RequestContext): Promise<object> {
  const { cloud, region } = ctx;
  const name = input.AutoScalingGroupName;
  if (name.length < 1 || name.length > 255) throw errors.validation('AutoScalingGroupName must be between 1 and 255 characters.');
  const sources = [input.LaunchConfigurationName, input.LaunchTemplate, input.MixedInstancesPolicy, input.InstanceId].filter(
    (x) => x !== undefined,
  ).length;
  if (sources === 0)
    throw errors.validation(
      'Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.',
    );
  if (sources > 1)
    throw errors.validation(
      'Valid requests must contain only one of LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.',
    );
  if (groups(cloud).get(region, name)) throw errors.groupExists(name);
  if (input.InstanceId) return createFromInstance(input as GroupInput & { InstanceId: string }, ctx);
  if (input.LaunchConfigurationName && !launchConfigurations(cloud).get(region, input.LaunchConfigurationName))
    throw errors.launchConfigurationNotFound(input.LaunchConfigurationName);
  const template = input.LaunchTemplate ?? input.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  if (input.MixedInstancesPolicy && !template)
    throw errors.validation('A MixedInstancesPolicy must contain a LaunchTemplate with a LaunchTemplateSpecification.');
  if (template) await checkTemplate(ctx, template);
  const min = input.MinSize as number;
  const max = input.MaxSize as number;
  const desired = input.DesiredCapacity ?? min;
  checkSizes(min, max, desired);
  checkCommon(input);
  const where = await placement(ctx, input);
  if (!where) throw errors.validation('At least one Availability Zone or VPC Subnet is required.');
  const tags: GroupTag[] = checkTags(input.Tags ?? [], name, true).map((t) => ({
    Key: t.Key,
    Value: t.Value ?? '',
    PropagateAtLaunch: t.PropagateAtLaunch ?? false,
  }));
  const now = cloud.clock.now();
  const record: GroupRecord = {
    AutoScalingGroupName: name,
    AutoScalingGroupARN: groupArn(region, ctx.accountId, name, randomUUID()),
    LaunchConfigurationName: input.LaunchConfigurationName,
    LaunchTemplate: input.LaunchTemplate,
    MixedInstancesPolicy: input.MixedInstancesPolicy,
    MinSize: min,
    MaxSize: max,
    DesiredCapacity: desired,
    DefaultCooldown: input.DefaultCooldown ?? 300,
    AvailabilityZones: where.zones,
    Subnets: where.subnets,
    HealthCheckType: (input.HealthCheckType ?? 'EC2') as 'EC2' | 'ELB',
    HealthCheckGracePeriod: input.HealthCheckGracePeriod ?? 0,
    CreatedTime: now,
    SuspendedProcesses: [],
    Tags: tags,
    TerminationPolicies: input.TerminationPolicies?.length ? input.TerminationPolicies : ['Default'],
    NewInstancesProtectedFromScaleIn: input.NewInstancesProtectedFromScaleIn ?? false,
    MaxInstanceLifetime: input.MaxInstanceLifetime || undefined,
    CapacityRebalance: input.CapacityRebalance ?? false,
    DefaultInstanceWarmup: input.DefaultInstanceWarmup,
    Instances: [],
    Launches: [],
    NotificationConfigurations: [],
    LaunchFailures: 0,
    FailedZones: {},
    PendingCause: desired > 0 ? cause(now, causes.userCreate(desired)) : undefined,
  };
  cloud.store.tx(() => {
    if (groups(cloud).get(region, name)) throw errors.groupExists(name);
    if (groups(cloud).list(region).length >= GROUP_LIMIT) throw errors.limitExceeded('Auto Scaling groups', GROUP_LIMIT);
    groups(cloud).put(region, name, record);
    for (const hook of input.LifecycleHookSpecificationList ?? []) putLifecycleHook({ ...hook, AutoScalingGroupName: name }, ctx);
  });
  noteElb(ctx, record);
  groupChanged(cloud);
  return {};
}

export async function updateAutoScalingGroup(input: GroupInput, ctx: RequestContext) {
  const { cloud, region } = ctx;
  const name = input.AutoScalingGroupName;
  const g = groups(cloud).get(region, name);
  if (!g) throw errors.groupNotFound(name);
  if (
    (input.LaunchConfigurationName || input.LaunchTemplate || input.MixedInstancesPolicy) &&
    activeRefreshOf(cloud, region, name)?.DesiredConfiguration
  ) {
    throw errors.validation(
      'An active instance refresh with a desired configuration exists. All configuration options derived from the desired configuration are not available for update while the instance refresh is active.',
    );
  }
  if (input.LaunchConfigurationName && !launchConfigurations(cloud).get(region, input.LaunchConfigurationName))
    throw errors.launchConfigurationNotFound(input.LaunchConfigurationName);
  const template = input.LaunchTemplate ?? input.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  if (template) await checkTemplate(ctx, template);
  checkCommon(input);
  const where = input.VPCZoneIdentifier !== undefined || input.AvailabilityZones?.length ? await placement(ctx, input) : undefined;
  const now = cloud.clock.now();
  let elbNow = false;
  const after = cloud.store.tx(() =>
    updateGroup(cloud, region, name, (x) => {
      const min = input.MinSize ?? x.MinSize;
      const max = input.MaxSize ?? x.MaxSize;
      // As AWS: a new min above the desired capacity raises it, a new max below it lowers it.
      let desired = input.DesiredCapacity ?? x.DesiredCapacity;
      if (input.DesiredCapacity === undefined) desired = Math.min(Math.max(desired, min), max);
      checkSizes(min, max, desired);
      if (desired !== x.DesiredCapacity) x.PendingCause = cause(now, causes.userUpdate(min, max, desired, x.DesiredCapacity));
      Object.assign(x, { MinSize: min, MaxSize: max, DesiredCapacity: desired });
      if (input.LaunchConfigurationName)
        Object.assign(x, {
          LaunchConfigurationName: input.LaunchConfigurationName,
          LaunchTemplate: undefined,
          MixedInstancesPolicy: undefined,
        });
      if (input.LaunchTemplate)
        Object.assign(x, { LaunchTemplate: input.LaunchTemplate, LaunchConfigurationName: undefined, MixedInstancesPolicy: undefined });
      if (input.MixedInstancesPolicy)
        Object.assign(x, {
          MixedInstancesPolicy: input.MixedInstancesPolicy,
          LaunchConfigurationName: undefined,
          LaunchTemplate: undefined,
        });
      if (where) Object.assign(x, { Subnets: where.subnets, AvailabilityZones: where.zones });
      if (input.DefaultCooldown !== undefined) x.DefaultCooldown = input.DefaultCooldown;
      if (input.HealthCheckType !== undefined) {
        elbNow = input.HealthCheckType === 'ELB' && x.HealthCheckType !== 'ELB';
        x.HealthCheckType = input.HealthCheckType as 'EC2' | 'ELB';
      }
      if (input.HealthCheckGracePeriod !== undefined) x.HealthCheckGracePeriod = input.HealthCheckGracePeriod;
      if (input.TerminationPolicies?.length) x.TerminationPolicies = input.TerminationPolicies;
      if (input.NewInstancesProtectedFromScaleIn !== undefined) x.NewInstancesProtectedFromScaleIn = input.NewInstancesProtectedFromScaleIn;
      if (input.MaxInstanceLifetime !== undefined) x.MaxInstanceLifetime = input.MaxInstanceLifetime || undefined;
      if (input.CapacityRebalance !== undefined) x.CapacityRebalance = input.CapacityRebalance;
      if (input.DefaultInstanceWarmup !== undefined) x.DefaultInstanceWarmup = input.DefaultInstanceWarmup;
    }),
  );
  if (after && elbNow) noteElb(ctx, after);
  groupChanged(cloud);
  return {};
}

export function deleteAutoScalingGroup(input: { AutoScalingGroupName: string; ForceDelete?: boolean }, ctx: RequestContext) {
  const { cloud, region } = ctx;
  const name = input.AutoScalingGroupName;
  const g = groups(cloud).get(region, name);
  if (!g) throw errors.groupNotFound(name);
  if (input.ForceDelete) {
    updateGroup(cloud, region, name, (x) => {
      x.Status = 'Delete in progress';
      x.DesiredCapacity = 0;
      x.MinSize = 0;
    });
    groupChanged(cloud);
    return {};
  }
  if (g.Instances.some(isTerminating) || g.Launches.length || hasActivityInProgress(cloud, region, name)) throw errors.activityInProgress();
  if (g.Instances.length) throw errors.groupHasInstances();
  // Its activities stay (six weeks), shown by DescribeScalingActivities with IncludeDeletedGroups.
  groups(cloud).delete(region, name);
  forgetGroupExtras(cloud, region, name);
  return {};
}

const presentInstance = (i: GroupInstance) => ({
  InstanceId: i.InstanceId,
  InstanceType: i.InstanceType,
  AvailabilityZone: i.AvailabilityZone,
  LifecycleState: i.LifecycleState,
  HealthStatus: i.HealthStatus,
  LaunchConfigurationName: i.LaunchConfigurationName,
  LaunchTemplate: i.LaunchTemplate,
  ProtectedFromScaleIn: i.ProtectedFromScaleIn,
});

export const presentGroup = (g: GroupRecord) => ({
  AutoScalingGroupName: g.AutoScalingGroupName,
  AutoScalingGroupARN: g.AutoScalingGroupARN,
  LaunchConfigurationName: g.LaunchConfigurationName,
  LaunchTemplate: g.LaunchTemplate,
  MixedInstancesPolicy: g.MixedInstancesPolicy,
  MinSize: g.MinSize,
  MaxSize: g.MaxSize,
  DesiredCapacity: g.DesiredCapacity,
  DefaultCooldown: g.DefaultCooldown,
  AvailabilityZones: g.AvailabilityZones,
  LoadBalancerNames: [],
  TargetGroupARNs: [],
  HealthCheckType: g.HealthCheckType,
  HealthCheckGracePeriod: g.HealthCheckGracePeriod,
  Instances: g.Instances.map(presentInstance),
  CreatedTime: new Date(g.CreatedTime),
  SuspendedProcesses: g.SuspendedProcesses,
  VPCZoneIdentifier: g.Subnets.length ? g.Subnets.join(',') : undefined,
  EnabledMetrics: g.EnabledMetrics ?? [],
  Status: g.Status,
  Tags: g.Tags.map((t) => presentTag(g.AutoScalingGroupName, t)),
  TerminationPolicies: g.TerminationPolicies,
  NewInstancesProtectedFromScaleIn: g.NewInstancesProtectedFromScaleIn,
  ServiceLinkedRoleARN: `arn:aws:iam::${g.AutoScalingGroupARN.split(':')[4]}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
  MaxInstanceLifetime: g.MaxInstanceLifetime,
  CapacityRebalance: g.CapacityRebalance,
  DefaultInstanceWarmup: g.DefaultInstanceWarmup,
  TrafficSources: [],
});

/**
 * While an instance refresh with a DesiredConfiguration runs, the group launches its replacements from that
 * configuration but, as on AWS, still shows (and keeps, unless the refresh succeeds) the one it had before.
 */
function configurationShown(
  ctx: RequestContext,
  g: GroupRecord,
): { LaunchConfigurationName?: string; LaunchTemplate?: LaunchTemplateSpec } {
  const r = activeRefreshOf(ctx.cloud, ctx.region, g.AutoScalingGroupName);
  return r?.DesiredConfiguration
    ? { LaunchConfigurationName: r.Previous.LaunchConfigurationName, LaunchTemplate: r.Previous.LaunchTemplate }
    : {};
}

type Filter = { Name?: string; Values?: string[] };

function matches(g: GroupRecord, filters: Filter[] | undefined): boolean {
  for (const f of filters ?? []) {
    const values = f.Values ?? [];
    const name = f.Name ?? '';
    if (name === 'tag-key') {
      if (!g.Tags.some((t) => values.includes(t.Key))) return false;
    } else if (name === 'tag-value') {
      if (!g.Tags.some((t) => values.includes(t.Value))) return false;
    } else if (name.startsWith('tag:')) {
      if (!g.Tags.some((t) => t.Key === name.slice(4) && values.includes(t.Value))) return false;
    } else throw errors.validation(`Filter name ${name} is not valid. Valid filter names are tag-key, tag-value and tag:<key>.`);
  }
  return true;
}

export function describeAutoScalingGroups(
  input: { AutoScalingGroupNames?: string[]; MaxRecords?: number; NextToken?: string; Filters?: Filter[] },
  ctx: RequestContext,
) {
  let list = groups(ctx.cloud).list(ctx.region);
  if (input.AutoScalingGroupNames?.length) list = list.filter((g) => input.AutoScalingGroupNames?.includes(g.AutoScalingGroupName));
  list = list.filter((g) => matches(g, input.Filters)).sort((a, b) => a.AutoScalingGroupName.localeCompare(b.AutoScalingGroupName));
  const page = autoScalingPage(list, input);
  return {
    AutoScalingGroups: page.items.map((g) => ({
      ...presentGroup(g),
      ...configurationShown(ctx, g),
      ...warmPoolSummary(ctx.cloud, ctx.region, g.AutoScalingGroupName),
    })),
    NextToken: page.next,
  };
}

export function describeAutoScalingInstances(
  input: { InstanceIds?: string[]; MaxRecords?: number; NextToken?: string },
  ctx: RequestContext,
) {
  const all = groups(ctx.cloud)
    .list(ctx.region)
    .flatMap((g) =>
      g.Instances.map((i) => ({
        ...presentInstance(i),
        AutoScalingGroupName: g.AutoScalingGroupName,
        HealthStatus: i.HealthStatus.toUpperCase(),
      })),
    );
  const list = (input.InstanceIds?.length ? all.filter((i) => input.InstanceIds?.includes(i.InstanceId)) : all).sort((a, b) =>
    a.InstanceId.localeCompare(b.InstanceId),
  );
  const page = autoScalingPage(list, input, 50);
  return { AutoScalingInstances: page.items, NextToken: page.next };
}
