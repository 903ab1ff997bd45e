import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteRouteCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  type Instance,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { after, before, describe, it } from 'node:test';
import { footprint, isClean } from '../src/runtime/cleanup.js';
import { ensureImage } from '../src/runtime/images.js';
import { cloudTag, names } from '../src/runtime/names.js';
import { TestCloud } from './support/cloud.js';
import { get, waitFor } from './support/wait.js';

/**
 * Instances reach each other's public and Elastic IPs (same VPC, and another VPC with the same CIDR) as through an
 * internet gateway: the receiver sees the sender's public address and its security groups judge that address. And
 * the metadata service's options: the PUT response hop limit on real traffic from a namespace behind an instance,
 * HttpEndpoint=disabled, HttpTokens=required. Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

const IMDS = 'http://169.254.169.254';

/**
 * User data: an HTTP server on 8080 that answers "<label> sees <client address>" (and serves /srv files), then
 * `extra`. The probe of `targets` runs in rounds; each round rewrites /srv/probe.txt ("round N" and one line per
 * target with what it answered, or "unreachable").
 */
function userData(label: string, extra: string[], targets: string[] = []): string {
  const server = [
    'import http.server, os',
    'class H(http.server.BaseHTTPRequestHandler):',
    '    def do_GET(self):',
    "        f = '/srv' + self.path",
    "        body = open(f, 'rb').read() if self.path != '/' and os.path.isfile(f) else ('" +
      label +
      " sees %s\\n' % self.client_address[0]).encode()",
    '        self.send_response(200); self.end_headers(); self.wfile.write(body)',
    '    def log_message(self, *a): pass',
    "http.server.ThreadingHTTPServer(('', 8080), H).serve_forever()",
  ];
  const probe = targets.length
    ? [
        "cat > /usr/local/bin/probe <<'EOF'",
        '#!/bin/bash',
        'n=0',
        'while true; do',
        '  n=$((n+1)); out="round $n"',
        `  for t in ${targets.join(' ')}; do out="$out"$'\\n'"$t $(curl -s -m 2 http://$t:8080/ || echo unreachable)"; done`,
        '  echo "$out" > /srv/probe.tmp && mv /srv/probe.tmp /srv/probe.txt',
        '  sleep 0.3',
        'done',
        'EOF',
        'chmod +x /usr/local/bin/probe && nohup /usr/local/bin/probe >/dev/null 2>&1 &',
      ]
    : [];
  return [
    '#!/bin/bash',
    'mkdir -p /srv',
    "cat > /usr/local/bin/who.py <<'EOF'",
    ...server,
    'EOF',
    'nohup python3 /usr/local/bin/who.py >/dev/null 2>&1 &',
    ...probe,
    ...extra,
    'echo "user data of ' + label + ' done"',
    '',
  ].join('\n');
}

const code = (what: string, curlArgs: string) => `echo "${what}: $(curl -s -o /dev/null -m 5 -w '%{http_code}' ${curlArgs})"`;
const tokenPut = `-X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' ${IMDS}/latest/api/token`;

describe(
  'EC2: public addresses between instances, and the metadata service options',
  { skip: ROOT ? false : 'needs root: network namespaces, nftables and mounts (CI runs as root)' },
  () => {
    let cloud: TestCloud;
    // The SDK rather than the aws CLI here: each CLI call costs seconds on a busy 2-core machine.
    let ec2: EC2Client;
    let tag = '';
    const ids: Record<string, string> = {};
    const consoleOf = async (id: string): Promise<string> =>
      Buffer.from((await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }))).Output ?? '', 'base64').toString('utf8');
    const run = async (label: string, script: string, input: Partial<RunInstancesCommandInput>) => {
      const r = await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-1ecae776',
          InstanceType: 't2.micro',
          MinCount: 1,
          MaxCount: 1,
          UserData: Buffer.from(script).toString('base64'),
          ...input,
        }),
      );
      ids[label] = r.Instances?.[0]?.InstanceId as string;
    };
    const running = (id: string) =>
      waitFor(`${id} running`, async (): Promise<Instance | undefined> => {
        const i = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];
        return i?.State?.Name === 'running' ? i : undefined;
      });
    const userDataDone = (label: string) =>
      waitFor(`user data of ${label}`, async () => {
        const text = await consoleOf(ids[label]);
        return text.includes(`user data of ${label} done`) ? text : undefined;
      });
    const openPort = (groupId: string, cidr: string) =>
      ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: cidr }] }],
        }),
      );
    const defaultRoute = (routeTableId: string, gatewayId: string) =>
      ec2.send(new CreateRouteCommand({ RouteTableId: routeTableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: gatewayId }));
    /** The probe results of a1 after at least two more rounds (so they were made after whatever changed before). */
    const freshProbe = async (): Promise<Map<string, string>> => {
      const read = async () => (await get(`http://${ids.eip1}:8080/probe.txt`))?.body;
      const roundOf = (text?: string) => Number(/^round (\d+)/.exec(text ?? '')?.[1] ?? 0);
      const start = roundOf(await waitFor('a probe round', read));
      const text = await waitFor(
        'two fresh probe rounds',
        async () => {
          const t = await read();
          return roundOf(t) >= start + 2 ? t : undefined;
        },
        90_000,
      );
      return new Map(
        text
          .split('\n')
          .slice(1)
          .filter(Boolean)
          .map((l) => [l.split(' ')[0], l.slice(l.indexOf(' ') + 1)] as [string, string]),
      );
    };

    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ profile: 'instant' });
      ec2 = new EC2Client(cloud.sdk);
      tag = cloudTag(cloud.home);
      for (const v of ['A', 'B']) {
        const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId as string;
        ids[`vpc${v}`] = vpcId;
        ids[`subnet${v}`] = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24' }))).Subnet
          ?.SubnetId as string;
        const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway?.InternetGatewayId as string;
        ids[`igw${v}`] = igw;
        await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
        const tables = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
        ids[`rtb${v}`] = tables.RouteTables?.[0]?.RouteTableId as string;
        await defaultRoute(ids[`rtb${v}`], igw);
      }
      ids.sgA = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: ids.vpcA, GroupName: 'web', Description: 'web' })))
        .GroupId as string;
      await openPort(ids.sgA, '0.0.0.0/0');
      // In VPC B, 8080 is open to a1's *private* address only: a1's traffic to b1's public address does not carry it.
      ids.sgB = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: ids.vpcB, GroupName: 'narrow', Description: 'narrow' })))
        .GroupId as string;
      await openPort(ids.sgB, '10.0.1.10/32');
      for (const k of ['1', '2']) {
        const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
        ids[`alloc${k}`] = eip.AllocationId as string;
        ids[`eip${k}`] = eip.PublicIp as string;
      }

      await run('a2', userData('a2', [code('imds put', tokenPut), code('imds get', `${IMDS}/latest/meta-data/instance-id`)]), {
        SubnetId: ids.subnetA,
        SecurityGroupIds: [ids.sgA],
        PrivateIpAddress: '10.0.1.20',
        MetadataOptions: { HttpEndpoint: 'disabled' },
      });
      await run(
        'b1',
        userData('b1', [
          code('imds v1', `${IMDS}/latest/meta-data/instance-id`),
          `T=$(curl -s -m 5 ${tokenPut})`,
          code('imds v2', `-H "X-aws-ec2-metadata-token: $T" ${IMDS}/latest/meta-data/instance-id`),
        ]),
        {
          NetworkInterfaces: [
            { DeviceIndex: 0, SubnetId: ids.subnetB, Groups: [ids.sgB], AssociatePublicIpAddress: true, PrivateIpAddress: '10.0.1.10' },
          ],
          MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2 },
        },
      );
      ids.pubB1 = (await running(ids.b1)).PublicIpAddress as string;
      assert.match(ids.pubB1, /^127\./);
      await run('a1', userData('a1', [code('imds token', tokenPut)], [ids.eip1, ids.eip2, ids.pubB1]), {
        SubnetId: ids.subnetA,
        SecurityGroupIds: [ids.sgA],
        PrivateIpAddress: '10.0.1.10',
      });
      await running(ids.a2);
      await running(ids.a1);
      await ec2.send(new AssociateAddressCommand({ AllocationId: ids.alloc1, InstanceId: ids.a1 }));
      await ec2.send(new AssociateAddressCommand({ AllocationId: ids.alloc2, InstanceId: ids.a2 }));
      await waitFor('a1 serving on its Elastic IP', () => get(`http://${ids.eip1}:8080/`));
    });

    after(async () => {
      ec2?.destroy();
      if (!cloud) return;
      await cloud.dispose();
      const fp = footprint(tag);
      assert.ok(isClean(fp), `the host still holds halo objects of this cloud: ${JSON.stringify(fp)}`);
    });

    it("an instance reaches Elastic IPs in its VPC (its own too); the receiver sees the sender's public address", async () => {
      const probe = await freshProbe();
      assert.equal(probe.get(ids.eip2), `a2 sees ${ids.eip1}`);
      assert.equal(probe.get(ids.eip1), `a1 sees ${ids.eip1}`);
      assert.equal(
        (await get(`http://${ids.eip2}:8080/`))?.body.startsWith('a2 sees 198.'),
        true,
        'the host reaches it too, from its uplink address',
      );
    });

    it("in another VPC with the same CIDR, the receiver's security group judges the sender's public address", async () => {
      assert.equal((await freshProbe()).get(ids.pubB1), 'unreachable', "a rule for a1's private address does not admit it");
      await openPort(ids.sgB, `${ids.eip1}/32`);
      assert.equal((await freshProbe()).get(ids.pubB1), `b1 sees ${ids.eip1}`);
    });

    it('without a route to the internet gateway, the public address is not reached', async () => {
      await ec2.send(new DeleteRouteCommand({ RouteTableId: ids.rtbB, DestinationCidrBlock: '0.0.0.0/0' }));
      assert.equal((await freshProbe()).get(ids.pubB1), 'unreachable');
      await defaultRoute(ids.rtbB, ids.igwB);
      assert.equal((await freshProbe()).get(ids.pubB1), `b1 sees ${ids.eip1}`);
    });

    it('HttpEndpoint=disabled answers 403 as EC2 does; HttpTokens=required answers IMDSv1 with 401', async () => {
      assert.match(await userDataDone('a1'), /imds token: 200/, 'hop limit 1 is enough for the instance itself');
      const a2 = await userDataDone('a2');
      assert.match(a2, /imds put: 403/);
      assert.match(a2, /imds get: 403/);
      const b1 = await userDataDone('b1');
      assert.match(b1, /imds v1: 401/);
      assert.match(b1, /imds v2: 200/);
    });

    it('the token PUT answer carries the hop limit as IP TTL: one hop behind the instance needs a hop limit of 2', () => {
      const n = names(tag);
      /** Runs curl in a namespace behind the instance (veth into its namespace, forwarding and masquerade there). */
      const behind = (instanceId: string, curlArgs: string[]): { status: number | null; stdout: string } => {
        const inst = n.instanceNs(instanceId);
        const nested = `${n.nsPrefix}nest-${instanceId}`;
        const sh = (args: string[]) => {
          const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
          assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
        };
        try {
          sh(['ip', 'netns', 'add', nested]);
          sh(['ip', '-n', inst, 'link', 'add', 'nest0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', nested]);
          sh(['ip', '-n', inst, 'addr', 'add', '192.168.77.1/30', 'dev', 'nest0']);
          sh(['ip', '-n', inst, 'link', 'set', 'nest0', 'up']);
          sh(['ip', '-n', nested, 'addr', 'add', '192.168.77.2/30', 'dev', 'eth0']);
          sh(['ip', '-n', nested, 'link', 'set', 'eth0', 'up']);
          sh(['ip', '-n', nested, 'route', 'add', 'default', 'via', '192.168.77.1']);
          sh(['ip', 'netns', 'exec', inst, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
          sh([
            'ip',
            'netns',
            'exec',
            inst,
            'nft',
            'add table ip nest; add chain ip nest post { type nat hook postrouting priority 100; }; add rule ip nest post oifname "eth0" masquerade',
          ]);
          const r = spawnSync('ip', ['netns', 'exec', nested, 'curl', '-s', '-m', '4', ...curlArgs], { encoding: 'utf8' });
          return { status: r.status, stdout: r.stdout };
        } finally {
          spawnSync('ip', ['netns', 'exec', inst, 'nft', 'delete table ip nest']);
          spawnSync('ip', ['-n', inst, 'link', 'del', 'nest0']);
          spawnSync('ip', ['netns', 'del', nested]);
        }
      };
      const put = ['-X', 'PUT', '-H', 'X-aws-ec2-metadata-token-ttl-seconds: 60', `${IMDS}/latest/api/token`];
      const a1 = behind(ids.a1, put);
      assert.notEqual(a1.status, 0, `hop limit 1: no token one hop behind a1 (got ${a1.stdout})`);
      const v1 = behind(ids.a1, [`${IMDS}/latest/meta-data/instance-id`]);
      assert.equal(v1.stdout, ids.a1, 'IMDSv1 answers are not limited (tokens optional on a1)');
      const b1 = behind(ids.b1, put);
      assert.equal(b1.status, 0);
      assert.ok(b1.stdout.length > 20, `hop limit 2: a token one hop behind b1 (got ${b1.stdout})`);

      // The hop limit changes on the running instance through the real aws CLI, and is in force at once.
      const bad = cloud.aws('ec2', 'modify-instance-metadata-options', '--instance-id', ids.a1, '--http-put-response-hop-limit', '65');
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /InvalidParameterValue/);
      const changed = cloud.aws('ec2', 'modify-instance-metadata-options', '--instance-id', ids.a1, '--http-put-response-hop-limit', '2');
      assert.equal(changed.status, 0, changed.stderr);
      assert.equal(changed.json.InstanceId, ids.a1);
      assert.deepEqual(
        [
          changed.json.InstanceMetadataOptions.State,
          changed.json.InstanceMetadataOptions.HttpPutResponseHopLimit,
          changed.json.InstanceMetadataOptions.HttpTokens,
        ],
        ['pending', 2, 'optional'],
      );
      const shown = cloud.aws('ec2', 'describe-instances', '--instance-ids', ids.a1).json.Reservations[0].Instances[0].MetadataOptions;
      assert.deepEqual([shown.State, shown.HttpPutResponseHopLimit], ['applied', 2]);
      const a1After = behind(ids.a1, put);
      assert.equal(a1After.status, 0);
      assert.ok(
        a1After.stdout.length > 20,
        `hop limit 2 after modify-instance-metadata-options: a token one hop behind a1 (got ${a1After.stdout})`,
      );
    });
  },
);
