import { createHash } from 'node:crypto';
import type { Store, Table } from '../../../store/db.js';
import type { Tag } from '../filters.js';

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

/** EC2's documented state codes (the low byte of the code). */
export const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export const stateOf = (name: InstanceStateName) => ({ Code: STATE_CODES[name], Name: name });

export interface MetadataOptionsRecord {
  HttpTokens: 'optional' | 'required';
  HttpPutResponseHopLimit: number;
  HttpEndpoint: 'enabled' | 'disabled';
  InstanceMetadataTags: 'enabled' | 'disabled';
}

/** An instance as the store keeps it (table `ec2.instance`, scope region, id instance id). */
export interface InstanceRecord {
  InstanceId: string;
  ReservationId: string;
  OwnerId: string;
  RequesterId?: string;
  ImageId: string;
  /** The image actually booted: the AMI's layers, or the default image. */
  ResolvedImageId: string;
  ImageNote?: string;
  InstanceType: string;
  KeyName?: string;
  AmiLaunchIndex: number;
  State: { Code: number; Name: InstanceStateName };
  StateTransitionReason: string;
  StateReason?: { Code: string; Message: string };
  LaunchTime: string;
  AvailabilityZone: string;
  HostId: string;
  SubnetId: string;
  VpcId: string;
  PrivateIpAddress: string;
  /** Auto-assigned public IP (not an Elastic IP); released on stop, as AWS. */
  AutoPublicIp?: string;
  AssociatePublicIp: boolean;
  NetworkInterfaceId: string;
  MacAddress: string;
  SecurityGroups: Array<{ GroupId: string; GroupName: string }>;
  /** Base64 as sent by the API. */
  UserData?: string;
  IamInstanceProfile?: { Arn?: string; Name?: string };
  MetadataOptions: MetadataOptionsRecord;
  RootVolumeId: string;
  /** Size of the root volume (GiB): the AMI's, or larger when RunInstances asked for it. */
  RootVolumeSize?: number;
  DeleteOnTermination: boolean;
  DisableApiTermination: boolean;
  SourceDestCheck: boolean;
  InstanceInitiatedShutdownBehavior: 'stop' | 'terminate';
  ClientToken?: string;
  Tags: Tag[];
  /** HibernationOptions.Configured at launch (it cannot change afterwards). */
  HibernationConfigured?: boolean;
  /**
   * Stopped by StopInstances with Hibernate: its memory is kept (the runtime holds its processes frozen) and the next
   * start resumes it, or boots it afresh when the memory did not survive (a restart of the daemon).
   */
  Hibernated?: boolean;
  /** When the instance's current boot reached `running` (cloud time, ms). */
  RunningSince?: number;
  TerminatedAt?: number;
}

/** An AMI (table `ec2.image`). `Layers` are host directories, top first, used read-only as overlay lower layers. */
export interface ImageRecord {
  ImageId: string;
  Name: string;
  Description?: string;
  OwnerId: string;
  State: 'pending' | 'available' | 'failed' | 'deregistered';
  /** Why a failed image failed. */
  StateReason?: { Code: string; Message: string };
  CreationDate: string;
  Layers: string[];
  /** The layer this image added (its own directory), deleted with the image when no instance uses it. */
  OwnLayer?: string;
  SourceInstanceId?: string;
  RootVolumeId?: string;
  SnapshotId?: string;
  /** Size of the image's root volume (GiB); DEFAULT_ROOT_VOLUME_GIB when unset. */
  RootVolumeSize?: number;
  Tags: Tag[];
}

/** The root volume size of halo's images unless they say otherwise (as Amazon's and Debian's AMIs: 8 GiB). */
export const DEFAULT_ROOT_VOLUME_GIB = 8;

export const instancesTable = (store: Store): Table<InstanceRecord> => store.table<InstanceRecord>('ec2.instance');
export const imagesTable = (store: Store): Table<ImageRecord> => store.table<ImageRecord>('ec2.image');

/** The id under which the default image (Debian 12 minbase) is listed. */
export const DEFAULT_IMAGE_ID = `ami-${createHash('sha256').update('halo-default-debian12').digest('hex').slice(0, 17)}`;
export const DEFAULT_IMAGE_NAME = 'halo/debian-12-bookworm-minbase';

export const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** MAC address from the instance id: locally administered, stable. */
export function macOf(instanceId: string): string {
  const h = createHash('sha256').update(instanceId).digest();
  return ['02', ...[...h.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

export const hostnameOf = (ip: string) => `ip-${ip.replace(/\./g, '-')}`;
/** The domain of private DNS names in a region: ec2.internal in us-east-1, REGION.compute.internal elsewhere. */
export const privateDomainOf = (region: string) => (region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`);
/** The domain of public DNS names in a region: compute-1.amazonaws.com in us-east-1, REGION.compute.amazonaws.com elsewhere. */
export const publicDomainOf = (region: string) => (region === 'us-east-1' ? 'compute-1.amazonaws.com' : `${region}.compute.amazonaws.com`);
export const privateDnsOf = (ip: string, region: string) => `${hostnameOf(ip)}.${privateDomainOf(region)}`;
export const publicDnsOf = (ip: string, region: string) => `ec2-${ip.replace(/\./g, '-')}.${publicDomainOf(region)}`;
