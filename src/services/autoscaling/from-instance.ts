import { isAwsError } from '../../protocol/errors.js';
import type { RequestContext } from '../types.js';
import { errors } from './errors.js';
import type { LaunchConfigurationRecord } from './state.js';

interface DescribedInstance {
  InstanceId: string;
  ImageId: string;
  InstanceType: string;
  KeyName?: string;
  SubnetId?: string;
  Placement?: { AvailabilityZone?: string };
  State?: { Name?: string };
  SecurityGroups?: Array<{ GroupId: string }>;
  IamInstanceProfile?: { Arn?: string };
  Monitoring?: { State?: string };
  EbsOptimized?: boolean;
  PublicIpAddress?: string;
  MetadataOptions?: { HttpTokens?: string; HttpPutResponseHopLimit?: number; HttpEndpoint?: string };
}

/** What a launch configuration derives from an instance (AWS: every attribute but the block device mapping), and where the instance runs. */
export interface InstanceSettings {
  settings: Omit<LaunchConfigurationRecord, 'LaunchConfigurationName' | 'LaunchConfigurationARN' | 'CreatedTime'>;
  subnetId?: string;
  zone?: string;
}

export async function settingsFromInstance(ctx: RequestContext, instanceId: string): Promise<InstanceSettings> {
  const { cloud, region } = ctx;
  let i: DescribedInstance | undefined;
  try {
    const out = await cloud.invoke<{ Reservations: Array<{ Instances: DescribedInstance[] }> }>(
      'ec2',
      'DescribeInstances',
      { InstanceIds: [instanceId] },
      { region },
    );
    i = out.Reservations[0]?.Instances[0];
  } catch (err) {
    if (!isAwsError(err, 'InvalidInstanceID.NotFound') && !isAwsError(err, 'InvalidInstanceID.Malformed')) throw err;
  }
  if (!i || i.State?.Name === 'terminated') throw errors.validation(`Invalid instance id: ${instanceId}`);
  const attr = await cloud.invoke<{ UserData?: { Value?: string } }>(
    'ec2',
    'DescribeInstanceAttribute',
    { InstanceId: instanceId, Attribute: 'userData' },
    { region },
  );
  return {
    settings: {
      ImageId: i.ImageId,
      InstanceType: i.InstanceType,
      KeyName: i.KeyName,
      SecurityGroups: (i.SecurityGroups ?? []).map((g) => g.GroupId),
      UserData: attr.UserData?.Value || undefined,
      IamInstanceProfile: i.IamInstanceProfile?.Arn,
      AssociatePublicIpAddress: i.SubnetId ? Boolean(i.PublicIpAddress) : undefined,
      MetadataOptions: i.MetadataOptions && {
        HttpTokens: i.MetadataOptions.HttpTokens,
        HttpPutResponseHopLimit: i.MetadataOptions.HttpPutResponseHopLimit,
        HttpEndpoint: i.MetadataOptions.HttpEndpoint,
      },
      InstanceMonitoring: { Enabled: i.Monitoring?.State === 'enabled' || i.Monitoring?.State === 'pending' },
      BlockDeviceMappings: [],
      EbsOptimized: i.EbsOptimized ?? false,
    },
    subnetId: i.SubnetId,
    zone: i.Placement?.AvailabilityZone,
  };
}
