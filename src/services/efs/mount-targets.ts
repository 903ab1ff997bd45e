import { isAwsError } from '../../protocol/errors.js';
import type { RequestContext } from '../types.js';
import { efsErrors } from './errors.js';
import { findFileSystem, requireAvailable } from './file-systems.js';
import type { DescribeMountTargetsInput } from './generated/types.js';
import { newEfsId } from './ids.js';
import { accessPoints, lifeCycleState, mountTargets, type MountTargetRecord } from './state.js';
import { markerPage } from './paging.js';

const MAX_GROUPS = 5;

interface Subnet {
  SubnetId: string;
  VpcId: string;
  AvailabilityZone: string;
  AvailabilityZoneId: string;
}

export function findMountTarget(ctx: RequestContext, id: string): MountTargetRecord {
  const mt = mountTargets(ctx.cloud).get(ctx.region, id);
  if (!mt) throw efsErrors.mountTargetNotFound(id);
  return mt;
}

export function mountTargetView(ctx: RequestContext, mt: MountTargetRecord) {
  return {
    OwnerId: mt.OwnerId,
    MountTargetId: mt.MountTargetId,
    FileSystemId: mt.FileSystemId,
    SubnetId: mt.SubnetId,
    LifeCycleState: lifeCycleState(ctx.cloud, mt.AvailableAt),
    IpAddress: mt.IpAddress,
    NetworkInterfaceId: mt.NetworkInterfaceId,
    AvailabilityZoneId: mt.AvailabilityZoneId,
    AvailabilityZoneName: mt.AvailabilityZoneName,
    VpcId: mt.VpcId,
  };
}

async function subnetOf(ctx: RequestContext, subnetId: string): Promise<Subnet> {
  try {
    const out = await ctx.cloud.invoke<{ Subnets: Subnet[] }>('ec2', 'DescribeSubnets', { SubnetIds: [subnetId] }, { region: ctx.region });
    return out.Subnets[0];
  } catch (err) {
    if (isAwsError(err, 'InvalidSubnetID.NotFound')) throw efsErrors.subnetNotFound(subnetId);
    throw err;
  }
}

/** The groups, checked to exist and to belong to the VPC; the VPC's default group when none is given. */
async function checkGroups(ctx: RequestContext, vpcId: string, groupIds: string[] | undefined): Promise<string[]> {
  if (groupIds && groupIds.length > MAX_GROUPS) throw efsErrors.securityGroupLimitExceeded();
  const wanted = groupIds && groupIds.length ? groupIds : undefined;
  const input = wanted
    ? { GroupIds: wanted }
    : {
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'group-name', Values: ['default'] },
        ],
      };
  let groups: Array<{ GroupId: string; VpcId: string }>;
  try {
    groups = (
      await ctx.cloud.invoke<{ SecurityGroups: Array<{ GroupId: string; VpcId: string }> }>('ec2', 'DescribeSecurityGroups', input, {
        region: ctx.region,
      })
    ).SecurityGroups;
  } catch (err) {
    if (isAwsError(err, 'InvalidGroup.NotFound'))
      throw efsErrors.securityGroupNotFound(/'([^']+)'/.exec(err.message)?.[1] ?? wanted?.join(', ') ?? '');
    throw err;
  }
  for (const g of groups) {
    if (g.VpcId !== vpcId) throw efsErrors.securityGroupNotFound(`${g.GroupId}' in VPC '${vpcId}`);
  }
  return groups.map((g) => g.GroupId);
}

export async function createMountTarget(
  input: { FileSystemId: string; SubnetId: string; IpAddress?: string; SecurityGroups?: string[] },
  ctx: RequestContext,
) {
  const fs = findFileSystem(ctx, input.FileSystemId);
  requireAvailable(ctx, fs);
  const subnet = await subnetOf(ctx, input.SubnetId);
  const siblings = mountTargets(ctx.cloud)
    .list(ctx.region)
    .filter((m) => m.FileSystemId === fs.FileSystemId);
  if (siblings.some((m) => m.VpcId !== subnet.VpcId)) {
    throw efsErrors.mountTargetConflict(
      `Mount targets of file system '${fs.FileSystemId}' must all be in one VPC: it has mount targets in ${siblings[0].VpcId}.`,
    );
  }
  if (siblings.some((m) => m.AvailabilityZoneName === subnet.AvailabilityZone)) {
    throw efsErrors.mountTargetConflict('mount target already exists in this AZ');
  }
  if (fs.AvailabilityZoneName && fs.AvailabilityZoneName !== subnet.AvailabilityZone) {
    throw efsErrors.badRequest(
      `File system '${fs.FileSystemId}' is a One Zone file system in ${fs.AvailabilityZoneName}: its mount target must be in that zone.`,
    );
  }
  const groups = await checkGroups(ctx, subnet.VpcId, input.SecurityGroups);
  const id = newEfsId('fsmt');
  let eni: { NetworkInterfaceId: string; PrivateIpAddress: string };
  try {
    eni = (
      await ctx.cloud.invoke(
        'ec2',
        'CreateNetworkInterface',
        {
          SubnetId: subnet.SubnetId,
          PrivateIpAddress: input.IpAddress,
          Groups: groups,
          Description: `EFS mount target for ${fs.FileSystemId} (${id})`,
        },
        { region: ctx.region },
      )
    ).NetworkInterface as typeof eni;
  } catch (err) {
    if (isAwsError(err, 'InvalidIPAddress.InUse')) throw efsErrors.ipAddressInUse(input.IpAddress ?? '');
    if (isAwsError(err, 'InsufficientFreeAddressesInSubnet')) throw efsErrors.noFreeAddressesInSubnet(subnet.SubnetId);
    if (isAwsError(err, 'InvalidParameterValue')) throw efsErrors.badRequest(err.message);
    throw err;
  }
  const mt: MountTargetRecord = {
    MountTargetId: id,
    FileSystemId: fs.FileSystemId,
    OwnerId: ctx.accountId,
    SubnetId: subnet.SubnetId,
    VpcId: subnet.VpcId,
    AvailabilityZoneName: subnet.AvailabilityZone,
    AvailabilityZoneId: subnet.AvailabilityZoneId,
    IpAddress: eni.PrivateIpAddress,
    NetworkInterfaceId: eni.NetworkInterfaceId,
    SecurityGroups: groups,
    AvailableAt: ctx.cloud.clock.now() + ctx.cloud.profile.steps.mountTargetCreating,
  };
  mountTargets(ctx.cloud).insert(ctx.region, id, mt);
  ctx.cloud.events.emit('efs.mountTargetCreated', { region: ctx.region, mountTarget: mt });
  return mountTargetView(ctx, mt);
}

export function describeMountTargets(input: DescribeMountTargetsInput, ctx: RequestContext) {
  const given = [input.FileSystemId, input.MountTargetId, input.AccessPointId].filter((v) => v !== undefined).length;
  if (given !== 1) throw efsErrors.badRequest('Specify exactly one of FileSystemId, MountTargetId or AccessPointId.');
  let all: MountTargetRecord[];
  if (input.MountTargetId !== undefined) all = [findMountTarget(ctx, input.MountTargetId)];
  else {
    let fsId = input.FileSystemId;
    if (input.AccessPointId !== undefined) {
      const ap = accessPoints(ctx.cloud).get(ctx.region, input.AccessPointId);
      if (!ap) throw efsErrors.accessPointNotFound(input.AccessPointId);
      fsId = ap.FileSystemId;
    }
    const fs = findFileSystem(ctx, fsId ?? '');
    all = mountTargets(ctx.cloud)
      .list(ctx.region)
      .filter((m) => m.FileSystemId === fs.FileSystemId);
  }
  const page = markerPage(all, input, 10);
  return { Marker: input.Marker, MountTargets: page.items.map((m) => mountTargetView(ctx, m)), NextMarker: page.next };
}

export function describeMountTargetSecurityGroups(input: { MountTargetId: string }, ctx: RequestContext) {
  const mt = findMountTarget(ctx, input.MountTargetId);
  const state = lifeCycleState(ctx.cloud, mt.AvailableAt);
  if (state !== 'available') throw efsErrors.incorrectMountTargetState(mt.MountTargetId, state);
  return { SecurityGroups: mt.SecurityGroups };
}

export async function modifyMountTargetSecurityGroups(input: { MountTargetId: string; SecurityGroups?: string[] }, ctx: RequestContext) {
  const mt = findMountTarget(ctx, input.MountTargetId);
  const state = lifeCycleState(ctx.cloud, mt.AvailableAt);
  if (state !== 'available') throw efsErrors.incorrectMountTargetState(mt.MountTargetId, state);
  const groups = await checkGroups(ctx, mt.VpcId, input.SecurityGroups);
  await ctx.cloud.invoke(
    'ec2',
    'ModifyNetworkInterfaceAttribute',
    { NetworkInterfaceId: mt.NetworkInterfaceId, Groups: groups },
    { region: ctx.region },
  );
  const updated = { ...mt, SecurityGroups: groups };
  mountTargets(ctx.cloud).put(ctx.region, mt.MountTargetId, updated);
  ctx.cloud.events.emit('efs.mountTargetChanged', { region: ctx.region, mountTarget: updated });
  return {};
}

export async function deleteMountTarget(input: { MountTargetId: string }, ctx: RequestContext) {
  const mt = findMountTarget(ctx, input.MountTargetId);
  mountTargets(ctx.cloud).delete(ctx.region, mt.MountTargetId);
  ctx.cloud.events.emit('efs.mountTargetDeleted', { region: ctx.region, mountTarget: mt });
  try {
    await ctx.cloud.invoke('ec2', 'DeleteNetworkInterface', { NetworkInterfaceId: mt.NetworkInterfaceId }, { region: ctx.region });
  } catch (err) {
    if (!isAwsError(err, 'InvalidNetworkInterfaceID.NotFound')) throw err;
  }
  return {};
}
