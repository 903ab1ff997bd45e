import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Cloud } from '../../../cloud.js';
import { ec2Errors } from '../errors.js';
import { withRootUpper } from '../../../runtime/root-disk.js';
import { copyDiskFile, copyLayer, diskFile, snapshotDir } from '../../../runtime/volumes.js';
import type { RequestContext } from '../../types.js';
import { imagesTable } from '../compute/state.js';
import { applyFilters, tagsFor, type Filter, type TagSpecs as ModelTagSpecs } from '../filters.js';
import { newId } from '../ids.js';
import { SNAPSHOT_ID, snapshotsTable, type SnapshotRecord, type VolumeRecord } from './state.js';
import { untilZoneReachable, zoneIsDark } from './outage.js';
import { findVolume, inTurn } from './volumes.js';
import { ec2Page, type Ec2PageInput } from '../paging.js';

type Ctx = Pick<RequestContext, 'cloud' | 'region'>;

export function findSnapshot(ctx: Ctx, id: string): SnapshotRecord {
  if (!SNAPSHOT_ID.test(id)) throw ec2Errors.snapshotIdMalformed(id);
  const s = snapshotsTable(ctx.cloud.store).get(ctx.region, id);
  if (!s) throw ec2Errors.snapshotNotFound(id);
  return s;
}

function describeSnapshot(s: SnapshotRecord) {
  return {
    SnapshotId: s.SnapshotId,
    VolumeId: s.VolumeId,
    State: s.State,
    StateMessage: s.StateMessage,
    StartTime: new Date(s.StartTime),
    Progress: s.Progress,
    OwnerId: s.OwnerId,
    Description: s.Description,
    VolumeSize: s.VolumeSize,
    Encrypted: s.Encrypted,
    StorageTier: 'standard',
    Tags: s.Tags.length ? s.Tags : undefined,
  };
}

/**
 * A point-in-time copy of the volume, started at once: its sparse file (a reflink where the file system has them),
 * or a root volume's layer. Data the instance has not written to the device yet (its page cache) is not in it, as on
 * EC2; `sync` in the instance first.
 */
export function createSnapshot(input: { VolumeId?: string; Description?: string; TagSpecifications?: ModelTagSpecs }, ctx: RequestContext) {
  const cloud = ctx.cloud;
  const v = findVolume(ctx, input.VolumeId);
  if (v.State !== 'available' && v.State !== 'in-use') throw ec2Errors.volumeNotSnapshottable(v.VolumeId, v.State);
  const s: SnapshotRecord = {
    SnapshotId: newId('snap'),
    VolumeId: v.VolumeId,
    VolumeSize: v.Size,
    State: 'pending',
    StartTime: new Date(cloud.clock.now()).toISOString(),
    Progress: '0%',
    OwnerId: ctx.accountId,
    Description: input.Description ?? '',
    Encrypted: v.Encrypted,
    Content: v.Root ? 'layer' : 'disk',
    Tags: tagsFor('snapshot', input.TagSpecifications),
  };
  snapshotsTable(cloud.store).put(ctx.region, s.SnapshotId, s);
  takeSnapshot(cloud, ctx.region, s, v);
  return describeSnapshot(s);
}

/**
 * Copies the volume into the snapshot and completes it after the profile's step. The copy starts now (the point in
 * time of the request); in a dark zone the volume's blocks cannot be read, and the snapshot stays pending at 0% until
 * a host of the zone is back (nothing writes to the volume meanwhile).
 */
export function takeSnapshot(
  cloud: Cloud,
  region: string,
  s: SnapshotRecord,
  v: Pick<VolumeRecord, 'VolumeId' | 'AvailabilityZone' | 'Root'>,
): void {
  const dir = snapshotDir(cloud.config.home, s.SnapshotId);
  const volumeDir = path.join(cloud.config.home, 'volumes', v.VolumeId);
  const startCopy = () =>
    v.Root
      ? withRootUpper(volumeDir, (upper) => copyLayer(upper, path.join(dir, 'upper')))
      : copyDiskFile(diskFile(cloud.config.home, v.VolumeId), path.join(dir, 'disk.img'));
  const early = zoneIsDark(cloud, v.AvailabilityZone) ? undefined : startCopy();
  early?.catch(() => undefined);
  const requested = Date.parse(s.StartTime);
  inTurn(cloud, s.SnapshotId, async () => {
    let done: Partial<SnapshotRecord> = { State: 'completed', Progress: '100%' };
    try {
      await untilZoneReachable(cloud, v.AvailabilityZone);
      const copy = early ?? startCopy();
      const rest = Math.max(0, cloud.profile.steps.snapshotPendingToCompleted - (cloud.clock.now() - requested));
      await Promise.all([copy, cloud.clock.sleep(rest)]);
    } catch (err) {
      done = { State: 'error', StateMessage: `copying the volume failed: ${(err as Error).message}` };
    }
    cloud.store.tx(() => {
      const current = snapshotsTable(cloud.store).get(region, s.SnapshotId);
      if (current) snapshotsTable(cloud.store).put(region, s.SnapshotId, { ...current, ...done });
    });
  });
}

export function describeSnapshots(
  input: { SnapshotIds?: string[]; OwnerIds?: string[]; RestorableByUserIds?: string[]; Filters?: Filter[] } & Ec2PageInput,
  ctx: RequestContext,
) {
  let list = snapshotsTable(ctx.cloud.store).list(ctx.region);
  if (input.SnapshotIds?.length) list = input.SnapshotIds.map((id) => findSnapshot(ctx, id));
  if (input.OwnerIds?.length) {
    const mine = input.OwnerIds.some((o) => o === 'self' || o === ctx.accountId);
    list = list.filter(() => mine);
  }
  list = applyFilters(
    list,
    input.Filters,
    {
      'snapshot-id': (s) => s.SnapshotId,
      'volume-id': (s) => s.VolumeId,
      status: (s) => s.State,
      progress: (s) => s.Progress,
      'owner-id': (s) => s.OwnerId,
      description: (s) => s.Description,
      'volume-size': (s) => s.VolumeSize,
      'start-time': (s) => s.StartTime,
      encrypted: (s) => s.Encrypted,
      'storage-tier': () => 'standard',
    },
    (s) => s.Tags,
  );
  const page = ec2Page(list, input, 'SnapshotIds');
  return { Snapshots: page.items.map(describeSnapshot), NextToken: page.NextToken };
}

export function deleteSnapshot(input: { SnapshotId?: string }, ctx: RequestContext) {
  if (!input.SnapshotId) throw ec2Errors.missingParameter('snapshotId');
  const s = findSnapshot(ctx, input.SnapshotId);
  const image = imagesTable(ctx.cloud.store)
    .list(ctx.region)
    .find((i) => i.SnapshotId === s.SnapshotId && i.State !== 'deregistered');
  if (image) throw ec2Errors.snapshotInUse(s.SnapshotId, image.ImageId);
  snapshotsTable(ctx.cloud.store).delete(ctx.region, s.SnapshotId);
  // A copy still running finishes into a directory nobody lists; it is removed after it.
  inTurn(ctx.cloud, s.SnapshotId, async () => {
    rmSync(snapshotDir(ctx.cloud.config.home, s.SnapshotId), { recursive: true, force: true });
  });
  return {};
}
