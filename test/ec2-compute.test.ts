import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { callControl } from '../src/runtime/control.js';
import { ensureImage } from '../src/runtime/images.js';
import { TestCloud } from './support/cloud.js';
import { get, waitFor } from './support/wait.js';
import { disposeAndCheckHost } from './support/host.js';

/**
 * EC2 instances that really run, end to end through the real aws CLI, proven with real traffic. Needs root
 * (namespaces, nftables, mounts). The default image is built once into HALO_IMAGE_CACHE (default
 * /var/cache/halo-images): the first run on a machine spends a few minutes in debootstrap.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

/** User data as the seed writes it: a bash script that reads the metadata service and calls the aws CLI. */
function userData(hiddenDir: string, extra: string): string {
  return [
    '#!/bin/bash',
    'ID=$(curl -s http://169.254.169.254/latest/meta-data/instance-id)',
    'echo "v1 instance-id: $ID"',
    "T=$(curl -s -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)",
    'echo "v2 instance-id: $(curl -s -H "X-aws-ec2-metadata-token: $T" http://169.254.169.254/latest/meta-data/instance-id)"',
    'echo "zone: $(curl -s http://169.254.169.254/latest/meta-data/placement/availability-zone)"',
    `echo "host files: $(ls /work 2>&1) / $(ls '${hiddenDir}' 2>&1)"`,
    'mkdir -p /srv && echo "hello from $ID" > /srv/index.html',
    "printf '[Unit]\\nDescription=web\\n[Service]\\nExecStart=/usr/bin/python3 -m http.server 8080 --directory /srv\\n[Install]\\nWantedBy=multi-user.target\\n' > /etc/systemd/system/web.service",
    'systemctl enable web && systemctl start web',
    'nohup python3 -m http.server 9999 --directory /srv >/dev/null 2>&1 &',
    extra,
    '',
  ].join('\n');
}

describe(
  'EC2 instances that really run',
  { skip: ROOT ? false : 'needs root: network namespaces, nftables and mounts (CI runs as root)' },
  () => {
    let cloud: TestCloud;
    const ids: Record<string, string> = {};
    const ok = (r: { status: number; stderr: string; stdout: string; json?: any }) => {
      assert.equal(r.status, 0, r.stderr || r.stdout);
      return r;
    };
    const aws = (...args: string[]) => ok(cloud.aws(...args)).json;
    const state = (id: string) => aws('ec2', 'describe-instances', '--instance-ids', id).Reservations[0].Instances[0];
    // The aws CLI decodes the base64 console output itself.
    const consoleOf = (id: string): string => aws('ec2', 'get-console-output', '--instance-id', id).Output ?? '';
    const status = (id: string) =>
      aws('ec2', 'describe-instance-status', '--instance-ids', id, '--include-all-instances').InstanceStatuses[0];
    const waitState = (id: string, name: string, ms = 60_000) =>
      waitFor(`${id} ${name}`, () => (state(id).State.Name === name ? true : undefined), ms);

    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ timeScale: 60, profile: 'instant' });
      ids.vpc = aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16').Vpc.VpcId;
      ids.subnetA = aws(
        'ec2',
        'create-subnet',
        '--vpc-id',
        ids.vpc,
        '--cidr-block',
        '10.0.1.0/24',
        '--availability-zone',
        'us-east-1a',
      ).Subnet.SubnetId;
      ids.subnetB = aws(
        'ec2',
        'create-subnet',
        '--vpc-id',
        ids.vpc,
        '--cidr-block',
        '10.0.2.0/24',
        '--availability-zone',
        'us-east-1b',
      ).Subnet.SubnetId;
      ids.igw = aws('ec2', 'create-internet-gateway').InternetGateway.InternetGatewayId;
      ok(cloud.aws('ec2', 'attach-internet-gateway', '--internet-gateway-id', ids.igw, '--vpc-id', ids.vpc));
      ids.sg = aws('ec2', 'create-security-group', '--vpc-id', ids.vpc, '--group-name', 'web', '--description', 'web on 8080').GroupId;
      ok(
        cloud.aws(
          'ec2',
          'authorize-security-group-ingress',
          '--group-id',
          ids.sg,
          '--protocol',
          'tcp',
          '--port',
          '8080',
          '--cidr',
          '0.0.0.0/0',
        ),
      );
      const eip = aws('ec2', 'allocate-address', '--domain', 'vpc');
      ids.alloc = eip.AllocationId;
      ids.eip = eip.PublicIp;
      const trust = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      });
      for (const [name, actions] of [
        ['eip-mover', ['ec2:AssociateAddress', 'ec2:DescribeInstances']],
        ['reader', ['ec2:DescribeInstances']],
      ] as const) {
        ok(cloud.aws('iam', 'create-role', '--role-name', name, '--assume-role-policy-document', trust));
        ok(
          cloud.aws(
            'iam',
            'put-role-policy',
            '--role-name',
            name,
            '--policy-name',
            'p',
            '--policy-document',
            JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }),
          ),
        );
        ok(cloud.aws('iam', 'create-instance-profile', '--instance-profile-name', name));
        ok(cloud.aws('iam', 'add-role-to-instance-profile', '--instance-profile-name', name, '--role-name', name));
      }
    });

    after(async () => {
      if (cloud) await disposeAndCheckHost(cloud);
    });

    it('runs an instance whose user data serves 8080, moves the Elastic IP to itself with its role, and reads the metadata service', async () => {
      const file = path.join(cloud.home, 'ud1.sh');
      writeFileSync(
        file,
        userData(cloud.home, `aws ec2 associate-address --instance-id $ID --allocation-id ${ids.alloc} >/dev/null && echo "associate: ok"`),
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
        '--security-group-ids',
        ids.sg,
        '--user-data',
        `file://${file}`,
        '--iam-instance-profile',
        'Name=eip-mover',
        '--tag-specifications',
        'ResourceType=instance,Tags=[{Key=Name,Value=web-1}]',
      );
      ids.i1 = run.Instances[0].InstanceId;
      assert.equal(run.Instances[0].State.Name, 'pending');
      await waitState(ids.i1, 'running');
      // The seed's query: by tag and state code, the fields it prints.
      const row = await waitFor('the Elastic IP on web-1', () => {
        const q = ok(
          cloud.aws(
            'ec2',
            'describe-instances',
            '--filters',
            'Name=tag:Name,Values=web-1',
            'Name=instance-state-code,Values=16',
            '--query',
            'Reservations[0].Instances[0].[InstanceId,PublicIpAddress,PrivateIpAddress,SubnetId]',
          ),
        ).json as string[];
        return q[1] === ids.eip ? q : undefined;
      });
      assert.deepEqual(row, [ids.i1, ids.eip, '10.0.1.4', ids.subnetA]);
      const page = await waitFor('HTTP on the Elastic IP:8080', () => get(`http://${ids.eip}:8080/`));
      assert.equal(page.body.trim(), `hello from ${ids.i1}`);
      assert.equal(await get(`http://${ids.eip}:9999/`), undefined, 'port 9999 is not open in the security group');
      const text = consoleOf(ids.i1);
      assert.match(text, new RegExp(`v1 instance-id: ${ids.i1}`));
      assert.match(text, new RegExp(`v2 instance-id: ${ids.i1}`));
      assert.match(text, /zone: us-east-1a/);
      assert.match(text, /associate: ok/);
      assert.match(text, /not an image of this cloud/);
      assert.match(text, /host files: ls: cannot access '\/work': No such file or directory \/ ls: cannot access/);
    });

    it('a network ACL deny on 8080 stops the traffic; removing it lets it through again', async () => {
      const acl = aws('ec2', 'describe-network-acls', '--filters', `Name=association.subnet-id,Values=${ids.subnetA}`).NetworkAcls[0]
        .NetworkAclId;
      ok(
        cloud.aws(
          'ec2',
          'create-network-acl-entry',
          '--network-acl-id',
          acl,
          '--ingress',
          '--rule-number',
          '50',
          '--protocol',
          'tcp',
          '--port-range',
          'From=8080,To=8080',
          '--cidr-block',
          '0.0.0.0/0',
          '--rule-action',
          'deny',
        ),
      );
      assert.equal(await get(`http://${ids.eip}:8080/`), undefined);
      ok(cloud.aws('ec2', 'delete-network-acl-entry', '--network-acl-id', acl, '--ingress', '--rule-number', '50'));
      assert.equal((await waitFor('8080 again', () => get(`http://${ids.eip}:8080/`))).status, 200);
    });

    it('a role without ec2:AssociateAddress is refused, and an instance cannot see the volumes of others', async () => {
      const file = path.join(cloud.home, 'ud2.sh');
      writeFileSync(
        file,
        userData(
          path.join(cloud.home, 'volumes'),
          `aws ec2 associate-address --instance-id $ID --allocation-id ${ids.alloc} 2>&1 | tail -1`,
        ),
      );
      ids.i2 = aws(
        'ec2',
        'run-instances',
        '--image-id',
        'ami-1ecae776',
        '--instance-type',
        't2.micro',
        '--subnet-id',
        ids.subnetA,
        '--security-group-ids',
        ids.sg,
        '--user-data',
        `file://${file}`,
        '--iam-instance-profile',
        'Name=reader',
      ).Instances[0].InstanceId;
      await waitState(ids.i2, 'running');
      const text = await waitFor('the refusal in the console', () => {
        const t = consoleOf(ids.i2);
        return /user data exited/.test(t) ? t : undefined;
      });
      assert.match(text, /UnauthorizedOperation/);
      assert.match(text, /ls: cannot access '.*volumes': No such file or directory/);
      assert.equal(state(ids.i1).PublicIpAddress, ids.eip, 'the Elastic IP stayed where it was');
    });

    it('instance-crash fails the instance check only; host-failure fails the system check', async () => {
      assert.equal((await callControl(cloud.home, '/fault', { kind: 'instance-crash', instanceId: ids.i2 })).ok, true);
      const crashed = await waitFor('instance check impaired', () => {
        const s = status(ids.i2);
        return s.InstanceStatus.Status === 'impaired' ? s : undefined;
      });
      assert.equal(crashed.SystemStatus.Status, 'ok');
      // Simplified automatic recovery would move i1 away after some failed checks; this test watches the checks.
      const off = aws('ec2', 'modify-instance-maintenance-options', '--instance-id', ids.i1, '--auto-recovery', 'disabled');
      assert.equal(off.AutoRecovery, 'disabled');
      const host = await callControl(cloud.home, '/fault', { kind: 'host-failure', instanceId: ids.i1 });
      assert.equal(host.ok, true, host.message);
      await waitFor('system check impaired', () => (status(ids.i1).SystemStatus.Status === 'impaired' ? true : undefined));
      assert.equal(await get(`http://${ids.eip}:8080/`), undefined, 'the failed host serves nothing');
      const hostId = /host (\S+) failed/.exec(host.message)?.[1] as string;
      assert.equal((await callControl(cloud.home, '/fault', { kind: 'host-restore', hostId })).ok, true);
    });

    it('stop and start bring the instance back on a healthy host with its volume and Elastic IP; user data does not run again', async () => {
      ok(cloud.aws('ec2', 'stop-instances', '--instance-ids', ids.i1));
      await waitState(ids.i1, 'stopped');
      ok(cloud.aws('ec2', 'start-instances', '--instance-ids', ids.i1));
      await waitState(ids.i1, 'running');
      const page = await waitFor('the enabled service after start', () => get(`http://${ids.eip}:8080/`), 30_000);
      assert.equal(page.body.trim(), `hello from ${ids.i1}`);
      assert.equal(consoleOf(ids.i1).match(/running user data/g)?.length, 1);
    });

    it("create-image keeps the volume's files: an instance of that AMI in another zone serves them", async () => {
      ids.ami = aws('ec2', 'create-image', '--instance-id', ids.i1, '--name', 'web-image').ImageId;
      await waitFor('the image available', () =>
        aws('ec2', 'describe-images', '--image-ids', ids.ami).Images[0].State === 'available' ? true : undefined,
      );
      const run = aws(
        'ec2',
        'run-instances',
        '--image-id',
        ids.ami,
        '--instance-type',
        't2.micro',
        '--network-interfaces',
        `DeviceIndex=0,SubnetId=${ids.subnetB},Groups=${ids.sg},AssociatePublicIpAddress=true`,
      );
      ids.i3 = run.Instances[0].InstanceId;
      await waitState(ids.i3, 'running');
      const i3 = state(ids.i3);
      assert.equal(i3.Placement.AvailabilityZone, 'us-east-1b');
      ids.pub3 = i3.PublicIpAddress;
      assert.match(ids.pub3, /^127\./);
      const page = await waitFor("the image's service", () => get(`http://${ids.pub3}:8080/`), 30_000);
      assert.equal(page.body.trim(), `hello from ${ids.i1}`);
      // Without NoReboot, web-1 was stopped for the copy and boots again.
      await waitState(ids.i1, 'running');
      const back = await waitFor('web-1 back after create-image', () => get(`http://${ids.eip}:8080/`), 90_000).catch((err: Error) => {
        throw new Error(`${err.message}; console of web-1:\n${consoleOf(ids.i1).slice(-1500)}`);
      });
      assert.equal(back.body.trim(), `hello from ${ids.i1}`);
    });

    it('after kill -9 of the daemon and a start, running instances run again', async () => {
      await cloud.crash();
      await cloud.restart();
      const page = await waitFor('web-1 after the restart', () => get(`http://${ids.eip}:8080/`), 60_000);
      assert.equal(page.body.trim(), `hello from ${ids.i1}`);
      assert.equal((await waitFor('the AMI instance after the restart', () => get(`http://${ids.pub3}:8080/`), 60_000)).status, 200);
      assert.equal(consoleOf(ids.i1).match(/running user data/g)?.length, 1);
    });

    it('terminate-instances ends them and deletes their volumes', async () => {
      ok(cloud.aws('ec2', 'terminate-instances', '--instance-ids', ids.i1, ids.i2, ids.i3));
      for (const id of [ids.i1, ids.i2, ids.i3]) await waitState(id, 'terminated');
      assert.equal(await get(`http://${ids.pub3}:8080/`, 1000), undefined);
      const volumes = path.join(cloud.home, 'volumes');
      const left = existsSync(volumes) ? readdirSync(volumes) : [];
      assert.deepEqual(left, [], `volumes left: ${left.join(', ')}`);
    });
  },
);
