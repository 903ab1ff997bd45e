import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeScalingActivitiesCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, DescribeInstanceStatusCommand, EC2Client, type InstanceStatus } from '@aws-sdk/client-ec2';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { timingProfile } from '../src/clock/profiles.js';
import { ensureImage } from '../src/runtime/images.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';
import { get, waitFor } from './support/wait.js';

/**
 * `halo fault network-partition`: the instance's network path is cut while it keeps running. EC2's status checks see
 * it (system and instance reachability failed) at the next check of the profile, and each repair heals it: an alarm's
 * ec2:recover moves it to another host, where it comes back on the network; an Auto Scaling group with EC2 health
 * checks replaces it; `halo fault network-heal` restores it in place. Through the real aws CLI and SDK v3, with real
 * HTTP to the instances. Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';
const SCALE = 60;
const PROFILE = timingProfile('aws-typical');
const CHECK = PROFILE.steps.statusCheckInterval;

const WEB = [
  '#!/bin/bash',
  'mkdir -p /srv && curl -s http://169.254.169.254/latest/meta-data/instance-id > /srv/index.html',
  "printf '[Unit]\\nDescription=web\\n[Service]\\nExecStart=/usr/bin/python3 -m http.server 8080 --directory /srv\\n[Install]\\nWantedBy=multi-user.target\\n' > /etc/systemd/system/web.service",
  'systemctl enable web && systemctl start web',
  '',
].join('\n');

describe(
  'a network partition fails the status checks, and recovery, Auto Scaling and network-heal each end it',
  { skip: ROOT ? false : 'needs root: instances run in namespaces (CI runs as root)' },
  () => {
    let cloud: TestCloud;
    let ec2: EC2Client;
    let asg: AutoScalingClient;
    const ids: Record<string, string> = {};
    /** The daemon's clock is linear in wall time (ScaledClock): one reading maps any wall instant to AWS time. */
    let awsAt: (wallMs: number) => number;

    const describeOne = async (id: string) =>
      (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];
    const statusOf = async (id: string): Promise<InstanceStatus | undefined> =>
      (await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true }))).InstanceStatuses?.[0];
    const checks = async (id: string) => {
      const s = await statusOf(id);
      return `${s?.SystemStatus?.Status}/${s?.InstanceStatus?.Status}`;
    };
    const halo = (...args: string[]) => {
      const r = cloud.halo(...args);
      assert.equal(r.status, 0, `halo ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    const page = async (ip: string) => {
      const r = await get(`http://${ip}:8080/`, 1000);
      return r?.status === 200 ? r.body.trim() : undefined;
    };
    const boots = (id: string) =>
      ((cloud.awsOk('ec2', 'get-console-output', '--instance-id', id).Output ?? '') as string).match(/boot finished/g)?.length ?? 0;
    const healthEvents = (id: string): Array<{ eventTypeCode: string }> =>
      cloud.awsOk('health', 'describe-events', '--region', 'us-east-1', '--filter', JSON.stringify({ entityValues: [id] })).events;
    /** Runs an instance serving its own id on 8080 (public IP, no simplified recovery) and waits until it answers with checks ok. */
    const webInstance = async (name: string, subnet: string) => {
      const file = path.join(cloud.home, `${name}.sh`);
      writeFileSync(file, WEB);
      const i = cloud.awsOk(
        'ec2',
        'run-instances',
        '--image-id',
        'ami-1ecae776',
        '--instance-type',
        't2.micro',
        '--subnet-id',
        subnet,
        '--security-group-ids',
        ids.sg,
        '--associate-public-ip-address',
        '--maintenance-options',
        'AutoRecovery=disabled',
        '--user-data',
        `file://${file}`,
      ).Instances[0];
      ids[name] = i.InstanceId;
      await servesItself(i.InstanceId);
      return i.InstanceId as string;
    };
    const servesItself = async (id: string) => {
      await waitFor(
        `${id} answers with checks ok`,
        async () => {
          const ip = (await describeOne(id))?.PublicIpAddress;
          return ip && (await page(ip)) === id && (await checks(id)) === 'ok/ok' ? true : undefined;
        },
        120_000,
      );
      return (await describeOne(id))?.PublicIpAddress as string;
    };

    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ timeScale: SCALE, profile: PROFILE.name, hostsPerZone: 2 });
      ec2 = new EC2Client(cloud.sdk);
      asg = new AutoScalingClient(cloud.sdk);
      const w0 = Date.now();
      const clock = JSON.parse((await get(`${cloud.endpoint}/_halo/clock`))?.body ?? '{}') as { now: number; timeScale: number };
      const w1 = Date.now();
      assert.equal(clock.timeScale, SCALE);
      awsAt = (wall) => clock.now + (wall - (w0 + w1) / 2) * SCALE;
      ids.vpc = cloud.awsOk('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16').Vpc.VpcId;
      const subnet = (cidr: string, zone: string) =>
        cloud.awsOk('ec2', 'create-subnet', '--vpc-id', ids.vpc, '--cidr-block', cidr, '--availability-zone', zone).Subnet.SubnetId;
      ids.subnetA = subnet('10.0.1.0/24', 'us-east-1a');
      ids.subnetB = subnet('10.0.2.0/24', 'us-east-1b');
      const igw = cloud.awsOk('ec2', 'create-internet-gateway').InternetGateway.InternetGatewayId;
      cloud.awsOk('ec2', 'attach-internet-gateway', '--internet-gateway-id', igw, '--vpc-id', ids.vpc);
      ids.sg = cloud.awsOk('ec2', 'create-security-group', '--vpc-id', ids.vpc, '--group-name', 'web', '--description', 'web').GroupId;
      cloud.awsOk(
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
      );
    });
    after(async () => {
      ec2?.destroy();
      asg?.destroy();
      if (cloud) await disposeAndCheckHost(cloud);
    });

    it('fails both checks (reachability failed) at the next status check, keeps them failed through a reboot, and network-heal restores them in place', async () => {
      const id = await webInstance('healed', ids.subnetA);
      const ip = (await describeOne(id))?.PublicIpAddress as string;
      const bootsBefore = boots(id);

      const faultSent = awsAt(Date.now());
      assert.match(halo('fault', 'network-partition', id), /cut off the network/);
      const faultDone = awsAt(Date.now());
      assert.equal(await page(ip), undefined, 'nothing answers while the instance is cut off');

      const impaired = await waitFor(
        'the checks impaired',
        async () => {
          const s = await statusOf(id);
          return s?.SystemStatus?.Status === 'impaired' ? s : undefined;
        },
        60_000,
      );
      assert.equal(impaired.InstanceState?.Name, 'running', 'the instance keeps running');
      for (const summary of [impaired.SystemStatus, impaired.InstanceStatus]) {
        assert.equal(summary?.Status, 'impaired');
        assert.equal(summary?.Details?.[0]?.Name, 'reachability');
        assert.equal(summary?.Details?.[0]?.Status, 'failed');
      }
      // The first check that began after the cut saw it (one may be skipped while the previous one still probes on a
      // loaded machine); a check that began at most one interval before the cut may see it too.
      const since = impaired.SystemStatus?.Details?.[0]?.ImpairedSince?.getTime() ?? 0;
      assert.ok(
        since >= faultSent - CHECK && since <= faultDone + 2 * CHECK,
        `system reachability failed since AWS ${new Date(since).toISOString()}; the partition at ${new Date(faultSent).toISOString()}–${new Date(faultDone).toISOString()}, a check every ${CHECK / 1000} s`,
      );
      const filtered = cloud.awsOk('ec2', 'describe-instance-status', '--filters', 'Name=system-status.reachability,Values=failed');
      assert.deepEqual(
        filtered.InstanceStatuses.map((s: { InstanceId: string }) => s.InstanceId),
        [id],
      );

      // A reboot keeps the instance on its host, whose network path is cut: it boots again still cut off.
      cloud.awsOk('ec2', 'reboot-instances', '--instance-ids', id);
      await waitFor(`${id} rebooted`, () => (boots(id) > bootsBefore ? true : undefined), 60_000);
      assert.equal(await page(ip), undefined, 'still cut off after a reboot on the same host');
      const rebootDone = awsAt(Date.now());
      await waitFor('a check after the reboot', async () => (awsAt(Date.now()) > rebootDone + 2 * CHECK ? true : undefined), 30_000);
      assert.equal(await checks(id), 'impaired/impaired');
      const bootsAfterReboot = boots(id);

      assert.equal(halo('fault', 'network-heal', id), `instance ${id} is back on the network`);
      assert.equal(await waitFor('the page again', () => page(ip), 30_000), id);
      await waitFor('both checks ok again', async () => ((await checks(id)) === 'ok/ok' ? true : undefined), 30_000);
      const healed = await statusOf(id);
      assert.equal(healed?.SystemStatus?.Details?.[0]?.Status, 'passed');
      assert.equal(healed?.SystemStatus?.Details?.[0]?.ImpairedSince, undefined);
      assert.equal(boots(id), bootsAfterReboot, 'healed in place: the instance did not boot again');
      assert.deepEqual(healthEvents(id), [], 'no recovery happened');
    });

    it('an alarm on StatusCheckFailed_System with ec2:recover moves it to another host, where it is back on the network', async () => {
      const id = await webInstance('recovered', ids.subnetA);
      const ip = (await describeOne(id))?.PublicIpAddress as string;
      cloud.awsOk(
        'cloudwatch',
        'put-metric-alarm',
        '--alarm-name',
        'recover-on-partition',
        '--namespace',
        'AWS/EC2',
        '--metric-name',
        'StatusCheckFailed_System',
        '--dimensions',
        `Name=InstanceId,Value=${id}`,
        '--statistic',
        'Maximum',
        '--period',
        '60',
        '--evaluation-periods',
        '2',
        '--threshold',
        '0',
        '--comparison-operator',
        'GreaterThanThreshold',
        '--alarm-actions',
        'arn:aws:automate:us-east-1:ec2:recover',
      );
      halo('fault', 'network-partition', id);
      await waitFor(
        'the recovery',
        () => healthEvents(id).find((e) => e.eventTypeCode === 'AWS_EC2_INSTANCE_AUTO_RECOVERY_SUCCESS'),
        120_000,
      );
      assert.equal(await waitFor('the page on the same public IP after the recovery', () => page(ip), 60_000), id);
      await waitFor('both checks ok after the recovery', async () => ((await checks(id)) === 'ok/ok' ? true : undefined), 30_000);
      assert.equal((await describeOne(id))?.State?.Name, 'running');
      // The partition was of the old host's path: it ended with the move.
      assert.match(halo('fault', 'network-heal', id), /is not cut off the network/);
      cloud.awsOk('cloudwatch', 'delete-alarms', '--alarm-names', 'recover-on-partition');
      cloud.awsOk('ec2', 'terminate-instances', '--instance-ids', id, ids.healed);
    });

    it('an Auto Scaling group with EC2 health checks replaces it once its grace period has passed', async () => {
      const file = path.join(cloud.home, 'group.sh');
      writeFileSync(file, WEB);
      cloud.awsOk(
        'autoscaling',
        'create-launch-configuration',
        '--launch-configuration-name',
        'web-lc',
        '--image-id',
        'ami-1ecae776',
        '--instance-type',
        't2.micro',
        '--security-groups',
        ids.sg,
        '--associate-public-ip-address',
        '--user-data',
        `file://${file}`,
      );
      cloud.awsOk(
        'autoscaling',
        'create-auto-scaling-group',
        '--auto-scaling-group-name',
        'web',
        '--launch-configuration-name',
        'web-lc',
        '--min-size',
        '1',
        '--max-size',
        '1',
        '--desired-capacity',
        '1',
        '--vpc-zone-identifier',
        `${ids.subnetA},${ids.subnetB}`,
        '--health-check-type',
        'EC2',
        '--health-check-grace-period',
        '60',
      );
      const inService = (not: string[]) =>
        waitFor(
          `an InService instance other than ${not.join(', ') || 'none'}`,
          async () =>
            (
              await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web'] }))
            ).AutoScalingGroups?.[0]?.Instances?.find((i) => i.LifecycleState === 'InService' && !not.includes(i.InstanceId as string))
              ?.InstanceId,
          120_000,
        );
      const first = await inService([]);
      await servesItself(first);
      halo('fault', 'network-partition', first);
      const second = await inService([first]);
      const ip = await servesItself(second);
      assert.equal(await page(ip), second);
      const activities = (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'web' }))).Activities ?? [];
      const terminating = activities.find((a) => a.Description === `Terminating EC2 instance: ${first}`);
      assert.match(terminating?.Cause ?? '', /in response to an EC2 instance status checks failure\.$/);
      await waitFor(
        `${first} terminated`,
        async () => ((await describeOne(first))?.State?.Name === 'terminated' ? true : undefined),
        60_000,
      );
      // The partition ended with the instance.
      assert.match(halo('fault', 'network-heal', first), /is not cut off the network/);
      cloud.awsOk('autoscaling', 'delete-auto-scaling-group', '--auto-scaling-group-name', 'web', '--force-delete');
    });
  },
);
