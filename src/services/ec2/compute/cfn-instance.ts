import { AwsError } from '../../../protocol/errors.js';
import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { ProviderContext, Props, ResourceProvider } from '../../cloudformation/providers/types.js';
import { bool, given, num, str, tagSpecs } from '../../cloudformation/providers/values.js';
import type { ReservationInstance } from '../generated/types.js';

/** An instance as DescribeInstances and RunInstances show it. */
type DescribedInstance = ReservationInstance;

async function describe(ctx: ProviderContext, id: string): Promise<DescribedInstance | undefined> {
  try {
    const out = await ctx.invoke('ec2', 'DescribeInstances', { InstanceIds: [id] });
    return out.Reservations?.[0]?.Instances?.[0];
  } catch (err) {
    if (err instanceof AwsError && err.code === 'InvalidInstanceID.NotFound') return undefined;
    throw err;
  }
}

function attributes(i: DescribedInstance) {
  return {
    AvailabilityZone: i.Placement?.AvailabilityZone,
    PrivateDnsName: i.PrivateDnsName,
    PrivateIp: i.PrivateIpAddress,
    PublicDnsName: i.PublicDnsName ?? '',
    PublicIp: i.PublicIpAddress ?? '',
  };
}

const list = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map((x) => String(x)) : undefined);

/** AWS::EC2::Instance through RunInstances / TerminateInstances, so a template's instance is an API instance. */
export const instanceProvider: ResourceProvider = {
  type: 'AWS::EC2::Instance',
  replaceOn: [
    'LaunchTemplate',
    'ImageId',
    'KeyName',
    'SubnetId',
    'AvailabilityZone',
    'PrivateIpAddress',
    'NetworkInterfaces',
    'SecurityGroups',
    'IamInstanceProfile',
    'HibernationOptions',
  ],
  async create(p: Props, ctx) {
    const nics = Array.isArray(p.NetworkInterfaces) ? (p.NetworkInterfaces as Props[]) : undefined;
    const template = p.LaunchTemplate as Props | undefined;
    // ImageId is required unless a launch template gives it (AWS's schema: one or the other).
    if (p.ImageId === undefined && !template)
      throw new Error(`Properties validation failed for resource ${ctx.logicalId} with message: #: required key [ImageId] not found`);
    const input = {
      LaunchTemplate: template
        ? {
            LaunchTemplateId: str(template.LaunchTemplateId),
            LaunchTemplateName: str(template.LaunchTemplateName),
            Version: str(template.Version),
          }
        : undefined,
      ImageId: str(p.ImageId),
      // Without a type, RunInstances takes the launch template's, else its own default.
      InstanceType: str(p.InstanceType),
      MinCount: 1,
      MaxCount: 1,
      KeyName: str(p.KeyName),
      SubnetId: nics ? undefined : str(p.SubnetId),
      SecurityGroupIds: nics ? undefined : list(p.SecurityGroupIds),
      SecurityGroups: list(p.SecurityGroups),
      UserData: str(p.UserData),
      IamInstanceProfile: p.IamInstanceProfile
        ? String(p.IamInstanceProfile).startsWith('arn:')
          ? { Arn: String(p.IamInstanceProfile) }
          : { Name: String(p.IamInstanceProfile) }
        : undefined,
      PrivateIpAddress: nics ? undefined : str(p.PrivateIpAddress),
      Placement: p.AvailabilityZone ? { AvailabilityZone: str(p.AvailabilityZone) } : undefined,
      DisableApiTermination: bool(p.DisableApiTermination),
      InstanceInitiatedShutdownBehavior: str(p.InstanceInitiatedShutdownBehavior),
      Monitoring: p.Monitoring !== undefined ? { Enabled: bool(p.Monitoring) ?? false } : undefined,
      HibernationOptions: p.HibernationOptions ? { Configured: bool((p.HibernationOptions as Props).Configured) } : undefined,
      MetadataOptions: p.MetadataOptions
        ? {
            HttpTokens: str((p.MetadataOptions as Props).HttpTokens),
            HttpEndpoint: str((p.MetadataOptions as Props).HttpEndpoint),
            HttpPutResponseHopLimit: num((p.MetadataOptions as Props).HttpPutResponseHopLimit),
            InstanceMetadataTags: str((p.MetadataOptions as Props).InstanceMetadataTags),
          }
        : undefined,
      NetworkInterfaces: nics?.map((n) => ({
        DeviceIndex: num(n.DeviceIndex) ?? 0,
        SubnetId: str(n.SubnetId),
        Groups: list(n.GroupSet),
        AssociatePublicIpAddress: bool(n.AssociatePublicIpAddress),
        PrivateIpAddress: str(n.PrivateIpAddress),
        DeleteOnTermination: bool(n.DeleteOnTermination),
      })),
      TagSpecifications: tagSpecs('instance', [...((p.Tags ?? []) as Array<{ Key: string; Value: string }>), ...ctx.stackTags]),
    };
    const out = await ctx.invoke('ec2', 'RunInstances', input);
    const instance = given(out.Instances?.[0], 'instance');
    return { physicalId: given(instance.InstanceId, 'InstanceId'), attributes: attributes(instance) };
  },
  async stabilize(id, _p, ctx) {
    for (;;) {
      const i = await describe(ctx, id);
      if (!i) throw new Error(`Instance ${id} disappeared while launching`);
      if (i.State?.Name === 'running') return;
      if (i.State?.Name !== 'pending')
        throw new Error(
          `Instance ${id} did not stabilize: it is ${i.State?.Name}${i.StateReason?.Message ? ` (${i.StateReason.Message})` : ''}`,
        );
      await ctx.clock.sleep(1000);
    }
  },
  async update(id, p, previous, ctx) {
    const changed = (k: string) => JSON.stringify(p[k]) !== JSON.stringify(previous[k]);
    if (changed('SecurityGroupIds') && p.SecurityGroupIds) {
      await ctx.invoke('ec2', 'ModifyInstanceAttribute', { InstanceId: id, Groups: list(p.SecurityGroupIds) });
    }
    if (changed('DisableApiTermination')) {
      await ctx.invoke('ec2', 'ModifyInstanceAttribute', {
        InstanceId: id,
        DisableApiTermination: { Value: bool(p.DisableApiTermination) ?? false },
      });
    }
    const needsStop = changed('InstanceType') || changed('UserData');
    if (needsStop) {
      await ctx.invoke('ec2', 'StopInstances', { InstanceIds: [id] });
      for (let i = await describe(ctx, id); i && i.State?.Name !== 'stopped'; i = await describe(ctx, id)) await ctx.clock.sleep(1000);
      if (changed('InstanceType'))
        await ctx.invoke('ec2', 'ModifyInstanceAttribute', { InstanceId: id, InstanceType: { Value: str(p.InstanceType) } });
      if (changed('UserData'))
        await ctx.invoke('ec2', 'ModifyInstanceAttribute', {
          InstanceId: id,
          UserData: { Value: Buffer.from(str(p.UserData) ?? '', 'base64') },
        });
      await ctx.invoke('ec2', 'StartInstances', { InstanceIds: [id] });
    }
    if (changed('Monitoring')) {
      await ctx.invoke('ec2', bool(p.Monitoring) ? 'MonitorInstances' : 'UnmonitorInstances', { InstanceIds: [id] });
    }
    if (changed('Tags')) {
      const tags = (p.Tags ?? []) as Array<{ Key: string; Value: string }>;
      if (tags.length)
        await ctx.invoke('ec2', 'CreateTags', { Resources: [id], Tags: tags.map((t) => ({ Key: String(t.Key), Value: String(t.Value) })) });
    }
    const i = await describe(ctx, id);
    return { physicalId: id, attributes: i ? attributes(i) : undefined };
  },
  async delete(id, _p, ctx) {
    const i = await describe(ctx, id);
    if (!i || i.State?.Name === 'terminated') return;
    await ctx.invoke('ec2', 'TerminateInstances', { InstanceIds: [id] });
    for (let cur = await describe(ctx, id); cur && cur.State?.Name !== 'terminated'; cur = await describe(ctx, id))
      await ctx.clock.sleep(1000);
  },
};

registerProvider(instanceProvider);
