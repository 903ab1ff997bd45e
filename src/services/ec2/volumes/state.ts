import type { Store, Table } from '../../../store/db.js';
import type { Tag } from '../filters.js';

export type VolumeState = 'creating' | 'available' | 'in-use' | 'deleting' | 'deleted' | 'error';
export type AttachmentState = 'attaching' | 'attached' | 'detaching' | 'detached' | 'busy';
export type VolumeType = 'standard' | 'gp2' | 'gp3' | 'io1' | 'io2' | 'st1' | 'sc1';

export interface AttachmentRecord {
  InstanceId: string;
  Device: string;
  State: AttachmentState;
  AttachTime: string;
  DeleteOnTermination: boolean;
  /** A DetachVolume with Force: a busy detach (volume still mounted) goes on, unmounting it in the instance. */
  Forced?: boolean;
}

/**
 * An EBS volume (table `ec2.volume`, scope region, id volume id). A data volume's bytes are the sparse file
 * `$HALO_HOME/volumes/<id>/disk.img`; a root volume (`Root`) is the instance's overlay upper layer in the same
 * directory and is listed from its instance's record.
 */
export interface VolumeRecord {
  VolumeId: string;
  Size: number;
  SnapshotId: string;
  AvailabilityZone: string;
  State: VolumeState;
  CreateTime: string;
  VolumeType: VolumeType;
  Iops?: number;
  Throughput?: number;
  Encrypted: boolean;
  KmsKeyId?: string;
  Attachments: AttachmentRecord[];
  Tags: Tag[];
  Root?: boolean;
}

export type SnapshotState = 'pending' | 'completed' | 'error';

/** A snapshot (table `ec2.snapshot`): a copy of the volume's file (or a root volume's layer) under `$HALO_HOME/snapshots/<id>/`. */
export interface SnapshotRecord {
  SnapshotId: string;
  VolumeId: string;
  VolumeSize: number;
  State: SnapshotState;
  StateMessage?: string;
  StartTime: string;
  Progress: string;
  OwnerId: string;
  Description: string;
  Encrypted: boolean;
  /** `disk` (a disk.img) or `layer` (a root volume's files). */
  Content: 'disk' | 'layer';
  Tags: Tag[];
}

export const volumesTable = (store: Store): Table<VolumeRecord> => store.table<VolumeRecord>('ec2.volume');
export const snapshotsTable = (store: Store): Table<SnapshotRecord> => store.table<SnapshotRecord>('ec2.snapshot');

export const VOLUME_ID = /^vol-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const SNAPSHOT_ID = /^snap-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** Data volumes attached (or being attached) to an instance, in attachment order: what its sandbox gets at boot. */
export function attachedDataVolumes(store: Store, region: string, instanceId: string): Array<{ volumeId: string; device: string }> {
  return volumesTable(store)
    .list(region)
    .filter((v) => !v.Root)
    .flatMap((v) =>
      v.Attachments.filter((a) => a.InstanceId === instanceId && (a.State === 'attaching' || a.State === 'attached')).map((a) => ({
        volumeId: v.VolumeId,
        device: a.Device,
        at: a.AttachTime,
      })),
    )
    .sort((a, b) => a.at.localeCompare(b.at))
    .map(({ volumeId, device }) => ({ volumeId, device }));
}
