import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
  GetConsoleOutputCommand,
  ModifyInstanceAttributeCommand,
  RunInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { after, before, describe, it } from 'node:test';
import { cgroupsOfCloud } from '../src/runtime/limits.js';
import { ensureImage } from '../src/runtime/images.js';
import { cloudTag } from '../src/runtime/names.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';
import { waitFor } from './support/wait.js';

/**
 * What an instance's root can do to the host (issue 14, findings 2, 3 and 6), tried from inside real instances:
 * the host's kernel keyring, system calls a container runtime refuses, host-wide /proc entries, setuid files and file
 * capabilities landing on the host, spoofed source addresses, memory, processes, CPU, disk and console floods.
 * Each is refused or bounded; the host and the API stay responsive. Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

const HOST_KEY = `halo-test-${process.pid}`;
const INSIDE_KEY = `halo-test-inside-${process.pid}`;

/** The host's root adds a key to its user keyring (keyutils' `keyctl add user … @u`, through the system call). */
function hostKeyring(op: 'add' | 'search' | 'unlink', description: string): number {
  const script = `
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
op, desc = sys.argv[1], sys.argv[2].encode()
if op == 'add':
    r = libc.syscall(248, b'user', desc, b'secret-of-the-host', 18, -4)
else:
    r = libc.syscall(250, 10, -4, b'user', desc, 0)
    if op == 'unlink' and r > 0:
        libc.syscall(250, 9, r, -4)
print(r)`;
  return Number(spawnSync('/usr/bin/python3', ['-c', script, op, description], { encoding: 'utf8' }).stdout.trim());
}

/** Python run inside the instance: each line "check <name>: <result>". */
const SYSCALLS = `
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def try_(name, nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(nr, *args)
    print('check syscall %s: %s' % (name, 'ok' if r >= 0 else os.strerror(ctypes.get_errno())), flush=True)
try_('keyctl search @u', 250, 10, -4, b'user', b'${HOST_KEY}', 0)
try_('add_key @u', 248, b'user', b'${INSIDE_KEY}', b'x', 1, -4)
try_('unshare user namespace', 272, 0x10000000)
try_('ptrace traceme', 101, 0, 0, 0, 0)
try_('perf_event_open', 298, 0, 0, -1, -1, 0)
try_('bpf', 321, 5, 0, 0)
try_('io_uring_setup', 425, 1, 0)
try_('init_module', 175, 0, 0, b'')
try_('finit_module', 313, -1, b'', 0)
try_('delete_module', 176, b'halo_none', 0)
try_('settimeofday', 164, 0, 0)
try_('clock_settime', 227, 0, 0)
try_('swapon', 167, b'/nonexistent', 0)
try_('reboot', 169, 0, 0, 0, 0)
try_('kexec_load', 246, 0, 0, 0, 0)
try_('open_by_handle_at', 304, -1, 0, 0)
try_('mount', 165, b'none', b'/mnt', b'tmpfs', 0, 0)
try_('setns', 308, -1, 0)
print('check seccomp mode: ' + [l.split()[1] for l in open('/proc/self/status') if l.startswith('Seccomp:')][0], flush=True)
`;

const ATTACKER = (targetIp: string, spoofedIp: string) => `#!/bin/bash
echo "attacker: user data starts"
cat > /root/syscalls.py <<'EOF'
${SYSCALLS}
EOF
python3 /root/syscalls.py
# host-wide /proc entries: write back what is there
for f in /proc/irq/default_smp_affinity /proc/sys/kernel/domainname /proc/sys/vm/drop_caches; do
  if [ -e "$f" ]; then v=$(cat "$f" 2>/dev/null || echo x); (echo "$v" > "$f") 2>/dev/null && echo "check proc $f: written" || echo "check proc $f: refused"; fi
done
w=refused
for f in /proc/irq/*/smp_affinity; do v=$(cat "$f"); (echo "$v" > "$f") 2>/dev/null && { w="written ($f)"; break; }; done
echo "check proc irq smp_affinity: $w"
# a setuid copy of a shell and a file with CAP_SYS_ADMIN in its capabilities, made by the instance's root
cp /bin/bash /usr/local/bin/halo-suid-${process.pid} && chmod 4755 /usr/local/bin/halo-suid-${process.pid}
cp /bin/true /usr/local/bin/halo-fcap-${process.pid}
python3 -c "import os, struct; os.setxattr('/usr/local/bin/halo-fcap-${process.pid}', 'security.capability', struct.pack('<IIIII', 0x02000001, 1 << 21, 0, 0, 0))" \\
  && echo "check fcap: set" || echo "check fcap: refused"
echo "check suid mode: $(stat -c %a /usr/local/bin/halo-suid-${process.pid})"
# memory over the type's size (t2.micro: 1 GiB)
python3 -c "b = b'x' * (1536 << 20); print('allocated', len(b))"; echo "check alloc 1.5 GiB: exit $?"
# the root volume's size (8 GiB): most of it reserved at once, then dd until it stops
fallocate -l 7600M /var/tmp/fill && echo "check fallocate: ok" || echo "check fallocate: failed"
dd if=/dev/zero of=/var/tmp/more bs=1M count=1500 2>&1 | sed 's/^/check dd: /'
echo "check df: $(df -B1 --output=size / | tail -n 1)"
rm -f /var/tmp/fill /var/tmp/more
# EC2's source/destination check: another instance's address on eth0, UDP to a port open only to that instance's group
ip addr add ${spoofedIp}/32 dev eth0 && echo "check ip addr add: ok"
cat > /root/spoof.py <<'EOF'
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('${spoofedIp}', 0))
n = 0
while True:
    n += 1
    s.sendto(b'spoof %d' % n, ('${targetIp}', 9000))
    time.sleep(0.3)
EOF
nohup python3 /root/spoof.py >/dev/null 2>&1 &
echo "attacker: checks done"
`;

/** Logs every UDP datagram on 9000 with its source. */
const TARGET = `#!/bin/bash
cat > /root/udp.py <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('', 9000))
while True:
    data, (addr, port) = s.recvfrom(2048)
    print('got %s from %s' % (data.decode(errors='replace'), addr), flush=True)
EOF
python3 /root/udp.py &
echo "target: listening"
`;

/** The owner of the address the attacker borrows: its own datagrams pass (the security group admits its group). */
const OWNER = (targetIp: string) => `#!/bin/bash
python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for n in range(600):
    s.sendto(b'real %d' % n, ('${targetIp}', 9000)); time.sleep(0.5)
" >/dev/null 2>&1 &
echo "owner: sending"
`;

/**
 * A fork bomb bounded in time: processes forked until the system says no (at most 3000), waiting on a pipe; once
 * the forks stop, all of them spin for 12 s (perl loops); then a console flood.
 */
const BOMB = `#!/bin/bash
echo "bomb: starting"
python3 - <<'PY'
import os, time
r, w = os.pipe()
children = []
for i in range(3000):
    try:
        pid = os.fork()
    except OSError as e:
        print('bomb: fork refused after %d processes: %s' % (len(children), e), flush=True)
        break
    if pid == 0:
        os.close(w)
        os.read(r, 1)
        os.execv('/usr/bin/perl', ['perl', '-e', '1 while time < ' + str(int(time.time()) + 12)])
    children.append(pid)
open('/root/bomb.txt', 'w').write(str(len(children)))
print('bomb: spinning', flush=True)
os.close(w)
for pid in children:
    os.waitpid(pid, 0)
PY
echo "bomb: over"
head -c 50000000 /dev/zero | tr '\\0' 'x'
echo
echo "flood: done, the bomb had forked $(cat /root/bomb.txt)"
`;

describe(
  'Sandbox isolation: what an instance can do to the host',
  { skip: ROOT ? false : 'needs root: namespaces, nftables, mounts, cgroups' },
  () => {
    let cloud: TestCloud;
    let ec2: EC2Client;
    const ids: Record<string, string> = {};
    const consoleOf = async (id: string): Promise<string> =>
      Buffer.from((await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }))).Output ?? '', 'base64').toString('utf8');
    const launch = async (label: string, script: string, input: Partial<RunInstancesCommandInput>) => {
      const r = await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-1ecae776',
          InstanceType: 't2.micro',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: ids.subnet,
          UserData: Buffer.from(script).toString('base64'),
          ...input,
        }),
      );
      ids[label] = r.Instances?.[0]?.InstanceId as string;
    };
    const consoleLine = (label: string, text: string, timeoutMs = 120_000) =>
      waitFor(
        `"${text}" on ${label}'s console`,
        async () => {
          const out = await consoleOf(ids[label]);
          return out.includes(text) ? out : undefined;
        },
        timeoutMs,
      );
    const checks = (out: string) =>
      new Map(
        out
          .split('\n')
          .filter((l) => l.startsWith('check '))
          .map((l) => {
            const i = l.indexOf(': ');
            return [l.slice(6, i), l.slice(i + 2)] as [string, string];
          }),
      );
    /** Median wall time of a DescribeInstances call (ms). */
    const apiLatency = async (calls = 9): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < calls; i++) {
        const t = performance.now();
        await ec2.send(new DescribeInstancesCommand({}));
        times.push(performance.now() - t);
      }
      return times.sort((a, b) => a - b)[Math.floor(calls / 2)];
    };
    let attacker: Map<string, string>;
    let baseline = 0;

    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      assert.ok(hostKeyring('add', HOST_KEY) > 0, "the host adds a key to root's user keyring");
      cloud = await TestCloud.start({ profile: 'instant' });
      ec2 = new EC2Client(cloud.sdk);
      const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId as string;
      ids.subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24' }))).Subnet?.SubnetId as string;
      const group = async (name: string) =>
        (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: name, Description: name }))).GroupId as string;
      ids.sgOwner = await group('owner');
      ids.sgTarget = await group('target');
      ids.sgAttacker = await group('attacker');
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: ids.sgTarget,
          IpPermissions: [{ IpProtocol: 'udp', FromPort: 9000, ToPort: 9000, UserIdGroupPairs: [{ GroupId: ids.sgOwner }] }],
        }),
      );
      baseline = await apiLatency();
      await launch('target', TARGET, { PrivateIpAddress: '10.0.1.30', SecurityGroupIds: [ids.sgTarget] });
      await launch('owner', OWNER('10.0.1.30'), { PrivateIpAddress: '10.0.1.20', SecurityGroupIds: [ids.sgOwner] });
      await consoleLine('target', 'target: listening');
      await launch('attacker', ATTACKER('10.0.1.30', '10.0.1.20'), { PrivateIpAddress: '10.0.1.10', SecurityGroupIds: [ids.sgAttacker] });
      attacker = checks(await consoleLine('attacker', 'attacker: checks done', 240_000));
    });

    after(async () => {
      hostKeyring('unlink', HOST_KEY);
      hostKeyring('unlink', INSIDE_KEY);
      ec2?.destroy();
      if (cloud) await disposeAndCheckHost(cloud);
    });

    it("the host's kernel keyring is out of reach: no key read, none added", () => {
      assert.equal(attacker.get('syscall keyctl search @u'), 'Operation not permitted');
      assert.equal(attacker.get('syscall add_key @u'), 'Operation not permitted');
      assert.equal(hostKeyring('search', INSIDE_KEY) < 0, true, 'the host sees no key added from inside');
    });

    it('the seccomp filter refuses what container runtimes refuse (new user namespaces, modules, clock, swap, perf, bpf, …)', () => {
      assert.equal(attacker.get('seccomp mode'), '2', "the instance's processes run under a seccomp filter");
      const refused = [...attacker].filter(([k]) => k.startsWith('syscall '));
      assert.ok(refused.length >= 18, `all system call checks ran: ${JSON.stringify(refused)}`);
      for (const [name, result] of refused) assert.equal(result, 'Operation not permitted', name);
    });

    it('host-wide /proc entries cannot be written', () => {
      const all = JSON.stringify([...attacker]);
      assert.equal(attacker.get('proc /proc/irq/default_smp_affinity'), 'refused', all);
      assert.equal(attacker.get('proc /proc/sys/kernel/domainname'), 'refused', all);
      assert.equal(attacker.get('proc /proc/sys/vm/drop_caches'), 'refused', all);
      assert.equal(attacker.get('proc irq smp_affinity'), 'refused', 'no /proc/irq/*/smp_affinity was written');
    });

    it("setuid files and file capabilities made inside exist only inside the instance's volume, never as host files", async () => {
      const described = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids.attacker] }))).Reservations?.[0]?.Instances?.[0];
      assert.equal(attacker.get('suid mode'), '4755', "inside, the instance's root made a setuid file");
      assert.equal(attacker.get('fcap'), 'set');
      const found: string[] = [];
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const p = path.join(dir, name);
          const st = lstatSync(p);
          if (name.includes(`halo-suid-${process.pid}`) || name.includes(`halo-fcap-${process.pid}`)) found.push(p);
          if (st.isFile() && (st.mode & 0o6000) !== 0) found.push(`${p} (mode ${(st.mode & 0o7777).toString(8)})`);
          if (st.isDirectory()) walk(p);
        }
      };
      walk(path.join(cloud.home, 'volumes'));
      assert.deepEqual(found, [], "no file of the instance on the host's file system");
      const volumeId = described?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId as string;
      const disk = path.join(cloud.home, 'volumes', volumeId, 'root.img');
      assert.equal(statSync(disk).size, 8 * 1024 ** 3, 'the root volume is an 8 GiB file system image');
    });

    it("memory beyond the instance type's size is killed inside the instance; the instance runs on", () => {
      assert.equal(attacker.get('alloc 1.5 GiB'), 'exit 137', 'the allocation is OOM-killed (SIGKILL) in a t2.micro');
    });

    it("the root volume has its AMI's size: writes beyond 8 GiB fail with ENOSPC inside", async () => {
      assert.equal(attacker.get('fallocate'), 'ok');
      const dd = (await consoleOf(ids.attacker))
        .split('\n')
        .filter((l) => l.startsWith('check dd: '))
        .join('\n');
      assert.match(dd, /No space left on device/, dd);
      const size = Number(attacker.get('df'));
      assert.ok(size > 7.5 * 1024 ** 3 && size <= 8 * 1024 ** 3, `the root file system is 8 GiB (df: ${size})`);
      const volumes = (
        await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [ids.attacker] }] }))
      ).Volumes;
      assert.equal(volumes?.[0]?.Size, 8);
    });

    it("source/destination check: another instance's address does not pass; SourceDestCheck=false lets it to the security groups", async () => {
      assert.equal(attacker.get('ip addr add'), 'ok', 'the instance may change its own interface');
      const owner = await consoleLine('target', 'got real', 60_000);
      assert.match(owner, /got real \d+ from 10\.0\.1\.20/, 'the owner of the address reaches the port');
      await sleep(3000);
      assert.doesNotMatch(await consoleOf(ids.target), /got spoof/, "datagrams from the attacker with the owner's address are dropped");
      const attr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: ids.attacker, Attribute: 'sourceDestCheck' }));
      assert.equal(attr.SourceDestCheck?.Value, true);

      await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: ids.attacker, SourceDestCheck: { Value: false } }));
      const described = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids.attacker] }))).Reservations?.[0]?.Instances?.[0];
      assert.equal(described?.SourceDestCheck, false);
      assert.equal(described?.NetworkInterfaces?.[0]?.SourceDestCheck, false);
      const through = await consoleLine('target', 'got spoof', 30_000);
      assert.match(
        through,
        /got spoof \d+ from 10\.0\.1\.20/,
        "without the check, the security group (which admits the owner's group) decides",
      );
      await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: ids.attacker, SourceDestCheck: { Value: true } }));
    });

    it('a fork bomb stops at the pids limit and the API stays responsive; a console flood keeps only the last 64 KB', async (t) => {
      // A root volume larger than the AMI's is asked for in RunInstances (smaller is refused, as EC2 refuses it).
      const small = await ec2
        .send(
          new RunInstancesCommand({
            ImageId: 'ami-1ecae776',
            InstanceType: 't2.micro',
            MinCount: 1,
            MaxCount: 1,
            SubnetId: ids.subnet,
            BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 4 } }],
          }),
        )
        .then(
          () => 'launched',
          (err: { name?: string }) => err.name,
        );
      assert.equal(small, 'InvalidBlockDeviceMapping');
      await launch('bomb', BOMB, {
        SecurityGroupIds: [ids.sgAttacker],
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 10 } }],
      });
      await consoleLine('bomb', 'bomb: spinning');
      await sleep(1000);
      const during = await apiLatency();
      t.diagnostic(`DescribeInstances median: ${baseline.toFixed(1)} ms before, ${during.toFixed(1)} ms during the fork bomb`);
      assert.ok(
        during < Math.max(20 * baseline, 1000),
        `DescribeInstances took ${during.toFixed(0)} ms during the bomb, ${baseline.toFixed(0)} ms before`,
      );
      const out = await consoleLine('bomb', 'flood: done', 180_000);
      const forked = Number(/flood: done, the bomb had forked (\d+)/.exec(out)?.[1]);
      assert.ok(forked > 100 && forked < 1024, `the bomb stopped at the pids limit (forked ${forked})`);
      t.diagnostic(`the fork bomb forked ${forked} processes before the pids limit (1024 for a t2.micro) refused more`);
      assert.ok(Buffer.byteLength(out) <= 64 * 1024, 'GetConsoleOutput gives the most recent 64 KB');
      const file = path.join(cloud.home, 'instances', ids.bomb, 'console.log');
      assert.ok(statSync(file).size <= 128 * 1024, `the console costs at most 128 KB of disk (${statSync(file).size} bytes)`);
      const start = performance.now();
      await consoleOf(ids.bomb);
      assert.ok(performance.now() - start < Math.max(20 * baseline, 1000), 'GetConsoleOutput stays fast');
      assert.ok(cgroupsOfCloud(cloudTag(cloud.home)).length > 0, 'the instances run in cgroups of their own');
      const root = (await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [ids.bomb] }] })))
        .Volumes?.[0];
      assert.equal(root?.Size, 10);
      assert.equal(statSync(path.join(cloud.home, 'volumes', root?.VolumeId as string, 'root.img')).size, 10 * 1024 ** 3);
    });
  },
);
