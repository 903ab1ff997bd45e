import { ec2Page } from '../paging.js';
import { isAwsError } from '../../../protocol/errors.js';
import { runtimeOf } from '../../../runtime/runtime.js';
import type { RequestContext } from '../../types.js';
import { applyFilters, tagsFor, type Filter, type TagSpecs as ModelTagSpecs } from '../filters.js';
import { newId } from '../ids.js';
import { findKeyPair } from '../keypairs.js';
import { publicIpFor } from '../network/addresses.js';
import { allocatePrivateIps, releasePrivateIp } from '../network/private-ips.js';
import { claimPublicIp, releasePublicIp } from '../network/public-ips.js';
import { securityGroups, subnets, vpcs, type SubnetRecord } from '../network/state.js';
import { blockDeviceMappings, dataVolumeAt, setDeleteOnTermination } from '../volumes/volumes.js';
import { volumesTable, type VolumeRecord } from '../volumes/state.js';
import { bootEach, getInstance, hostLoads, pickHost, reboot, setState, stop, terminate, updateInstance } from './lifecycle.js';
import { autoRecoveryOf, parseAutoRecovery, setAutoRecovery } from './maintenance.js';
import { monitoringStateOf, setMonitoring } from './monitoring.js';
import { withLaunchTemplate } from '../launch-templates/launch.js';
import { publicNameShown } from './dns-names.js';
import { ec2Errors } from '../errors.js';
import {
  AMI_ID,
  DEFAULT_IMAGE_ID,
  DEFAULT_ROOT_VOLUME_GIB,
  INSTANCE_ID,
  imagesTable,
  instancesTable,
  macOf,
  privateDnsOf,
  publicDnsOf,
  stateOf,
  type InstanceRecord,
  type MetadataOptionsRecord,
} from './state.js';

type TagSpecs = ModelTagSpecs;

interface RunInstancesInput {
  LaunchTemplate?: { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string };
  ImageId?: string;
  InstanceType?: string;
  MinCount: number;
  MaxCount: number;
  KeyName?: string;
  SubnetId?: string;
  SecurityGroupIds?: string[];
  SecurityGroups?: string[];
  UserData?: string;
  IamInstanceProfile?: { Arn?: string; Name?: string };
  PrivateIpAddress?: string;
  MetadataOptions?: { HttpTokens?: string; HttpPutResponseHopLimit?: number; HttpEndpoint?: string; InstanceMetadataTags?: string };
  TagSpecifications?: TagSpecs;
  Placement?: { AvailabilityZone?: string };
  NetworkInterfaces?: Array<{
    DeviceIndex?: number;
    SubnetId?: string;
    Groups?: string[];
    AssociatePublicIpAddress?: boolean;
    PrivateIpAddress?: string;
    DeleteOnTermination?: boolean;
    PrivateIpAddresses?: Array<{ Primary?: boolean; PrivateIpAddress?: string }>;
  }>;
  DisableApiTermination?: boolean;
  InstanceInitiatedShutdownBehavior?: string;
  ClientToken?: string;
  BlockDeviceMappings?: Array<{ DeviceName?: string; Ebs?: { DeleteOnTermination?: boolean; VolumeSize?: number } }>;
  MaintenanceOptions?: { AutoRecovery?: string };
  Monitoring?: { Enabled?: boolean };
  HibernationOptions?: { Configured?: boolean };
}

const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.(nano|micro|small|medium|large|metal|[0-9]*xlarge)$/;

function resolveImage(ctx: RequestContext, imageId: string | undefined): { resolved: string; note?: string } {
  if (!imageId) throw ec2Errors.missingParameter('ImageId');
  if (!AMI_ID.test(imageId)) throw ec2Errors.imageIdMalformed(imageId);
  if (imageId === DEFAULT_IMAGE_ID) return { resolved: DEFAULT_IMAGE_ID };
  const image = imagesTable(ctx.cloud.store).get(ctx.region, imageId);
  if (image) {
    if (image.State === 'deregistered') throw ec2Errors.imageNoLongerAvailable(imageId);
    if (image.State !== 'available') throw ec2Errors.imagePending(imageId);
    return { resolved: imageId };
  }
  return {
    resolved: DEFAULT_IMAGE_ID,
    note: `image ${imageId} is not an image of this cloud: booting halo's default image (Debian 12 with curl, wget, python3, systemctl, aws CLI) instead`,
  };
}

function defaultSubnet(ctx: RequestContext, zone?: string): SubnetRecord {
  const defaultVpc = vpcs(ctx.cloud.store)
    .list(ctx.region)
    .find((v) => v.IsDefault);
  if (!defaultVpc) throw ec2Errors.noDefaultVpcForGroupName();
  const candidates = subnets(ctx.cloud.store)
    .list(ctx.region)
    .filter((s) => s.VpcId === defaultVpc.VpcId && (!zone || s.AvailabilityZone === zone));
  if (!candidates.length) throw ec2Errors.noDefaultSubnets();
  return candidates[0];
}

export function metadataOptions(input: RunInstancesInput['MetadataOptions']): MetadataOptionsRecord {
  const tokens = input?.HttpTokens ?? 'optional';
  if (tokens !== 'optional' && tokens !== 'required') throw ec2Errors.invalidHttpTokens(tokens);
  const endpoint = input?.HttpEndpoint ?? 'enabled';
  if (endpoint !== 'enabled' && endpoint !== 'disabled') throw ec2Errors.invalidHttpEndpoint(endpoint);
  const hops = input?.HttpPutResponseHopLimit ?? 1;
  if (!Number.isInteger(hops) || hops < 1 || hops > 64) throw ec2Errors.invalidHopLimit();
  return {
    HttpTokens: tokens,
    HttpEndpoint: endpoint,
    HttpPutResponseHopLimit: hops,
    InstanceMetadataTags: input?.InstanceMetadataTags === 'enabled' ? 'enabled' : 'disabled',
  };
}

async function checkInstanceProfile(
  ctx: RequestContext,
  profile: RunInstancesInput['IamInstanceProfile'],
): Promise<{ Arn?: string; Name?: string } | undefined> {
  if (!profile || (!profile.Arn && !profile.Name)) return undefined;
  const name = profile.Name ?? profile.Arn?.split('/').pop();
  const iam = ctx.cloud.services.get('iam');
  if (!iam?.operations.GetInstanceProfile) return profile;
  try {
    const out = await ctx.cloud.invoke<{ InstanceProfile?: { Arn?: string; InstanceProfileName?: string; InstanceProfileId?: string } }>(
      'iam',
      'GetInstanceProfile',
      { InstanceProfileName: name },
      { region: ctx.region },
    );
    return { Arn: out.InstanceProfile?.Arn ?? profile.Arn, Name: out.InstanceProfile?.InstanceProfileName ?? name };
  } catch (err) {
    if (isAwsError(err, 'NoSuchEntity')) {
      throw ec2Errors.invalidInstanceProfileName(String(name));
    }
    throw err;
  }
}

/**
 * The primary private address asked for, in any of the forms RunInstances accepts: PrivateIpAddress, the primary
 * interface's PrivateIpAddress, or its PrivateIpAddresses entry marked Primary (the aws CLI's form for
 * `--private-ip-address` whenever `--associate-public-ip-address` is given). Different addresses in two forms are refused.
 */
function requestedPrivateIp(
  top: string | undefined,
  nic: NonNullable<RunInstancesInput['NetworkInterfaces']>[number] | undefined,
): string | undefined {
  const listed = nic?.PrivateIpAddresses ?? [];
  const primary =
    listed.find((p) => p.Primary)?.PrivateIpAddress ??
    (listed.length === 1 && listed[0].Primary === undefined ? listed[0].PrivateIpAddress : undefined);
  if (listed.filter((p) => p.Primary).length > 1) throw ec2Errors.onePrimaryPrivateIp();
  if (listed.length > 1 || (listed.length === 1 && listed[0].Primary === false)) {
    throw ec2Errors.secondaryPrivateIpsUnsupported();
  }
  const forms = [top, nic?.PrivateIpAddress, primary].filter((ip): ip is string => !!ip);
  if (new Set(forms).size > 1) {
    throw ec2Errors.primaryPrivateIpTwice();
  }
  return forms[0];
}

export async function runInstances(request: RunInstancesInput, ctx: RequestContext) {
  // A launch template's version and the request's own parameters become one input; the rest reads only that.
  const input = withLaunchTemplate(ctx, request);
  const rt = runtimeOf(ctx.cloud);
  const { resolved, note } = resolveImage(ctx, input.ImageId);
  const instanceType = input.InstanceType ?? 'm1.small';
  if (!INSTANCE_TYPE.test(instanceType)) throw ec2Errors.invalidInstanceType(instanceType);
  const min = input.MinCount;
  const max = input.MaxCount;
  if (!(min >= 1)) throw ec2Errors.invalidMinCount(min);
  if (!(max >= min)) throw ec2Errors.invalidMaxCount(max);
  if (max > 200) throw ec2Errors.instanceLimitExceeded(max);
  if (input.KeyName && !findKeyPair(ctx, input.KeyName)) throw ec2Errors.keyPairNotFound(input.KeyName);
  const nic = input.NetworkInterfaces?.find((n) => (n.DeviceIndex ?? 0) === 0);
  const subnetId = input.SubnetId ?? nic?.SubnetId;
  let subnet: SubnetRecord;
  if (subnetId) {
    const found = subnets(ctx.cloud.store).get(ctx.region, subnetId);
    if (!found) throw ec2Errors.subnetIdNotFound(subnetId);
    subnet = found;
  } else {
    subnet = defaultSubnet(ctx, input.Placement?.AvailabilityZone);
  }
  if (input.Placement?.AvailabilityZone && input.Placement.AvailabilityZone !== subnet.AvailabilityZone) {
    throw ec2Errors.subnetInOtherZone(input.Placement.AvailabilityZone, subnet.SubnetId, subnet.AvailabilityZone);
  }
  const groupsOfVpc = securityGroups(ctx.cloud.store)
    .list(ctx.region)
    .filter((g) => g.VpcId === subnet.VpcId);
  const groups: Array<{ GroupId: string; GroupName: string }> = [];
  for (const id of [...(input.SecurityGroupIds ?? []), ...(nic?.Groups ?? [])]) {
    const g = securityGroups(ctx.cloud.store).get(ctx.region, id);
    if (!g) throw ec2Errors.groupNotFound(id);
    if (g.VpcId !== subnet.VpcId) throw ec2Errors.groupAndSubnetInDifferentNetworks(id, subnet.SubnetId);
    if (!groups.some((x) => x.GroupId === g.GroupId)) groups.push({ GroupId: g.GroupId, GroupName: g.GroupName });
  }
  for (const name of input.SecurityGroups ?? []) {
    const g = groupsOfVpc.find((x) => x.GroupName === name);
    if (!g) throw ec2Errors.groupNotFoundInVpc(name, subnet.VpcId);
    if (!groups.some((x) => x.GroupId === g.GroupId)) groups.push({ GroupId: g.GroupId, GroupName: g.GroupName });
  }
  if (!groups.length) {
    const g = groupsOfVpc.find((x) => x.IsDefault || x.GroupName === 'default');
    if (g) groups.push({ GroupId: g.GroupId, GroupName: g.GroupName });
  }
  const userData = input.UserData;
  if (userData !== undefined && Buffer.from(userData, 'base64').length > 16 * 1024) {
    throw ec2Errors.userDataTooLong();
  }
  const requestedIp = requestedPrivateIp(input.PrivateIpAddress, nic);
  if (requestedIp && max > 1) throw ec2Errors.privateIpWithManyInstances();
  const profile = await checkInstanceProfile(ctx, input.IamInstanceProfile);
  const options = metadataOptions(input.MetadataOptions);
  const autoRecovery = parseAutoRecovery(input.MaintenanceOptions?.AutoRecovery);
  const associatePublic = nic?.AssociatePublicIpAddress ?? subnet.MapPublicIpOnLaunch;
  const shutdownBehavior = input.InstanceInitiatedShutdownBehavior === 'terminate' ? 'terminate' : 'stop';
  const deleteOnTermination = input.BlockDeviceMappings?.find((b) => b.Ebs)?.Ebs?.DeleteOnTermination ?? true;
  const rootVolumeSize = rootVolumeSizeOf(ctx, resolved, input.BlockDeviceMappings);
  if (rt.enabled) await rt.start();
  else throw ec2Errors.runtimeNeedsRoot();

  const reservationId = newId('r');
  const now = new Date(ctx.cloud.clock.now()).toISOString();
  const made: InstanceRecord[] = [];
  const loads = hostLoads(ctx.cloud, ctx.region);
  const ids = Array.from({ length: max }, () => newId('i'));
  const privateIps = allocatePrivateIps(ctx, subnet.SubnetId, ids, requestedIp);
  try {
    for (let index = 0; index < max; index++) {
      const instanceId = ids[index];
      const host = pickHost(ctx.cloud, ctx.region, subnet.AvailabilityZone, undefined, loads);
      if (!host) throw ec2Errors.insufficientInstanceCapacity(instanceType, subnet.AvailabilityZone);
      const privateIp = privateIps[index];
      const record: InstanceRecord = {
        InstanceId: instanceId,
        ReservationId: reservationId,
        OwnerId: ctx.accountId,
        ImageId: input.ImageId as string,
        ResolvedImageId: resolved,
        ImageNote: note,
        InstanceType: instanceType,
        KeyName: input.KeyName,
        AmiLaunchIndex: index,
        State: stateOf('pending'),
        StateTransitionReason: '',
        LaunchTime: now,
        AvailabilityZone: subnet.AvailabilityZone,
        HostId: host,
        SubnetId: subnet.SubnetId,
        VpcId: subnet.VpcId,
        PrivateIpAddress: privateIp,
        AssociatePublicIp: associatePublic,
        NetworkInterfaceId: newId('eni'),
        MacAddress: macOf(instanceId),
        SecurityGroups: groups,
        UserData: userData,
        IamInstanceProfile: profile,
        MetadataOptions: options,
        RootVolumeId: newId('vol'),
        RootVolumeSize: rootVolumeSize,
        DeleteOnTermination: deleteOnTermination,
        DisableApiTermination: input.DisableApiTermination ?? false,
        SourceDestCheck: true,
        InstanceInitiatedShutdownBehavior: shutdownBehavior,
        ClientToken: input.ClientToken,
        Tags: tagsFor('instance', input.TagSpecifications),
        HibernationConfigured: input.HibernationOptions?.Configured === true || undefined,
      };
      if (associatePublic) record.AutoPublicIp = claimPublicIp(ctx.cloud.store, ctx.region, instanceId);
      instancesTable(ctx.cloud.store).put(ctx.region, instanceId, record);
      if (autoRecovery) setAutoRecovery(ctx.cloud, ctx.region, instanceId, autoRecovery);
      if (input.Monitoring?.Enabled) setMonitoring(ctx.cloud, ctx.region, instanceId, true);
      made.push(record);
    }
  } catch (err) {
    for (const ip of privateIps) releasePrivateIp(ctx, subnet.SubnetId, ip);
    for (const r of made) {
      if (r.AutoPublicIp) releasePublicIp(ctx.cloud.store, r.AutoPublicIp);
      instancesTable(ctx.cloud.store).delete(ctx.region, r.InstanceId);
    }
    throw err;
  }
  if (note) for (const r of made) rt.appendConsole(r.InstanceId, `[halo] ${note}`);
  void bootEach(
    ctx.cloud,
    ctx.region,
    made.map((r) => r.InstanceId),
  );
  return { ReservationId: reservationId, OwnerId: ctx.accountId, Groups: [], Instances: made.map((r) => describeOne(ctx, r)) };
}

const ROOT_DEVICE_NAMES = ['/dev/xvda', '/dev/sda1', '/dev/sda'];

/** The root volume's size: the AMI's, or the larger VolumeSize of a root block device mapping (never smaller, as EC2). */
function rootVolumeSizeOf(ctx: RequestContext, imageId: string, mappings: RunInstancesInput['BlockDeviceMappings']): number {
  const image = imageId === DEFAULT_IMAGE_ID ? undefined : imagesTable(ctx.cloud.store).get(ctx.region, imageId);
  const own = image?.RootVolumeSize ?? DEFAULT_ROOT_VOLUME_GIB;
  const asked = mappings?.find((m) => ROOT_DEVICE_NAMES.includes(m.DeviceName ?? ''))?.Ebs?.VolumeSize;
  if (asked === undefined) return own;
  if (!Number.isInteger(asked) || asked < own) {
    throw ec2Errors.rootVolumeSmallerThanSnapshot(asked, image?.SnapshotId ?? 'snap-0halo0default0root', own);
  }
  if (asked > 16384) throw ec2Errors.rootVolumeTooLarge(asked);
  return asked;
}

/** The public address an instance shows: its Elastic IP, else its auto-assigned public IP. */
export function publicIpOf(ctx: Pick<RequestContext, 'cloud' | 'region'>, r: InstanceRecord): string | undefined {
  if (r.State.Name === 'terminated') return undefined;
  return publicIpFor(ctx, r.InstanceId) ?? r.AutoPublicIp;
}

export function describeOne(ctx: Pick<RequestContext, 'cloud' | 'region'>, r: InstanceRecord, volumes?: VolumeRecord[]) {
  const publicIp = publicIpOf(ctx, r);
  const live = r.State.Name !== 'terminated';
  const publicName = publicIp && publicNameShown(ctx.cloud, ctx.region, r.VpcId) ? publicDnsOf(publicIp, ctx.region) : '';
  const group = { GroupName: '', Tenancy: 'default', AvailabilityZone: r.AvailabilityZone };
  return {
    AmiLaunchIndex: r.AmiLaunchIndex,
    ImageId: r.ImageId,
    InstanceId: r.InstanceId,
    InstanceType: r.InstanceType,
    KeyName: r.KeyName,
    LaunchTime: new Date(r.LaunchTime),
    Monitoring: { State: monitoringStateOf(ctx.cloud, ctx.region, r.InstanceId) },
    Placement: group,
    PrivateDnsName: live ? privateDnsOf(r.PrivateIpAddress, ctx.region) : '',
    PrivateIpAddress: live ? r.PrivateIpAddress : undefined,
    ProductCodes: [],
    PublicDnsName: publicName,
    PublicIpAddress: publicIp,
    State: r.State,
    StateTransitionReason: r.StateTransitionReason,
    SubnetId: live ? r.SubnetId : undefined,
    VpcId: live ? r.VpcId : undefined,
    Architecture: 'x86_64',
    BlockDeviceMappings: live ? blockDeviceMappings(ctx, r, volumes) : [],
    ClientToken: r.ClientToken ?? '',
    EbsOptimized: false,
    EnaSupport: true,
    Hypervisor: 'xen',
    IamInstanceProfile: r.IamInstanceProfile?.Arn
      ? { Arn: r.IamInstanceProfile.Arn, Id: `AIPA${r.InstanceId.slice(2, 19).toUpperCase()}` }
      : undefined,
    NetworkInterfaces: live
      ? [
          {
            Attachment: {
              AttachTime: new Date(r.LaunchTime),
              AttachmentId: `eni-attach-${r.NetworkInterfaceId.slice(4)}`,
              DeleteOnTermination: true,
              DeviceIndex: 0,
              Status: 'attached',
              NetworkCardIndex: 0,
            },
            Association: publicIp ? { IpOwnerId: 'amazon', PublicDnsName: publicName, PublicIp: publicIp } : undefined,
            Description: '',
            Groups: r.SecurityGroups,
            MacAddress: r.MacAddress,
            NetworkInterfaceId: r.NetworkInterfaceId,
            OwnerId: r.OwnerId,
            PrivateDnsName: privateDnsOf(r.PrivateIpAddress, ctx.region),
            PrivateIpAddress: r.PrivateIpAddress,
            PrivateIpAddresses: [
              { Primary: true, PrivateDnsName: privateDnsOf(r.PrivateIpAddress, ctx.region), PrivateIpAddress: r.PrivateIpAddress },
            ],
            SourceDestCheck: r.SourceDestCheck,
            Status: 'in-use',
            SubnetId: r.SubnetId,
            VpcId: r.VpcId,
            InterfaceType: 'interface',
          },
        ]
      : [],
    RootDeviceName: '/dev/xvda',
    RootDeviceType: 'ebs',
    SecurityGroups: live ? r.SecurityGroups : [],
    SourceDestCheck: r.SourceDestCheck,
    StateReason: r.StateReason,
    Tags: r.Tags.length ? r.Tags : undefined,
    VirtualizationType: 'hvm',
    MetadataOptions: { State: 'applied', ...r.MetadataOptions, HttpProtocolIpv6: 'disabled' },
    MaintenanceOptions: { AutoRecovery: autoRecoveryOf(ctx.cloud, ctx.region, r.InstanceId) },
    HibernationOptions: { Configured: r.HibernationConfigured === true },
    PlatformDetails: 'Linux/UNIX',
    UsageOperation: 'RunInstances',
    CpuOptions: { CoreCount: 1, ThreadsPerCore: 1 },
  };
}

const instanceFilters = (ctx: RequestContext) => ({
  'instance-id': (r: InstanceRecord) => r.InstanceId,
  'instance-state-name': (r: InstanceRecord) => r.State.Name,
  'instance-state-code': (r: InstanceRecord) => r.State.Code,
  'instance-type': (r: InstanceRecord) => r.InstanceType,
  'image-id': (r: InstanceRecord) => r.ImageId,
  'subnet-id': (r: InstanceRecord) => r.SubnetId,
  'vpc-id': (r: InstanceRecord) => r.VpcId,
  'availability-zone': (r: InstanceRecord) => r.AvailabilityZone,
  'private-ip-address': (r: InstanceRecord) => r.PrivateIpAddress,
  'ip-address': (r: InstanceRecord) => publicIpOf(ctx, r),
  'network-interface.addresses.association.public-ip': (r: InstanceRecord) => publicIpOf(ctx, r),
  'private-dns-name': (r: InstanceRecord) => privateDnsOf(r.PrivateIpAddress, ctx.region),
  'key-name': (r: InstanceRecord) => r.KeyName,
  'reservation-id': (r: InstanceRecord) => r.ReservationId,
  'instance.group-id': (r: InstanceRecord) => r.SecurityGroups.map((g) => g.GroupId),
  'instance.group-name': (r: InstanceRecord) => r.SecurityGroups.map((g) => g.GroupName),
  'group-id': (r: InstanceRecord) => r.SecurityGroups.map((g) => g.GroupId),
  'network-interface.network-interface-id': (r: InstanceRecord) => r.NetworkInterfaceId,
  'iam-instance-profile.arn': (r: InstanceRecord) => r.IamInstanceProfile?.Arn,
  'launch-index': (r: InstanceRecord) => r.AmiLaunchIndex,
  'owner-id': (r: InstanceRecord) => r.OwnerId,
  'root-device-type': () => 'ebs',
  architecture: () => 'x86_64',
  'metadata-options.http-tokens': (r: InstanceRecord) => r.MetadataOptions.HttpTokens,
  'monitoring-state': (r: InstanceRecord) => monitoringStateOf(ctx.cloud, ctx.region, r.InstanceId),
  'hibernation-options.configured': (r: InstanceRecord) => String(r.HibernationConfigured === true),
});

/** Every instance id must be well formed and exist, as EC2 checks them. */
export function findInstances(ctx: RequestContext, ids: string[] | undefined): InstanceRecord[] {
  const table = instancesTable(ctx.cloud.store);
  if (!ids?.length) return table.list(ctx.region);
  const malformed = ids.filter((id) => !INSTANCE_ID.test(id));
  if (malformed.length) throw ec2Errors.instanceIdMalformed(malformed[0]);
  // Each by its key: a call that names its instances does not read every instance of the region.
  const found = ids.map((id) => table.get(ctx.region, id));
  const missing = ids.filter((_, i) => !found[i]);
  if (missing.length) {
    throw ec2Errors.instancesNotFound(missing);
  }
  return found as InstanceRecord[];
}

export function describeInstances(
  input: { InstanceIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string },
  ctx: RequestContext,
) {
  let list = findInstances(ctx, input.InstanceIds);
  list = applyFilters(list, input.Filters, instanceFilters(ctx), (r) => r.Tags);
  const page = ec2Page(list, input, 'InstanceIds');
  const byReservation = new Map<string, InstanceRecord[]>();
  // The region's volumes read once for the whole answer, not once per instance.
  const volumes = volumesTable(ctx.cloud.store).list(ctx.region);
  for (const r of page.items) byReservation.set(r.ReservationId, [...(byReservation.get(r.ReservationId) ?? []), r]);
  return {
    NextToken: page.NextToken,
    Reservations: [...byReservation.entries()].map(([id, rs]) => ({
      ReservationId: id,
      OwnerId: rs[0].OwnerId,
      Groups: [],
      Instances: rs.map((r) => describeOne(ctx, r, volumes)),
    })),
  };
}

const incorrectState = (r: InstanceRecord, op: string) => ec2Errors.instanceStateForbids(r.InstanceId, op);

export function startInstances(input: { InstanceIds: string[] }, ctx: RequestContext) {
  const list = findInstances(ctx, input.InstanceIds);
  for (const r of list) if (!['stopped', 'running', 'pending'].includes(r.State.Name)) throw incorrectState(r, 'started');
  const loads = hostLoads(ctx.cloud, ctx.region);
  const starting: string[] = [];
  try {
    return {
      StartingInstances: list.map((r) => {
        const previous = r.State;
        if (r.State.Name === 'stopped') {
          const host = pickHost(ctx.cloud, ctx.region, r.AvailabilityZone, undefined, loads);
          if (!host) throw ec2Errors.insufficientCapacityInZone(r.AvailabilityZone);
          const publicIp =
            r.AssociatePublicIp && !publicIpFor(ctx, r.InstanceId) ? claimPublicIp(ctx.cloud.store, ctx.region, r.InstanceId) : undefined;
          setState(ctx.cloud, ctx.region, r.InstanceId, 'pending', ['stopped'], {
            HostId: host,
            AutoPublicIp: publicIp,
            StateReason: undefined,
            StateTransitionReason: '',
          });
          starting.push(r.InstanceId);
        }
        const current = getInstance(ctx.cloud, ctx.region, r.InstanceId)?.State ?? previous;
        return { InstanceId: r.InstanceId, CurrentState: current, PreviousState: previous };
      }),
    };
  } finally {
    // Those already pending boot, also when a later one finds no capacity.
    void bootEach(ctx.cloud, ctx.region, starting);
  }
}

/**
 * StopInstances. With Hibernate, an instance configured for hibernation at launch keeps its memory: its processes are
 * frozen and resume where they were at its next start (StateReason Client.UserInitiatedHibernate).
 */
export function stopInstances(input: { InstanceIds: string[]; Force?: boolean; Hibernate?: boolean }, ctx: RequestContext) {
  const list = findInstances(ctx, input.InstanceIds);
  for (const r of list) if (['shutting-down', 'terminated'].includes(r.State.Name)) throw incorrectState(r, 'stopped');
  if (input.Hibernate) {
    const unconfigured = list.find((r) => !r.HibernationConfigured);
    if (unconfigured) throw ec2Errors.notConfiguredForHibernation(unconfigured.InstanceId);
  }
  return {
    StoppingInstances: list.map((r) => {
      const previous = r.State;
      if (r.State.Name === 'running' || r.State.Name === 'pending') {
        setState(ctx.cloud, ctx.region, r.InstanceId, 'stopping', ['running', 'pending'], {
          StateTransitionReason: `User initiated (${new Date(ctx.cloud.clock.now()).toISOString().replace('T', ' ').slice(0, 19)} GMT)`,
          ...(input.Hibernate
            ? { StateReason: { Code: 'Client.UserInitiatedHibernate', Message: 'Client.UserInitiatedHibernate: User initiated hibernate' } }
            : {}),
        });
        void stop(ctx.cloud, ctx.region, r.InstanceId, input.Force === true, input.Hibernate === true);
      }
      const current = getInstance(ctx.cloud, ctx.region, r.InstanceId)?.State ?? previous;
      return { InstanceId: r.InstanceId, CurrentState: current, PreviousState: previous };
    }),
  };
}

export function terminateInstances(input: { InstanceIds: string[] }, ctx: RequestContext) {
  const list = findInstances(ctx, input.InstanceIds);
  for (const r of list) {
    if (r.DisableApiTermination && r.State.Name !== 'terminated') {
      throw ec2Errors.terminationProtected(r.InstanceId);
    }
  }
  return {
    TerminatingInstances: list.map((r) => {
      const previous = r.State;
      if (r.State.Name !== 'terminated' && r.State.Name !== 'shutting-down') {
        setState(ctx.cloud, ctx.region, r.InstanceId, 'shutting-down', ['pending', 'running', 'stopping', 'stopped'], {
          StateTransitionReason: `User initiated (${new Date(ctx.cloud.clock.now()).toISOString().replace('T', ' ').slice(0, 19)} GMT)`,
        });
        void terminate(ctx.cloud, ctx.region, r.InstanceId);
      }
      const current = getInstance(ctx.cloud, ctx.region, r.InstanceId)?.State ?? previous;
      return { InstanceId: r.InstanceId, CurrentState: current, PreviousState: previous };
    }),
  };
}

export function rebootInstances(input: { InstanceIds: string[] }, ctx: RequestContext) {
  const list = findInstances(ctx, input.InstanceIds);
  for (const r of list) if (r.State.Name === 'terminated' || r.State.Name === 'shutting-down') throw incorrectState(r, 'rebooted');
  for (const r of list) if (r.State.Name === 'running') void reboot(ctx.cloud, ctx.region, r.InstanceId);
  return {};
}

export function getConsoleOutput(input: { InstanceId: string; Latest?: boolean }, ctx: RequestContext) {
  const [r] = findInstances(ctx, [input.InstanceId]);
  const text = runtimeOf(ctx.cloud).consoleLog(r.InstanceId);
  const tail = text.length > 64 * 1024 ? text.slice(-64 * 1024) : text;
  return {
    InstanceId: r.InstanceId,
    Timestamp: new Date(ctx.cloud.clock.now()),
    Output: tail ? Buffer.from(tail).toString('base64') : undefined,
  };
}

type AttrValue = { Value?: string | boolean } | undefined;

export async function modifyInstanceAttribute(
  input: {
    InstanceId: string;
    Attribute?: string;
    Value?: string;
    InstanceType?: AttrValue;
    UserData?: { Value?: Buffer };
    DisableApiTermination?: AttrValue;
    SourceDestCheck?: AttrValue;
    Groups?: string[];
    InstanceInitiatedShutdownBehavior?: AttrValue;
    BlockDeviceMappings?: Array<{ DeviceName?: string; Ebs?: { DeleteOnTermination?: boolean; VolumeId?: string } }>;
  },
  ctx: RequestContext,
) {
  const [r] = findInstances(ctx, [input.InstanceId]);
  const attr = input.Attribute;
  const pick = (name: string, v: AttrValue) => (v?.Value !== undefined ? v.Value : attr === name ? input.Value : undefined);
  const type = pick('instanceType', input.InstanceType);
  const disable = pick('disableApiTermination', input.DisableApiTermination);
  const sdc = pick('sourceDestCheck', input.SourceDestCheck);
  const behavior = pick('instanceInitiatedShutdownBehavior', input.InstanceInitiatedShutdownBehavior);
  const userData =
    input.UserData?.Value ?? (attr === 'userData' && input.Value !== undefined ? Buffer.from(input.Value, 'base64') : undefined);
  const groups = input.Groups ?? (attr === 'groupSet' && input.Value ? [input.Value] : undefined);
  if ((type !== undefined || userData !== undefined) && r.State.Name !== 'stopped') {
    throw ec2Errors.instanceNotStopped(r.InstanceId);
  }
  if (type !== undefined && !INSTANCE_TYPE.test(String(type))) throw ec2Errors.invalidInstanceType(String(type));
  let newGroups = r.SecurityGroups;
  if (groups) {
    newGroups = groups.map((id) => {
      const g = securityGroups(ctx.cloud.store).get(ctx.region, id);
      if (!g || g.VpcId !== r.VpcId) throw ec2Errors.groupNotFoundInVpc(id, r.VpcId);
      return { GroupId: g.GroupId, GroupName: g.GroupName };
    });
  }
  const asBool = (v: string | boolean) => v === true || String(v).toLowerCase() === 'true';
  const rootDelete = deleteOnTerminationChanges(ctx, r, input.BlockDeviceMappings ?? []);
  updateInstance(ctx.cloud, ctx.region, r.InstanceId, (x) => ({
    ...x,
    InstanceType: type !== undefined ? String(type) : x.InstanceType,
    DisableApiTermination: disable !== undefined ? asBool(disable) : x.DisableApiTermination,
    SourceDestCheck: sdc !== undefined ? asBool(sdc) : x.SourceDestCheck,
    InstanceInitiatedShutdownBehavior:
      behavior !== undefined ? (String(behavior) === 'terminate' ? 'terminate' : 'stop') : x.InstanceInitiatedShutdownBehavior,
    UserData: userData !== undefined ? userData.toString('base64') : x.UserData,
    SecurityGroups: newGroups,
    DeleteOnTermination: rootDelete ?? x.DeleteOnTermination,
  }));
  if (groups)
    await runtimeOf(ctx.cloud).updateGroups(
      r.InstanceId,
      newGroups.map((g) => g.GroupId),
    );
  if (sdc !== undefined) await runtimeOf(ctx.cloud).setSourceDestCheck(r.InstanceId, asBool(sdc));
  return {};
}

const ROOT_DEVICES = new Set(['/dev/xvda', '/dev/sda1', '/dev/sda']);

/**
 * ModifyInstanceAttribute's BlockDeviceMappings: DeleteOnTermination of the root volume (returned, the instance record
 * keeps it) and of attached data volumes (changed here). Every device is checked before anything changes.
 */
function deleteOnTerminationChanges(
  ctx: RequestContext,
  r: InstanceRecord,
  mappings: NonNullable<Parameters<typeof modifyInstanceAttribute>[0]['BlockDeviceMappings']>,
): boolean | undefined {
  const data = mappings.filter((m) => !ROOT_DEVICES.has(m.DeviceName ?? ''));
  for (const m of mappings) {
    if (!m.DeviceName || m.Ebs?.DeleteOnTermination === undefined) throw ec2Errors.incompleteBlockDeviceMapping();
  }
  const missing = data.find((m) => !dataVolumeAt(ctx.cloud, ctx.region, r.InstanceId, m.DeviceName as string));
  if (missing) throw ec2Errors.noDeviceAttached(String(missing.DeviceName), r.InstanceId);
  for (const m of data)
    setDeleteOnTermination(ctx.cloud, ctx.region, r.InstanceId, m.DeviceName as string, m.Ebs?.DeleteOnTermination as boolean);
  return mappings.find((m) => ROOT_DEVICES.has(m.DeviceName as string))?.Ebs?.DeleteOnTermination;
}

export function describeInstanceAttribute(input: { InstanceId: string; Attribute: string }, ctx: RequestContext) {
  const [r] = findInstances(ctx, [input.InstanceId]);
  const out: Record<string, unknown> = { InstanceId: r.InstanceId };
  switch (input.Attribute) {
    case 'instanceType':
      out.InstanceType = { Value: r.InstanceType };
      break;
    case 'userData':
      out.UserData = { Value: r.UserData };
      break;
    case 'disableApiTermination':
      out.DisableApiTermination = { Value: r.DisableApiTermination };
      break;
    case 'instanceInitiatedShutdownBehavior':
      out.InstanceInitiatedShutdownBehavior = { Value: r.InstanceInitiatedShutdownBehavior };
      break;
    case 'sourceDestCheck':
      out.SourceDestCheck = { Value: r.SourceDestCheck };
      break;
    case 'groupSet':
      out.Groups = r.SecurityGroups;
      break;
    case 'rootDeviceName':
      out.RootDeviceName = { Value: '/dev/xvda' };
      break;
    default:
      throw ec2Errors.invalidInstanceAttribute(input.Attribute);
  }
  return out;
}
