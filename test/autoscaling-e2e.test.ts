import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  type Activity,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, DescribeInstanceStatusCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ensureImage } from '../src/runtime/images.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';
import { waitFor } from './support/wait.js';
import { twoZoneNetwork } from './support/autoscaling-network.js';

/**
 * An Auto Scaling group with real instances over two subnets in two zones (min = max = desired = 1), made with the
 * aws CLI: a terminated instance is replaced, a dark zone's instance is replaced in the other zone, and an
 * impaired instance (host failure) is replaced only once the health check grace period (from InService) has passed.
 * Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';
const GRACE_S = 900;

describe(
  'Auto Scaling with real instances across two zones',
  { skip: ROOT ? false : 'needs root: instances run in namespaces (CI runs as root)' },
  () => {
    let cloud: TestCloud;
    let asg: AutoScalingClient;
    let ec2: EC2Client;
    const ids: Record<string, string> = {};

    const group = async () =>
      (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web'] }))).AutoScalingGroups?.[0];
    const activities = async (): Promise<Activity[]> =>
      (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'web' }))).Activities ?? [];
    const ec2Instance = async (id: string) =>
      (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];
    /** The group's one InService instance other than `not`, once there is one. */
    const replacement = (not: string[], timeoutMs = 120_000) =>
      waitFor(
        `an InService instance other than ${not.join(', ')}`,
        async () => {
          const i = (await group())?.Instances?.find((x) => x.LifecycleState === 'InService' && !not.includes(x.InstanceId as string));
          return i ? { id: i.InstanceId as string, zone: i.AvailabilityZone as string } : undefined;
        },
        timeoutMs,
      );
    const activityFor = async (description: string) => (await activities()).find((a) => a.Description === description);
    const halo = (...args: string[]) => {
      const r = cloud.halo(...args);
      assert.equal(r.status, 0, `halo ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };

    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ timeScale: 60, profile: 'fast', hostsPerZone: 2 });
      asg = new AutoScalingClient(cloud.sdk);
      ec2 = new EC2Client(cloud.sdk);
      Object.assign(ids, twoZoneNetwork(cloud));
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
        '--user-data',
        '#!/bin/sh\necho started > /tmp/marker',
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
        String(GRACE_S),
        '--tags',
        'Key=Name,Value=web,PropagateAtLaunch=true',
      );
    });
    after(async () => {
      if (cloud) await disposeAndCheckHost(cloud);
    });

    it('launches the instance in the first subnet, tagged with the group name and the propagated tags', async () => {
      const first = await replacement([]);
      ids.first = first.id;
      const i = await ec2Instance(first.id);
      assert.equal(i?.State?.Name, 'running');
      assert.equal(i?.SubnetId, ids.subnetA);
      assert.deepEqual(i?.Tags?.map((t) => `${t.Key}=${t.Value}`).sort(), ['Name=web', 'aws:autoscaling:groupName=web']);
      const launch = await activityFor(`Launching a new EC2 instance: ${first.id}`);
      assert.equal(launch?.StatusCode, 'Successful');
      assert.match(
        launch?.Cause ?? '',
        /an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 0 to 1\.$/,
      );
    });

    it('aws ec2 terminate-instances → a replacement InService in one of the group subnets, and the activities say why', async () => {
      cloud.awsOk('ec2', 'terminate-instances', '--instance-ids', ids.first);
      const second = await replacement([ids.first]);
      ids.second = second.id;
      const i = await ec2Instance(second.id);
      assert.ok([ids.subnetA, ids.subnetB].includes(i?.SubnetId as string));
      const terminating = await activityFor(`Terminating EC2 instance: ${ids.first}`);
      assert.match(
        terminating?.Cause ?? '',
        /^At \S+Z an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped\.$/,
      );
      const cli = cloud.awsOk('autoscaling', 'describe-scaling-activities', '--auto-scaling-group-name', 'web').Activities as Array<{
        Description: string;
        Cause: string;
      }>;
      assert.ok(
        cli.some(
          (a) => a.Description === `Launching a new EC2 instance: ${second.id}` && /increasing the capacity from 0 to 1\./.test(a.Cause),
        ),
      );
    });

    it('an impaired instance (host failure) inside the grace period is kept; after it, it is replaced', async () => {
      const victim = ids.second;
      const launch = await activityFor(`Launching a new EC2 instance: ${victim}`);
      const inServiceAt = launch?.EndTime?.getTime() as number;
      halo('fault', 'host-failure', '--instance', victim);
      const impairedSince = await waitFor('the system status check impaired', async () => {
        const s = (await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [victim] }))).InstanceStatuses?.[0];
        return s?.SystemStatus?.Status === 'impaired' ? (s.SystemStatus.Details?.[0]?.ImpairedSince?.getTime() ?? 0) : undefined;
      });
      assert.ok(impairedSince < inServiceAt + GRACE_S * 1000 - 60_000, 'impaired well inside the grace period');
      const third = await replacement([ids.first, victim]);
      ids.third = third.id;
      const terminating = await activityFor(`Terminating EC2 instance: ${victim}`);
      assert.match(terminating?.Cause ?? '', /in response to an EC2 instance status checks failure\.$/);
      assert.ok(
        (terminating?.StartTime?.getTime() as number) >= inServiceAt + GRACE_S * 1000,
        'not replaced before the grace period (counted from InService) had passed',
      );
    });

    it('halo fault az-outage of the instance zone → a replacement in the other zone; the failed launch says why', async () => {
      const current = (await group())?.Instances?.find((x) => x.InstanceId === ids.third);
      const dark = current?.AvailabilityZone as string;
      const other = dark === 'us-east-1a' ? 'us-east-1b' : 'us-east-1a';
      halo('fault', 'az-outage', dark);
      const fourth = await replacement([ids.first, ids.second, ids.third], 180_000);
      assert.equal(fourth.zone, other);
      assert.equal((await ec2Instance(fourth.id))?.SubnetId, other === 'us-east-1a' ? ids.subnetA : ids.subnetB);
      const launch = await activityFor(`Launching a new EC2 instance: ${fourth.id}`);
      assert.ok(launch);
      const failed = (await activities()).filter((a) => a.StatusCode === 'Failed');
      // Both zones are empty after the termination: a launch may have tried the dark zone first, and then says why.
      for (const f of failed)
        assert.match(
          f.StatusMessage ?? '',
          new RegExp(`capacity in the Availability Zone you requested \\(${dark}\\)\\. Launching EC2 instance failed\\.$`),
        );
      if (failed.length)
        assert.match(launch?.Cause ?? '', new RegExp(`The instance was launched in ${other} because a launch in ${dark} failed`));
      halo('fault', 'az-restore', dark);
      ids.fourth = fourth.id;
    });

    it('a daemon killed and started again resumes the group: nothing launched twice, and it still heals', async () => {
      const launchesBefore = (await activities()).filter((a) => a.Description?.startsWith('Launching a new EC2 instance: ')).length;
      await cloud.crash();
      await cloud.restart();
      asg = new AutoScalingClient(cloud.sdk);
      ec2 = new EC2Client(cloud.sdk);
      await waitFor('the instance running again', async () =>
        (await ec2Instance(ids.fourth))?.State?.Name === 'running' ? true : undefined,
      );
      // A few ticks of the new daemon (10 s of AWS time each, 1/6 s of wall time).
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const g = await group();
      assert.deepEqual(
        g?.Instances?.map((i) => [i.InstanceId, i.LifecycleState]),
        [[ids.fourth, 'InService']],
      );
      assert.equal((await activities()).filter((a) => a.Description?.startsWith('Launching a new EC2 instance: ')).length, launchesBefore);
      cloud.awsOk('ec2', 'terminate-instances', '--instance-ids', ids.fourth);
      await replacement([ids.first, ids.second, ids.third, ids.fourth]);
    });
  },
);
