import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DescribeMountTargetsCommand, EFSClient } from '@aws-sdk/client-efs';
import { footprint } from '../src/runtime/cleanup.js';
import { ensureImage } from '../src/runtime/images.js';
import { fileSystemDir } from '../src/runtime/efs-server.js';
import { cloudTag, instanceLink, names } from '../src/runtime/names.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';
import { cfn, settle } from './templates/support.js';
import { consoleOf } from './support/efs-stack.js';
import { waitFor } from './support/wait.js';

/**
 * EFS over a real network path: a stack with a file system, mount targets in two zones and two instances that
 * mount it from user data (one `mount -t efs`, one an nfs4 line in /etc/fstab with `mount -a`). Bytes travel from
 * the instance's eth0 through the VPC's firewall to the mount target's NFS server. Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

function template() {
  const userDataA = [
    '#!/bin/sh',
    'set -e',
    'mkdir -p /mnt/efs',
    { 'Fn::Sub': 'mount -t efs -o tls,iam ${FileSystem}:/ /mnt/efs' },
    'echo "written by a" > /mnt/efs/from-a.txt',
    'echo efs-ready',
  ];
  const userDataB = [
    '#!/bin/sh',
    'set -e',
    'mkdir -p /mnt/efs',
    {
      'Fn::Sub':
        'echo "${FileSystem}.efs.${AWS::Region}.amazonaws.com:/ /mnt/efs nfs4 nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,_netdev 0 0" >> /etc/fstab',
    },
    'mount -a',
    'echo efs-ready',
  ];
  const userData = (lines: unknown[]) => ({ 'Fn::Base64': { 'Fn::Join': ['\n', lines] } });
  const subnet = (cidr: string, zone: string) => ({
    Type: 'AWS::EC2::Subnet',
    Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: cidr, AvailabilityZone: zone },
  });
  const instance = (subnetRef: string, groups: string[], lines: unknown[]) => ({
    Type: 'AWS::EC2::Instance',
    DependsOn: ['TargetA', 'TargetB'],
    Properties: {
      ImageId: 'ami-1ecae776',
      InstanceType: 't2.micro',
      SubnetId: { Ref: subnetRef },
      SecurityGroupIds: groups.map((g) => ({ Ref: g })),
      UserData: userData(lines),
    },
  });
  return JSON.stringify({
    Resources: {
      Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.50.0.0/16' } },
      SubnetA: subnet('10.50.1.0/24', 'us-east-1a'),
      SubnetB: subnet('10.50.2.0/24', 'us-east-1b'),
      SubnetC: subnet('10.50.3.0/24', 'us-east-1c'),
      ClientGroup: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'EFS clients', VpcId: { Ref: 'Vpc' } } },
      OtherGroup: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'not an EFS client', VpcId: { Ref: 'Vpc' } } },
      TargetGroup: {
        Type: 'AWS::EC2::SecurityGroup',
        Properties: {
          GroupDescription: 'EFS mount targets',
          VpcId: { Ref: 'Vpc' },
          SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, SourceSecurityGroupId: { Ref: 'ClientGroup' } }],
        },
      },
      FileSystem: {
        Type: 'AWS::EFS::FileSystem',
        Properties: { Encrypted: true, FileSystemTags: [{ Key: 'Name', Value: 'jenkins-home' }] },
      },
      TargetA: {
        Type: 'AWS::EFS::MountTarget',
        Properties: { FileSystemId: { Ref: 'FileSystem' }, SubnetId: { Ref: 'SubnetA' }, SecurityGroups: [{ Ref: 'TargetGroup' }] },
      },
      TargetB: {
        Type: 'AWS::EFS::MountTarget',
        Properties: { FileSystemId: { Ref: 'FileSystem' }, SubnetId: { Ref: 'SubnetB' }, SecurityGroups: [{ Ref: 'TargetGroup' }] },
      },
      // `-o iam` signs in as the instance's role: A has one (the EFS mount helper fails without credentials).
      ClientRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          },
        },
      },
      ClientProfile: { Type: 'AWS::IAM::InstanceProfile', Properties: { Roles: [{ Ref: 'ClientRole' }] } },
      InstanceA: (() => {
        const a = instance('SubnetA', ['ClientGroup'], userDataA);
        return { ...a, Properties: { ...a.Properties, IamInstanceProfile: { Ref: 'ClientProfile' } } };
      })(),
      InstanceB: instance('SubnetB', ['ClientGroup'], userDataB),
      InstanceC: instance('SubnetC', ['OtherGroup'], ['#!/bin/sh', 'mkdir -p /mnt/efs', 'echo efs-ready']),
    },
    Outputs: {
      FileSystem: { Value: { Ref: 'FileSystem' } },
      Vpc: { Value: { Ref: 'Vpc' } },
      A: { Value: { Ref: 'InstanceA' } },
      B: { Value: { Ref: 'InstanceB' } },
      C: { Value: { Ref: 'InstanceC' } },
      OtherGroup: { Value: { Ref: 'OtherGroup' } },
      TargetGroup: { Value: { Ref: 'TargetGroup' } },
      TargetAIp: { Value: { 'Fn::GetAtt': ['TargetA', 'IpAddress'] } },
    },
  });
}

describe('EFS mounted in instances over the VPC network', { skip: ROOT ? false : 'needs root: namespaces, nftables, FUSE' }, () => {
  let cloud: TestCloud;
  let out: Record<string, string> = {};
  let tag = '';

  /** The instance's init as the host sees it (tini in the instance's network namespace). */
  const initOf = (instanceId: string): string => {
    const pids = spawnSync('ip', ['netns', 'pids', names(tag).instanceNs(instanceId)], { encoding: 'utf8' })
      .stdout.split(/\s+/)
      .filter(Boolean);
    const init = pids.find((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('tini');
      } catch {
        return false;
      }
    });
    assert.ok(init, `no running init for ${instanceId}`);
    return init;
  };
  /** Runs a shell command inside the instance (its namespaces and root), as its user data would. */
  const sh = (instanceId: string, cmd: string) =>
    spawnSync(
      'nsenter',
      [
        '-t',
        initOf(instanceId),
        '-U',
        '-m',
        '-u',
        '-i',
        '-n',
        '-p',
        '-r',
        '-w',
        '--',
        '/bin/sh',
        '-c',
        `export PATH=/run/halo/bin:/usr/sbin:/usr/bin:/sbin:/bin; ${cmd}`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
  const ok = (instanceId: string, cmd: string) => {
    const r = sh(instanceId, cmd);
    assert.equal(r.status, 0, `${cmd} in ${instanceId}: ${r.stdout}${r.stderr}`);
    return r.stdout.trim();
  };
  const readConsole = (id: string) => consoleOf(cloud.home, id);
  /** Bytes through the instance's veth, as the VPC namespace counts them (/proc/net/dev). */
  const veth = (instanceId: string) => {
    const text = spawnSync('nsenter', [`--net=/run/netns/${names(tag).vpcNs(out.Vpc)}`, '--', 'cat', '/proc/net/dev'], {
      encoding: 'utf8',
    }).stdout;
    const line = text.split('\n').find((l) => l.trim().startsWith(`${instanceLink(instanceId)}:`)) ?? '';
    const f = line.split(':')[1].trim().split(/\s+/).map(Number);
    return { rx: f[0], tx: f[8] };
  };

  before(async () => {
    await ensureImage(process.env.HALO_IMAGE_CACHE as string);
    cloud = await TestCloud.start({ timeScale: 60, profile: 'fast' });
    tag = cloudTag(cloud.home);
    cloud.awsOk('cloudformation', 'create-stack', '--stack-name', 'efs', '--template-body', template(), '--capabilities', 'CAPABILITY_IAM');
    const stack = await settle(cfn(cloud), 'efs');
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
    out = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    for (const id of [out.A, out.B, out.C]) {
      await waitFor(
        `user data of ${id}`,
        async () => /efs-ready|user data exited with status [1-9]/.exec(readConsole(id)) ?? undefined,
        120_000,
      );
    }
  });
  after(async () => {
    if (cloud) await disposeAndCheckHost(cloud);
  });

  it('a file written by the instance in one zone (mount -t efs) is read by the one in the other (nfs4 fstab line, mount -a)', () => {
    assert.match(readConsole(out.A), /efs-ready/, readConsole(out.A));
    assert.match(readConsole(out.B), /efs-ready/, readConsole(out.B));
    assert.match(ok(out.A, 'grep " /mnt/efs " /proc/mounts'), new RegExp(`^${out.FileSystem}:/ /mnt/efs fuse.nfs4 `));
    assert.equal(ok(out.B, 'cat /mnt/efs/from-a.txt'), 'written by a');
    ok(out.B, 'echo "written by b" > /mnt/efs/from-b.txt');
    assert.equal(ok(out.A, 'cat /mnt/efs/from-b.txt'), 'written by b');
    // One directory on the host holds the file system's data, whichever mount target served it.
    assert.equal(readFileSync(path.join(fileSystemDir(cloud.home, out.FileSystem), 'from-b.txt'), 'utf8'), 'written by b\n');
    assert.match(ok(out.A, 'df -h /mnt/efs | tail -n 1'), /8\.0E/);
    // That directory's parent is the cloud's ext4 image with a journal, loop-mounted (efs-data.ts).
    const dataRoot = path.join(realpathSync(cloud.home), 'efs', 'data');
    const mount = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[1] === dataRoot);
    assert.match(mount ?? '', /^\/dev\/loop\d+ \S+ ext4 /, `no image mounted on ${dataRoot}`);
    const features = spawnSync('dumpe2fs', ['-h', (mount ?? '').split(' ')[0]], { encoding: 'utf8' }).stdout;
    assert.match(features, /Filesystem features:.*has_journal/);
  });

  it("inside an instance the file system's name resolves, through the VPC's DNS, to the mount target of its own zone", async () => {
    const targets =
      (await new EFSClient(cloud.sdk).send(new DescribeMountTargetsCommand({ FileSystemId: out.FileSystem }))).MountTargets ?? [];
    const ipIn = (zone: string) => targets.find((t) => t.AvailabilityZoneName === zone)?.IpAddress;
    const name = `${out.FileSystem}.efs.us-east-1.amazonaws.com`;
    assert.equal(ok(out.A, `getent hosts ${name} | cut -d' ' -f1`), ipIn('us-east-1a'));
    assert.equal(ok(out.B, `getent hosts ${name} | cut -d' ' -f1`), ipIn('us-east-1b'));
    assert.equal(ok(out.C, `getent hosts us-east-1b.${name} | cut -d' ' -f1`), ipIn('us-east-1b'));
    assert.notEqual(sh(out.C, `getent hosts ${name}`).status, 0, 'no mount target in us-east-1c: no record');
  });

  it("the NFS bytes cross the instance's own interface", () => {
    const before = veth(out.B);
    ok(out.B, 'head -c 4194304 /dev/urandom > /tmp/blob && cp /tmp/blob /mnt/efs/blob && sync');
    const after = veth(out.B);
    // The VPC side of the veth receives what the instance sends: at least the 4 MiB written.
    assert.ok(after.rx - before.rx > 4 * 1024 * 1024, `only ${after.rx - before.rx} bytes from the instance`);
    assert.equal(ok(out.A, 'md5sum < /mnt/efs/blob'), ok(out.B, 'md5sum < /tmp/blob'));
  });

  it('chown, chmod and utimes of a directory (install -d -o -g -m) go over NFS and are seen from the other instance; files too', () => {
    ok(out.A, 'mkdir -p /mnt/efs/d && chown 1000:1000 /mnt/efs/d && chmod 750 /mnt/efs/d && install -d -o 1000 -g 1000 -m 755 /mnt/efs/d2');
    assert.equal(ok(out.A, "stat -c '%u:%g %a' /mnt/efs/d /mnt/efs/d2"), '1000:1000 750\n1000:1000 755');
    assert.equal(ok(out.B, "stat -c '%u:%g %a' /mnt/efs/d /mnt/efs/d2"), '1000:1000 750\n1000:1000 755');
    ok(out.B, 'touch -d "2020-01-02 03:04:05 UTC" /mnt/efs/d && chmod 700 /mnt/efs/d2');
    assert.equal(ok(out.B, 'stat -c %Y /mnt/efs/d; stat -c %a /mnt/efs/d2'), '1577934245\n700');
    // A's client keeps attributes half a second (attr_timeout): then it sees B's changes.
    assert.equal(ok(out.A, 'sleep 1; stat -c %Y /mnt/efs/d; stat -c %a /mnt/efs/d2'), '1577934245\n700');
    ok(out.A, 'echo x > /mnt/efs/d/f && chown 1001:1002 /mnt/efs/d/f && chmod 640 /mnt/efs/d/f');
    assert.equal(ok(out.B, "stat -c '%u:%g %a' /mnt/efs/d/f"), '1001:1002 640');
    ok(out.A, 'ln -s f /mnt/efs/d/link && chown -h 1003:1004 /mnt/efs/d/link');
    assert.equal(ok(out.B, "stat -c '%u:%g' /mnt/efs/d/link /mnt/efs/d/f"), '1003:1004\n1001:1002');
    const onHost = statSync(path.join(fileSystemDir(cloud.home, out.FileSystem), 'd'));
    assert.equal(`${onHost.uid}:${onHost.gid} ${(onHost.mode & 0o777).toString(8)}`, '1000:1000 750');
  });

  it("a file's owner, mode, size and times change over NFS whether it is new, open or closed (install -o -g -m, chown/chmod/truncate of an open file)", () => {
    // install creates the file, fchmods it while open, closes it, then chowns it: as a service's setup does.
    ok(out.A, 'mkdir -p /mnt/efs/own && install -o 1000 -g 1000 -m 600 /dev/null /mnt/efs/own/secret');
    assert.equal(ok(out.B, "stat -c '%u:%g %a %s' /mnt/efs/own/secret"), '1000:1000 600 0');
    // Two descriptors on one file (one appending), its owner, mode and size changed while both are open, then written again.
    ok(
      out.A,
      [
        'cd /mnt/efs/own',
        'exec 3>log 4>>log',
        'echo one >&3',
        'chown 1001:1002 log',
        'chmod 640 log',
        'echo two >&4',
        'truncate -s 4 log',
        'echo three >&4',
        'exec 3>&- 4>&-',
      ].join(' && '),
    );
    assert.equal(ok(out.B, "stat -c '%u:%g %a' /mnt/efs/own/log; cat /mnt/efs/own/log"), '1001:1002 640\none\nthree');
    // Closed files: truncate, chmod, chown, times; an exclusive create gets the mode asked and the time of now.
    ok(
      out.B,
      [
        'cd /mnt/efs/own',
        'truncate -s 2 log',
        'chmod 604 log',
        'chown 1003 log',
        'touch -d "2020-01-02 03:04:05 UTC" log',
        'python3 -c "import os; os.close(os.open(\'excl\', os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o640))"',
      ].join(' && '),
    );
    assert.equal(
      ok(out.A, "sleep 1; stat -c '%u:%g %a %s %Y' /mnt/efs/own/log; stat -c %a /mnt/efs/own/excl"),
      '1003:1002 604 2 1577934245\n640',
    );
    assert.ok(
      Math.abs(Number(ok(out.A, 'stat -c %Y /mnt/efs/own/excl')) - Date.now() / 1000) < 600,
      'an exclusive create leaves the time of now',
    );
    // A user who may not is refused by the server, as on NFS.
    assert.notEqual(sh(out.A, 'su nobody -s /bin/sh -c "chmod 777 /mnt/efs/own/log"').status, 0);
    const onHost = statSync(path.join(fileSystemDir(cloud.home, out.FileSystem), 'own', 'secret'));
    assert.equal(`${onHost.uid}:${onHost.gid} ${(onHost.mode & 0o777).toString(8)}`, '1000:1000 600');
  });

  it('byte-range locks and flock exclude each other across instances in two zones; a blocking attempt waits for the release', async () => {
    /** A command run in the instance in the background (the lock's holder); resolves with its exit code. */
    const background = (instanceId: string, cmd: string) => {
      const child = spawn(
        'nsenter',
        ['-t', initOf(instanceId), '-U', '-m', '-u', '-i', '-n', '-p', '-r', '-w', '--', '/bin/sh', '-c', cmd],
        { stdio: 'ignore' },
      );
      return new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    };
    const held = (marker: string) => () => (sh(out.A, `test -e /mnt/efs/locks/${marker}`).status === 0 ? true : undefined);
    ok(out.A, 'mkdir -p /mnt/efs/locks && rm -f /mnt/efs/locks/* && touch /mnt/efs/locks/flocked /mnt/efs/locks/fcntl');

    // flock: A holds it exclusively; B's non-blocking attempt fails, its blocking one returns only after A released
    // (A writes `released` while it still holds the lock, then lets it go).
    const holder = background(
      out.A,
      'exec 9>>/mnt/efs/locks/flocked && flock -x 9 && touch /mnt/efs/locks/flock-held && sleep 3 && echo released > /mnt/efs/locks/flock-state',
    );
    await waitFor('A holds the flock', held('flock-held'), 20_000);
    const nonBlocking = sh(out.B, 'flock -n -x /mnt/efs/locks/flocked true');
    assert.equal(nonBlocking.status, 1, `flock -n in B: ${nonBlocking.stderr}`);
    assert.equal(ok(out.B, 'flock -x /mnt/efs/locks/flocked cat /mnt/efs/locks/flock-state'), 'released', 'B waited for the release');
    assert.equal(await holder, 0);

    // fcntl (lockf): EAGAIN for the non-blocking attempt, F_GETLK shows the other instance's write lock, a blocking
    // lockf waits.
    const py = (code: string) => `python3 -c '${code}'`;
    const fcntlHolder = background(
      out.A,
      py(
        'import fcntl, os, time; fd = os.open("/mnt/efs/locks/fcntl", os.O_RDWR); fcntl.lockf(fd, fcntl.LOCK_EX); ' +
          'open("/mnt/efs/locks/fcntl-held", "w").close(); time.sleep(3); ' +
          'open("/mnt/efs/locks/fcntl-state", "w").write("released"); os.close(fd)',
      ),
    );
    await waitFor('A holds the fcntl lock', held('fcntl-held'), 20_000);
    assert.equal(
      ok(
        out.B,
        py(
          'import errno, fcntl, os, struct; fd = os.open("/mnt/efs/locks/fcntl", os.O_RDWR)\n' +
            'try:\n  fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print("locked")\n' +
            'except OSError as e: print(errno.errorcode[e.errno])\n' +
            'print(struct.unpack("hhqqi4x", fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 0, 0, 0)))[0] == fcntl.F_WRLCK)',
        ),
      ),
      'EAGAIN\nTrue',
    );
    assert.equal(
      ok(
        out.B,
        py(
          'import fcntl, os; fd = os.open("/mnt/efs/locks/fcntl", os.O_RDWR); fcntl.lockf(fd, fcntl.LOCK_EX); ' +
            'print(open("/mnt/efs/locks/fcntl-state").read())',
        ),
      ),
      'released',
    );
    assert.equal(await fcntlHolder, 0);
  });

  it('from a zone without a mount target the mount fails as the EFS helper does; blocked by the group on 2049 it times out until the rule is added', async () => {
    const noTarget = sh(out.C, `mount -t efs ${out.FileSystem}:/ /mnt/efs`);
    assert.notEqual(noTarget.status, 0);
    assert.match(noTarget.stderr, new RegExp(`Failed to resolve "${out.FileSystem}\\.efs\\.us-east-1\\.amazonaws\\.com"`));
    const dns = sh(out.C, `mount -t nfs4 -o nfsvers=4.1 ${out.FileSystem}.efs.us-east-1.amazonaws.com:/ /mnt/efs`);
    assert.match(dns.stderr, /Failed to resolve server/);
    const blocked = sh(out.C, `mount -t nfs4 -o nfsvers=4.1,hard,timeo=600,retrans=2,noresvport ${out.TargetAIp}:/ /mnt/efs`);
    assert.notEqual(blocked.status, 0);
    assert.match(blocked.stderr, /Connection timed out/);
    cloud.awsOk(
      'ec2',
      'authorize-security-group-ingress',
      '--group-id',
      out.TargetGroup,
      '--protocol',
      'tcp',
      '--port',
      '2049',
      '--source-group',
      out.OtherGroup,
    );
    ok(out.C, `mount -t nfs4 -o nfsvers=4.1,hard,timeo=600,retrans=2,noresvport ${out.TargetAIp}:/ /mnt/efs`);
    assert.equal(ok(out.C, 'cat /mnt/efs/from-a.txt'), 'written by a');
    ok(out.C, 'umount /mnt/efs');
    assert.equal(sh(out.C, 'grep -c " /mnt/efs " /proc/mounts').stdout.trim(), '0');
  });

  it("mount -t efs -o tls,accesspoint=…,iam: the access point's root directory is made with its creation info and files belong to its POSIX user", () => {
    const ap = cloud.awsOk(
      'efs',
      'create-access-point',
      '--file-system-id',
      out.FileSystem,
      '--posix-user',
      'Uid=1000,Gid=1000',
      '--root-directory',
      'Path=/jenkins,CreationInfo={OwnerUid=1000,OwnerGid=1000,Permissions=750}',
    ).AccessPointId;
    ok(out.A, `mkdir -p /mnt/ap && mount -t efs -o tls,accesspoint=${ap},iam ${out.FileSystem}:/ /mnt/ap`);
    ok(out.A, 'echo "jenkins home" > /mnt/ap/config.xml');
    assert.match(ok(out.A, 'ls -ln /mnt/ap/config.xml'), /^-\S+ 1 1000 1000 13 /);
    const root = path.join(fileSystemDir(cloud.home, out.FileSystem), 'jenkins');
    assert.equal(readFileSync(path.join(root, 'config.xml'), 'utf8'), 'jenkins home\n');
    assert.equal(ok(out.A, 'stat -c %u:%g:%a /mnt/ap'), '1000:1000:750');
    ok(out.A, 'umount /mnt/ap');
  });

  it('the nfs4 line of /etc/fstab is mounted again at the next boot', async () => {
    const boots = () => (readConsole(out.B).match(/boot finished/g) ?? []).length;
    const before = boots();
    cloud.awsOk('ec2', 'reboot-instances', '--instance-ids', out.B);
    await waitFor('the reboot of B', () => (boots() > before ? true : undefined), 120_000);
    await waitFor(
      '/mnt/efs mounted again in B',
      () => (sh(out.B, 'grep -q " /mnt/efs fuse.nfs4 " /proc/mounts').status === 0 ? true : undefined),
      60_000,
    );
    assert.equal(ok(out.B, 'cat /mnt/efs/from-a.txt'), 'written by a');
  });

  it('during a network partition I/O blocks, as on a hard mount, and resumes when healed', async () => {
    const file = path.join(fileSystemDir(cloud.home, out.FileSystem), 'partition.txt');
    assert.equal(cloud.halo('fault', 'network-partition', out.B).status, 0);
    const writer = spawn(
      'nsenter',
      ['-t', initOf(out.B), '-U', '-m', '-u', '-i', '-n', '-p', '-r', '-w', '--', '/bin/sh', '-c', 'echo during > /mnt/efs/partition.txt'],
      { stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((resolve) => writer.once('exit', (code) => resolve(code)));
    await sleep(3000);
    assert.equal(writer.exitCode, null, 'the write returned while the instance was cut off');
    assert.equal(existsSync(file) ? readFileSync(file, 'utf8') : '', '');
    assert.equal(cloud.halo('fault', 'network-heal', out.B).status, 0);
    assert.equal(await exited, 0);
    assert.equal(readFileSync(file, 'utf8'), 'during\n');
  });

  it('after an outage of the first zone the file is still there for the second, and a new write succeeds', async () => {
    const efs = new EFSClient(cloud.sdk);
    const targets = (await efs.send(new DescribeMountTargetsCommand({ FileSystemId: out.FileSystem }))).MountTargets ?? [];
    assert.deepEqual(targets.map((t) => t.AvailabilityZoneName).sort(), ['us-east-1a', 'us-east-1b']);
    const r = cloud.halo('fault', 'az-outage', 'us-east-1a');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(ok(out.B, 'cat /mnt/efs/from-a.txt'), 'written by a');
    ok(out.B, 'echo "after the outage" > /mnt/efs/after.txt && sync');
    assert.equal(ok(out.B, 'cat /mnt/efs/after.txt'), 'after the outage');
    // The dark zone's mount target answers no more.
    const dark = sh(out.C, `mount -t nfs4 ${out.TargetAIp}:/ /mnt/efs`);
    assert.match(dark.stderr, /Connection timed out|No route/);
    assert.equal(cloud.halo('fault', 'az-restore', 'us-east-1a').status, 0);
  });

  it('a kill -9 of the daemon leaves no EFS process; after the restart the mount targets serve again and the fstab line is mounted at boot', async () => {
    await cloud.crash();
    await waitFor('the EFS servers and clients gone', () => (footprint(tag).efsProcesses.length === 0 ? true : undefined), 20_000);
    const boots = (readConsole(out.B).match(/boot finished/g) ?? []).length;
    await cloud.restart();
    await waitFor('B booted again', () => ((readConsole(out.B).match(/boot finished/g) ?? []).length > boots ? true : undefined), 120_000);
    await waitFor(
      '/mnt/efs mounted again in B',
      () => (sh(out.B, 'grep -q " /mnt/efs fuse.nfs4 " /proc/mounts').status === 0 ? true : undefined),
      60_000,
    );
    assert.equal(ok(out.B, 'cat /mnt/efs/after.txt'), 'after the outage');
  });
});
