import { isAwsError } from '../../../protocol/errors.js';
import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { ProviderContext, Props, ResourceProvider } from '../../cloudformation/providers/types.js';
import { bool, num, str } from '../../cloudformation/providers/values.js';

const list = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map((x) => String(x)) : undefined);

function blockDevices(v: unknown) {
  if (!Array.isArray(v)) return undefined;
  return (v as Props[]).map((b) => ({
    DeviceName: str(b.DeviceName),
    VirtualName: str(b.VirtualName),
    NoDevice: bool(b.NoDevice),
    Ebs: b.Ebs
      ? {
          SnapshotId: str(b.Ebs.SnapshotId),
          VolumeSize: num(b.Ebs.VolumeSize),
          VolumeType: str(b.Ebs.VolumeType),
          DeleteOnTermination: bool(b.Ebs.DeleteOnTermination),
          Iops: num(b.Ebs.Iops),
          Throughput: num(b.Ebs.Throughput),
          Encrypted: bool(b.Ebs.Encrypted),
        }
      : undefined,
  }));
}

async function exists(ctx: ProviderContext, name: string): Promise<boolean> {
  const out = await ctx.invoke<{ LaunchConfigurations: unknown[] }>('autoscaling', 'DescribeLaunchConfigurations', {
    LaunchConfigurationNames: [name],
  });
  return out.LaunchConfigurations.length > 0;
}

/**
 * AWS::AutoScaling::LaunchConfiguration through CreateLaunchConfiguration. A launch configuration cannot be
 * changed: every property change replaces it (a new one is made, the groups move to it, the old one is deleted).
 * Ref is its name.
 */
export const launchConfigurationProvider: ResourceProvider = {
  type: 'AWS::AutoScaling::LaunchConfiguration',
  required: ['ImageId', 'InstanceType'],
  async create(p: Props, ctx) {
    const name = str(p.LaunchConfigurationName) ?? ctx.physicalName(255);
    const metadata = p.MetadataOptions as Props | undefined;
    await ctx.invoke('autoscaling', 'CreateLaunchConfiguration', {
      LaunchConfigurationName: name,
      ImageId: str(p.ImageId),
      InstanceType: str(p.InstanceType),
      InstanceId: str(p.InstanceId),
      KeyName: str(p.KeyName),
      SecurityGroups: list(p.SecurityGroups),
      UserData: str(p.UserData),
      IamInstanceProfile: str(p.IamInstanceProfile),
      AssociatePublicIpAddress: bool(p.AssociatePublicIpAddress),
      InstanceMonitoring: p.InstanceMonitoring !== undefined ? { Enabled: bool(p.InstanceMonitoring) } : undefined,
      BlockDeviceMappings: blockDevices(p.BlockDeviceMappings),
      EbsOptimized: bool(p.EbsOptimized),
      KernelId: str(p.KernelId),
      RamdiskId: str(p.RamDiskId),
      SpotPrice: str(p.SpotPrice),
      PlacementTenancy: str(p.PlacementTenancy),
      ClassicLinkVPCId: str(p.ClassicLinkVPCId),
      ClassicLinkVPCSecurityGroups: list(p.ClassicLinkVPCSecurityGroups),
      MetadataOptions: metadata
        ? {
            HttpTokens: str(metadata.HttpTokens),
            HttpEndpoint: str(metadata.HttpEndpoint),
            HttpPutResponseHopLimit: num(metadata.HttpPutResponseHopLimit),
          }
        : undefined,
    });
    return { physicalId: name };
  },
  async delete(name, _p, ctx) {
    // A group being replaced may still hold it for a moment (its deletion finishing): retry on the cloud's clock.
    for (let attempt = 0; ; attempt++) {
      if (!(await exists(ctx, name))) return;
      try {
        await ctx.cloud.invoke('autoscaling', 'DeleteLaunchConfiguration', { LaunchConfigurationName: name }, { region: ctx.region });
        return;
      } catch (err) {
        if (!isAwsError(err, 'ResourceInUse') || attempt >= 30) throw err;
        await ctx.clock.sleep(10_000);
      }
    }
  },
};

registerProvider(launchConfigurationProvider);
