import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribeWarmPoolCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ensureImage } from '../src/runtime/images.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';
import { waitFor } from './support/wait.js';
import { twoZoneNetwork } from './support/autoscaling-network.js';

/**
 * The group features through the aws CLI with real instances (one small group each, min 0): a launch lifecycle
 * hook holding an instance in Pending:Wait until complete-lifecycle-action, a Stopped warm pool whose instance
 * serves a scale-out (no new RunInstances for it), an instance refresh replacing the instance after a launch
 * configuration change, and a target tracking policy on CPU that scales out when the instance burns CPU. Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';
const IMAGE = 'ami-1ecae776';

describe(
  'Auto Scaling hooks, warm pools, refresh and target tracking with real instances',
  { skip: ROOT ? false : 'needs root: instances run in namespaces (CI runs as root)' },
  () => {
    let cloud: TestCloud;
    let asg: AutoScalingClient;
    let ec2: EC2Client;
    const ids: Record<string, string> = {};

    const group = async (name: string) =>
      (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];
    const instanceIn = (name: string, state: string, not: string[] = [], timeoutMs = 120_000) =>
      waitFor(
        `an instance of ${name} in ${state}`,
        async () => {
          const i = (await group(name))?.Instances?.find((x) => x.LifecycleState === state && !not.includes(x.InstanceId as string));
          return i?.InstanceId;
        },
        timeoutMs,
      );
    const ec2State = async (id: string) =>
      (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0]?.State?.Name;
    const makeGroup = (name: string, lc: string, userData = '#!/bin/sh\necho started > /tmp/marker') => {
      cloud.awsOk(
        'autoscaling',
        'create-launch-configuration',
        '--launch-configuration-name',
        lc,
        '--image-id',
        IMAGE,
        '--instance-type',
        't2.micro',
        '--security-groups',
        ids.sg,
        '--user-data',
        userData,
      );
      cloud.awsOk(
        'autoscaling',
        'create-auto-scaling-group',
        '--auto-scaling-group-name',
        name,
        '--launch-configuration-name',
        lc,
        '--min-size',
        '0',
        '--max-size',
        '2',
        '--desired-capacity',
        '0',
        '--vpc-zone-identifier',
        `${ids.subnetA},${ids.subnetB}`,
        '--health-check-grace-period',
        '0',
      );
    };
    const forceDelete = (name: string) =>
      cloud.awsOk('autoscaling', 'delete-auto-scaling-group', '--auto-scaling-group-name', name, '--force-delete');

    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ timeScale: 60, profile: 'fast', hostsPerZone: 2 });
      asg = new AutoScalingClient(cloud.sdk);
      ec2 = new EC2Client(cloud.sdk);
      Object.assign(ids, twoZoneNetwork(cloud));
    });
    after(async () => {
      if (cloud) await disposeAndCheckHost(cloud);
    });

    it('a launch lifecycle hook holds the instance in Pending:Wait until aws autoscaling complete-lifecycle-action', async () => {
      makeGroup('hooked', 'hooked-lc');
      cloud.awsOk(
        'autoscaling',
        'put-lifecycle-hook',
        '--auto-scaling-group-name',
        'hooked',
        '--lifecycle-hook-name',
        'boot',
        '--lifecycle-transition',
        'autoscaling:EC2_INSTANCE_LAUNCHING',
        '--heartbeat-timeout',
        '7200',
        '--default-result',
        'ABANDON',
      );
      cloud.awsOk('autoscaling', 'set-desired-capacity', '--auto-scaling-group-name', 'hooked', '--desired-capacity', '1');
      const id = await instanceIn('hooked', 'Pending:Wait');
      assert.equal(await waitFor('EC2 running', async () => ((await ec2State(id)) === 'running' ? true : undefined)), true);
      const cli = cloud.awsOk('autoscaling', 'describe-auto-scaling-instances', '--instance-ids', id).AutoScalingInstances[0];
      assert.equal(cli.LifecycleState, 'Pending:Wait');
      cloud.awsOk(
        'autoscaling',
        'complete-lifecycle-action',
        '--auto-scaling-group-name',
        'hooked',
        '--lifecycle-hook-name',
        'boot',
        '--lifecycle-action-result',
        'CONTINUE',
        '--instance-id',
        id,
      );
      assert.equal(await instanceIn('hooked', 'InService'), id);
      const again = cloud.aws(
        'autoscaling',
        'complete-lifecycle-action',
        '--auto-scaling-group-name',
        'hooked',
        '--lifecycle-hook-name',
        'boot',
        '--lifecycle-action-result',
        'CONTINUE',
        '--instance-id',
        id,
      );
      assert.notEqual(again.status, 0);
      assert.match(again.stderr, /ValidationError.*No active Lifecycle Action found with instance ID/);
      ids.hooked = id;
    });

    it("an instance refresh replaces the group's instance after a launch configuration change", async () => {
      cloud.awsOk('autoscaling', 'delete-lifecycle-hook', '--auto-scaling-group-name', 'hooked', '--lifecycle-hook-name', 'boot');
      cloud.awsOk(
        'autoscaling',
        'create-launch-configuration',
        '--launch-configuration-name',
        'hooked-lc2',
        '--image-id',
        IMAGE,
        '--instance-type',
        't2.micro',
        '--security-groups',
        ids.sg,
      );
      cloud.awsOk(
        'autoscaling',
        'update-auto-scaling-group',
        '--auto-scaling-group-name',
        'hooked',
        '--launch-configuration-name',
        'hooked-lc2',
      );
      const { InstanceRefreshId } = cloud.awsOk(
        'autoscaling',
        'start-instance-refresh',
        '--auto-scaling-group-name',
        'hooked',
        '--preferences',
        'MinHealthyPercentage=0,InstanceWarmup=0',
      );
      const status = await waitFor(
        'the refresh to end',
        async () => {
          const r = (await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'hooked' }))).InstanceRefreshes?.[0];
          return r && ['Successful', 'Failed', 'Cancelled'].includes(r.Status as string) ? r.Status : undefined;
        },
        180_000,
      );
      assert.equal(status, 'Successful');
      const r = cloud.awsOk('autoscaling', 'describe-instance-refreshes', '--auto-scaling-group-name', 'hooked').InstanceRefreshes[0];
      assert.equal(r.InstanceRefreshId, InstanceRefreshId);
      assert.equal(r.PercentageComplete, 100);
      const g = cloud.awsOk('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', 'hooked').AutoScalingGroups[0];
      assert.equal(g.Instances.length, 1);
      assert.notEqual(g.Instances[0].InstanceId, ids.hooked);
      assert.equal(g.Instances[0].LaunchConfigurationName, 'hooked-lc2');
      forceDelete('hooked');
    });

    it('a Stopped warm pool: its instance is stopped in EC2, and a scale-out starts it rather than launching a new one', async () => {
      makeGroup('warm', 'warm-lc');
      cloud.awsOk(
        'autoscaling',
        'put-warm-pool',
        '--auto-scaling-group-name',
        'warm',
        '--min-size',
        '1',
        '--max-group-prepared-capacity',
        '1',
        '--pool-state',
        'Stopped',
      );
      const warmId = await waitFor(
        'a Warmed:Stopped instance',
        async () => {
          const i = (await asg.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: 'warm' }))).Instances?.find(
            (x) => x.LifecycleState === 'Warmed:Stopped',
          );
          return i?.InstanceId;
        },
        120_000,
      );
      assert.equal(await ec2State(warmId), 'stopped');
      const pool = cloud.awsOk('autoscaling', 'describe-warm-pool', '--auto-scaling-group-name', 'warm');
      assert.equal(pool.WarmPoolConfiguration.PoolState, 'Stopped');
      const described = cloud.awsOk('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', 'warm')
        .AutoScalingGroups[0];
      assert.equal(described.WarmPoolSize, 1);
      cloud.awsOk('autoscaling', 'set-desired-capacity', '--auto-scaling-group-name', 'warm', '--desired-capacity', '1');
      assert.equal(await instanceIn('warm', 'InService'), warmId, 'the warm instance serves the scale-out');
      assert.equal(await ec2State(warmId), 'running');
      const acts = cloud.awsOk('autoscaling', 'describe-scaling-activities', '--auto-scaling-group-name', 'warm').Activities as Array<{
        Description: string;
      }>;
      assert.ok(
        acts.some((a) => a.Description === `Launching a new EC2 instance from warm pool: ${warmId}`),
        acts.map((a) => a.Description).join('\n'),
      );
      assert.ok(!acts.some((a) => a.Description === `Launching a new EC2 instance: ${warmId}`));
      forceDelete('warm');
    });

    // A busy loop keeps one core busy, which reads 50 % on an idle 2-core machine but much less on a shared one: the
    // target is low (5 %), far above what an idle instance uses (about 0 %).
    it('a target tracking policy on CPU scales out when the instance burns CPU', async () => {
      makeGroup('busy', 'busy-lc', '#!/bin/sh\nnohup sh -c "while :; do :; done" >/dev/null 2>&1 &\n');
      cloud.awsOk('autoscaling', 'set-desired-capacity', '--auto-scaling-group-name', 'busy', '--desired-capacity', '1');
      const out = cloud.awsOk(
        'autoscaling',
        'put-scaling-policy',
        '--auto-scaling-group-name',
        'busy',
        '--policy-name',
        'cpu5',
        '--policy-type',
        'TargetTrackingScaling',
        '--target-tracking-configuration',
        JSON.stringify({ PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 5 }),
      );
      assert.equal(out.Alarms.length, 2);
      const high = out.Alarms.find((a: { AlarmName: string }) => a.AlarmName.startsWith('TargetTracking-busy-AlarmHigh-')).AlarmName;
      await instanceIn('busy', 'InService');
      const desired = await waitFor(
        'the group to scale out',
        async () => {
          const d = (await group('busy'))?.DesiredCapacity ?? 0;
          return d >= 2 ? d : undefined;
        },
        180_000,
      ).catch((err: Error) => {
        const now = new Date().toISOString();
        const stats = cloud.aws(
          'cloudwatch',
          'get-metric-statistics',
          '--namespace',
          'AWS/EC2',
          '--metric-name',
          'CPUUtilization',
          '--dimensions',
          'Name=AutoScalingGroupName,Value=busy',
          '--start-time',
          '2000-01-01T00:00:00Z',
          '--end-time',
          '2100-01-01T00:00:00Z',
          '--period',
          '60',
          '--statistics',
          'Average',
        );
        const alarms = cloud.aws('cloudwatch', 'describe-alarms', '--alarm-names', high);
        const history = cloud.aws('cloudwatch', 'describe-alarm-history', '--alarm-name', high);
        throw new Error(
          `${err.message} at ${now}\nstats: ${stats.stdout}\nalarm: ${alarms.stdout}\nhistory: ${history.stdout.slice(0, 3000)}`,
        );
      });
      assert.equal(desired, 2);
      const alarm = cloud.awsOk('cloudwatch', 'describe-alarms', '--alarm-names', high).MetricAlarms[0];
      assert.equal(alarm.StateValue, 'ALARM');
      const acts = cloud.awsOk('autoscaling', 'describe-scaling-activities', '--auto-scaling-group-name', 'busy').Activities as Array<{
        Cause: string;
      }>;
      assert.ok(
        acts.some((a) =>
          a.Cause.includes(` a monitor alarm ${high} in state ALARM triggered policy cpu5 changing the desired capacity from 1 to 2.`),
        ),
        acts.map((a) => a.Cause).join('\n'),
      );
      forceDelete('busy');
    });

    it("create-launch-configuration and create-auto-scaling-group --instance-id derive the configuration (and the group's subnet) from an instance", async () => {
      const userData = '#!/bin/sh\necho cloned > /tmp/marker';
      const source = cloud.awsOk(
        'ec2',
        'run-instances',
        '--image-id',
        IMAGE,
        '--instance-type',
        't2.micro',
        '--subnet-id',
        ids.subnetB,
        '--security-group-ids',
        ids.sg,
        '--user-data',
        userData,
      ).Instances[0].InstanceId as string;
      const lc = () =>
        cloud.awsOk('autoscaling', 'describe-launch-configurations', '--launch-configuration-names', 'from-instance')
          .LaunchConfigurations[0];
      cloud.awsOk(
        'autoscaling',
        'create-launch-configuration',
        '--launch-configuration-name',
        'from-instance',
        '--instance-id',
        source,
        '--instance-type',
        't2.small',
      );
      const made = lc();
      assert.deepEqual(
        [made.ImageId, made.InstanceType, made.SecurityGroups],
        [IMAGE, 't2.small', [ids.sg]],
        "the instance's image and groups; the type given overrides",
      );
      assert.equal(Buffer.from(made.UserData, 'base64').toString(), userData);
      assert.deepEqual(made.BlockDeviceMappings, []);
      assert.match(
        cloud.awsFails(
          'ValidationError',
          'autoscaling',
          'create-launch-configuration',
          '--launch-configuration-name',
          'nothing',
          '--instance-id',
          'i-0123456789abcdef0',
        ),
        /i-0123456789abcdef0/,
      );

      cloud.awsOk(
        'autoscaling',
        'create-auto-scaling-group',
        '--auto-scaling-group-name',
        'cloned',
        '--instance-id',
        source,
        '--min-size',
        '1',
        '--max-size',
        '1',
      );
      const g = await group('cloned');
      assert.equal(g?.LaunchConfigurationName, 'cloned', 'a launch configuration named after the group');
      assert.equal(g?.VPCZoneIdentifier, ids.subnetB, "the instance's subnet");
      const derived = cloud.awsOk('autoscaling', 'describe-launch-configurations', '--launch-configuration-names', 'cloned')
        .LaunchConfigurations[0];
      assert.deepEqual([derived.ImageId, derived.InstanceType], [IMAGE, 't2.micro']);
      const id = await instanceIn('cloned', 'InService');
      assert.notEqual(id, source, 'the instance itself does not join the group');
      const launched = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];
      assert.equal(launched?.SubnetId, ids.subnetB);
      assert.equal(launched?.ImageId, IMAGE);
      forceDelete('cloned');
      cloud.awsOk('ec2', 'terminate-instances', '--instance-ids', source);
    });
  },
);
