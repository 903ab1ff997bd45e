import type { Cloud } from '../../cloud.js';

export interface Tag {
  Key: string;
  Value: string;
}

export interface FileSystemRecord {
  FileSystemId: string;
  OwnerId: string;
  CreationToken: string;
  CreationTime: number;
  /** Cloud time at which `creating` ends (the state is read against the clock, so no timer has to survive restarts). */
  AvailableAt: number;
  PerformanceMode: string;
  ThroughputMode: string;
  ProvisionedThroughputInMibps?: number;
  Encrypted: boolean;
  KmsKeyId?: string;
  AvailabilityZoneName?: string;
  AvailabilityZoneId?: string;
  ReplicationOverwriteProtection: string;
  Tags: Tag[];
  LifecyclePolicies: Array<Record<string, string>>;
  BackupStatus: string;
  Policy?: string;
}

export interface MountTargetRecord {
  MountTargetId: string;
  FileSystemId: string;
  OwnerId: string;
  SubnetId: string;
  VpcId: string;
  AvailabilityZoneName: string;
  AvailabilityZoneId: string;
  IpAddress: string;
  NetworkInterfaceId: string;
  SecurityGroups: string[];
  AvailableAt: number;
}

export interface AccessPointRecord {
  AccessPointId: string;
  FileSystemId: string;
  OwnerId: string;
  ClientToken: string;
  Tags: Tag[];
  PosixUser?: { Uid: number; Gid: number; SecondaryGids?: number[] };
  RootDirectory: { Path: string; CreationInfo?: { OwnerUid: number; OwnerGid: number; Permissions: string } };
}

export const fileSystems = (cloud: Cloud) => cloud.store.table<FileSystemRecord>('efs.fileSystem');
export const mountTargets = (cloud: Cloud) => cloud.store.table<MountTargetRecord>('efs.mountTarget');
export const accessPoints = (cloud: Cloud) => cloud.store.table<AccessPointRecord>('efs.accessPoint');

export const fileSystemArn = (region: string, account: string, id: string) =>
  `arn:aws:elasticfilesystem:${region}:${account}:file-system/${id}`;
export const accessPointArn = (region: string, account: string, id: string) =>
  `arn:aws:elasticfilesystem:${region}:${account}:access-point/${id}`;

/** A resource's state as the clock reads it now. */
export const lifeCycleState = (cloud: Cloud, availableAt: number) => (cloud.clock.now() >= availableAt ? 'available' : 'creating');
