import type { Cloud } from '../../../cloud.js';
import { ec2Errors } from '../errors.js';
import { liveKey } from '../../../store/live.js';
import type { OperationsTable } from '../../types.js';
import type { Ec2Operations } from '../generated/types.js';
import { registerTaggable, registerTaggableKind } from '../tags.js';
import { createSnapshot, deleteSnapshot, describeSnapshots } from './snapshots.js';
import { volumesTable, type VolumeRecord } from './state.js';
import { describeVolumeStatus } from './status.js';
import {
  attachVolume,
  createVolume,
  deleteVolume,
  describeVolumes,
  detachVolume,
  listRootVolumes,
  settleInterrupted,
  syncVolumes,
} from './volumes.js';

// Root volumes are listed from their instances: the table is brought up to date before tags are read or written.
registerTaggableKind({
  prefix: 'vol',
  resourceType: 'volume',
  notFound: (id) => ec2Errors.volumeNotFound(id),
  getTags: (store, region, id) => {
    listRootVolumes(store, region);
    return volumesTable(store).get(region, id)?.Tags;
  },
  setTags: (store, region, id, tags) => {
    const v = volumesTable(store).get(region, id);
    if (v) volumesTable(store).put(region, id, { ...v, Tags: tags } satisfies VolumeRecord);
  },
  list: (store, region) => {
    listRootVolumes(store, region);
    return volumesTable(store)
      .list(region)
      .map((v) => ({ id: v.VolumeId, tags: v.Tags }));
  },
});
registerTaggable('snap', 'snapshot', 'ec2.snapshot', 'SnapshotId', { notFound: ec2Errors.snapshotIdNotFound });

/** Whether this cloud's volumes follow its instances already (the operations table is asked for more than once). */
const ATTACHED = liveKey('ec2.volumesAttached', () => ({ done: false }));

/**
 * EBS volumes and snapshots of a cloud. Follows `ec2.instanceStateChanged`: root volumes are listed for new
 * instances, and a terminated instance's volumes are deleted (DeleteOnTermination) or become available.
 */
export function volumeOperations(cloud: Cloud) {
  const attached = cloud.live.get(ATTACHED);
  if (!attached.done) {
    attached.done = true;
    settleInterrupted(cloud);
    cloud.events.on('ec2.instanceStateChanged', (e: { region: string; instanceId: string }) => {
      try {
        syncVolumes(cloud, e.region, e.instanceId);
      } catch (err) {
        console.error(`[halo] volumes after an instance state change: ${(err as Error).message}`);
      }
    });
  }
  return {
    CreateVolume: createVolume,
    DescribeVolumes: describeVolumes,
    DescribeVolumeStatus: describeVolumeStatus,
    DeleteVolume: deleteVolume,
    AttachVolume: attachVolume,
    DetachVolume: detachVolume,
    CreateSnapshot: createSnapshot,
    DescribeSnapshots: describeSnapshots,
    DeleteSnapshot: deleteSnapshot,
  } satisfies OperationsTable<Ec2Operations>;
}
