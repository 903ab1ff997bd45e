import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { diskFile } from '../src/runtime/volumes.js';
import { ec2Service } from '../src/services/ec2/service.js';
import { Store } from '../src/store/db.js';
import { waitFor } from './support/wait.js';

/**
 * Volume and snapshot states on the cloud's clock (the aws-typical profile on a virtual clock), and the bytes of a
 * volume file carried by a snapshot into a new, larger volume in another zone. In one process, without root.
 */
describe('EBS volume states on the cloud clock and snapshot data', () => {
  let dir: string;
  let cloud: Cloud;
  let clock: VirtualClock;
  const region = 'us-east-1';
  const steps = timingProfile('aws-typical').steps;
  const call = (op: string, input: unknown) => cloud.invoke<any>('ec2', op, input, { region });
  const volumeState = async (id: string) => (await call('DescribeVolumes', { VolumeIds: [id] })).Volumes[0].State;
  /** Advances the virtual clock, then lets the real work (file copies) and its continuations finish. */
  const advanceUntil = async (ms: number, what: string, done: () => Promise<boolean>) => {
    clock.advance(ms);
    await waitFor(what, async () => ((await done()) ? true : undefined), 20_000);
  };

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'halo-vol-'));
    clock = new VirtualClock();
    cloud = new Cloud(new Store(path.join(dir, 'state.db')), clock, timingProfile('aws-typical'), { home: dir, hostsPerZone: 2 });
    cloud.credentials.admin();
    cloud.register(ec2Service);
  });
  after(async () => {
    await cloud?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creating → available after the profile step; a sparse file of Size GiB', async () => {
    const v = await call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1 });
    assert.equal(v.State, 'creating');
    clock.advance(steps.volumeCreatingToAvailable - 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await volumeState(v.VolumeId), 'creating');
    await advanceUntil(1, 'available', async () => (await volumeState(v.VolumeId)) === 'available');
    const file = diskFile(dir, v.VolumeId);
    assert.equal(statSync(file).size, 1024 ** 3);
    assert.ok(statSync(file).blocks * 512 < 1024 * 1024, 'the file is sparse');
  });

  it('a snapshot carries the bytes into a larger volume in another zone; deleting goes through deleting', async () => {
    const v = await call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1 });
    await advanceUntil(steps.volumeCreatingToAvailable, 'available', async () => (await volumeState(v.VolumeId)) === 'available');
    const marker = Buffer.from('bytes written at 1 MiB');
    const fd = openSync(diskFile(dir, v.VolumeId), 'r+');
    writeSync(fd, marker, 0, marker.length, 1024 * 1024);
    closeSync(fd);
    const snap = await call('CreateSnapshot', { VolumeId: v.VolumeId, Description: 'd' });
    assert.deepEqual([snap.State, snap.Progress, snap.VolumeSize], ['pending', '0%', 1]);
    const snapState = async () => (await call('DescribeSnapshots', { SnapshotIds: [snap.SnapshotId] })).Snapshots[0];
    clock.advance(steps.snapshotPendingToCompleted - 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await snapState()).State, 'pending');
    await advanceUntil(1, 'completed', async () => (await snapState()).State === 'completed');
    assert.equal((await snapState()).Progress, '100%');
    const restored = await call('CreateVolume', {
      AvailabilityZone: 'us-east-1b',
      SnapshotId: snap.SnapshotId,
      Size: 2,
      VolumeType: 'gp3',
    });
    assert.equal(restored.SnapshotId, snap.SnapshotId);
    await advanceUntil(steps.volumeCreatingToAvailable, 'restored', async () => (await volumeState(restored.VolumeId)) === 'available');
    const file = diskFile(dir, restored.VolumeId);
    assert.equal(statSync(file).size, 2 * 1024 ** 3);
    const read = Buffer.alloc(marker.length);
    const rfd = openSync(file, 'r');
    readSync(rfd, read, 0, read.length, 1024 * 1024);
    closeSync(rfd);
    assert.equal(read.toString(), marker.toString());
    await call('DeleteVolume', { VolumeId: v.VolumeId });
    assert.equal(await volumeState(v.VolumeId), 'deleting');
    await advanceUntil(steps.volumeDeleting, 'deleted', async () => !existsSync(path.dirname(diskFile(dir, v.VolumeId))));
    await assert.rejects(call('DescribeVolumes', { VolumeIds: [v.VolumeId] }), { name: 'InvalidVolume.NotFound' });
  });

  it('a cloud started again finishes what its predecessor left half done', async () => {
    const dying = await call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1 });
    await advanceUntil(steps.volumeCreatingToAvailable, 'available', async () => (await volumeState(dying.VolumeId)) === 'available');
    const pending = await call('CreateSnapshot', { VolumeId: dying.VolumeId });
    await call('DeleteVolume', { VolumeId: dying.VolumeId });
    const made = await call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1 });
    await waitFor('the file made', () => (existsSync(diskFile(dir, made.VolumeId)) ? true : undefined));
    // The clock never advances again: the states stay half done, as when a daemon dies.
    assert.deepEqual([await volumeState(made.VolumeId), await volumeState(dying.VolumeId)], ['creating', 'deleting']);
    await cloud.shutdown();
    clock = new VirtualClock();
    cloud = new Cloud(new Store(path.join(dir, 'state.db')), clock, timingProfile('aws-typical'), { home: dir, hostsPerZone: 2 });
    cloud.credentials.admin();
    cloud.register(ec2Service);
    assert.equal(await volumeState(made.VolumeId), 'available');
    await assert.rejects(call('DescribeVolumes', { VolumeIds: [dying.VolumeId] }), { name: 'InvalidVolume.NotFound' });
    assert.equal(existsSync(path.dirname(diskFile(dir, dying.VolumeId))), false);
    const snap = (await call('DescribeSnapshots', { SnapshotIds: [pending.SnapshotId] })).Snapshots[0];
    assert.equal(snap.State, 'error');
  });
});
