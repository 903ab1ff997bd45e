import { isAwsError } from '../../../protocol/errors.js';
import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { ProviderContext, Props, ResourceProvider } from '../../cloudformation/providers/types.js';
import { propsOf, type PropsReader } from '../../cloudformation/providers/props.js';

function blockDevices(list: PropsReader[] | undefined) {
  return list?.map((b) => {
    const ebs = b.obj('Ebs');
    return {
      DeviceName: b.requiredStr('DeviceName'),
      VirtualName: b.str('VirtualName'),
      NoDevice: b.bool('NoDevice'),
      Ebs: ebs && {
        SnapshotId: ebs.str('SnapshotId'),
        VolumeSize: ebs.num('VolumeSize'),
        VolumeType: ebs.str('VolumeType'),
        DeleteOnTermination: ebs.bool('DeleteOnTermination'),
        Iops: ebs.num('Iops'),
        Throughput: ebs.num('Throughput'),
        Encrypted: ebs.bool('Encrypted'),
      },
    };
  });
}

async function exists(ctx: ProviderContext, name: string): Promise<boolean> {
  const out = await ctx.invoke('autoscaling', 'DescribeLaunchConfigurations', { LaunchConfigurationNames: [name] });
  return (out.LaunchConfigurations ?? []).length > 0;
}

/**
 * AWS::AutoScaling::LaunchConfiguration through CreateLaunchConfiguration. A launch configuration cannot be
 * changed: every property change replaces it (a new one is made, the groups move to it, the old one is deleted).
 * Ref is its name.
 */
export const launchConfigurationProvider: ResourceProvider = {
  type: 'AWS::AutoScaling::LaunchConfiguration',
  required: ['ImageId', 'InstanceType'],
  async create(props: Props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    const name = p.str('LaunchConfigurationName') ?? ctx.physicalName(255);
    const metadata = p.obj('MetadataOptions');
    await ctx.invoke('autoscaling', 'CreateLaunchConfiguration', {
      LaunchConfigurationName: name,
      ImageId: p.str('ImageId'),
      InstanceType: p.str('InstanceType'),
      InstanceId: p.str('InstanceId'),
      KeyName: p.str('KeyName'),
      SecurityGroups: p.strList('SecurityGroups'),
      UserData: p.str('UserData'),
      IamInstanceProfile: p.str('IamInstanceProfile'),
      AssociatePublicIpAddress: p.bool('AssociatePublicIpAddress'),
      InstanceMonitoring: p.has('InstanceMonitoring') ? { Enabled: p.bool('InstanceMonitoring') } : undefined,
      BlockDeviceMappings: blockDevices(p.objList('BlockDeviceMappings')),
      EbsOptimized: p.bool('EbsOptimized'),
      KernelId: p.str('KernelId'),
      RamdiskId: p.str('RamDiskId'),
      SpotPrice: p.str('SpotPrice'),
      PlacementTenancy: p.str('PlacementTenancy'),
      ClassicLinkVPCId: p.str('ClassicLinkVPCId'),
      ClassicLinkVPCSecurityGroups: p.strList('ClassicLinkVPCSecurityGroups'),
      MetadataOptions: metadata && {
        HttpTokens: metadata.str('HttpTokens'),
        HttpEndpoint: metadata.str('HttpEndpoint'),
        HttpPutResponseHopLimit: metadata.num('HttpPutResponseHopLimit'),
      },
    });
    return { physicalId: name };
  },
  async delete(name, _p, ctx) {
    // A group being replaced may still hold it for a moment (its deletion finishing): retry on the cloud's clock.
    for (let attempt = 0; ; attempt++) {
      if (!(await exists(ctx, name))) return;
      try {
        await ctx.invoke('autoscaling', 'DeleteLaunchConfiguration', { LaunchConfigurationName: name });
        return;
      } catch (err) {
        if (!isAwsError(err, 'ResourceInUse') || attempt >= 30) throw err;
        await ctx.clock.sleep(10_000);
      }
    }
  },
};

registerProvider(launchConfigurationProvider);
