import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client, GetConsoleOutputCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { after, before, describe, it } from 'node:test';
import { ensureImage } from '../src/runtime/images.js';
import { cgroupDirs } from '../src/runtime/limits.js';
import { cloudTag } from '../src/runtime/names.js';
import { ID_RANGE, idClaimsOf } from '../src/runtime/userns.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost, processList } from './support/host.js';
import { inInstance } from './support/instance-shell.js';
import { waitFor } from './support/wait.js';

/**
 * Root in an instance is not root on the host (issue 14): each instance runs in a user namespace of its own, with an
 * unprivileged id range no other instance has, and keeps what it could do before in its own namespaces (its network
 * configuration, raw sockets, nft, its console, its files as root). Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

/** User data: what root can do inside, each line "check <name>: <result>". */
const USER_DATA = `#!/bin/sh
c() { n=$1; shift; if out=$("$@" 2>&1); then echo "check $n: ok"; else echo "check $n: failed: $out"; fi; }
echo "check uid: $(id -u) $(id -g)"
echo "check uid_map: $(cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')"
c "ip addr add" ip addr add 10.0.1.99/32 dev lo
c "ip route add" ip route add 192.0.2.0/24 dev lo
c "ip link add" ip link add v0 type veth peer name v1
c "raw socket" python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, 1)'
c "write /etc" sh -c 'echo "# by root" >> /etc/hosts.allow'
echo "check oom score of the user data: $(cat /proc/self/oom_score_adj)"
echo "check oom score of init: $(cat /proc/1/oom_score_adj)"
c "file as root" sh -c 'echo mine > /root/made-inside'
c "setuid copy" sh -c 'cp /usr/bin/id /root/suid-id && chmod 4755 /root/suid-id'
echo "userns: done"
`;

describe(
  'User namespaces: root in an instance is not root on the host',
  { skip: ROOT ? false : 'needs root: namespaces, mounts, cgroups' },
  () => {
    let cloud: TestCloud;
    let ec2: EC2Client;
    const ids: string[] = [];
    const consoleOf = async (id: string): Promise<string> =>
      Buffer.from((await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }))).Output ?? '', 'base64').toString('utf8');
    const checks = new Map<string, string>();
    /** The instance's PID 1 (tini) as the host sees it. */
    const initOf = (id: string): number => {
      const sandbox = processList(`/instances/${id}/stage1.pl`).find((p) => p.cmd.startsWith('halo-sandbox '));
      assert.ok(sandbox, `the sandbox of ${id} runs`);
      return Number(readFileSync(`/proc/${sandbox.pid}/task/${sandbox.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    };
    const baseOf = (pid: number) => Number(readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/)[1]);

    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ profile: 'instant' });
      ec2 = new EC2Client(cloud.sdk);
      const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId as string;
      const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24' }))).Subnet?.SubnetId as string;
      const r = await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-1ecae776',
          InstanceType: 't2.micro',
          MinCount: 2,
          MaxCount: 2,
          SubnetId: subnet,
          UserData: Buffer.from(USER_DATA).toString('base64'),
        }),
      );
      ids.push(...(r.Instances ?? []).map((i) => i.InstanceId as string));
      const [out] = await waitFor(
        'the user data of both done',
        async () => {
          const texts = await Promise.all(ids.map(consoleOf));
          return texts.every((t) => t.includes('userns: done')) ? texts : undefined;
        },
        120_000,
      );
      for (const line of out.split('\n').filter((l) => l.startsWith('check '))) {
        const i = line.indexOf(': ');
        checks.set(line.slice(6, i), line.slice(i + 2));
      }
    });
    after(async () => {
      if (cloud) await disposeAndCheckHost(cloud);
    });

    it('each instance has a range of ids of its own, unprivileged on the host, claimed by name', () => {
      const [a, b] = ids.map((id) => baseOf(initOf(id)));
      assert.equal(checks.get('uid'), '0 0', 'the user data runs as root inside');
      assert.equal(checks.get('uid_map'), `0 ${a} ${ID_RANGE}`, 'inside, uid 0 is the first id of the range');
      for (const base of [a, b]) assert.ok(base >= ID_RANGE, `the range starts above the host's usual ids: ${base}`);
      assert.ok(Math.abs(a - b) >= ID_RANGE, `the two instances' ranges do not overlap: ${a}, ${b}`);
      assert.equal(idClaimsOf(cloudTag(cloud.home)).length, 2, 'one claim per running instance in /run/halo/ids');
      const status = readFileSync(`/proc/${initOf(ids[0])}/status`, 'utf8');
      assert.match(
        status,
        new RegExp(`^Uid:\\s+${a}\\s+${a}\\s+${a}\\s+${a}$`, 'm'),
        "the instance's PID 1 is the range's first id on the host",
      );
    });

    it('keeps its own network configuration (NET_ADMIN, NET_RAW), its files as root and its console', async () => {
      for (const name of ['ip addr add', 'ip route add', 'ip link add', 'raw socket', 'write /etc', 'file as root', 'setuid copy']) {
        assert.equal(checks.get(name), 'ok', name);
      }
      const shown = inInstance(ids[0], 'ip -4 addr show dev lo; ip -o link show v0; cat /root/made-inside');
      assert.equal(shown.status, 0, shown.stderr);
      assert.match(shown.stdout, /10\.0\.1\.99\/32/);
      assert.match(shown.stdout, /v0@v1/);
      const said = inInstance(ids[0], 'echo "said on the console by root" > /proc/1/fd/1');
      assert.equal(said.status, 0, said.stderr);
      await waitFor(
        'the console line',
        async () => ((await consoleOf(ids[0])).includes('said on the console by root') ? true : undefined),
        10_000,
      );
    });

    it('a file made as root inside belongs to the unprivileged id on the host; a setuid-root copy gives no host root', () => {
      const init = initOf(ids[0]);
      const base = baseOf(init);
      const made = statSync(`/proc/${init}/root/root/made-inside`);
      assert.deepEqual([made.uid, made.gid], [base, base], "the host sees the file owned by the range's first id");
      const suid = statSync(`/proc/${init}/root/root/suid-id`);
      assert.equal(suid.uid, base);
      assert.ok(suid.mode & 0o4000, 'the setuid bit is there');
      // The host's nobody runs the setuid copy in the instance's mount namespace: it becomes the range's first id, not 0.
      const r = spawnSync(
        'nsenter',
        [
          '-t',
          String(init),
          '-m',
          '-r',
          '--',
          'setpriv',
          '--reuid',
          '65534',
          '--regid',
          '65534',
          '--clear-groups',
          '--',
          '/root/suid-id',
          '-u',
        ],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), String(base), 'the setuid-root program runs as the unprivileged id');
    });

    it("the instance cannot change its limits, and its init keeps out of the OOM killer's way", () => {
      const memory = cgroupDirs(cloudTag(cloud.home), ids[0]).find((d) => d.includes('/memory/')) as string;
      const limit = readFileSync(`${memory}/memory.limit_in_bytes`, 'utf8');
      const r = inInstance(
        ids[0],
        `awk '$3 ~ /^cgroup/' /proc/mounts | wc -l; echo 99999999999 > /sys/fs/cgroup/memory/memory.limit_in_bytes || echo refused;
      mount -t cgroup -o memory cgroup /mnt 2>/dev/null || echo refused`,
      );
      assert.match(r.stdout, /^0\nrefused\nrefused$/m, r.stdout + r.stderr);
      assert.equal(readFileSync(`${memory}/memory.limit_in_bytes`, 'utf8'), limit, 'the memory limit is unchanged');
      assert.equal(checks.get('oom score of the user data'), '500', "what the init starts is the OOM killer's first choice");
      assert.ok(Number(checks.get('oom score of init')) <= 0, 'tini keeps 0 or less');
    });
  },
);
