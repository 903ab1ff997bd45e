import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Cloud } from '../../../cloud.js';
import { ec2Errors } from '../errors.js';
import { runtimeOf } from '../../../runtime/runtime.js';
import { copyDiskFile, createDiskFile, diskFile, diskFromLayer, snapshotDir } from '../../../runtime/volumes.js';
import { findZone } from '../../../topology/regions.js';
import type { Store } from '../../../store/db.js';
import { liveKey } from '../../../store/live.js';
import type { RequestContext } from '../../types.js';
import { DEFAULT_ROOT_VOLUME_GIB, INSTANCE_ID, instancesTable, type InstanceRecord } from '../compute/state.js';
import { applyFilters, tagsFor, type Filter, type TagSpecs as ModelTagSpecs } from '../filters.js';
import { newId } from '../ids.js';
import { refuseDarkZone, untilZoneReachable, zoneIsDark } from './outage.js';
import { checkDevice, ROOT_DEVICES, sameAttachmentPoint, volumeShape } from './rules.js';
import { findSnapshot, takeSnapshot } from './snapshots.js';
import { snapshotsTable, VOLUME_ID, volumesTable, type AttachmentRecord, type VolumeRecord } from './state.js';
import { ec2Page, type Ec2PageInput } from '../paging.js';

type Ctx = Pick<RequestContext, 'cloud' | 'region'>;

/** Changes of one volume run one after another (a detach waits for the attach it follows). */
const CHAINS = liveKey('ec2.volumeChains', () => new Map<string, Promise<void>>());

export function inTurn(cloud: Cloud, id: string, fn: () => Promise<void>): void {
  const map = cloud.live.get(CHAINS);
  const next = (map.get(id) ?? Promise.resolve()).then(fn).catch((err: unknown) => {
    console.error(`[halo] ${id}: ${(err as Error).stack ?? String(err)}`);
  });
  map.set(id, next);
}

/** Reads, changes and writes one volume in a transaction (undefined from fn: no change). */
export function updateVolume(
  cloud: Cloud,
  region: string,
  id: string,
  fn: (v: VolumeRecord) => VolumeRecord | undefined,
): VolumeRecord | undefined {
  return cloud.store.tx(() => {
    const current = volumesTable(cloud.store).get(region, id);
    const next = current && fn(current);
    if (next) volumesTable(cloud.store).put(region, id, next);
    return next ?? current;
  });
}

const volumeDir = (cloud: Cloud, id: string) => path.join(cloud.config.home, 'volumes', id);

/**
 * Brings the volume table in line with the instances: each instance's root volume is listed (attached as /dev/xvda),
 * and volumes attached to a terminated instance are deleted (DeleteOnTermination) or become available. Runs on every
 * instance state change (that instance's volumes only) and before each volume operation (all), so a change missed
 * during a crash is caught up.
 */
export function syncVolumes(cloud: Cloud, region: string, instanceId?: string): void {
  const listed = instanceId
    ? [instancesTable(cloud.store).get(region, instanceId)].filter((i) => !!i)
    : instancesTable(cloud.store).list(region);
  const instances = new Map(listed.map((i) => [i.InstanceId, i]));
  const table = volumesTable(cloud.store);
  cloud.store.tx(() => {
    listRootVolumes(cloud.store, region, (id) => existsSync(volumeDir(cloud, id)), instanceId ? listed : undefined);
    // One instance that still runs has nothing to give back.
    if (instanceId && instances.get(instanceId)?.State.Name !== 'terminated') return;
    for (const v of table.list(region)) {
      const a = v.Attachments[0];
      if (instanceId && a?.InstanceId !== instanceId) continue;
      const owner = a && instances.get(a.InstanceId);
      if (!a || (owner && owner.State.Name !== 'terminated')) continue;
      const deleteIt = v.Root ? (owner?.DeleteOnTermination ?? a.DeleteOnTermination) : a.DeleteOnTermination;
      if (deleteIt) {
        table.delete(region, v.VolumeId);
        if (!v.Root) rmSync(volumeDir(cloud, v.VolumeId), { recursive: true, force: true });
      } else {
        table.put(region, v.VolumeId, { ...v, State: 'available', Attachments: [] });
      }
    }
  });
}

/**
 * Adds the root volume of each instance that has none listed yet; a terminated instance's root volume only when it
 * was kept (DeleteOnTermination false) and its files are still there.
 */
export function listRootVolumes(
  store: Store,
  region: string,
  filesKept: (volumeId: string) => boolean = () => false,
  instances: InstanceRecord[] = instancesTable(store).list(region),
): void {
  const table = volumesTable(store);
  for (const i of instances) {
    if (table.get(region, i.RootVolumeId)) continue;
    const gone = i.State.Name === 'terminated';
    if (gone && (i.DeleteOnTermination || !filesKept(i.RootVolumeId))) continue;
    table.put(region, i.RootVolumeId, {
      VolumeId: i.RootVolumeId,
      Size: i.RootVolumeSize ?? DEFAULT_ROOT_VOLUME_GIB,
      SnapshotId: '',
      AvailabilityZone: i.AvailabilityZone,
      State: gone ? 'available' : 'in-use',
      CreateTime: i.LaunchTime,
      VolumeType: 'gp2',
      Iops: 100,
      Encrypted: false,
      Root: true,
      Tags: [],
      Attachments: gone
        ? []
        : [
            {
              InstanceId: i.InstanceId,
              Device: '/dev/xvda',
              State: 'attached',
              AttachTime: i.LaunchTime,
              DeleteOnTermination: i.DeleteOnTermination,
            },
          ],
    });
  }
}

/**
 * At the start of a cloud, finishes what a stopped or crashed daemon left half done (the transitions run in memory):
 * a created file makes the volume available, deletions and detachments complete, an attachment counts as made (the
 * instance's next boot binds it), and a snapshot whose copy was cut short is an error. In a zone still dark (fault
 * state is kept in the store) these wait for the zone to come back, and a snapshot that had not begun copying resumes.
 */
export function settleInterrupted(cloud: Cloud): void {
  const volumes = volumesTable(cloud.store);
  const snapshots = snapshotsTable(cloud.store);
  const settle = (scope: string, v: VolumeRecord): void => {
    const a = v.Attachments[0];
    if (v.State === 'creating') {
      volumes.put(scope, v.VolumeId, { ...v, State: existsSync(diskFile(cloud.config.home, v.VolumeId)) ? 'available' : 'error' });
    } else if (v.State === 'deleting') {
      rmSync(volumeDir(cloud, v.VolumeId), { recursive: true, force: true });
      volumes.delete(scope, v.VolumeId);
    } else if (a?.State === 'attaching') {
      volumes.put(scope, v.VolumeId, { ...v, Attachments: [{ ...a, State: 'attached' }] });
    } else if (a && (a.State === 'detaching' || a.State === 'busy')) {
      volumes.put(scope, v.VolumeId, { ...v, State: 'available', Attachments: [] });
    }
  };
  cloud.store.tx(() => {
    for (const { scope, value: v } of volumes.listAll()) {
      const a = v.Attachments[0];
      const halfDone = v.State === 'creating' || v.State === 'deleting' || (a && a.State !== 'attached');
      if (!halfDone) continue;
      if (!zoneIsDark(cloud, v.AvailabilityZone)) {
        settle(scope, v);
        continue;
      }
      inTurn(cloud, v.VolumeId, async () => {
        await untilZoneReachable(cloud, v.AvailabilityZone);
        cloud.store.tx(() => {
          const now = volumes.get(scope, v.VolumeId);
          if (now) settle(scope, now);
        });
      });
    }
    for (const { scope, value: s } of snapshots.listAll()) {
      if (s.State !== 'pending') continue;
      const v = volumes.get(scope, s.VolumeId);
      if (v && zoneIsDark(cloud, v.AvailabilityZone) && !existsSync(snapshotDir(cloud.config.home, s.SnapshotId)))
        takeSnapshot(cloud, scope, s, v);
      else snapshots.put(scope, s.SnapshotId, { ...s, State: 'error', StateMessage: 'the cloud stopped while the snapshot was copied' });
    }
  });
}

function describeAttachment(v: VolumeRecord, a: AttachmentRecord) {
  return {
    AttachTime: new Date(a.AttachTime),
    Device: a.Device,
    InstanceId: a.InstanceId,
    State: a.State,
    VolumeId: v.VolumeId,
    DeleteOnTermination: a.DeleteOnTermination,
  };
}

export function describeVolume(v: VolumeRecord) {
  return {
    Attachments: v.Attachments.map((a) => describeAttachment(v, a)),
    AvailabilityZone: v.AvailabilityZone,
    CreateTime: new Date(v.CreateTime),
    Encrypted: v.Encrypted,
    KmsKeyId: v.KmsKeyId,
    Size: v.Size,
    SnapshotId: v.SnapshotId,
    State: v.State,
    VolumeId: v.VolumeId,
    Iops: v.Iops,
    Tags: v.Tags.length ? v.Tags : undefined,
    VolumeType: v.VolumeType,
    MultiAttachEnabled: false,
    Throughput: v.Throughput,
  };
}

export function findVolume(ctx: Ctx, id: string | undefined): VolumeRecord {
  if (!id) throw ec2Errors.missingParameter('volumeId');
  if (!VOLUME_ID.test(id)) throw ec2Errors.volumeIdMalformed(id);
  syncVolumes(ctx.cloud, ctx.region);
  const v = volumesTable(ctx.cloud.store).get(ctx.region, id);
  if (!v || v.State === 'deleted') throw ec2Errors.volumeNotFound(id);
  return v;
}

function findInstance(ctx: Ctx, id: string | undefined): InstanceRecord {
  if (!id) throw ec2Errors.missingParameter('instanceId');
  if (!INSTANCE_ID.test(id)) throw ec2Errors.instanceIdMalformed(id);
  const r = instancesTable(ctx.cloud.store).get(ctx.region, id);
  if (!r) throw ec2Errors.instanceNotFound(id);
  return r;
}

interface CreateVolumeInput {
  AvailabilityZone?: string;
  Size?: number;
  SnapshotId?: string;
  VolumeType?: string;
  Iops?: number;
  Throughput?: number;
  Encrypted?: boolean;
  KmsKeyId?: string;
  MultiAttachEnabled?: boolean;
  TagSpecifications?: ModelTagSpecs;
}

export function createVolume(input: CreateVolumeInput, ctx: RequestContext) {
  const cloud = ctx.cloud;
  if (!input.AvailabilityZone) throw ec2Errors.missingParameter('AvailabilityZone');
  const zone = findZone(input.AvailabilityZone);
  if (!zone || zone.regionName !== ctx.region) throw ec2Errors.zoneNotFound(input.AvailabilityZone);
  if (input.MultiAttachEnabled) throw ec2Errors.multiAttachUnsupported();
  const snapshot = input.SnapshotId ? findSnapshot(ctx, input.SnapshotId) : undefined;
  if (snapshot && snapshot.State !== 'completed') throw ec2Errors.snapshotNotCompleted(snapshot.State);
  const shape = volumeShape(input, snapshot?.VolumeSize);
  refuseDarkZone(cloud, zone.zoneName);
  const record: VolumeRecord = {
    VolumeId: newId('vol'),
    ...shape,
    SnapshotId: snapshot?.SnapshotId ?? '',
    AvailabilityZone: zone.zoneName,
    State: 'creating',
    CreateTime: new Date(cloud.clock.now()).toISOString(),
    Encrypted: input.Encrypted ?? snapshot?.Encrypted ?? false,
    KmsKeyId:
      input.Encrypted || snapshot?.Encrypted ? (input.KmsKeyId ?? `arn:aws:kms:${ctx.region}:${ctx.accountId}:alias/aws/ebs`) : undefined,
    Attachments: [],
    Tags: tagsFor('volume', input.TagSpecifications),
  };
  volumesTable(cloud.store).put(ctx.region, record.VolumeId, record);
  const file = diskFile(cloud.config.home, record.VolumeId);
  inTurn(cloud, record.VolumeId, async () => {
    let state: VolumeRecord['State'] = 'available';
    try {
      const made = !snapshot
        ? Promise.resolve(createDiskFile(file, shape.Size))
        : snapshot.Content === 'layer'
          ? diskFromLayer(path.join(snapshotDir(cloud.config.home, snapshot.SnapshotId), 'upper'), file, shape.Size)
          : copyDiskFile(path.join(snapshotDir(cloud.config.home, snapshot.SnapshotId), 'disk.img'), file, shape.Size);
      await Promise.all([made, cloud.clock.sleep(cloud.profile.steps.volumeCreatingToAvailable)]);
      // A zone that went dark meanwhile: the volume becomes available when the zone is back.
      await untilZoneReachable(cloud, record.AvailabilityZone);
    } catch (err) {
      console.error(`[halo] ${record.VolumeId}: creating its file failed: ${(err as Error).message}`);
      state = 'error';
    }
    updateVolume(cloud, ctx.region, record.VolumeId, (v) => (v.State === 'creating' ? { ...v, State: state } : undefined));
  });
  return describeVolume(record);
}

const volumeFilters = {
  'volume-id': (v: VolumeRecord) => v.VolumeId,
  status: (v: VolumeRecord) => v.State,
  'availability-zone': (v: VolumeRecord) => v.AvailabilityZone,
  size: (v: VolumeRecord) => v.Size,
  'volume-type': (v: VolumeRecord) => v.VolumeType,
  'snapshot-id': (v: VolumeRecord) => v.SnapshotId,
  'create-time': (v: VolumeRecord) => v.CreateTime,
  encrypted: (v: VolumeRecord) => v.Encrypted,
  'multi-attach-enabled': () => false,
  'attachment.instance-id': (v: VolumeRecord) => v.Attachments.map((a) => a.InstanceId),
  'attachment.device': (v: VolumeRecord) => v.Attachments.map((a) => a.Device),
  'attachment.status': (v: VolumeRecord) => v.Attachments.map((a) => a.State),
  'attachment.attach-time': (v: VolumeRecord) => v.Attachments.map((a) => a.AttachTime),
  'attachment.delete-on-termination': (v: VolumeRecord) => v.Attachments.map((a) => a.DeleteOnTermination),
};

/** The volumes named (all of them when none is), in the order named; malformed or unknown ids are refused as EC2 does. */
export function pickVolumes(all: VolumeRecord[], ids: string[] | undefined): VolumeRecord[] {
  if (!ids?.length) return all;
  const malformed = ids.find((id) => !VOLUME_ID.test(id));
  if (malformed) throw ec2Errors.volumeIdMalformed(malformed);
  const missing = ids.filter((id) => !all.some((v) => v.VolumeId === id));
  if (missing.length) {
    throw ec2Errors.volumesNotFound(missing);
  }
  return ids.map((id) => all.find((v) => v.VolumeId === id) as VolumeRecord);
}

export function describeVolumes(input: { VolumeIds?: string[]; Filters?: Filter[] } & Ec2PageInput, ctx: RequestContext) {
  syncVolumes(ctx.cloud, ctx.region);
  let list = pickVolumes(volumesTable(ctx.cloud.store).list(ctx.region), input.VolumeIds);
  list = applyFilters(list, input.Filters, volumeFilters, (v) => v.Tags);
  const page = ec2Page(list, input, 'VolumeIds');
  return { Volumes: page.items.map(describeVolume), NextToken: page.NextToken };
}

export function deleteVolume(input: { VolumeId?: string }, ctx: RequestContext) {
  const cloud = ctx.cloud;
  const v = findVolume(ctx, input.VolumeId);
  if (v.Attachments.length) throw ec2Errors.volumeAttached(v.VolumeId, v.Attachments[0].InstanceId);
  if (v.State !== 'available' && v.State !== 'error') throw ec2Errors.volumeNotDeletable(v.VolumeId, v.State);
  updateVolume(cloud, ctx.region, v.VolumeId, (x) => ({ ...x, State: 'deleting' }));
  inTurn(cloud, v.VolumeId, async () => {
    await untilZoneReachable(cloud, v.AvailabilityZone);
    await cloud.clock.sleep(cloud.profile.steps.volumeDeleting);
    rmSync(volumeDir(cloud, v.VolumeId), { recursive: true, force: true });
    volumesTable(cloud.store).delete(ctx.region, v.VolumeId);
  });
  return {};
}

export function attachVolume(input: { VolumeId?: string; InstanceId?: string; Device?: string }, ctx: RequestContext) {
  const cloud = ctx.cloud;
  if (!input.Device) throw ec2Errors.missingParameter('device');
  const v = findVolume(ctx, input.VolumeId);
  const inst = findInstance(ctx, input.InstanceId);
  const device = input.Device;
  checkDevice(device);
  if (v.AvailabilityZone !== inst.AvailabilityZone) {
    throw ec2Errors.volumeZoneMismatch(v.VolumeId, inst.InstanceId);
  }
  if (v.Attachments.length) throw ec2Errors.volumeAlreadyAttached(v.VolumeId);
  if (v.State !== 'available') throw ec2Errors.volumeNotAvailable(v.VolumeId);
  if (v.Root) throw ec2Errors.rootVolumeNotAttachable(v.VolumeId);
  if (inst.State.Name !== 'running' && inst.State.Name !== 'stopped') throw ec2Errors.instanceNotRunning(inst.InstanceId);
  const points = [
    ...ROOT_DEVICES.slice(0, 1),
    ...volumesTable(cloud.store)
      .list(ctx.region)
      .flatMap((x) => x.Attachments.filter((a) => a.InstanceId === inst.InstanceId).map((a) => a.Device)),
  ];
  if (points.some((p) => sameAttachmentPoint(p, device))) {
    throw ec2Errors.attachmentPointInUse(device, device);
  }
  const attachment: AttachmentRecord = {
    InstanceId: inst.InstanceId,
    Device: device,
    State: 'attaching',
    AttachTime: new Date(cloud.clock.now()).toISOString(),
    DeleteOnTermination: false,
  };
  updateVolume(cloud, ctx.region, v.VolumeId, (x) => ({ ...x, State: 'in-use', Attachments: [attachment] }));
  inTurn(cloud, v.VolumeId, async () => {
    // The volume's zone is dark: the attachment stays `attaching` until a host of the zone is back.
    await untilZoneReachable(cloud, v.AvailabilityZone);
    const rt = runtimeOf(cloud);
    // The host's side (loop device, device nodes) is done during the attaching time, not before it starts.
    const attach = async () => {
      if (!rt.enabled) return;
      try {
        if (await rt.attachVolume(inst.InstanceId, v.VolumeId, device))
          rt.appendConsole(inst.InstanceId, `[halo] volume ${v.VolumeId} attached as ${device}`);
      } catch (err) {
        rt.appendConsole(inst.InstanceId, `[halo] volume ${v.VolumeId} could not be attached as ${device}: ${(err as Error).message}`);
      }
    };
    await Promise.all([attach(), cloud.clock.sleep(cloud.profile.steps.volumeAttaching)]);
    updateVolume(cloud, ctx.region, v.VolumeId, (x) =>
      x.Attachments[0]?.State === 'attaching' ? { ...x, Attachments: [{ ...x.Attachments[0], State: 'attached' }] } : undefined,
    );
  });
  return describeAttachment(v, attachment);
}

export function detachVolume(input: { VolumeId?: string; InstanceId?: string; Device?: string; Force?: boolean }, ctx: RequestContext) {
  const cloud = ctx.cloud;
  const v = findVolume(ctx, input.VolumeId);
  const a = v.Attachments[0];
  if (!a) throw ec2Errors.volumeNotAttached(v.VolumeId, v.State);
  if (input.InstanceId && input.InstanceId !== a.InstanceId) {
    throw ec2Errors.volumeNotAttachedToInstance(v.VolumeId, input.InstanceId);
  }
  if (input.Device && !sameAttachmentPoint(input.Device, a.Device)) {
    throw ec2Errors.volumeNotAttachedAsDevice(v.VolumeId, input.Device);
  }
  if (v.Root) {
    const owner = instancesTable(cloud.store).get(ctx.region, a.InstanceId);
    if (owner?.State.Name !== 'stopped') throw ec2Errors.rootVolumeNotDetachable(v.VolumeId, a.InstanceId);
    throw ec2Errors.stoppedRootDetachUnsupported(v.VolumeId);
  }
  const forced = input.Force === true;
  if (a.State === 'detaching' || (a.State === 'busy' && !forced)) return describeAttachment(v, a);
  const detaching: AttachmentRecord = { ...a, State: 'detaching', Forced: forced || undefined };
  updateVolume(cloud, ctx.region, v.VolumeId, (x) => ({ ...x, Attachments: [detaching] }));
  // A Force while busy: the waiting detach below sees the flag and goes on.
  if (a.State === 'busy') return describeAttachment(v, detaching);
  inTurn(cloud, v.VolumeId, async () => {
    await untilZoneReachable(cloud, v.AvailabilityZone);
    const rt = runtimeOf(cloud);
    // As on EC2, a volume still mounted in the instance stays busy until it is unmounted there (or a Force).
    while (rt.enabled && rt.volumeMounts(a.InstanceId, v.VolumeId).length) {
      const now = volumesTable(cloud.store).get(ctx.region, v.VolumeId)?.Attachments[0];
      if (!now || now.Forced) break;
      if (now.State !== 'busy') updateVolume(cloud, ctx.region, v.VolumeId, (x) => ({ ...x, Attachments: [{ ...now, State: 'busy' }] }));
      await cloud.clock.sleep(BUSY_RECHECK_MS);
    }
    // The host's side is undone during the detaching time.
    await Promise.all([
      rt.enabled ? rt.detachVolume(a.InstanceId, v.VolumeId) : undefined,
      cloud.clock.sleep(cloud.profile.steps.volumeDetaching),
    ]);
    updateVolume(cloud, ctx.region, v.VolumeId, (x) =>
      x.Attachments[0] && x.Attachments[0].State !== 'attached' ? { ...x, State: 'available', Attachments: [] } : undefined,
    );
    if (rt.enabled) rt.appendConsole(a.InstanceId, `[halo] volume ${v.VolumeId} detached from ${a.Device}`);
  });
  return describeAttachment(v, detaching);
}

/** How often (cloud time) a busy detach looks again whether the instance unmounted the volume. */
const BUSY_RECHECK_MS = 2_000;

/** DescribeInstances' BlockDeviceMappings: the root volume, then the data volumes attached to the instance. */
export function blockDeviceMappings(ctx: Ctx, r: InstanceRecord, volumes = volumesTable(ctx.cloud.store).list(ctx.region)) {
  const data = volumes
    .filter((v) => !v.Root)
    .flatMap((v) => v.Attachments.filter((a) => a.InstanceId === r.InstanceId).map((a) => ({ v, a })))
    .sort((x, y) => x.a.AttachTime.localeCompare(y.a.AttachTime));
  return [
    {
      DeviceName: '/dev/xvda',
      Ebs: { AttachTime: new Date(r.LaunchTime), DeleteOnTermination: r.DeleteOnTermination, Status: 'attached', VolumeId: r.RootVolumeId },
    },
    ...data.map(({ v, a }) => ({
      DeviceName: a.Device,
      Ebs: { AttachTime: new Date(a.AttachTime), DeleteOnTermination: a.DeleteOnTermination, Status: a.State, VolumeId: v.VolumeId },
    })),
  ];
}

/**
 * Sets DeleteOnTermination of a data volume attached to an instance (for ModifyInstanceAttribute's
 * BlockDeviceMappings); false when no volume is attached there.
 */
/** The data volume attached to the instance at this device (/dev/sdf and /dev/xvdf are one attachment point). */
export function dataVolumeAt(cloud: Cloud, region: string, instanceId: string, device: string): VolumeRecord | undefined {
  return volumesTable(cloud.store)
    .list(region)
    .find((x) => !x.Root && x.Attachments.some((a) => a.InstanceId === instanceId && sameAttachmentPoint(a.Device, device)));
}

export function setDeleteOnTermination(cloud: Cloud, region: string, instanceId: string, device: string, value: boolean): boolean {
  const v = dataVolumeAt(cloud, region, instanceId, device);
  if (!v) return false;
  updateVolume(cloud, region, v.VolumeId, (x) => ({ ...x, Attachments: x.Attachments.map((a) => ({ ...a, DeleteOnTermination: value })) }));
  return true;
}
