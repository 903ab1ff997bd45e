import type { ProviderContext } from '../../cloudformation/providers/types.js';
import { given } from '../../cloudformation/providers/values.js';
import type { AutoScalingGroup, Instance } from '../generated/types.js';

/** An Auto Scaling group's instance as DescribeAutoScalingGroups shows it, with the members it always has. */
export interface GroupInstance {
  InstanceId: string;
  AvailabilityZone: string;
  LifecycleState: string;
  HealthStatus: string;
  LaunchConfigurationName?: string;
  LaunchTemplate?: { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string };
}

/** An Auto Scaling group as DescribeAutoScalingGroups shows it (what the providers read), with the members it always has. */
export interface DescribedGroup {
  AutoScalingGroupName: string;
  MinSize: number;
  MaxSize: number;
  DesiredCapacity: number;
  LaunchConfigurationName?: string;
  LaunchTemplate?: { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string };
  VPCZoneIdentifier?: string;
  Instances?: GroupInstance[];
  Status?: string;
  Tags?: Array<{ Key: string; Value: string; PropagateAtLaunch?: boolean }>;
}

export async function describeGroup(ctx: ProviderContext, name: string): Promise<DescribedGroup | undefined> {
  const out = await ctx.invoke('autoscaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: [name] });
  const group = out.AutoScalingGroups?.[0];
  return group && described(group);
}

function described(g: AutoScalingGroup): DescribedGroup {
  return {
    ...g,
    AutoScalingGroupName: given(g.AutoScalingGroupName, 'AutoScalingGroupName'),
    MinSize: given(g.MinSize, 'MinSize'),
    MaxSize: given(g.MaxSize, 'MaxSize'),
    DesiredCapacity: given(g.DesiredCapacity, 'DesiredCapacity'),
    Instances: g.Instances?.map(describedInstance),
    Tags: g.Tags?.map((t) => ({ ...t, Key: given(t.Key, 'tag Key'), Value: t.Value ?? '' })),
  };
}

function describedInstance(i: Instance): GroupInstance {
  return {
    ...i,
    InstanceId: given(i.InstanceId, 'InstanceId'),
    AvailabilityZone: given(i.AvailabilityZone, 'AvailabilityZone'),
    LifecycleState: given(i.LifecycleState, 'LifecycleState'),
    HealthStatus: given(i.HealthStatus, 'HealthStatus'),
  };
}
