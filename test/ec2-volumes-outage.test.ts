import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateVolumeCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { listHealthEvents } from '../src/services/health/events.js';
import { diskFile, snapshotDir } from '../src/runtime/volumes.js';
import { runtimeOf } from '../src/runtime/runtime.js';
import { injectFault } from '../src/services/ec2/compute/faults.js';
import { instancesTable, type InstanceRecord } from '../src/services/ec2/compute/state.js';
import { syncZoneEvent } from '../src/services/ec2/compute/zone-events.js';
import { ec2Service } from '../src/services/ec2/service.js';
import { ZONE_RECHECK_MS } from '../src/services/ec2/volumes/outage.js';
import { Store } from '../src/store/db.js';
import { findZone, hostsOf } from '../src/topology/regions.js';
import { TestCloud } from './support/cloud.js';
import { waitFor } from './support/wait.js';

/**
 * EBS volumes during an az-outage, on the cloud's clock (aws-typical profile, virtual clock), in one process: the
 * volumes of the dark zone are `impaired` (io-enabled failed) while their State stays; work on them waits
 * (attaching, pending snapshot, deleting), a new volume there is refused, and a snapshot taken before the outage
 * restores the bytes in another zone. A single host failure leaves volumes ok. As root the faults go through
 * injectFault (what `halo fault` calls); without root, through the same runtime fault state it sets (injectFault
 * refuses to run without root because it kills sandboxes; there are none here).
 */
const ROOT = process.getuid?.() === 0;

describe('EBS volumes in a dark Availability Zone', () => {
  let dir: string;
  let cloud: Cloud;
  let clock: VirtualClock;
  const region = 'us-east-1';
  const steps = timingProfile('aws-typical').steps;
  const call = (op: string, input: unknown) => cloud.invoke<any>('ec2', op, input, { region });
  const volume = async (id: string) => (await call('DescribeVolumes', { VolumeIds: [id] })).Volumes[0];
  const snapshot = async (id: string) => (await call('DescribeSnapshots', { SnapshotIds: [id] })).Snapshots[0];
  const statusOf = async (id: string) => (await call('DescribeVolumeStatus', { VolumeIds: [id] })).VolumeStatuses[0];
  const detail = (s: { VolumeStatus: { Details: Array<{ Name: string; Status: string }> } }, name: string) =>
    s.VolumeStatus.Details.find((d) => d.Name === name)?.Status;
  /** Volume ids (among `mine`) that DescribeVolumeStatus returns for these filters. */
  const matching = async (mine: string[], ...filters: Array<[string, string[]]>) =>
    (
      (await call('DescribeVolumeStatus', { Filters: filters.map(([Name, Values]) => ({ Name, Values })) })).VolumeStatuses as Array<{
        VolumeId: string;
      }>
    )
      .map((s) => s.VolumeId)
      .filter((id) => mine.includes(id))
      .sort();
  /** Advances the virtual clock, then lets the real work (file copies) and its continuations finish. */
  const advanceUntil = async (ms: number, what: string, done: () => Promise<boolean>) => {
    clock.advance(ms);
    await waitFor(what, async () => ((await done()) ? true : undefined), 20_000);
  };
  /** Advances the clock and gives the continuations a moment: for states that must NOT change. */
  const advanceIdle = async (ms: number) => {
    clock.advance(ms);
    await new Promise((resolve) => setTimeout(resolve, 300));
  };
  const zoneA = findZone('us-east-1a');
  const hostsA = () => hostsOf(zoneA as NonNullable<typeof zoneA>, 2).map((h) => h.hostId);
  const fault = async (kind: 'host-failure' | 'host-restore' | 'az-outage' | 'az-restore', target: { hostId?: string; zone?: string }) => {
    if (ROOT) return injectFault(cloud, kind, target);
    const rt = runtimeOf(cloud);
    const hosts = target.hostId ? [target.hostId] : hostsA();
    if (kind === 'host-failure' || kind === 'az-outage') await rt.failHosts(hosts);
    else await rt.restoreHosts(hosts);
    syncZoneEvent(cloud, 'us-east-1a');
    return kind;
  };
  const writeAt = (file: string, text: string, offset: number) => {
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from(text), 0, text.length, offset);
    closeSync(fd);
  };
  const readAt = (file: string, length: number, offset: number) => {
    const b = Buffer.alloc(length);
    const fd = openSync(file, 'r');
    readSync(fd, b, 0, length, offset);
    closeSync(fd);
    return b.toString();
  };
  const created = async (zone: string, extra: Record<string, unknown> = {}) => {
    const v = await call('CreateVolume', { AvailabilityZone: zone, Size: 1, ...extra });
    await advanceUntil(
      steps.volumeCreatingToAvailable,
      `${v.VolumeId} available`,
      async () => (await volume(v.VolumeId)).State === 'available',
    );
    return v.VolumeId as string;
  };
  const ids: Record<string, string> = {};

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'halo-vol-outage-'));
    clock = new VirtualClock();
    cloud = new Cloud(new Store(path.join(dir, 'state.db')), clock, timingProfile('aws-typical'), { home: dir, hostsPerZone: 2 });
    cloud.credentials.admin();
    cloud.register(ec2Service);
  });
  after(async () => {
    if (cloud && ROOT) await runtimeOf(cloud).restoreHosts(hostsA());
    await cloud?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('before any fault: every volume ok, io-enabled passed; io-performance only for gp3/io1/io2', async () => {
    ids.a = await created('us-east-1a');
    ids.gp3 = await created('us-east-1a', { VolumeType: 'gp3' });
    ids.b = await created('us-east-1b');
    // A stopped instance in us-east-1a (state only: a stopped instance has no process, so no root is needed).
    ids.i = 'i-0123456789abcdef0';
    instancesTable(cloud.store).put(region, ids.i, {
      InstanceId: ids.i,
      AvailabilityZone: 'us-east-1a',
      State: { Code: 80, Name: 'stopped' },
      RootVolumeId: 'vol-0123456789abcdef0',
      LaunchTime: new Date(clock.now()).toISOString(),
      DeleteOnTermination: true,
      HostId: `${hostsA()[0]}`,
    } as InstanceRecord);
    await call('AttachVolume', { VolumeId: ids.gp3, InstanceId: ids.i, Device: '/dev/sdg' });
    await advanceUntil(steps.volumeAttaching, 'attached', async () => (await volume(ids.gp3)).Attachments[0]?.State === 'attached');
    const a = await statusOf(ids.a);
    assert.equal(a.AvailabilityZone, 'us-east-1a');
    assert.equal(a.VolumeStatus.Status, 'ok');
    assert.deepEqual([detail(a, 'io-enabled'), detail(a, 'io-performance')], ['passed', 'not-applicable']);
    assert.deepEqual(
      [detail(await statusOf(ids.gp3), 'io-enabled'), detail(await statusOf(ids.gp3), 'io-performance')],
      ['passed', 'normal'],
    );
    await assert.rejects(call('DescribeVolumeStatus', { VolumeIds: ['vol-0000000000000dead'] }), { name: 'InvalidVolume.NotFound' });
    await assert.rejects(call('DescribeVolumeStatus', { Filters: [{ Name: 'no-such-filter', Values: ['x'] }] }), {
      name: 'InvalidParameterValue',
    });
  });

  it('a single host failure does not impair volumes: they live in the zone, not on the host', async () => {
    const [h1] = hostsA();
    await fault('host-failure', { hostId: h1 });
    assert.equal((await statusOf(ids.a)).VolumeStatus.Status, 'ok');
    assert.deepEqual(await matching([ids.a, ids.gp3, ids.b], ['volume-status.status', ['impaired']]), []);
    ids.extra = await created('us-east-1a');
    await fault('host-restore', { hostId: h1 });
  });

  it('a snapshot completed before the outage', async () => {
    writeAt(diskFile(dir, ids.a), 'written before the outage', 3 * 1024 * 1024);
    const s = await call('CreateSnapshot', { VolumeId: ids.a });
    await advanceUntil(steps.snapshotPendingToCompleted, 'completed', async () => (await snapshot(s.SnapshotId)).State === 'completed');
    ids.before = s.SnapshotId;
  });

  it("az-outage: the zone's volumes are impaired (State unchanged); the other zone's are ok; filters", async () => {
    await fault('az-outage', { zone: 'us-east-1a' });
    assert.ok(
      listHealthEvents(cloud).some((e) => e.availabilityZone === 'us-east-1a' && e.statusCode === 'open'),
      'the zone is dark',
    );
    const a = await statusOf(ids.a);
    assert.equal(a.VolumeStatus.Status, 'impaired');
    assert.deepEqual([detail(a, 'io-enabled'), detail(a, 'io-performance')], ['failed', 'not-applicable']);
    assert.equal(detail(await statusOf(ids.gp3), 'io-performance'), 'stalled');
    assert.equal((await statusOf(ids.b)).VolumeStatus.Status, 'ok');
    assert.equal((await volume(ids.a)).State, 'available', 'the volume state is not its status');
    const mine = [ids.a, ids.gp3, ids.b, ids.extra];
    assert.deepEqual(await matching(mine, ['volume-status.status', ['impaired']]), [ids.a, ids.gp3, ids.extra].sort());
    assert.deepEqual(await matching(mine, ['volume-status.status', ['ok']]), [ids.b]);
    assert.deepEqual(await matching(mine, ['availability-zone', ['us-east-1b']]), [ids.b]);
    assert.deepEqual(
      await matching(mine, ['volume-status.details-name', ['io-enabled']], ['volume-status.details-status', ['failed']]),
      [ids.a, ids.gp3, ids.extra].sort(),
    );
    assert.deepEqual(await matching(mine, ['volume-status.details-status', ['stalled']]), [ids.gp3]);
    assert.deepEqual(await matching(mine, ['availability-zone', ['us-east-1a']], ['volume-status.status', ['ok']]), []);
  });

  it('az-outage: no new volume in the zone (InsufficientVolumeCapacity, a server error); attach, detach, snapshot and delete wait', async () => {
    await assert.rejects(call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1 }), (err: any) => {
      assert.equal(err.name, 'InsufficientVolumeCapacity');
      assert.equal(err.status, 500);
      assert.match(err.message, /us-east-1a/);
      return true;
    });
    const attach = await call('AttachVolume', { VolumeId: ids.a, InstanceId: ids.i, Device: '/dev/sdf' });
    assert.equal(attach.State, 'attaching');
    const snap = await call('CreateSnapshot', { VolumeId: ids.a });
    ids.during = snap.SnapshotId;
    await call('DeleteVolume', { VolumeId: ids.extra });
    assert.equal((await call('DetachVolume', { VolumeId: ids.gp3 })).State, 'detaching');
    // Well past every step of the profile: nothing moves while the zone is dark.
    await advanceIdle(10 * Math.max(steps.volumeAttaching, steps.snapshotPendingToCompleted, steps.volumeDeleting));
    const v = await volume(ids.a);
    assert.deepEqual([v.State, v.Attachments[0]?.State], ['in-use', 'attaching']);
    const s = await snapshot(ids.during);
    assert.deepEqual([s.State, s.Progress], ['pending', '0%']);
    assert.equal(existsSync(path.join(snapshotDir(dir, ids.during), 'disk.img')), false, 'no byte of the volume was read');
    assert.equal((await volume(ids.extra)).State, 'deleting');
    assert.ok(existsSync(diskFile(dir, ids.extra)));
    assert.deepEqual([(await volume(ids.gp3)).State, (await volume(ids.gp3)).Attachments[0]?.State], ['in-use', 'detaching']);
  });

  it('az-outage: a snapshot completed before it restores the bytes in another zone', async () => {
    const restored = await call('CreateVolume', { AvailabilityZone: 'us-east-1b', SnapshotId: ids.before });
    await advanceUntil(steps.volumeCreatingToAvailable, 'restored', async () => (await volume(restored.VolumeId)).State === 'available');
    assert.equal(readAt(diskFile(dir, restored.VolumeId), 25, 3 * 1024 * 1024), 'written before the outage');
    assert.equal((await statusOf(restored.VolumeId)).VolumeStatus.Status, 'ok');
  });

  it('a cloud restarted during the outage keeps that work waiting (the fault state is in the store)', async () => {
    await cloud.shutdown();
    clock = new VirtualClock(clock.now());
    cloud = new Cloud(new Store(path.join(dir, 'state.db')), clock, timingProfile('aws-typical'), { home: dir, hostsPerZone: 2 });
    cloud.credentials.admin();
    cloud.register(ec2Service);
    assert.equal((await statusOf(ids.a)).VolumeStatus.Status, 'impaired');
    await advanceIdle(10 * Math.max(steps.volumeAttaching, steps.snapshotPendingToCompleted, steps.volumeDeleting));
    assert.equal((await volume(ids.a)).Attachments[0]?.State, 'attaching');
    assert.equal((await snapshot(ids.during)).State, 'pending');
    assert.equal((await volume(ids.extra)).State, 'deleting');
    assert.equal((await volume(ids.gp3)).Attachments[0]?.State, 'detaching');
  });

  it('az-restore: volumes ok again; the waiting attachment, detachment, snapshot and deletion proceed', async () => {
    await fault('az-restore', { zone: 'us-east-1a' });
    assert.equal((await statusOf(ids.a)).VolumeStatus.Status, 'ok');
    assert.deepEqual(await matching([ids.a, ids.gp3, ids.b], ['volume-status.status', ['impaired']]), []);
    // The waiting work sees the zone back at its next look, then takes its step of the profile.
    await advanceIdle(ZONE_RECHECK_MS);
    await advanceUntil(
      Math.max(steps.volumeAttaching, steps.snapshotPendingToCompleted, steps.volumeDeleting),
      'the waiting work done',
      async () => {
        const [v, s, gone, detached] = [
          await volume(ids.a),
          await snapshot(ids.during),
          !existsSync(path.dirname(diskFile(dir, ids.extra))),
          await volume(ids.gp3),
        ];
        return v.Attachments[0]?.State === 'attached' && s.State === 'completed' && gone && detached.State === 'available';
      },
    );
    assert.equal((await snapshot(ids.during)).Progress, '100%');
    assert.equal(readAt(path.join(snapshotDir(dir, ids.during), 'disk.img'), 25, 3 * 1024 * 1024), 'written before the outage');
    await assert.rejects(call('DescribeVolumes', { VolumeIds: [ids.extra] }), { name: 'InvalidVolume.NotFound' });
    assert.ok(await created('us-east-1a'), 'volumes can be made in the zone again');
  });
});

/**
 * The same through the real clients and `halo fault` against a daemon (root: the fault control socket runs only
 * where instances can): the aws CLI reads DescribeVolumeStatus, the SDK sees the server error on the wire.
 */
describe(
  'EBS volumes in a dark zone through halo fault and the aws CLI',
  { skip: ROOT ? false : 'needs root: `halo fault` reaches only a daemon running as root' },
  () => {
    let cloud: TestCloud;
    let ec2: EC2Client;
    const ids: Record<string, string> = {};
    // Polls go through the SDK (fast); what is asserted goes through the aws CLI.
    const volumeState = async (id: string) => (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes?.[0].State;
    const snapshotState = async (id: string) => (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots?.[0].State;
    const status = (id: string) => cloud.awsOk('ec2', 'describe-volume-status', '--volume-ids', id).VolumeStatuses[0];
    const halo = (...args: string[]) => {
      const r = cloud.halo(...args);
      assert.equal(r.status, 0, `halo ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };

    before(async () => {
      cloud = await TestCloud.start({ hostsPerZone: 2 });
      ec2 = new EC2Client(cloud.sdk);
    });
    after(async () => {
      ec2?.destroy();
      await cloud?.dispose();
    });

    it('az-outage: impaired in describe-volume-status, no new volume in the zone, a snapshot pending; the older snapshot restores elsewhere; az-restore', async () => {
      ids.v = cloud.awsOk('ec2', 'create-volume', '--availability-zone', 'us-east-1a', '--size', '1').VolumeId;
      await waitFor('available', async () => ((await volumeState(ids.v)) === 'available' ? true : undefined));
      const marker = 'bytes of the drill';
      const fd = openSync(diskFile(cloud.home, ids.v), 'r+');
      writeSync(fd, Buffer.from(marker), 0, marker.length, 5 * 1024 * 1024);
      closeSync(fd);
      ids.before = cloud.awsOk('ec2', 'create-snapshot', '--volume-id', ids.v).SnapshotId;
      await waitFor('completed', async () => ((await snapshotState(ids.before)) === 'completed' ? true : undefined));
      assert.equal(status(ids.v).VolumeStatus.Status, 'ok');

      assert.match(halo('fault', 'az-outage', 'us-east-1a'), /dark/);
      const s = status(ids.v);
      assert.equal(s.VolumeStatus.Status, 'impaired');
      assert.deepEqual(
        s.VolumeStatus.Details.find((d: { Name: string }) => d.Name === 'io-enabled'),
        { Name: 'io-enabled', Status: 'failed' },
      );
      const impaired = cloud
        .awsOk('ec2', 'describe-volume-status', '--filters', 'Name=volume-status.status,Values=impaired')
        .VolumeStatuses.map((x: { VolumeId: string }) => x.VolumeId);
      assert.deepEqual(impaired, [ids.v]);
      assert.equal(
        cloud.awsOk('ec2', 'describe-volumes', '--volume-ids', ids.v).Volumes[0].State,
        'available',
        'the volume state is not its status',
      );
      const refused = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 })).then(
        () => undefined,
        (err: any) => err,
      );
      assert.equal(refused?.name, 'InsufficientVolumeCapacity');
      assert.equal(refused.$metadata.httpStatusCode, 500);

      ids.during = cloud.awsOk('ec2', 'create-snapshot', '--volume-id', ids.v).SnapshotId;
      ids.restored = cloud.awsOk('ec2', 'create-volume', '--availability-zone', 'us-east-1b', '--snapshot-id', ids.before).VolumeId;
      await waitFor('restored', async () => ((await volumeState(ids.restored)) === 'available' ? true : undefined));
      const read = Buffer.alloc(marker.length);
      const rfd = openSync(diskFile(cloud.home, ids.restored), 'r');
      readSync(rfd, read, 0, marker.length, 5 * 1024 * 1024);
      closeSync(rfd);
      assert.equal(read.toString(), marker);
      // A restore took its step and a copy; the snapshot asked for before it has not moved (instant profile otherwise).
      const pending = cloud.awsOk('ec2', 'describe-snapshots', '--snapshot-ids', ids.during).Snapshots[0];
      assert.deepEqual([pending.State, pending.Progress], ['pending', '0%']);

      assert.match(halo('fault', 'az-restore', 'us-east-1a'), /back/);
      assert.equal(status(ids.v).VolumeStatus.Status, 'ok');
      await waitFor('the snapshot completed after the zone came back', async () =>
        (await snapshotState(ids.during)) === 'completed' ? true : undefined,
      );
      assert.equal(
        cloud.awsOk('ec2', 'describe-volume-status', '--filters', 'Name=volume-status.status,Values=impaired').VolumeStatuses.length,
        0,
      );
    });
  },
);
