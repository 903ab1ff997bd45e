import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudWatchClient, DescribeAlarmHistoryCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { timingProfile } from '../src/clock/profiles.js';
import { callControl } from '../src/runtime/control.js';
import { ensureImage } from '../src/runtime/images.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';
import { get, waitFor } from './support/wait.js';

/**
 * Observable availability follows the timing profile, seen as a client measuring availability sees it: through
 * the network. On aws-typical (45 s pending → running, 180 s recovery) at a time scale of 20, an HTTP server started
 * by user data is probed on the instance's public IP every few milliseconds; each answer is placed in the cloud's
 * AWS time. Nothing answers before the instance is `running`, and after a host failure nothing answers until the
 * alarm's recover action's time plus the profile's recovery time. Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';
const PROFILE = timingProfile('aws-typical');
// Slow enough that a launch (well under a wall second) is clearly shorter than the profile's 45 s pending (2.25 wall s).
const SCALE = 20;

const SERVER = [
  '#!/bin/bash',
  "cat > /usr/local/bin/web.py <<'EOF'",
  'import http.server',
  'class H(http.server.BaseHTTPRequestHandler):',
  '    def do_GET(self):',
  "        self.send_response(200); self.end_headers(); self.wfile.write(b'up\\n')",
  '    def log_message(self, *a): pass',
  "http.server.ThreadingHTTPServer(('', 8080), H).serve_forever()",
  'EOF',
  // Started again at every boot (a recovery restarts the OS; user data runs only once).
  "printf '[Unit]\\nDescription=web\\n[Service]\\nExecStart=/usr/bin/python3 /usr/local/bin/web.py\\n[Install]\\nWantedBy=multi-user.target\\n' > /etc/systemd/system/web.service",
  'systemctl enable web && systemctl start web',
  '',
].join('\n');

interface Probe {
  /** AWS time at which the request was sent and its outcome known. */
  sent: number;
  done: number;
  ok: boolean;
}

describe(
  'availability follows the timing profile, through the network',
  { skip: ROOT ? false : 'needs root: instances run in namespaces (CI runs as root)' },
  () => {
    let cloud: TestCloud;
    let ec2: EC2Client;
    let cw: CloudWatchClient;
    /** The daemon's clock is linear in wall time (ScaledClock): one reading maps any wall instant to AWS time. */
    let awsAt: (wallMs: number) => number;

    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ timeScale: SCALE, profile: 'aws-typical', hostsPerZone: 2 });
      ec2 = new EC2Client(cloud.sdk);
      cw = new CloudWatchClient(cloud.sdk);
      const w0 = Date.now();
      const clock = JSON.parse((await get(`${cloud.endpoint}/_halo/clock`))?.body ?? '{}') as {
        now: number;
        timeScale: number;
        profile: string;
      };
      const w1 = Date.now();
      assert.equal(clock.timeScale, SCALE);
      assert.equal(clock.profile, 'aws-typical');
      awsAt = (wall) => clock.now + (wall - (w0 + w1) / 2) * SCALE;
    });
    after(async () => {
      ec2?.destroy();
      cw?.destroy();
      if (cloud) await disposeAndCheckHost(cloud);
    });

    /** Probes url until stop() is called; every outcome with its AWS times. */
    function prober(url: string) {
      const probes: Probe[] = [];
      let stopped = false;
      const loop = (async () => {
        while (!stopped) {
          const sent = Date.now();
          const res = await get(url, 150);
          probes.push({ sent: awsAt(sent), done: awsAt(Date.now()), ok: res?.status === 200 });
          await sleep(5);
        }
      })();
      return {
        probes,
        stop: async () => {
          stopped = true;
          await loop;
        },
      };
    }

    let id = '';

    /** Waits for `running` while probing ip's server; the first answer's AWS time and the last AWS time pending was seen. */
    async function probeBoot(ip: string) {
      const boot = prober(`http://${ip}:8080/`);
      // Pending seen by the API: the transition to running is after the AWS time each such request was sent.
      let pendingSeenAt = -Infinity;
      await waitFor(`${id} running`, async () => {
        const sent = awsAt(Date.now());
        const state = (await describeOne(id)).State?.Name;
        if (state === 'pending') pendingSeenAt = sent;
        return state === 'running' ? true : undefined;
      });
      await waitFor('the server answering on the public IP', () => (boot.probes.some((p) => p.ok) ? true : undefined)).catch(
        async (err: unknown) => {
          const out = (await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }))).Output ?? '';
          throw new Error(`${(err as Error).message}; console:\n${Buffer.from(out, 'base64').toString('utf8')}`);
        },
      );
      await boot.stop();
      assert.ok(boot.probes.filter((p) => !p.ok).length > 0, 'probes were made while the instance was pending');
      assert.ok(pendingSeenAt > -Infinity, 'DescribeInstances was seen saying pending');
      return { firstOk: boot.probes.find((p) => p.ok) as Probe, pendingSeenAt };
    }

    const describeOne = async (id: string): Promise<Instance> =>
      (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0] as Instance;

    it("no answer before `running`; after a host failure, none before the alarm's time plus the recovery time; then answers again", async () => {
      const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId as string;
      const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24' }))).Subnet?.SubnetId as string;
      const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway?.InternetGatewayId as string;
      await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
      const rtb = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).RouteTables?.[0]
        ?.RouteTableId as string;
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
      const sg = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'web', Description: 'web' }))).GroupId as string;
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: sg,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        }),
      );

      // ---- launch: pending → running ----
      const launched = (
        await ec2.send(
          new RunInstancesCommand({
            ImageId: 'ami-1ecae776',
            InstanceType: 't2.micro',
            MinCount: 1,
            MaxCount: 1,
            UserData: Buffer.from(SERVER).toString('base64'),
            NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnetId, Groups: [sg], AssociatePublicIpAddress: true }],
            // Only the alarm recovers it here (simplified automatic recovery would race it).
            MaintenanceOptions: { AutoRecovery: 'disabled' },
          }),
        )
      ).Instances?.[0] as Instance;
      id = launched.InstanceId as string;
      const launchTime = (launched.LaunchTime as Date).getTime();
      const publicIp = (await describeOne(id)).PublicIpAddress as string;
      assert.match(publicIp, /^127\./);
      const { firstOk, pendingSeenAt } = await probeBoot(publicIp);
      assert.ok(
        firstOk.done >= launchTime + PROFILE.steps.instancePendingToRunning,
        `first answer at AWS ${new Date(firstOk.done).toISOString()}, pending → running takes ${PROFILE.steps.instancePendingToRunning} ms from ${new Date(launchTime).toISOString()}`,
      );
      assert.ok(firstOk.done >= pendingSeenAt, 'no answer while DescribeInstances still said pending');

      // ---- host failure → alarm → ec2:recover ----
      await cw.send(
        new PutMetricAlarmCommand({
          AlarmName: 'recover-web',
          Namespace: 'AWS/EC2',
          MetricName: 'StatusCheckFailed_System',
          Dimensions: [{ Name: 'InstanceId', Value: id }],
          Statistic: 'Maximum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmActions: [`arn:aws:automate:${cloud.region}:ec2:recover`],
        }),
      );
      const down = prober(`http://${publicIp}:8080/`);
      await waitFor('answers before the fault', () => (down.probes.some((p) => p.ok) ? true : undefined));
      const faultSent = awsAt(Date.now());
      const fault = await callControl(cloud.home, '/fault', { kind: 'host-failure', instanceId: id });
      assert.equal(fault.ok, true, fault.message);
      const faultDone = awsAt(Date.now());

      const history = async (type: 'StateUpdate' | 'Action') =>
        (await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'recover-web', HistoryItemType: type }))).AlarmHistoryItems ?? [];
      const toAlarm = await waitFor(
        'the alarm in ALARM',
        async () => (await history('StateUpdate')).find((h) => h.HistorySummary?.endsWith('to ALARM')),
        120_000,
      );
      const alarmAt = (toAlarm.Timestamp as Date).getTime();
      assert.ok(alarmAt >= faultSent, 'the alarm fired after the fault');
      const action = await waitFor(
        "the recover action's outcome",
        async () => (await history('Action')).find((h) => /^(Successfully|Failed)/.test(h.HistorySummary ?? '')),
        120_000,
      );
      assert.match(action.HistorySummary ?? '', /^Successfully executed action arn:aws:automate:.*:ec2:recover/);
      // EC2 shows the instance running while it recovers (an unplanned reboot on new hardware).
      assert.equal((await describeOne(id)).State?.Name, 'running');
      await waitFor(
        'answers again after the recovery',
        () => (down.probes.some((p) => p.ok && p.sent > faultDone) ? true : undefined),
        120_000,
      );
      await down.stop();

      const after = down.probes.filter((p) => p.sent >= faultDone);
      const firstBack = after.find((p) => p.ok) as Probe;
      const recoveredAt = alarmAt + PROFILE.steps.recoveryToRunning;
      assert.ok(after.filter((p) => !p.ok).length > 0, 'probes were made while the instance was down');
      assert.ok(
        after.some((p) => !p.ok && p.sent > alarmAt),
        'probes were made during the recovery itself',
      );
      assert.ok(
        firstBack.done >= recoveredAt,
        `first answer after the fault at AWS ${new Date(firstBack.done).toISOString()}; the alarm at ${new Date(alarmAt).toISOString()} + recovery ${PROFILE.steps.recoveryToRunning} ms`,
      );
      const moved = await describeOne(id);
      assert.equal(moved.State?.Name, 'running');
      assert.equal(moved.PublicIpAddress, publicIp, 'the recovered instance keeps its public IP');
    });

    it('a start after a stop: no answer before `running` again', async () => {
      assert.ok(id, 'the instance of the first test');
      await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
      await waitFor(`${id} stopped`, async () => ((await describeOne(id)).State?.Name === 'stopped' ? true : undefined));
      const startSent = awsAt(Date.now());
      await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
      const publicIp = (await describeOne(id)).PublicIpAddress as string;
      assert.match(publicIp, /^127\./, 'a new public IP while pending');
      const { firstOk, pendingSeenAt } = await probeBoot(publicIp);
      assert.ok(
        firstOk.done >= startSent + PROFILE.steps.instancePendingToRunning,
        `first answer at AWS ${new Date(firstOk.done).toISOString()}, pending → running takes ${PROFILE.steps.instancePendingToRunning} ms from the start at ${new Date(startSent).toISOString()}`,
      );
      assert.ok(firstOk.done >= pendingSeenAt, 'no answer while DescribeInstances still said pending');
    });

    it('a network partition cuts the instance off and a heal brings it back (the link and its route)', async () => {
      const ip = (await describeOne(id)).PublicIpAddress as string;
      await waitFor('answers before the partition', async () =>
        (await get(`http://${ip}:8080/`, 500))?.status === 200 ? true : undefined,
      );
      assert.equal((await callControl(cloud.home, '/fault', { kind: 'network-partition', instanceId: id })).ok, true);
      assert.equal(await get(`http://${ip}:8080/`, 500), undefined, 'nothing answers while partitioned');
      assert.equal((await callControl(cloud.home, '/fault', { kind: 'network-heal', instanceId: id })).ok, true);
      await waitFor(
        'answers after the heal',
        async () => ((await get(`http://${ip}:8080/`, 500))?.status === 200 ? true : undefined),
        10_000,
      );
    });
  },
);
