import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand, DescribeInstanceStatusCommand, EC2Client } from '@aws-sdk/client-ec2';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { footprint, isClean } from '../src/runtime/cleanup.js';
import { callControl } from '../src/runtime/control.js';
import { ensureImage } from '../src/runtime/images.js';
import { cloudTag } from '../src/runtime/names.js';
import { SIMPLIFIED_RECOVERY_FAILED_CHECKS } from '../src/services/ec2/compute/auto-recovery.js';
import { TestCloud } from './support/cloud.js';
import { get, waitFor } from './support/wait.js';

/**
 * EC2's own recovery without any alarm (simplified automatic recovery), its switch (maintenance options), what the
 * API shows while an instance moves, and a zone without a healthy host — through the real aws CLI, with real
 * instances and real host faults. Durations are asserted in AWS time (metric datapoints, AWS Health timestamps).
 * Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

interface HealthEvent {
  arn: string;
  eventTypeCode: string;
  statusCode: string;
  availabilityZone?: string;
  eventScopeCode: string;
  startTime: string | number;
  endTime?: string | number;
}

/** The aws CLI prints Health timestamps as epoch seconds (JSON protocol). */
const ms = (t: string | number) => (typeof t === 'number' ? t * 1000 : Date.parse(t));

describe(
  'simplified automatic recovery and recovery without a healthy host',
  { skip: ROOT ? false : 'needs root: instances run in namespaces (CI runs as root)' },
  () => {
    let cloud: TestCloud;
    let tag = '';
    const ids: Record<string, string> = {};
    const instance = (id: string) => cloud.awsOk('ec2', 'describe-instances', '--instance-ids', id).Reservations[0].Instances[0];
    const status = (id: string) =>
      cloud.awsOk('ec2', 'describe-instance-status', '--instance-ids', id, '--include-all-instances').InstanceStatuses[0];
    const consoleOf = (id: string): string => cloud.awsOk('ec2', 'get-console-output', '--instance-id', id).Output ?? '';
    const healthEvents = (filter: Record<string, unknown>): HealthEvent[] =>
      cloud.awsOk('health', 'describe-events', '--region', 'us-east-1', '--filter', JSON.stringify(filter)).events;
    const eventsFor = (id: string) => healthEvents({ entityValues: [id] });
    // Polling goes through SDK v3 (the aws CLI takes seconds a call on a busy machine, minutes of AWS time here).
    let ec2: EC2Client;
    let cw: CloudWatchClient;
    const sdkInstance = async (id: string) =>
      (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];
    const systemStatus = async (id: string) =>
      (await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true }))).InstanceStatuses?.[0]
        ?.SystemStatus?.Status;
    /** Timestamps (AWS time, ms) of the periods in which the instance's system check failed, over its first day. */
    const failedSystemChecks = async (id: string): Promise<number[]> => {
      const launched = (await sdkInstance(id))?.LaunchTime?.getTime() ?? 0;
      const stats = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: 'AWS/EC2',
          MetricName: 'StatusCheckFailed_System',
          Dimensions: [{ Name: 'InstanceId', Value: id }],
          Statistics: ['Maximum'],
          Period: 60,
          StartTime: new Date(launched - 60_000),
          EndTime: new Date(launched + 1400 * 60_000),
        }),
      );
      return (stats.Datapoints ?? [])
        .filter((d) => (d.Maximum ?? 0) > 0)
        .map((d) => d.Timestamp?.getTime() ?? 0)
        .sort();
    };
    const fault = async (kind: string, target: Record<string, string>) => {
      const r = await callControl(cloud.home, '/fault', { kind, ...target });
      assert.equal(r.ok, true, r.message);
      return r.message;
    };
    const run = (subnet: string, userData: string, ...extra: string[]) => {
      const file = path.join(cloud.home, `ud-${Object.keys(ids).length}.sh`);
      writeFileSync(file, userData);
      return cloud.awsOk(
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
        '--user-data',
        `file://${file}`,
        ...extra,
      ).Instances[0];
    };
    const running = (id: string) =>
      waitFor(`${id} running`, async () => ((await sdkInstance(id))?.State?.Name === 'running' ? true : undefined));

    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ timeScale: 60, profile: 'fast', hostsPerZone: 3 });
      tag = cloudTag(cloud.home);
      ec2 = new EC2Client(cloud.sdk);
      cw = new CloudWatchClient(cloud.sdk);
      ids.vpc = cloud.awsOk('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16').Vpc.VpcId;
      ids.subnetA = cloud.awsOk(
        'ec2',
        'create-subnet',
        '--vpc-id',
        ids.vpc,
        '--cidr-block',
        '10.0.1.0/24',
        '--availability-zone',
        'us-east-1a',
      ).Subnet.SubnetId;
      ids.subnetB = cloud.awsOk(
        'ec2',
        'create-subnet',
        '--vpc-id',
        ids.vpc,
        '--cidr-block',
        '10.0.2.0/24',
        '--availability-zone',
        'us-east-1b',
      ).Subnet.SubnetId;
      const igw = cloud.awsOk('ec2', 'create-internet-gateway').InternetGateway.InternetGatewayId;
      cloud.awsOk('ec2', 'attach-internet-gateway', '--internet-gateway-id', igw, '--vpc-id', ids.vpc);
      ids.sg = cloud.awsOk(
        'ec2',
        'create-security-group',
        '--vpc-id',
        ids.vpc,
        '--group-name',
        'web',
        '--description',
        'web on 8080',
      ).GroupId;
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
      if (!cloud) return;
      ec2?.destroy();
      cw?.destroy();
      await cloud.dispose();
      assert.ok(isClean(footprint(tag)), 'the host holds nothing of this cloud any more');
    });

    it("maintenance options: default at launch, disabled by RunInstances or ModifyInstanceMaintenanceOptions, refused values in AWS's form", async () => {
      const web = [
        '#!/bin/bash',
        'mkdir -p /srv && echo "written before the failure by $(curl -s http://169.254.169.254/latest/meta-data/instance-id)" > /srv/index.html',
        "printf '[Unit]\\nDescription=web\\n[Service]\\nExecStart=/usr/bin/python3 -m http.server 8080 --directory /srv\\n[Install]\\nWantedBy=multi-user.target\\n' > /etc/systemd/system/web.service",
        'systemctl enable web && systemctl start web',
        '',
      ].join('\n');
      const i1 = run(ids.subnetA, web);
      ids.i1 = i1.InstanceId;
      assert.deepEqual(i1.MaintenanceOptions, { AutoRecovery: 'default' });
      ids.i2 = run(ids.subnetA, '#!/bin/bash\necho plain\n', '--maintenance-options', 'AutoRecovery=disabled').InstanceId;
      assert.deepEqual(instance(ids.i2).MaintenanceOptions, { AutoRecovery: 'disabled' });
      ids.i3 = run(ids.subnetA, '#!/bin/bash\necho plain\n').InstanceId;
      await Promise.all([running(ids.i1), running(ids.i2), running(ids.i3)]);

      assert.deepEqual(cloud.awsOk('ec2', 'modify-instance-maintenance-options', '--instance-id', ids.i3, '--auto-recovery', 'disabled'), {
        InstanceId: ids.i3,
        AutoRecovery: 'disabled',
      });
      assert.equal(instance(ids.i3).MaintenanceOptions.AutoRecovery, 'disabled');
      assert.deepEqual(cloud.awsOk('ec2', 'modify-instance-maintenance-options', '--instance-id', ids.i3, '--auto-recovery', 'default'), {
        InstanceId: ids.i3,
        AutoRecovery: 'default',
      });
      cloud.awsFails(
        'InvalidParameterValue',
        'ec2',
        'modify-instance-maintenance-options',
        '--instance-id',
        ids.i3,
        '--auto-recovery',
        'enabled',
      );
      cloud.awsFails(
        'InvalidInstanceID.NotFound',
        'ec2',
        'modify-instance-maintenance-options',
        '--instance-id',
        'i-0123456789abcdef0',
        '--auto-recovery',
        'disabled',
      );
      cloud.awsFails(
        'InvalidParameterValue',
        'ec2',
        'run-instances',
        '--image-id',
        'ami-1ecae776',
        '--subnet-id',
        ids.subnetA,
        '--maintenance-options',
        'AutoRecovery=on',
      );
      cloud.awsOk('ec2', 'terminate-instances', '--instance-ids', ids.i3);

      // AWS Health answers before anything happened: the event types EC2 recovery posts, no events, AWS's errors.
      const types = cloud
        .awsOk('health', 'describe-event-types', '--region', 'us-east-1', '--filter', 'services=EC2')
        .eventTypes.map((t: { code: string }) => t.code);
      for (const code of [
        'AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_SUCCESS',
        'AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_FAILURE',
        'AWS_EC2_INSTANCE_AUTO_RECOVERY_SUCCESS',
        'AWS_EC2_INSTANCE_AUTO_RECOVERY_FAILURE',
      ]) {
        assert.ok(types.includes(code), code);
      }
      assert.deepEqual(healthEvents({ services: ['EC2'] }), []);
      cloud.awsFails('UnsupportedLocale', 'health', 'describe-events', '--region', 'us-east-1', '--locale', 'xx-YY');
      cloud.awsFails(
        'InvalidPaginationToken',
        'health',
        'describe-events',
        '--region',
        'us-east-1',
        '--no-paginate',
        '--next-token',
        'not-a-token',
      );

      const eip = cloud.awsOk('ec2', 'allocate-address', '--domain', 'vpc');
      ids.eip = eip.PublicIp;
      cloud.awsOk('ec2', 'associate-address', '--instance-id', ids.i1, '--allocation-id', eip.AllocationId);
      const page = await waitFor('the page written before the failure, on the Elastic IP', async () =>
        (await get(`http://${ids.eip}:8080/`))?.body.trim(),
      );
      assert.equal(page, `written before the failure by ${ids.i1}`);
    });

    it('host failure, no alarm: EC2 recovers the default instance on another host, keeps the disabled one impaired; running throughout', async () => {
      const before = instance(ids.i1);
      // Placement spreads the two over hosts 1 and 2 of the zone; both fail, host 3 stays healthy.
      const hostOf = async (id: string) => /host (\S+) failed/.exec(await fault('host-failure', { instanceId: id }))?.[1] as string;
      ids.host1 = await hostOf(ids.i1);
      ids.host2 = await hostOf(ids.i2);
      assert.notEqual(ids.host1, ids.host2);

      // What DescribeInstances and DescribeInstanceStatus show while EC2 works, sampled (SDK v3: the aws CLI is too slow
      // for the time scale) from the failure until the system check no longer fails.
      const seen = { states: new Set<string>(), reasons: new Set<string>(), systemStatus: new Set<string>() };
      for (const end = Date.now() + 120_000; Date.now() < end; await sleep(100)) {
        const [described, checked] = await Promise.all([
          ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids.i1] })),
          ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [ids.i1], IncludeAllInstances: true })),
        ]);
        const i = described.Reservations?.[0]?.Instances?.[0];
        const system = checked.InstanceStatuses?.[0]?.SystemStatus?.Status ?? 'none';
        seen.states.add(String(i?.State?.Name));
        seen.reasons.add(String(i?.StateTransitionReason));
        seen.systemStatus.add(system);
        if (seen.systemStatus.has('impaired') && system !== 'impaired') break;
      }
      const success = await waitFor(
        'AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_SUCCESS for the default instance',
        () => eventsFor(ids.i1).find((e) => e.eventTypeCode === 'AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_SUCCESS'),
        60_000,
      );
      assert.deepEqual([...seen.states], ['running'], 'a recovery looks like a reboot: the instance stays running');
      assert.deepEqual([...seen.reasons], [String(before.StateTransitionReason)]);
      assert.ok(seen.systemStatus.has('impaired'), `the system check was seen impaired: ${[...seen.systemStatus]}`);
      const moved = status(ids.i1);
      assert.notEqual(moved.SystemStatus.Status, 'impaired', 'after the move the system check is no longer failed');
      assert.deepEqual(moved.Events ?? [], [], 'a recovery is not a scheduled event');

      // In AWS time: EC2 waited for SIMPLIFIED_RECOVERY_FAILED_CHECKS failed checks, and the event spans them.
      assert.equal(success.statusCode, 'closed');
      assert.equal(success.availabilityZone, 'us-east-1a');
      assert.equal(success.eventScopeCode, 'ACCOUNT_SPECIFIC');
      const failed = (await failedSystemChecks(ids.i1)).filter((t) => t <= ms(success.endTime as number));
      // One check a minute; a check late in its minute and the next early in the following one may share a period.
      assert.ok(failed.length >= SIMPLIFIED_RECOVERY_FAILED_CHECKS - 1, `${failed.length} failed system checks before the recovery`);
      const waited = (ms(success.endTime as number) - ms(success.startTime)) / 60_000;
      assert.ok(waited >= SIMPLIFIED_RECOVERY_FAILED_CHECKS - 1, `recovered ${waited.toFixed(1)} AWS minutes after the first failed check`);

      const entities = cloud.awsOk(
        'health',
        'describe-affected-entities',
        '--region',
        'us-east-1',
        '--filter',
        JSON.stringify({ eventArns: [success.arn] }),
      ).entities;
      assert.deepEqual(
        entities.map((e: { entityValue: string; statusCode: string }) => [e.entityValue, e.statusCode]),
        [[ids.i1, 'RESOLVED']],
      );
      const details = cloud.awsOk(
        'health',
        'describe-event-details',
        '--region',
        'us-east-1',
        '--event-arns',
        success.arn,
        'arn:aws:health:us-east-1::event/EC2/X/X_0',
      );
      assert.match(details.successfulSet[0].eventDescription.latestDescription, new RegExp(ids.i1));
      assert.equal(details.failedSet[0].eventArn, 'arn:aws:health:us-east-1::event/EC2/X/X_0');

      const page = await waitFor(
        'the page served again after the recovery',
        async () => (await get(`http://${ids.eip}:8080/`))?.body.trim(),
        60_000,
      );
      assert.equal(page, `written before the failure by ${ids.i1}`, 'the volume kept the file written before the failure');
      const after = instance(ids.i1);
      assert.equal(after.PrivateIpAddress, before.PrivateIpAddress);
      assert.equal(after.PublicIpAddress, ids.eip);
      assert.match(consoleOf(ids.i1), new RegExp(`simplified automatic recovery: moving from ${ids.host1} to (?!${ids.host1})`));

      // The disabled one: as many failed checks again, no recovery, no event, still impaired and running.
      const start = (await failedSystemChecks(ids.i2)).length;
      await waitFor(
        'more failed checks of the disabled instance',
        async () =>
          (await failedSystemChecks(ids.i2)).length >= Math.max(start, SIMPLIFIED_RECOVERY_FAILED_CHECKS) + 2 ? true : undefined,
        120_000,
      );
      assert.deepEqual(eventsFor(ids.i2), []);
      assert.equal(status(ids.i2).SystemStatus.Status, 'impaired');
      assert.equal(instance(ids.i2).State.Name, 'running');
    });

    it("a dark zone: the alarm's recover action fails and says so, simplified recovery waits for the service event to end, then proceeds", async () => {
      ids.i4 = run(ids.subnetB, '#!/bin/bash\necho default\n').InstanceId;
      ids.i5 = run(ids.subnetB, '#!/bin/bash\necho alarm only\n', '--maintenance-options', 'AutoRecovery=disabled').InstanceId;
      await Promise.all([running(ids.i4), running(ids.i5)]);
      cloud.awsOk(
        'cloudwatch',
        'put-metric-alarm',
        '--alarm-name',
        'recover-i5',
        '--namespace',
        'AWS/EC2',
        '--metric-name',
        'StatusCheckFailed_System',
        '--statistic',
        'Minimum',
        '--period',
        '60',
        '--evaluation-periods',
        '2',
        '--comparison-operator',
        'GreaterThanThreshold',
        '--threshold',
        '0',
        '--dimensions',
        `Name=InstanceId,Value=${ids.i5}`,
        '--alarm-actions',
        'arn:aws:automate:us-east-1:ec2:recover',
      );
      await waitFor(
        'the alarm OK',
        () =>
          cloud.awsOk('cloudwatch', 'describe-alarms', '--alarm-names', 'recover-i5').MetricAlarms[0].StateValue === 'OK'
            ? true
            : undefined,
        120_000,
      );

      await fault('az-outage', { zone: 'us-east-1b' });
      const [issue] = healthEvents({ eventTypeCodes: ['AWS_EC2_OPERATIONAL_ISSUE'], availabilityZones: ['us-east-1b'] });
      assert.equal(issue?.statusCode, 'open');
      assert.equal(issue.eventScopeCode, 'PUBLIC');

      const history = () =>
        cloud.awsOk('cloudwatch', 'describe-alarm-history', '--alarm-name', 'recover-i5', '--history-item-type', 'Action')
          .AlarmHistoryItems as Array<{ HistorySummary: string }>;
      const action = await waitFor(
        "the recover action's outcome",
        () => history().find((h) => /^(Successfully|Failed)/.test(h.HistorySummary)),
        120_000,
      );
      assert.match(
        action.HistorySummary,
        /^Failed to execute action arn:aws:automate:us-east-1:ec2:recover\. Received error: ".*capacity.*us-east-1b/,
      );
      assert.deepEqual(
        eventsFor(ids.i5).map((e) => e.eventTypeCode),
        ['AWS_EC2_INSTANCE_AUTO_RECOVERY_FAILURE'],
      );

      // The default instance: past the simplified recovery's threshold, nothing while the zone's service event is open.
      await waitFor(
        'the default instance failing past the threshold',
        async () => ((await failedSystemChecks(ids.i4)).length >= SIMPLIFIED_RECOVERY_FAILED_CHECKS + 2 ? true : undefined),
        120_000,
      );
      assert.deepEqual(eventsFor(ids.i4), [], 'no recovery and no failure notice during a service event');
      assert.equal(status(ids.i4).SystemStatus.Status, 'impaired');

      // One host of the zone comes back: the service event ends and the pending simplified recovery proceeds there.
      const zoneId = cloud.awsOk('ec2', 'describe-availability-zones', '--zone-names', 'us-east-1b').AvailabilityZones[0].ZoneId;
      await fault('host-restore', { hostId: `h-${zoneId}-3` });
      const ended = healthEvents({ eventArns: [issue.arn] })[0];
      assert.equal(ended.statusCode, 'closed');
      const recovered = await waitFor(
        'AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_SUCCESS after the host came back',
        () => eventsFor(ids.i4).find((e) => e.eventTypeCode === 'AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_SUCCESS'),
        120_000,
      );
      assert.ok(ms(recovered.endTime as number) >= ms(ended.endTime as number), 'recovered after the service event ended');
      assert.match(consoleOf(ids.i4), new RegExp(`moving from \\S+ to h-${zoneId}-3`));
      await waitFor(
        'the recovered instance passing its checks',
        async () => ((await systemStatus(ids.i4)) === 'ok' ? true : undefined),
        60_000,
      );

      // The alarm acted once, on its transition to ALARM; it does not retry when capacity returns.
      const failedBefore = (await failedSystemChecks(ids.i5)).length;
      await waitFor(
        "two more failed checks of the alarm's instance",
        async () => ((await failedSystemChecks(ids.i5)).length >= failedBefore + 2 ? true : undefined),
        60_000,
      );
      assert.equal(history().filter((h) => /recover/.test(h.HistorySummary) && /^(Successfully|Failed)/.test(h.HistorySummary)).length, 1);
      assert.equal(cloud.awsOk('cloudwatch', 'describe-alarms', '--alarm-names', 'recover-i5').MetricAlarms[0].StateValue, 'ALARM');
      assert.equal(status(ids.i5).SystemStatus.Status, 'impaired');

      await fault('az-restore', { zone: 'us-east-1b' });
      for (const hostId of [ids.host1, ids.host2]) await fault('host-restore', { hostId });
    });
  },
);
