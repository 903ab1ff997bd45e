import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { ProviderContext, Props, ResourceProvider } from '../../cloudformation/providers/types.js';
import { propsOf } from '../../cloudformation/providers/props.js';
import { bool, num, str } from '../../cloudformation/providers/values.js';
import type { MixedInstancesPolicy } from '../generated/types.js';
import { describeGroup, type DescribedGroup } from './group.js';
import { rollingUpdate, rollingUpdatePolicy, ROLLING_TRIGGERS } from './rolling-update.js';

const list = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map((x) => String(x)) : undefined);

function launchTemplate(v: unknown) {
  if (!v || typeof v !== 'object') return undefined;
  const t = v as Props;
  return { LaunchTemplateId: str(t.LaunchTemplateId), LaunchTemplateName: str(t.LaunchTemplateName), Version: str(t.Version) };
}

const reserved = (t: { Key: string }) => t.Key.toLowerCase().startsWith('aws:');

/** The template's Tags plus the aws:cloudformation:* (and stack) tags, which AWS propagates to the instances. */
function groupTags(name: string, p: Props, ctx: ProviderContext) {
  const own = (propsOf(p, ctx.logicalId).objList('Tags') ?? []).map((t) => ({
    Key: t.requiredStr('Key'),
    Value: t.str('Value') ?? '',
    PropagateAtLaunch: t.bool('PropagateAtLaunch') ?? false,
  }));
  const added = ctx.stackTags
    .filter((t) => !own.some((o) => o.Key === t.Key))
    .map((t) => ({ Key: t.Key, Value: t.Value, PropagateAtLaunch: true }));
  return [...own, ...added].map((t) => ({ ...t, ResourceId: name, ResourceType: 'auto-scaling-group' }));
}

/** The settings CreateAutoScalingGroup and UpdateAutoScalingGroup share, from the template's properties. */
function settings(p: Props) {
  return {
    LaunchConfigurationName: str(p.LaunchConfigurationName),
    LaunchTemplate: launchTemplate(p.LaunchTemplate),
    // Nested many levels deep: handed on whole, and held to the model by invoke's validation as the API would.
    MixedInstancesPolicy: p.MixedInstancesPolicy as MixedInstancesPolicy | undefined,
    MinSize: num(p.MinSize),
    MaxSize: num(p.MaxSize),
    DesiredCapacity: num(p.DesiredCapacity),
    DesiredCapacityType: str(p.DesiredCapacityType),
    DefaultCooldown: num(p.Cooldown),
    DefaultInstanceWarmup: num(p.DefaultInstanceWarmup),
    AvailabilityZones: list(p.AvailabilityZones),
    VPCZoneIdentifier: list(p.VPCZoneIdentifier)?.join(','),
    HealthCheckType: str(p.HealthCheckType),
    HealthCheckGracePeriod: num(p.HealthCheckGracePeriod),
    PlacementGroup: str(p.PlacementGroup),
    TerminationPolicies: list(p.TerminationPolicies),
    NewInstancesProtectedFromScaleIn: bool(p.NewInstancesProtectedFromScaleIn),
    ServiceLinkedRoleARN: str(p.ServiceLinkedRoleARN),
    MaxInstanceLifetime: num(p.MaxInstanceLifetime),
    CapacityRebalance: bool(p.CapacityRebalance),
    Context: str(p.Context),
  };
}

async function applyNotifications(name: string, p: Props, previous: Props | undefined, ctx: ProviderContext): Promise<void> {
  const configurations = (props: Props | undefined) => (props && propsOf(props, ctx.logicalId).objList('NotificationConfigurations')) ?? [];
  const now = configurations(p);
  for (const old of configurations(previous)) {
    const topic = old.requiredStr('TopicARN');
    if (!now.some((n) => n.requiredStr('TopicARN') === topic)) {
      await ctx.invoke('autoscaling', 'DeleteNotificationConfiguration', { AutoScalingGroupName: name, TopicARN: topic });
    }
  }
  for (const n of now) {
    await ctx.invoke('autoscaling', 'PutNotificationConfiguration', {
      AutoScalingGroupName: name,
      TopicARN: n.requiredStr('TopicARN'),
      NotificationTypes: n.strList('NotificationTypes') ?? [],
    });
  }
}

async function applyMetrics(name: string, p: Props, previous: Props | undefined, ctx: ProviderContext): Promise<void> {
  const now = propsOf(p, ctx.logicalId).objList('MetricsCollection') ?? [];
  if (JSON.stringify(p.MetricsCollection ?? []) === JSON.stringify(previous?.MetricsCollection ?? [])) return;
  if (previous?.MetricsCollection) await ctx.invoke('autoscaling', 'DisableMetricsCollection', { AutoScalingGroupName: name });
  for (const m of now) {
    await ctx.invoke('autoscaling', 'EnableMetricsCollection', {
      AutoScalingGroupName: name,
      Granularity: m.str('Granularity') ?? '1Minute',
      Metrics: m.strList('Metrics'),
    });
  }
}

async function applyTags(name: string, p: Props, previous: Props, ctx: ProviderContext): Promise<void> {
  // The aws:cloudformation:* keys never change for a group (and may only be set at creation): only the template's
  // (and the stack's) tags are updated.
  const now = groupTags(name, p, ctx).filter((t) => !reserved(t));
  const before = groupTags(name, previous, ctx).filter((t) => !reserved(t));
  const gone = before.filter((t) => !now.some((n) => n.Key === t.Key));
  if (gone.length) await ctx.invoke('autoscaling', 'DeleteTags', { Tags: gone });
  if (now.length) await ctx.invoke('autoscaling', 'CreateOrUpdateTags', { Tags: now });
}

/** The group's wanted capacity: DesiredCapacity, or MinSize when the template gives none. */
function wanted(p: Props, g: DescribedGroup): number {
  return num(p.DesiredCapacity) ?? g.DesiredCapacity ?? num(p.MinSize) ?? 0;
}

/**
 * Waits until the group has its desired capacity InService (what CloudFormation waits for). A launch that fails
 * fails the resource with the scaling activity's message, as CloudFormation reports it.
 */
export async function waitInService(ctx: ProviderContext, name: string, p: Props): Promise<void> {
  for (;;) {
    const g = await describeGroup(ctx, name);
    if (!g) throw new Error(`Auto Scaling group ${name} disappeared while CloudFormation waited for its instances`);
    const inService = (g.Instances ?? []).filter((i) => i.LifecycleState === 'InService').length;
    if (inService >= wanted(p, g)) return;
    const out = await ctx.invoke('autoscaling', 'DescribeScalingActivities', { AutoScalingGroupName: name, MaxRecords: 10 });
    const latest = out.Activities?.[0];
    const failed = latest?.StatusCode === 'Failed' ? latest : undefined;
    if (failed) throw new Error(failed.StatusMessage ?? failed.Description ?? 'Instance failed to launch');
    await ctx.clock.sleep(5000);
  }
}

const hasResourceSignals = (ctx: ProviderContext) => Boolean((ctx.policies.creation as Props | undefined)?.ResourceSignal);

/**
 * AWS::AutoScaling::AutoScalingGroup through the Auto Scaling API. Creation is complete when the desired instances
 * are InService, or, with a CreationPolicy ResourceSignal, when the signals have come (the engine waits for them).
 * A change of launch configuration/template or subnets rolls the instances only with an UpdatePolicy
 * AutoScalingRollingUpdate (AutoScalingReplacingUpdate makes a new group: see `replaces`); otherwise it affects
 * only instances launched later, as on AWS. Ref is the group's name.
 */
export const autoScalingGroupProvider: ResourceProvider = {
  type: 'AWS::AutoScaling::AutoScalingGroup',
  required: ['MinSize', 'MaxSize'],
  replaceOn: ['AutoScalingGroupName', 'InstanceId'],
  replaces(changed, updatePolicy) {
    const replacing = (updatePolicy as Props | undefined)?.AutoScalingReplacingUpdate as Props | undefined;
    return Boolean(replacing && bool(replacing.WillReplace) && changed.some((k) => ROLLING_TRIGGERS.includes(k)));
  },
  async create(p: Props, ctx) {
    const name = str(p.AutoScalingGroupName) ?? ctx.physicalName(255);
    const input = {
      AutoScalingGroupName: name,
      ...settings(p),
      MinSize: propsOf(p, ctx.logicalId).requiredNum('MinSize'),
      MaxSize: propsOf(p, ctx.logicalId).requiredNum('MaxSize'),
      InstanceId: str(p.InstanceId),
      LoadBalancerNames: list(p.LoadBalancerNames),
      TargetGroupARNs: list(p.TargetGroupARNs),
      LifecycleHookSpecificationList: propsOf(p, ctx.logicalId)
        .objList('LifecycleHookSpecificationList')
        ?.map((h) => ({
          LifecycleHookName: h.requiredStr('LifecycleHookName'),
          LifecycleTransition: h.requiredStr('LifecycleTransition'),
          DefaultResult: h.str('DefaultResult'),
          HeartbeatTimeout: h.num('HeartbeatTimeout'),
          NotificationMetadata: h.str('NotificationMetadata'),
          NotificationTargetARN: h.str('NotificationTargetARN'),
          RoleARN: h.str('RoleARN'),
        })),
      Tags: groupTags(name, p, ctx),
    };
    await ctx.invoke('autoscaling', 'CreateAutoScalingGroup', input);
    await applyNotifications(name, p, undefined, ctx);
    await applyMetrics(name, p, undefined, ctx);
    return { physicalId: name };
  },
  async stabilize(name, p, ctx) {
    // With resource signals, CloudFormation waits for the signals instead (the engine does, after this).
    if (hasResourceSignals(ctx)) return;
    await waitInService(ctx, name, p);
  },
  async update(name, p, previous, ctx) {
    const changed = (k: string) => JSON.stringify(p[k]) !== JSON.stringify(previous[k]);
    const s = settings(p);
    const rolling = rollingUpdatePolicy(ctx.policies.update);
    const rolls = Boolean(rolling) && ROLLING_TRIGGERS.some(changed);
    await ctx.invoke('autoscaling', 'UpdateAutoScalingGroup', {
      AutoScalingGroupName: name,
      ...s,
      // A launch template replaces a launch configuration (and the other way round) only when given.
      LaunchConfigurationName: s.LaunchConfigurationName,
      LaunchTemplate: s.LaunchTemplate,
      // Capacity the template does not pin stays where scaling put it.
      DesiredCapacity: changed('DesiredCapacity') ? s.DesiredCapacity : undefined,
    });
    if (changed('Tags')) await applyTags(name, p, previous, ctx);
    if (changed('NotificationConfigurations')) await applyNotifications(name, p, previous, ctx);
    await applyMetrics(name, p, previous, ctx);
    if (rolls && rolling) await rollingUpdate(ctx, name, p, rolling, changed('VPCZoneIdentifier') || changed('PlacementGroup'));
    return { physicalId: name };
  },
  async delete(name, _p, ctx) {
    if (!(await describeGroup(ctx, name))) return;
    await ctx.invoke('autoscaling', 'DeleteAutoScalingGroup', { AutoScalingGroupName: name, ForceDelete: true });
    while (await describeGroup(ctx, name)) await ctx.clock.sleep(5000);
  },
};

registerProvider(autoScalingGroupProvider);
