import type { Cloud } from '../../cloud.js';
import type { Table } from '../../store/db.js';
import type { RequestContext } from '../types.js';
import type { MixedInstancesPolicy } from './generated/types.js';
import { errors } from './errors.js';

/** An EC2 launch template as a group names it (AWS's LaunchTemplateSpecification). */
export interface LaunchTemplateSpec {
  LaunchTemplateId?: string;
  LaunchTemplateName?: string;
  Version?: string;
}

export interface BlockDeviceMapping {
  DeviceName: string;
  VirtualName?: string;
  Ebs?: {
    SnapshotId?: string;
    VolumeSize?: number;
    VolumeType?: string;
    DeleteOnTermination?: boolean;
    Iops?: number;
    Encrypted?: boolean;
    Throughput?: number;
  };
  NoDevice?: boolean;
}

/** A launch configuration (table `autoscaling.launchConfiguration`, scope region, id its name). */
export interface LaunchConfigurationRecord {
  LaunchConfigurationName: string;
  LaunchConfigurationARN: string;
  ImageId: string;
  InstanceType: string;
  KeyName?: string;
  SecurityGroups: string[];
  /** Base64, as the API gives it. */
  UserData?: string;
  /** An instance profile's name or ARN. */
  IamInstanceProfile?: string;
  AssociatePublicIpAddress?: boolean;
  MetadataOptions?: { HttpTokens?: string; HttpPutResponseHopLimit?: number; HttpEndpoint?: string };
  InstanceMonitoring: { Enabled: boolean };
  BlockDeviceMappings: BlockDeviceMapping[];
  EbsOptimized: boolean;
  CreatedTime: number;
}

export type LifecycleState =
  | 'Pending'
  | 'Pending:Wait'
  | 'Pending:Proceed'
  | 'InService'
  | 'Terminating'
  | 'Terminating:Wait'
  | 'Terminating:Proceed'
  | 'Terminated'
  | 'Detaching'
  | 'Detached'
  | 'EnteringStandby'
  | 'Standby';

/** One instance of a group, as the group sees it. */
export interface GroupInstance {
  InstanceId: string;
  InstanceType: string;
  AvailabilityZone: string;
  SubnetId?: string;
  LifecycleState: LifecycleState;
  HealthStatus: 'Healthy' | 'Unhealthy';
  LaunchConfigurationName?: string;
  LaunchTemplate?: LaunchTemplateSpec;
  ProtectedFromScaleIn: boolean;
  /** Cloud time of the launch (or the attach). */
  LaunchedAt: number;
  /** When it went InService (the health check grace period counts from here). */
  InServiceAt?: number;
  /** The activity that launched, or is terminating, it. */
  ActivityId?: string;
  /** Why it was found unhealthy (an activity cause, without its timestamp prefix). */
  UnhealthyCause?: string;
  UnhealthyAt?: number;
  /** For termination: whether desired capacity goes down with it. */
  DecrementOnTermination?: boolean;
  /** Launched by AZRebalance: the surplus it makes is removed only once it is InService (launch before terminate). */
  ForRebalance?: boolean;
}

/**
 * A launch the controller has decided on and recorded before calling RunInstances with `ClientToken`: after a
 * restart of the daemon, an instance carrying the group's tag and this token is adopted rather than launched again.
 */
export interface LaunchIntent {
  ClientToken: string;
  SubnetId?: string;
  AvailabilityZone: string;
  ActivityId: string;
  At: number;
  /** The Cause its activity will carry. */
  Cause?: string;
}

export interface GroupTag {
  Key: string;
  Value: string;
  PropagateAtLaunch: boolean;
}

/** A group (table `autoscaling.group`, scope region, id its name), with its instances and controller state. */
export interface GroupRecord {
  AutoScalingGroupName: string;
  AutoScalingGroupARN: string;
  LaunchConfigurationName?: string;
  LaunchTemplate?: LaunchTemplateSpec;
  MixedInstancesPolicy?: MixedInstancesPolicy;
  MinSize: number;
  MaxSize: number;
  DesiredCapacity: number;
  DefaultCooldown: number;
  /** Zones in the order AWS lists them (the subnets' zones for a VPC group). */
  AvailabilityZones: string[];
  /** Subnets in the order given. */
  Subnets: string[];
  HealthCheckType: 'EC2' | 'ELB';
  HealthCheckGracePeriod: number;
  CreatedTime: number;
  SuspendedProcesses: Array<{ ProcessName: string; SuspensionReason: string }>;
  Tags: GroupTag[];
  TerminationPolicies: string[];
  NewInstancesProtectedFromScaleIn: boolean;
  MaxInstanceLifetime?: number;
  CapacityRebalance: boolean;
  DefaultInstanceWarmup?: number;
  /** The group metrics published to AWS/AutoScaling each minute (EnableMetricsCollection). */
  EnabledMetrics?: Array<{ Metric: string; Granularity: string }>;
  /** 'Delete in progress' while a forced delete terminates the instances. */
  Status?: string;
  Instances: GroupInstance[];
  Launches: LaunchIntent[];
  NotificationConfigurations: Array<{ TopicARN: string; NotificationType: string }>;
  /** Launch failures in a row, and when the next launch may be tried (backoff, cloud time). */
  LaunchFailures: number;
  NextLaunchAt?: number;
  /** Zones where the last launch failed for want of capacity, when and why (launches go elsewhere for a while). */
  FailedZones: Record<string, { At: number; Message: string }>;
  /** When the cooldown that SetDesiredCapacity HonorCooldown respects ends (cloud time). */
  CooldownUntil?: number;
  /** Why desired capacity last changed, the prefix of the next launch's Cause. */
  PendingCause?: string;
}

/** A scaling activity (table `autoscaling.activity`, scope region, id `<group>\n<time>\n<activity id>`). */
export interface ActivityRecord {
  ActivityId: string;
  AutoScalingGroupName: string;
  AutoScalingGroupARN: string;
  Description: string;
  Cause: string;
  StartTime: number;
  EndTime?: number;
  StatusCode: 'InProgress' | 'Successful' | 'Failed' | 'Cancelled' | 'PreInService' | 'MidLifecycleAction' | 'WaitingForInstanceWarmup';
  StatusMessage?: string;
  Progress: number;
  Details: string;
}

export const launchConfigurations = (cloud: Cloud): Table<LaunchConfigurationRecord> =>
  cloud.store.table('autoscaling.launchConfiguration');
export const groups = (cloud: Cloud): Table<GroupRecord> => cloud.store.table('autoscaling.group');
export const activities = (cloud: Cloud): Table<ActivityRecord> => cloud.store.table('autoscaling.activity');

/** Reads, changes and writes one group in a transaction; returns the new record (undefined when it is gone). */
export function updateGroup(
  cloud: Cloud,
  region: string,
  name: string,
  fn: (g: GroupRecord) => GroupRecord | void,
): GroupRecord | undefined {
  return cloud.store.tx(() => {
    const g = groups(cloud).get(region, name);
    if (!g) return undefined;
    const next = fn(g) ?? g;
    groups(cloud).put(region, name, next);
    return next;
  });
}

/** Instances that count toward capacity: neither leaving nor on standby. */
export const countsTowardCapacity = (i: GroupInstance) => i.LifecycleState.startsWith('Pending') || i.LifecycleState === 'InService';

export const isTerminating = (i: GroupInstance) => i.LifecycleState.startsWith('Terminating');

export const groupArn = (region: string, account: string, name: string, uuid: string) =>
  `arn:aws:autoscaling:${region}:${account}:autoScalingGroup:${uuid}:autoScalingGroupName/${name}`;
export const launchConfigurationArn = (region: string, account: string, name: string, uuid: string) =>
  `arn:aws:autoscaling:${region}:${account}:launchConfiguration:${uuid}:launchConfigurationName/${name}`;

/** The group named, or AWS's error for a name no group has in the request's region. */
export function needGroup(ctx: RequestContext, name: string): GroupRecord {
  const g = groups(ctx.cloud).get(ctx.region, name);
  if (!g) throw errors.groupNotFound(name);
  return g;
}
