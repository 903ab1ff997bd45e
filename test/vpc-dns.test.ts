import assert from 'node:assert/strict';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { after, before, describe, it } from 'node:test';
import { ensureImage } from '../src/runtime/images.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';
import { inInstance } from './support/instance-shell.js';
import { waitFor } from './support/wait.js';

/**
 * The VPC's Amazon-provided DNS, asked from inside real instances with the image's own resolver (getent) and with
 * raw DNS messages over UDP and TCP: instance names, PTR, the public name of an Elastic IP, NXDOMAIN at once, a VPC
 * without DNS support, ModifyVpcAttribute through the aws CLI. Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

/** One A query to `server` over udp or tcp; prints `rcode N answers M <first address>`, `timeout` or `error …`. */
const PROBE = `
import socket, struct, sys
server, name, proto = sys.argv[1:4]
q = struct.pack('>HHHHHH', 0x1234, 0x0100, 1, 0, 0, 0) + b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\\0' + struct.pack('>HH', 1, 1)
try:
    if proto == 'udp':
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1.5); s.sendto(q, (server, 53)); r = s.recv(4096)
    else:
        s = socket.create_connection((server, 53), 1.5); s.settimeout(1.5); s.sendall(struct.pack('>H', len(q)) + q)
        n = struct.unpack('>H', s.recv(2))[0]; r = b''
        while len(r) < n: r += s.recv(n - len(r))
    an = struct.unpack('>H', r[6:8])[0]
    print('rcode', r[3] & 15, 'answers', an, '.'.join(map(str, r[-4:])) if an else '-')
except socket.timeout:
    print('timeout')
except OSError as e:
    print('error', e)
`;

describe(
  'VPC DNS: the Amazon-provided DNS inside instances',
  { skip: ROOT ? false : 'needs root: network namespaces, nftables and mounts (CI runs as root)' },
  () => {
    let cloud: TestCloud;
    let ec2: EC2Client;
    const ids: Record<string, string> = {};
    const sh = (id: string, script: string) => {
      const r = inInstance(id, script);
      return r.stdout.trim() || r.stderr.trim();
    };
    const probe = (id: string, server: string, name: string, proto: 'udp' | 'tcp') =>
      sh(id, `python3 /root/probe.py ${server} ${name} ${proto}`);
    const describe1 = async (id: string): Promise<Instance> =>
      (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0] as Instance;
    const booted = (id: string) =>
      waitFor(`${id} booted`, async () => {
        if ((await describe1(id)).State?.Name !== 'running') return undefined;
        try {
          return sh(
            id,
            'grep -q "^nameserver" /etc/resolv.conf || exit 1\ncat > /root/probe.py <<\'EOF\'\n' + PROBE + '\nEOF\necho ready',
          ) === 'ready'
            ? true
            : undefined;
        } catch {
          return undefined;
        }
      });

    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ profile: 'instant' });
      ec2 = new EC2Client(cloud.sdk);
      for (const [v, cidr] of [
        ['A', '10.0.0.0/16'],
        ['B', '10.1.0.0/16'],
      ]) {
        ids[`vpc${v}`] = (await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc?.VpcId as string;
      }
      const subnet = async (vpc: string, cidr: string) =>
        (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: cidr }))).Subnet?.SubnetId as string;
      ids.subnetA1 = await subnet(ids.vpcA, '10.0.1.0/24');
      // The resolver's address (10.0.0.2) is on-link for instances of the VPC's first /24.
      ids.subnetA0 = await subnet(ids.vpcA, '10.0.0.0/24');
      ids.subnetB = await subnet(ids.vpcB, '10.1.1.0/24');
      const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway?.InternetGatewayId as string;
      await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: ids.vpcA }));
      // VPC B: no DNS support (aws CLI, as a user would).
      cloud.awsOk('ec2', 'modify-vpc-attribute', '--vpc-id', ids.vpcB, '--enable-dns-support', '{"Value":false}');
      const run = async (subnetId: string, ip: string) =>
        (
          await ec2.send(
            new RunInstancesCommand({
              ImageId: 'ami-1ecae776',
              InstanceType: 't2.micro',
              MinCount: 1,
              MaxCount: 1,
              SubnetId: subnetId,
              PrivateIpAddress: ip,
            }),
          )
        ).Instances?.[0]?.InstanceId as string;
      ids.a1 = await run(ids.subnetA1, '10.0.1.20');
      ids.a0 = await run(ids.subnetA0, '10.0.0.30');
      ids.b1 = await run(ids.subnetB, '10.1.1.40');
      const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
      ids.eip = eip.PublicIp as string;
      await booted(ids.a1);
      await booted(ids.a0);
      await booted(ids.b1);
      await ec2.send(new AssociateAddressCommand({ AllocationId: eip.AllocationId, InstanceId: ids.a0 }));
    });

    after(async () => {
      ec2?.destroy();
      if (cloud) await disposeAndCheckHost(cloud);
    });

    it('ModifyVpcAttribute / DescribeVpcAttribute round trip through the aws CLI', () => {
      const attr = (vpc: string, name: string) => cloud.awsOk('ec2', 'describe-vpc-attribute', '--vpc-id', vpc, '--attribute', name);
      assert.equal(attr(ids.vpcA, 'enableDnsSupport').EnableDnsSupport.Value, true);
      assert.equal(attr(ids.vpcA, 'enableDnsHostnames').EnableDnsHostnames.Value, false, 'off by default in a non-default VPC');
      assert.equal(attr(ids.vpcB, 'enableDnsSupport').EnableDnsSupport.Value, false);
      cloud.awsOk('ec2', 'modify-vpc-attribute', '--vpc-id', ids.vpcA, '--enable-dns-hostnames', '{"Value":true}');
      assert.equal(attr(ids.vpcA, 'enableDnsHostnames').EnableDnsHostnames.Value, true);
    });

    it("the instance has the VPC resolver in /etc/resolv.conf and its private DNS name's first label as hostname", () => {
      const conf = sh(ids.a1, 'cat /etc/resolv.conf');
      assert.match(conf, /^search ec2\.internal$/m);
      assert.match(conf, /^nameserver 10\.0\.0\.2$/m);
      assert.match(sh(ids.b1, 'cat /etc/resolv.conf'), /^nameserver 10\.1\.0\.2$/m);
      assert.equal(sh(ids.a1, 'hostname'), 'ip-10-0-1-20');
    });

    it("getent resolves the instance's own name, another instance's (short and full), and the PTR of a private IP", async () => {
      assert.equal((await describe1(ids.a1)).PrivateDnsName, 'ip-10-0-1-20.ec2.internal');
      assert.match(sh(ids.a1, 'getent hosts ip-10-0-1-20.ec2.internal'), /^10\.0\.1\.20\s+ip-10-0-1-20\.ec2\.internal/);
      assert.match(sh(ids.a1, 'getent ahostsv4 ip-10-0-0-30.ec2.internal | head -n 1'), /^10\.0\.0\.30\s/);
      assert.match(sh(ids.a1, 'getent ahostsv4 ip-10-0-0-30 | head -n 1'), /^10\.0\.0\.30\s/, 'the search domain completes a short name');
      assert.match(
        sh(ids.a0, 'getent ahostsv4 ip-10-0-1-20.ec2.internal | head -n 1'),
        /^10\.0\.1\.20\s/,
        'from the subnet where 10.0.0.2 is on-link',
      );
      assert.match(sh(ids.a1, 'getent hosts 10.0.0.30'), /^10\.0\.0\.30\s+ip-10-0-0-30\.ec2\.internal$/);
    });

    it('the public name of an Elastic IP resolves to the private IP of its instance, only with DNS hostnames on', async () => {
      const name = (await describe1(ids.a0)).PublicDnsName as string;
      assert.equal(name, `ec2-${ids.eip.replace(/\./g, '-')}.compute-1.amazonaws.com`);
      assert.match(sh(ids.a1, `getent ahostsv4 ${name} | head -n 1`), /^10\.0\.0\.30\s/);
      cloud.awsOk('ec2', 'modify-vpc-attribute', '--vpc-id', ids.vpcA, '--enable-dns-hostnames', '{"Value":false}');
      assert.equal((await describe1(ids.a0)).PublicDnsName, '', 'no public DNS name without DNS hostnames');
      assert.equal(probe(ids.a1, '10.0.0.2', name, 'udp'), 'rcode 3 answers 0 -');
      cloud.awsOk('ec2', 'modify-vpc-attribute', '--vpc-id', ids.vpcA, '--enable-dns-hostnames', '{"Value":true}');
      assert.equal(probe(ids.a1, '10.0.0.2', name, 'udp'), 'rcode 0 answers 1 10.0.0.30');
    });

    it('answers at the VPC base + 2 and 169.254.169.253, over UDP and TCP', () => {
      for (const server of ['10.0.0.2', '169.254.169.253']) {
        for (const proto of ['udp', 'tcp'] as const)
          assert.equal(probe(ids.a1, server, 'ip-10-0-0-30.ec2.internal', proto), 'rcode 0 answers 1 10.0.0.30', `${server} ${proto}`);
      }
      assert.equal(
        probe(ids.a1, '10.0.0.2', 'ip-10-1-1-40.ec2.internal', 'udp'),
        'rcode 3 answers 0 -',
        "another VPC's instance is not named here",
      );
    });

    it('an unknown name fails at once (NXDOMAIN, no resolver time-out)', () => {
      const out = sh(
        ids.a1,
        's=$(date +%s%N); getent hosts no-such-name.example.com; rc=$?; e=$(date +%s%N); echo "$rc $(( (e - s) / 1000000 ))"',
      );
      const [rc, ms] = out.split(' ').map(Number);
      assert.equal(rc, 2, 'getent: not found');
      assert.ok(ms < 1000, `a failure in ${ms} ms inside the instance`);
      assert.equal(probe(ids.a1, '10.0.0.2', 'no-such-name.example.com', 'udp'), 'rcode 3 answers 0 -');
    });

    it("enableDnsSupport=false: the VPC's resolver does not answer; turned on, it does", () => {
      assert.equal(probe(ids.b1, '10.1.0.2', 'ip-10-1-1-40.ec2.internal', 'udp'), 'timeout');
      assert.equal(probe(ids.b1, '169.254.169.253', 'ip-10-1-1-40.ec2.internal', 'tcp'), 'timeout');
      assert.notEqual(inInstance(ids.b1, 'timeout 3 getent hosts ip-10-1-1-40.ec2.internal').status, 0);
      cloud.awsOk('ec2', 'modify-vpc-attribute', '--vpc-id', ids.vpcB, '--enable-dns-support', '{"Value":true}');
      assert.equal(probe(ids.b1, '10.1.0.2', 'ip-10-1-1-40.ec2.internal', 'udp'), 'rcode 0 answers 1 10.1.1.40');
    });

    it('a CloudFormation VPC with EnableDnsSupport and EnableDnsHostnames', () => {
      const template = JSON.stringify({
        Resources: {
          Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.9.0.0/16', EnableDnsSupport: true, EnableDnsHostnames: true } },
        },
        Outputs: { VpcId: { Value: { Ref: 'Vpc' } } },
      });
      cloud.awsOk('cloudformation', 'create-stack', '--stack-name', 'dns-vpc', '--template-body', template);
      cloud.awsOk('cloudformation', 'wait', 'stack-create-complete', '--stack-name', 'dns-vpc');
      const vpcId = cloud.awsOk('cloudformation', 'describe-stacks', '--stack-name', 'dns-vpc').Stacks[0].Outputs[0].OutputValue as string;
      assert.equal(
        cloud.awsOk('ec2', 'describe-vpc-attribute', '--vpc-id', vpcId, '--attribute', 'enableDnsHostnames').EnableDnsHostnames.Value,
        true,
      );
      assert.equal(
        cloud.awsOk('ec2', 'describe-vpc-attribute', '--vpc-id', vpcId, '--attribute', 'enableDnsSupport').EnableDnsSupport.Value,
        true,
      );
      cloud.awsOk('cloudformation', 'delete-stack', '--stack-name', 'dns-vpc');
      cloud.awsOk('cloudformation', 'wait', 'stack-delete-complete', '--stack-name', 'dns-vpc');
    });
  },
);
