import type { ProviderContext } from '../../cloudformation/providers/types.js';

/** An Auto Scaling group as DescribeAutoScalingGroups shows it (what the providers read). */
export interface GroupInstance {
  InstanceId: string;
  AvailabilityZone: string;
  LifecycleState: string;
  HealthStatus: string;
  LaunchConfigurationName?: string;
  LaunchTemplate?: { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string };
}

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
  const out = await ctx.invoke<{ AutoScalingGroups: DescribedGroup[] }>('autoscaling', 'DescribeAutoScalingGroups', {
    AutoScalingGroupNames: [name],
  });
  return out.AutoScalingGroups[0];
}
