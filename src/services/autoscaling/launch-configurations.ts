import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../types.js';
import { errors } from './errors.js';
import { autoScalingPage } from './paging.js';
import { settingsFromInstance } from './from-instance.js';
import { groups, launchConfigurationArn, launchConfigurations, type BlockDeviceMapping, type LaunchConfigurationRecord } from './state.js';

export const LAUNCH_CONFIGURATION_LIMIT = 200;

interface CreateInput {
  LaunchConfigurationName: string;
  ImageId?: string;
  InstanceType?: string;
  InstanceId?: string;
  KeyName?: string;
  SecurityGroups?: string[];
  UserData?: string;
  IamInstanceProfile?: string;
  AssociatePublicIpAddress?: boolean;
  MetadataOptions?: LaunchConfigurationRecord['MetadataOptions'];
  InstanceMonitoring?: { Enabled?: boolean };
  BlockDeviceMappings?: BlockDeviceMapping[];
  EbsOptimized?: boolean;
}

export async function createLaunchConfiguration(input: CreateInput, ctx: RequestContext) {
  const { cloud, region } = ctx;
  const name = input.LaunchConfigurationName;
  if (name.length < 1 || name.length > 255) throw errors.validation('LaunchConfigurationName must be between 1 and 255 characters.');
  // From an instance, every attribute but the block device mapping is derived from it; the request's own override them.
  const derived = input.InstanceId ? (await settingsFromInstance(ctx, input.InstanceId)).settings : undefined;
  const imageId = input.ImageId ?? derived?.ImageId;
  const instanceType = input.InstanceType ?? derived?.InstanceType;
  if (!imageId) throw errors.validation('Valid requests must contain either the ImageId or the InstanceId parameter.');
  if (!instanceType) throw errors.validation('Valid requests must contain either the InstanceType or the InstanceId parameter.');
  if (input.UserData !== undefined && Buffer.from(input.UserData, 'base64').length > 21_847)
    throw errors.validation('User data is limited to 21847 bytes.');
  if (input.MetadataOptions?.HttpTokens && !['optional', 'required'].includes(input.MetadataOptions.HttpTokens)) {
    throw errors.validation(
      `1 validation error detected: Value '${input.MetadataOptions.HttpTokens}' at 'metadataOptions.httpTokens' failed to satisfy constraint: Member must satisfy enum value set: [optional, required]`,
    );
  }
  const record: LaunchConfigurationRecord = {
    LaunchConfigurationName: name,
    LaunchConfigurationARN: launchConfigurationArn(region, ctx.accountId, name, randomUUID()),
    ImageId: imageId,
    InstanceType: instanceType,
    KeyName: input.KeyName ?? derived?.KeyName,
    SecurityGroups: input.SecurityGroups ?? derived?.SecurityGroups ?? [],
    UserData: input.UserData ?? derived?.UserData,
    IamInstanceProfile: input.IamInstanceProfile ?? derived?.IamInstanceProfile,
    AssociatePublicIpAddress: input.AssociatePublicIpAddress ?? derived?.AssociatePublicIpAddress,
    MetadataOptions: input.MetadataOptions ?? derived?.MetadataOptions,
    InstanceMonitoring: { Enabled: input.InstanceMonitoring?.Enabled ?? derived?.InstanceMonitoring.Enabled ?? true },
    BlockDeviceMappings: input.BlockDeviceMappings ?? [],
    EbsOptimized: input.EbsOptimized ?? derived?.EbsOptimized ?? false,
    CreatedTime: cloud.clock.now(),
  };
  cloud.store.tx(() => {
    if (launchConfigurations(cloud).get(region, name)) throw errors.launchConfigurationExists(name);
    if (launchConfigurations(cloud).list(region).length >= LAUNCH_CONFIGURATION_LIMIT)
      throw errors.limitExceeded('launch configurations', LAUNCH_CONFIGURATION_LIMIT);
    launchConfigurations(cloud).put(region, name, record);
  });
  return {};
}

const present = (lc: LaunchConfigurationRecord) => ({
  LaunchConfigurationName: lc.LaunchConfigurationName,
  LaunchConfigurationARN: lc.LaunchConfigurationARN,
  ImageId: lc.ImageId,
  KeyName: lc.KeyName ?? '',
  SecurityGroups: lc.SecurityGroups,
  ClassicLinkVPCSecurityGroups: [],
  UserData: lc.UserData ?? '',
  InstanceType: lc.InstanceType,
  KernelId: '',
  RamdiskId: '',
  BlockDeviceMappings: lc.BlockDeviceMappings,
  InstanceMonitoring: lc.InstanceMonitoring,
  IamInstanceProfile: lc.IamInstanceProfile,
  CreatedTime: new Date(lc.CreatedTime),
  EbsOptimized: lc.EbsOptimized,
  AssociatePublicIpAddress: lc.AssociatePublicIpAddress,
  MetadataOptions: lc.MetadataOptions,
});

export function describeLaunchConfigurations(
  input: { LaunchConfigurationNames?: string[]; MaxRecords?: number; NextToken?: string },
  ctx: RequestContext,
) {
  const all = launchConfigurations(ctx.cloud).list(ctx.region);
  const list = input.LaunchConfigurationNames?.length
    ? all.filter((lc) => input.LaunchConfigurationNames?.includes(lc.LaunchConfigurationName))
    : all;
  list.sort((a, b) => a.LaunchConfigurationName.localeCompare(b.LaunchConfigurationName));
  const page = autoScalingPage(list, input);
  return { LaunchConfigurations: page.items.map(present), NextToken: page.next };
}

export function deleteLaunchConfiguration(input: { LaunchConfigurationName: string }, ctx: RequestContext) {
  const { cloud, region } = ctx;
  const name = input.LaunchConfigurationName;
  cloud.store.tx(() => {
    if (!launchConfigurations(cloud).get(region, name)) throw errors.launchConfigurationNotFound(name);
    const user = groups(cloud)
      .list(region)
      .find((g) => g.LaunchConfigurationName === name);
    if (user) throw errors.launchConfigurationInUse(name, user.AutoScalingGroupName);
    launchConfigurations(cloud).delete(region, name);
  });
  return {};
}
