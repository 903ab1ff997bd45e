import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  GetConsoleOutputCommand,
  type CreateVolumeCommandInput,
  type Volume,
  type VolumeType,
} from '@aws-sdk/client-ec2';
import { publicPoolsOf } from '../src/daemon/public-pool.js';
import { footprint, isClean } from '../src/runtime/cleanup.js';
import { ensureImage } from '../src/runtime/images.js';
import { cloudTag } from '../src/runtime/names.js';
import { loopsOfCloud } from '../src/runtime/volumes.js';
import { TestCloud } from './support/cloud.js';
import { errorName } from './support/errors.js';
import { waitFor } from './support/wait.js';
import { processesOf } from './support/host.js';

/**
 * EBS data volumes and snapshots end to end through the real aws CLI: a volume formatted and written by one
 * instance in us-east-1a, snapshotted, restored in us-east-1b and read by another instance there, with the
 * attachments surviving reboots, stop/start and a kill -9 of the daemon. Needs root (loop devices, namespaces).
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

/** A service that, at each boot, reports (on the console) what /data holds; `write` first stores a note there. */
function reporter(label: string, write: boolean): string {
  const body = [
    'if mountpoint -q /data; then',
    ...(write ? ['  echo "note from $(hostname)" > /data/note.txt; sync'] : []),
    `  echo "${label}: $(cat /data/note.txt 2>&1) | $(cat /data/live.txt 2>&1)" >> /proc/1/fd/1`,
    `else echo "${label}: /data is not mounted" >> /proc/1/fd/1; fi`,
  ].join('\n');
  return [
    "cat > /usr/local/bin/report-data <<'EOF'",
    '#!/bin/sh',
    body,
    'EOF',
    'chmod +x /usr/local/bin/report-data',
    "printf '[Unit]\\nDescription=report /data\\n[Service]\\nType=oneshot\\nExecStart=/usr/local/bin/report-data\\n[Install]\\nWantedBy=multi-user.target\\n' > /etc/systemd/system/report-data.service",
    'systemctl enable report-data',
  ].join('\n');
}

describe(
  'EBS volumes and snapshots',
  { skip: ROOT ? false : 'needs root: loop devices, network namespaces, mounts (CI runs as root)' },
  () => {
    let cloud: TestCloud;
    let tag = '';
    const ids: Record<string, string> = {};
    const aws = (...args: string[]) => cloud.awsOk(...args);
    // Reads and polls go through the SDK (fast); the changes are made with the aws CLI.
    let client: EC2Client | undefined;
    let clientEndpoint = '';
    const ec2 = () => {
      if (!client || clientEndpoint !== cloud.endpoint) {
        client?.destroy();
        // Retries: an idle keep-alive connection the daemon closes meanwhile resets the next request (ECONNRESET).
        client = new EC2Client({ ...cloud.sdk, maxAttempts: 3 });
        clientEndpoint = cloud.endpoint;
      }
      return client;
    };
    const volume = async (id: string): Promise<Volume> =>
      (await ec2().send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes?.[0] as Volume;
    const instance = async (id: string) =>
      (await ec2().send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0].Instances?.[0] as any;
    const consoleOf = async (id: string): Promise<string> => {
      const out = (await ec2().send(new GetConsoleOutputCommand({ InstanceId: id }))).Output;
      return out ? Buffer.from(out, 'base64').toString() : '';
    };
    const waitVolume = (id: string, state: string, attachment?: string) =>
      waitFor(`${id} ${state} ${attachment ?? ''}`, async () => {
        const v = await volume(id);
        return v.State === state && (attachment === undefined || v.Attachments?.[0]?.State === attachment) ? v : undefined;
      });
    const waitInstance = (id: string, state: string) =>
      waitFor(`${id} ${state}`, async () => ((await instance(id)).State.Name === state ? true : undefined));
    const waitConsole = (id: string, pattern: RegExp, ms = 60_000) =>
      waitFor(`${pattern} on the console of ${id}`, async () => pattern.exec(await consoleOf(id)) ?? undefined, ms);
    /** Volume ids matching filters given as `name=value1,value2`. */
    const filterIds = async (...filters: string[]) => {
      const Filters = filters.map((f) => ({ Name: f.slice(0, f.indexOf('=')), Values: f.slice(f.indexOf('=') + 1).split(',') }));
      return ((await ec2().send(new DescribeVolumesCommand({ Filters }))).Volumes ?? []).map((v) => v.VolumeId).sort();
    };

    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ timeScale: 60, profile: 'instant' });
      tag = cloudTag(cloud.home);
      ids.vpc = aws('ec2', 'create-vpc', '--cidr-block', '10.7.0.0/16').Vpc.VpcId;
      ids.subnetA = aws(
        'ec2',
        'create-subnet',
        '--vpc-id',
        ids.vpc,
        '--cidr-block',
        '10.7.1.0/24',
        '--availability-zone',
        'us-east-1a',
      ).Subnet.SubnetId;
      ids.subnetB = aws(
        'ec2',
        'create-subnet',
        '--vpc-id',
        ids.vpc,
        '--cidr-block',
        '10.7.2.0/24',
        '--availability-zone',
        'us-east-1b',
      ).Subnet.SubnetId;
    });

    after(async () => {
      if (!cloud) return;
      const home = cloud.home;
      await cloud.dispose();
      // A loop device a dying sandbox still held is freed by the kernel as its mount namespace goes.
      client?.destroy();
      const fp = await waitFor('a clean host', () => (isClean(footprint(tag)) ? footprint(tag) : undefined), 10_000).catch(() =>
        footprint(tag),
      );
      assert.ok(isClean(fp), `the host still holds halo objects of this cloud: ${JSON.stringify(fp)}`);
      assert.deepEqual(processesOf(home), [], 'processes of this cloud are still running');
    });

    it('checks CreateVolume and DescribeVolumes input as EC2 does', async () => {
      // Through the aws CLI once, the rest through the SDK (each aws CLI start costs seconds on a busy machine).
      cloud.awsFails(
        'InvalidParameterValue',
        'ec2',
        'create-volume',
        '--availability-zone',
        'us-east-1a',
        '--size',
        '20000',
        '--volume-type',
        'gp2',
      );
      const create = (input: Omit<CreateVolumeCommandInput, 'AvailabilityZone'> & { AvailabilityZone?: string }) =>
        errorName(ec2().send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', ...input })));
      assert.equal(await create({ Size: 10, VolumeType: 'st1' }), 'InvalidParameterValue');
      assert.equal(await create({ Size: 10, VolumeType: 'io1' }), 'MissingParameter');
      assert.equal(await create({ Size: 10, VolumeType: 'io1', Iops: 1000 }), 'InvalidParameterValue', 'io1 allows 50 IOPS per GiB');
      assert.equal(await create({ Size: 10, Iops: 500 }), 'InvalidParameterCombination');
      assert.equal(await create({ Size: 10, VolumeType: 'gp3', Throughput: 2000 }), 'InvalidParameterValue');
      assert.equal(await create({ Size: 10, VolumeType: 'sdx' as VolumeType }), 'InvalidParameterValue');
      assert.equal(await create({}), 'MissingParameter');
      assert.equal(await create({ AvailabilityZone: 'us-west-2a', Size: 1 }), 'InvalidZone.NotFound');
      assert.equal(await create({ SnapshotId: 'snap-0123456789abcdef0' }), 'InvalidSnapshot.NotFound');
      assert.equal(await errorName(ec2().send(new DescribeVolumesCommand({ VolumeIds: ['vol-nope'] }))), 'InvalidVolumeID.Malformed');
      assert.equal(
        await errorName(ec2().send(new DescribeVolumesCommand({ VolumeIds: ['vol-0123456789abcdef0'] }))),
        'InvalidVolume.NotFound',
      );
      assert.equal(aws('ec2', 'describe-volumes').Volumes.length, 0, 'bad requests left nothing behind');
      const gp3 = aws('ec2', 'create-volume', '--availability-zone', 'us-east-1a', '--size', '4', '--volume-type', 'gp3', '--encrypted');
      assert.equal(gp3.Iops, 3000);
      assert.equal(gp3.Throughput, 125);
      assert.equal(gp3.Encrypted, true);
      assert.equal(gp3.State, 'creating');
      ids.spare = gp3.VolumeId;
    });

    it('attaches a volume to a running instance: the instance formats it, and from its next boot /etc/fstab mounts it', async () => {
      const v = aws(
        'ec2',
        'create-volume',
        '--availability-zone',
        'us-east-1a',
        '--size',
        '1',
        '--tag-specifications',
        'ResourceType=volume,Tags=[{Key=Name,Value=data-a}]',
      );
      ids.v1 = v.VolumeId;
      assert.equal(v.VolumeType, 'gp2');
      assert.equal(v.Iops, 100);
      await waitVolume(ids.v1, 'available');
      const file = path.join(cloud.home, 'ud-a.sh');
      writeFileSync(
        file,
        [
          '#!/bin/bash',
          'until [ -b /dev/xvdf ]; do sleep 0.2; done',
          'echo "device: $(ls -l /dev/sdf /dev/xvdf | wc -l) nodes"',
          'mkfs -t ext4 -q /dev/xvdf && echo "formatted"',
          'mkdir /data',
          "echo '/dev/xvdf /data ext4 defaults,nofail 0 2' >> /etc/fstab",
          // mount(8) in the instance: the host mounts the instance's own volume (the fstab line names it).
          'mount /data && echo "live mount: $(mountpoint /data)"',
          'echo "written while mounted live" > /data/live.txt && sync',
          'umount /data && echo "after umount: $(mountpoint /data)"',
          'mount -t proc proc /mnt 2>/dev/null && echo "proc mounted!" || echo "other mounts refused"',
          reporter('DATA-A', true),
          // The boot must never run the instance's own umount or setpriv with the host's capabilities.
          'for t in umount setpriv; do mv /usr/bin/$t /usr/bin/$t.real; printf \'#!/bin/sh\\necho "HIJACKED by $0"\\nexec "$0.real" "$@"\\n\' > /usr/bin/$t; chmod 755 /usr/bin/$t; done',
          'echo "user data done"',
          '',
        ].join('\n'),
      );
      const run = aws(
        'ec2',
        'run-instances',
        '--image-id',
        'ami-1ecae776',
        '--instance-type',
        't2.micro',
        '--subnet-id',
        ids.subnetA,
        '--user-data',
        `file://${file}`,
        '--block-device-mappings',
        'DeviceName=/dev/xvda,Ebs={DeleteOnTermination=false}',
      );
      ids.a = run.Instances[0].InstanceId;
      await waitInstance(ids.a, 'running');
      const attached = aws('ec2', 'attach-volume', '--volume-id', ids.v1, '--instance-id', ids.a, '--device', '/dev/sdf');
      assert.equal(attached.State, 'attaching');
      assert.equal(attached.Device, '/dev/sdf');
      const inUse = await waitVolume(ids.v1, 'in-use', 'attached');
      assert.equal(inUse.Attachments?.[0].InstanceId, ids.a);
      assert.equal(inUse.Attachments?.[0].DeleteOnTermination, false);
      await waitConsole(ids.a, /user data done/);
      const text = await consoleOf(ids.a);
      assert.match(text, /device: 2 nodes/);
      assert.match(text, /formatted/);
      assert.match(text, /live mount: \/data is a mountpoint/);
      assert.match(text, /after umount: \/data is not a mountpoint/);
      assert.match(text, /other mounts refused/);
      assert.equal(loopsOfCloud(tag).length, 1, 'one loop device for the one attached volume');
      const mappings = (await instance(ids.a)).BlockDeviceMappings.map((m: { DeviceName: string; Ebs: { VolumeId: string } }) => [
        m.DeviceName,
        m.Ebs.VolumeId,
      ]);
      assert.deepEqual(mappings.slice(1), [['/dev/sdf', ids.v1]]);
      assert.equal(mappings[0][0], '/dev/xvda');
      ids.rootA = mappings[0][1];

      aws('ec2', 'reboot-instances', '--instance-ids', ids.a);
      const line = await waitConsole(ids.a, /DATA-A: (.*)/);
      assert.match(
        line[1],
        /^note from ip-10-7-1-\S+ \| written while mounted live$/,
        'the volume was mounted at boot from /etc/fstab and written',
      );
      const after = await consoleOf(ids.a);
      assert.match(after, /\/etc\/fstab: mounted \/dev\/xvdf on \/data/);
      assert.doesNotMatch(after, /HIJACKED/, "the boot ran the instance's own umount or setpriv");
    });

    it('refuses what EC2 refuses: zone mismatch, a volume in use, a device in use, deleting an attached volume, detaching a root volume', async () => {
      ids.vb = aws('ec2', 'create-volume', '--availability-zone', 'us-east-1b', '--size', '1').VolumeId;
      cloud.awsFails(
        'InvalidVolume.ZoneMismatch',
        'ec2',
        'attach-volume',
        '--volume-id',
        ids.vb,
        '--instance-id',
        ids.a,
        '--device',
        '/dev/sdg',
      );
      cloud.awsFails('VolumeInUse', 'ec2', 'attach-volume', '--volume-id', ids.v1, '--instance-id', ids.a, '--device', '/dev/sdg');
      const busy = cloud.awsFails(
        'InvalidParameterValue',
        'ec2',
        'attach-volume',
        '--volume-id',
        ids.spare,
        '--instance-id',
        ids.a,
        '--device',
        '/dev/xvdf',
      );
      assert.match(busy, /Attachment point \/dev\/xvdf is already in use/);
      const bad = cloud.awsFails(
        'InvalidParameterValue',
        'ec2',
        'attach-volume',
        '--volume-id',
        ids.spare,
        '--instance-id',
        ids.a,
        '--device',
        '/dev/foo',
      );
      assert.match(bad, /not a valid EBS device name/);
      cloud.awsFails('VolumeInUse', 'ec2', 'delete-volume', '--volume-id', ids.v1);
      const root = cloud.awsFails('IncorrectState', 'ec2', 'detach-volume', '--volume-id', ids.rootA);
      assert.match(root, /Unable to detach root volume/);
      cloud.awsFails(
        'InvalidInstanceID.NotFound',
        'ec2',
        'attach-volume',
        '--volume-id',
        ids.spare,
        '--instance-id',
        'i-0123456789abcdef0',
        '--device',
        '/dev/sdh',
      );
      assert.deepEqual((await volume(ids.spare)).Attachments, [], 'refused attachments leave nothing behind');
    });

    it('snapshots the volume and restores it in another zone, where another instance reads the note', async () => {
      const snap = aws(
        'ec2',
        'create-snapshot',
        '--volume-id',
        ids.v1,
        '--description',
        'data of a',
        '--tag-specifications',
        'ResourceType=snapshot,Tags=[{Key=Name,Value=snap-a}]',
      );
      ids.snap = snap.SnapshotId;
      assert.equal(snap.State, 'pending');
      assert.equal(snap.VolumeSize, 1);
      await waitFor('the snapshot completed', async () => {
        const s = (await ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: [ids.snap] }))).Snapshots?.[0];
        return s?.State === 'completed' ? s : undefined;
      });
      const mine = aws(
        'ec2',
        'describe-snapshots',
        '--owner-ids',
        'self',
        '--filters',
        `Name=volume-id,Values=${ids.v1}`,
        'Name=tag:Name,Values=snap-a',
      ).Snapshots;
      assert.deepEqual(
        mine.map((s: { SnapshotId: string; Progress: string }) => [s.SnapshotId, s.Progress]),
        [[ids.snap, '100%']],
      );
      assert.equal(aws('ec2', 'describe-snapshots', '--owner-ids', 'amazon').Snapshots.length, 0);
      cloud.awsFails(
        'InvalidParameterValue',
        'ec2',
        'create-volume',
        '--availability-zone',
        'us-east-1b',
        '--snapshot-id',
        ids.snap,
        '--size',
        '0',
      );

      const restored = aws('ec2', 'create-volume', '--availability-zone', 'us-east-1b', '--snapshot-id', ids.snap, '--size', '2');
      ids.v2 = restored.VolumeId;
      assert.equal(restored.SnapshotId, ids.snap);
      await waitVolume(ids.v2, 'available');
      const file = path.join(cloud.home, 'ud-b.sh');
      writeFileSync(
        file,
        [
          '#!/bin/bash',
          'until [ -b /dev/xvdg ]; do sleep 0.2; done',
          'mkdir -p /data',
          'mount /dev/xvdf /data 2>/dev/null && echo "a foreign volume mounted!" || echo "no foreign volume"',
          'echo "UUID=$(blkid -o value -s UUID /dev/xvdg) /data ext4 defaults,nofail 0 2" >> /etc/fstab',
          reporter('DATA-B', false),
          'echo "user data done"',
          '',
        ].join('\n'),
      );
      ids.b = aws(
        'ec2',
        'run-instances',
        '--image-id',
        'ami-1ecae776',
        '--instance-type',
        't2.micro',
        '--subnet-id',
        ids.subnetB,
        '--user-data',
        `file://${file}`,
      ).Instances[0].InstanceId;
      await waitInstance(ids.b, 'running');
      aws('ec2', 'attach-volume', '--volume-id', ids.v2, '--instance-id', ids.b, '--device', '/dev/sdg');
      await waitVolume(ids.v2, 'in-use', 'attached');
      await waitConsole(ids.b, /user data done/);
      // Stop and start: the attachment stays, and the next boot mounts the volume by its UUID.
      aws('ec2', 'stop-instances', '--instance-ids', ids.b);
      await waitInstance(ids.b, 'stopped');
      assert.equal((await volume(ids.v2)).Attachments?.[0].State, 'attached', 'a stopped instance keeps its volumes');
      aws('ec2', 'start-instances', '--instance-ids', ids.b);
      const line = await waitConsole(ids.b, /DATA-B: (.*)/);
      assert.match(
        line[1],
        /^note from ip-10-7-1-\S+ \| written while mounted live$/,
        'the notes written in us-east-1a are read in us-east-1b',
      );
      assert.match(await consoleOf(ids.b), /no foreign volume/);
    });

    it('lists root volumes and data volumes by the filters EC2 has', async () => {
      const rootB = (await instance(ids.b)).BlockDeviceMappings[0].Ebs.VolumeId;
      // Through the aws CLI once: the root volume as DescribeVolumes shows it.
      const root = aws('ec2', 'describe-volumes', '--volume-ids', ids.rootA).Volumes[0];
      assert.equal(root.State, 'in-use');
      assert.equal(root.AvailabilityZone, 'us-east-1a');
      assert.deepEqual(
        [root.Attachments[0].Device, root.Attachments[0].InstanceId, root.Attachments[0].DeleteOnTermination],
        ['/dev/xvda', ids.a, false],
      );
      const cli = aws(
        'ec2',
        'describe-volumes',
        '--filters',
        `Name=attachment.instance-id,Values=${ids.a}`,
        'Name=status,Values=in-use',
      ).Volumes;
      assert.deepEqual(cli.map((v: { VolumeId: string }) => v.VolumeId).sort(), [ids.rootA, ids.v1].sort());
      assert.deepEqual(await filterIds(`attachment.instance-id=${ids.a}`), [ids.rootA, ids.v1].sort());
      assert.deepEqual(await filterIds('attachment.device=/dev/xvda'), [ids.rootA, rootB].sort());
      assert.deepEqual(await filterIds('attachment.delete-on-termination=true'), [rootB]);
      assert.deepEqual(await filterIds('attachment.status=attached', 'availability-zone=us-east-1b'), [ids.v2, rootB].sort());
      assert.deepEqual(await filterIds('status=available'), [ids.spare, ids.vb].sort());
      assert.deepEqual(await filterIds('size=2'), [ids.v2]);
      assert.deepEqual(await filterIds('volume-type=gp3'), [ids.spare]);
      assert.deepEqual(await filterIds(`snapshot-id=${ids.snap}`), [ids.v2]);
      assert.deepEqual(await filterIds('tag:Name=data-a'), [ids.v1]);
      aws('ec2', 'create-tags', '--resources', rootB, '--tags', 'Key=role,Value=root-b');
      assert.deepEqual(await filterIds('tag-key=role'), [rootB]);
    });

    it('keeps attachments through a kill -9 of the daemon; halo cloud clean frees the stale loop devices, the restart binds them again', async () => {
      await cloud.crash();
      await waitFor('the sandboxes gone', () => (processesOf(path.join(cloud.home, 'instances')).length === 0 ? true : undefined), 20_000);
      assert.equal(loopsOfCloud(tag).length, 2, 'the dead daemon left its loop devices');
      assert.equal(publicPoolsOf(cloud.home).length, 1, 'and its claim of a public address block');
      const clean = cloud.halo('cloud', 'clean');
      assert.equal(clean.status, 0, clean.stderr);
      assert.deepEqual(loopsOfCloud(tag), [], "'halo cloud clean' frees them");
      assert.deepEqual(publicPoolsOf(cloud.home), [], "'halo cloud clean' frees the block too");
      await cloud.restart();
      await waitConsole(ids.a, /the cloud restarted[\s\S]*DATA-A/);
      await waitConsole(ids.b, /the cloud restarted[\s\S]*DATA-B/);
      assert.equal(loopsOfCloud(tag).length, 2, 'one loop device per attached volume, none stale');
      assert.equal((await volume(ids.v1)).Attachments?.[0].State, 'attached');
    });

    it('detaches a volume (busy while mounted, then forced), and terminates instances: volumes without DeleteOnTermination become available', async () => {
      const d = aws('ec2', 'detach-volume', '--volume-id', ids.v1);
      assert.equal(d.State, 'detaching');
      // /data is mounted in the instance (its /etc/fstab): the detach waits, busy, as on EC2, until a Force.
      await waitFor('the detach busy', async () => ((await volume(ids.v1)).Attachments?.[0]?.State === 'busy' ? true : undefined));
      aws('ec2', 'detach-volume', '--volume-id', ids.v1, '--force');
      await waitVolume(ids.v1, 'available');
      await waitFor('the loop device freed', () => (loopsOfCloud(tag).length === 1 ? true : undefined), 10_000);
      assert.equal((await instance(ids.a)).BlockDeviceMappings.length, 1);
      const rootB = (await instance(ids.b)).BlockDeviceMappings[0].Ebs.VolumeId;
      // DeleteOnTermination of an attached data volume changes through ModifyInstanceAttribute, as on EC2.
      aws('ec2', 'attach-volume', '--volume-id', ids.vb, '--instance-id', ids.b, '--device', '/dev/sdh');
      await waitVolume(ids.vb, 'in-use', 'attached');
      cloud.awsFails(
        'InvalidInstanceAttributeValue',
        'ec2',
        'modify-instance-attribute',
        '--instance-id',
        ids.b,
        '--block-device-mappings',
        '[{"DeviceName":"/dev/sdz","Ebs":{"DeleteOnTermination":true}}]',
      );
      cloud.awsOk(
        'ec2',
        'modify-instance-attribute',
        '--instance-id',
        ids.b,
        '--block-device-mappings',
        '[{"DeviceName":"/dev/xvdh","Ebs":{"DeleteOnTermination":true}}]',
      );
      assert.equal((await volume(ids.vb)).Attachments?.[0].DeleteOnTermination, true);
      aws('ec2', 'terminate-instances', '--instance-ids', ids.a, ids.b);
      await waitInstance(ids.a, 'terminated');
      await waitInstance(ids.b, 'terminated');
      await waitVolume(ids.v2, 'available');
      const keptRoot = await waitVolume(ids.rootA, 'available');
      assert.deepEqual(keptRoot.Attachments, []);
      await waitFor('the volume marked DeleteOnTermination deleted with b', async () =>
        (await filterIds(`volume-id=${ids.vb}`)).length === 0 ? true : undefined,
      );
      await waitFor('the root volume of b deleted with it', async () =>
        (await filterIds(`volume-id=${rootB}`)).length === 0 ? true : undefined,
      );
      cloud.awsFails('InvalidVolume.NotFound', 'ec2', 'describe-volumes', '--volume-ids', rootB);
      assert.equal(loopsOfCloud(tag).length, 0);
      cloud.awsFails(
        'UnsupportedOperation',
        'ec2',
        'attach-volume',
        '--volume-id',
        ids.rootA,
        '--instance-id',
        ids.a,
        '--device',
        '/dev/sdh',
      );
      // A kept root volume's snapshot becomes, as a data volume, a file system holding the instance's changed files.
      const rootSnap = aws('ec2', 'create-snapshot', '--volume-id', ids.rootA).SnapshotId;
      await waitFor('the root snapshot completed', async () =>
        (await ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: [rootSnap] }))).Snapshots?.[0].State === 'completed'
          ? true
          : undefined,
      );
      const fromRoot = aws('ec2', 'create-volume', '--availability-zone', 'us-east-1b', '--snapshot-id', rootSnap).VolumeId;
      assert.equal((await waitVolume(fromRoot, 'available')).Size, 8);
      const fstab = spawnSync('debugfs', ['-R', 'cat /etc/fstab', path.join(cloud.home, 'volumes', fromRoot, 'disk.img')], {
        encoding: 'utf8',
      });
      assert.match(fstab.stdout, /\/dev\/xvdf \/data ext4 defaults,nofail 0 2/);
      for (const id of [ids.v1, ids.v2, ids.spare, ids.rootA, fromRoot]) aws('ec2', 'delete-volume', '--volume-id', id);
      await waitFor('every volume deleted', async () => ((await filterIds('volume-id=*')).length === 0 ? true : undefined));
      for (const id of [ids.snap, rootSnap]) aws('ec2', 'delete-snapshot', '--snapshot-id', id);
      cloud.awsFails('InvalidSnapshot.NotFound', 'ec2', 'describe-snapshots', '--snapshot-ids', ids.snap);
      assert.deepEqual(readdirSync(path.join(cloud.home, 'snapshots')), [], 'no snapshot file is left');
      assert.deepEqual(readdirSync(path.join(cloud.home, 'volumes')), [], 'no volume file is left');
    });
  },
);
