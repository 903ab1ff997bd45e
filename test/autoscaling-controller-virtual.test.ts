import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { pruneActivities } from '../src/services/autoscaling/activities.js';
import { controllerOf, TICK_MS, ZONE_RETRY_MS, type GroupController } from '../src/services/autoscaling/controller.js';
import { autoscalingServiceWith } from '../src/services/autoscaling/service.js';
import type { GroupInstance, GroupRecord } from '../src/services/autoscaling/state.js';
import { chooseVictim } from '../src/services/autoscaling/termination.js';
import { ec2Service } from '../src/services/ec2/service.js';
import { snsService } from '../src/services/sns/service.js';
import { Store } from '../src/store/db.js';
import { SimulatedFleet } from './support/autoscaling-fleet.js';
import { snsEndpoint } from './support/sns-endpoint.js';

const REGION = 'us-east-1';
const MINUTE = 60_000;

let clouds: Cloud[] = [];
let dirs: string[] = [];
afterEach(async () => {
  for (const c of clouds) await c.shutdown();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  clouds = [];
  dirs = [];
});

interface Setup {
  cloud: Cloud;
  clock: VirtualClock;
  fleet: SimulatedFleet;
  ctl: GroupController;
  as: (op: string, input: unknown) => Promise<any>;
  subnets: { a: string; b: string };
  /** Advances AWS time tick by tick, letting the controller finish each pass. */
  run: (ms: number) => Promise<void>;
  group: (name: string) => Promise<any>;
  activities: (name: string) => Promise<any[]>;
}

/** A cloud with EC2 (networks only) and Auto Scaling over a simulated fleet, on a virtual clock; a VPC with a subnet in us-east-1a and one in us-east-1b. */
async function setup(file = ':memory:', fleetOf?: (cloud: Cloud) => SimulatedFleet, clock = new VirtualClock()): Promise<Setup> {
  const cloud = new Cloud(new Store(file), clock, timingProfile('instant'), { home: os.tmpdir(), hostsPerZone: 2 });
  cloud.credentials.admin();
  cloud.register(ec2Service);
  cloud.register(snsService);
  const fleet = fleetOf ? fleetOf(cloud) : new SimulatedFleet(cloud);
  cloud.register(autoscalingServiceWith({ fleet, random: () => 0 }));
  clouds.push(cloud);
  const ctl = controllerOf(cloud) as GroupController;
  const as = (op: string, input: unknown) => cloud.invoke<any>('autoscaling', op, input, { region: REGION });
  const ec2 = (op: string, input: unknown) => cloud.invoke<any>('ec2', op, input, { region: REGION });
  let subnets = { a: '', b: '' };
  const existing = (await ec2('DescribeSubnets', { Filters: [{ Name: 'cidr-block', Values: ['10.9.1.0/24', '10.9.2.0/24'] }] }))
    .Subnets as Array<{ SubnetId: string; CidrBlock: string }>;
  if (existing.length === 2) {
    subnets = {
      a: existing.find((s) => s.CidrBlock === '10.9.1.0/24')?.SubnetId as string,
      b: existing.find((s) => s.CidrBlock === '10.9.2.0/24')?.SubnetId as string,
    };
  } else {
    const vpc = (await ec2('CreateVpc', { CidrBlock: '10.9.0.0/16' })).Vpc.VpcId;
    subnets.a = (await ec2('CreateSubnet', { VpcId: vpc, CidrBlock: '10.9.1.0/24', AvailabilityZone: 'us-east-1a' })).Subnet.SubnetId;
    subnets.b = (await ec2('CreateSubnet', { VpcId: vpc, CidrBlock: '10.9.2.0/24', AvailabilityZone: 'us-east-1b' })).Subnet.SubnetId;
  }
  const run = async (ms: number) => {
    for (let left = ms; left > 0; left -= TICK_MS) {
      clock.advance(Math.min(TICK_MS, left));
      await ctl.tick();
    }
  };
  const group = async (name: string) => (await as('DescribeAutoScalingGroups', { AutoScalingGroupNames: [name] })).AutoScalingGroups[0];
  const activities = async (name: string) => (await as('DescribeScalingActivities', { AutoScalingGroupName: name })).Activities;
  return { cloud, clock, fleet, ctl, as, subnets, run, group, activities };
}

async function withGroup(s: Setup, extra: Record<string, unknown> = {}, name = 'web') {
  await s
    .as('CreateLaunchConfiguration', { LaunchConfigurationName: `${name}-lc`, ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.micro' })
    .catch(() => undefined);
  await s.as('CreateAutoScalingGroup', {
    AutoScalingGroupName: name,
    LaunchConfigurationName: `${name}-lc`,
    MinSize: 1,
    MaxSize: 4,
    DesiredCapacity: 1,
    VPCZoneIdentifier: `${s.subnets.a},${s.subnets.b}`,
    ...extra,
  });
  await s.ctl.tick();
}

const inService = (g: any): Array<{ InstanceId: string; AvailabilityZone: string }> =>
  g.Instances.filter((i: any) => i.LifecycleState === 'InService');

describe('Auto Scaling controller on a virtual clock', () => {
  it('launches to desired capacity across zones, first subnet first, tagged; Pending → InService when EC2 says running', async () => {
    const s = await setup();
    await withGroup(s, {
      DesiredCapacity: 3,
      Tags: [
        { Key: 'team', Value: 'blue', PropagateAtLaunch: true },
        { Key: 'private', Value: 'x', PropagateAtLaunch: false },
      ],
    });
    const g = await s.group('web');
    assert.equal(g.Instances.length, 3);
    assert.deepEqual(
      g.Instances.map((i: any) => i.LifecycleState),
      ['Pending', 'Pending', 'Pending'],
    );
    assert.deepEqual(
      g.Instances.map((i: any) => i.AvailabilityZone),
      ['us-east-1a', 'us-east-1b', 'us-east-1a'],
      'balanced, the first subnet first',
    );
    const first = s.fleet.instances.get(g.Instances[0].InstanceId);
    assert.deepEqual(first?.Tags, [
      { Key: 'aws:autoscaling:groupName', Value: 'web' },
      { Key: 'team', Value: 'blue' },
    ]);
    assert.equal(first?.input.SubnetId, s.subnets.a);
    await s.run(30_000);
    assert.equal(inService(await s.group('web')).length, 3);
    const acts = await s.activities('web');
    assert.equal(acts.length, 3);
    for (const a of acts) {
      assert.match(a.Description, /^Launching a new EC2 instance: i-[0-9a-f]{17}$/);
      assert.match(
        a.Cause,
        /^At \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ a user request created an AutoScalingGroup changing the desired capacity from 0 to 3\. {2}At \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 0 to 3\.$/,
      );
      assert.equal(a.StatusCode, 'Successful');
      assert.ok(JSON.parse(a.Details)['Availability Zone']);
    }
    assert.equal(s.fleet.launchCalls, 3, 'nothing launched twice');
    const page1 = await s.as('DescribeScalingActivities', { AutoScalingGroupName: 'web', MaxRecords: 2 });
    assert.equal(page1.Activities.length, 2);
    const page2 = await s.as('DescribeScalingActivities', { AutoScalingGroupName: 'web', MaxRecords: 2, NextToken: page1.NextToken });
    assert.deepEqual(
      [...page1.Activities, ...page2.Activities].map((a: any) => a.ActivityId),
      acts.map((a: any) => a.ActivityId),
    );
    assert.equal(page2.NextToken, undefined);
    await assert.rejects(
      s.as('DescribeScalingActivities', { AutoScalingGroupName: 'web', ActivityIds: [acts[0].ActivityId], NextToken: page1.NextToken }),
      (e: any) => e.code === 'InvalidNextToken',
    );
  });

  it('replaces a terminated instance at once, and an impaired one only after the grace period counted from InService', async () => {
    const s = await setup();
    await withGroup(s, { HealthCheckGracePeriod: 300 });
    await s.run(30_000);
    const [first] = inService(await s.group('web'));
    s.fleet.setState(first.InstanceId, 'terminated');
    await s.run(TICK_MS);
    const acts = await s.activities('web');
    assert.match(acts[1].Description, new RegExp(`^Terminating EC2 instance: ${first.InstanceId}$`));
    assert.match(
      acts[1].Cause,
      /an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped\.$/,
    );
    assert.match(acts[0].Description, /^Launching a new EC2 instance: i-/);
    await s.run(30_000);
    const [second] = inService(await s.group('web'));
    assert.notEqual(second.InstanceId, first.InstanceId);

    s.fleet.impairedIds.add(second.InstanceId);
    await s.run(4 * MINUTE);
    assert.equal((await s.group('web')).Instances.length, 1, 'inside the grace period (300 s from InService): kept');
    assert.equal((await s.group('web')).Instances[0].HealthStatus, 'Healthy');
    await s.run(MINUTE);
    const after = await s.group('web');
    assert.ok(
      after.Instances.some((i: any) => i.InstanceId === second.InstanceId && i.LifecycleState === 'Terminating'),
      'after the grace period: replaced',
    );
    assert.match(
      (await s.activities('web')).find((a: any) => a.Description === `Terminating EC2 instance: ${second.InstanceId}`).Cause,
      /in response to an EC2 instance status checks failure\.$/,
    );
  });

  it('suspended HealthCheck, ReplaceUnhealthy and Launch stop their part until resumed', async () => {
    const s = await setup();
    await withGroup(s);
    await s.run(30_000);
    const [one] = inService(await s.group('web'));
    await s.as('SuspendProcesses', { AutoScalingGroupName: 'web', ScalingProcesses: ['ReplaceUnhealthy'] });
    s.fleet.setState(one.InstanceId, 'stopped');
    await s.run(MINUTE);
    let g = await s.group('web');
    assert.equal(g.Instances[0].HealthStatus, 'Unhealthy', 'HealthCheck still marks it');
    assert.equal(g.Instances[0].LifecycleState, 'InService', 'but ReplaceUnhealthy is suspended');
    assert.deepEqual(
      g.SuspendedProcesses.map((p: any) => p.ProcessName),
      ['ReplaceUnhealthy'],
    );
    assert.match(g.SuspendedProcesses[0].SuspensionReason, /^User suspended at \d{4}-/);
    await s.as('SuspendProcesses', { AutoScalingGroupName: 'web', ScalingProcesses: ['Launch'] });
    await s.as('ResumeProcesses', { AutoScalingGroupName: 'web', ScalingProcesses: ['ReplaceUnhealthy'] });
    await s.run(MINUTE);
    g = await s.group('web');
    assert.equal(g.Instances.length, 0, 'terminated, and Launch is suspended: nothing new');
    assert.equal(s.fleet.launchCalls, 1);
    await s.as('ResumeProcesses', { AutoScalingGroupName: 'web' });
    await s.run(TICK_MS);
    assert.equal((await s.group('web')).Instances.length, 1);

    await s.run(30_000);
    const [two] = inService(await s.group('web'));
    await s.as('SuspendProcesses', { AutoScalingGroupName: 'web', ScalingProcesses: ['HealthCheck'] });
    s.fleet.setState(two.InstanceId, 'stopped');
    await s.run(MINUTE);
    assert.equal((await s.group('web')).Instances[0].HealthStatus, 'Healthy', 'HealthCheck suspended: not even marked');
  });

  it('a dark zone: the launch goes to the other zone and says why; when the zone is back, AZRebalance launches first, then terminates', async () => {
    const s = await setup();
    s.fleet.darkZones.add('us-east-1a');
    await withGroup(s, { MinSize: 2, DesiredCapacity: 2 });
    let g = await s.group('web');
    assert.deepEqual(
      g.Instances.map((i: any) => i.AvailabilityZone),
      ['us-east-1b', 'us-east-1b'],
    );
    const acts = await s.activities('web');
    const failed = acts.filter((a: any) => a.StatusCode === 'Failed');
    assert.equal(failed.length, 1, 'one failed try in the dark zone, then it is left alone for a while');
    assert.match(
      failed[0].StatusMessage,
      /^We currently do not have sufficient t3\.micro capacity in the Availability Zone you requested \(us-east-1a\)\. Launching EC2 instance failed\.$/,
    );
    assert.match(failed[0].Description, /^Launching a new EC2 instance\. {2}Status Reason: We currently do not have sufficient/);
    const launched = acts.filter((a: any) => a.StatusCode !== 'Failed');
    assert.ok(
      launched.every((a: any) => /The instance was launched in us-east-1b because .*us-east-1a/.test(a.Cause)),
      launched.map((a: any) => a.Cause).join('\n'),
    );
    await s.run(30_000);
    assert.equal(inService(await s.group('web')).length, 2);

    s.fleet.darkZones.delete('us-east-1a');
    let sawPending = false;
    for (let n = 0; n < (ZONE_RETRY_MS + 60_000) / TICK_MS; n++) {
      await s.run(TICK_MS);
      g = await s.group('web');
      const newcomer = g.Instances.find((i: any) => i.AvailabilityZone === 'us-east-1a');
      if (newcomer?.LifecycleState === 'Pending') {
        sawPending = true;
        assert.equal(g.Instances.length, 3, 'launch before terminate');
        assert.ok(
          g.Instances.every((i: any) => i.LifecycleState !== 'Terminating'),
          'nothing terminated while the new instance is pending',
        );
      }
    }
    assert.ok(sawPending);
    await s.run(40_000);
    g = await s.group('web');
    const zones = g.Instances.filter((i: any) => i.LifecycleState === 'InService')
      .map((i: any) => i.AvailabilityZone)
      .sort();
    assert.deepEqual(zones, ['us-east-1a', 'us-east-1b']);
    const all = await s.activities('web');
    assert.ok(all.some((a: any) => /an instance was launched to aid in balancing the group's zones\.$/.test(a.Cause)));
    assert.ok(all.some((a: any) => /^Terminating EC2 instance/.test(a.Description) && /balance instances in zones/.test(a.Cause)));
  });

  it('suspended AZRebalance leaves the group unbalanced', async () => {
    const s = await setup();
    s.fleet.darkZones.add('us-east-1a');
    await withGroup(s, { MinSize: 2, DesiredCapacity: 2 });
    await s.run(30_000);
    await s.as('SuspendProcesses', { AutoScalingGroupName: 'web', ScalingProcesses: ['AZRebalance'] });
    s.fleet.darkZones.delete('us-east-1a');
    await s.run(ZONE_RETRY_MS + MINUTE);
    const g = await s.group('web');
    assert.deepEqual(
      g.Instances.map((i: any) => i.AvailabilityZone),
      ['us-east-1b', 'us-east-1b'],
    );
  });

  it('a launch that fails everywhere is a Failed activity, retried with backoff, never spinning', async () => {
    const s = await setup();
    s.fleet.badImage = 'ami-0123456789abcdef0';
    await withGroup(s);
    await s.run(10 * MINUTE);
    const failed = (await s.activities('web')).filter((a: any) => a.StatusCode === 'Failed');
    assert.ok(failed.length >= 4 && failed.length <= 8, `${failed.length} failed launches in 10 minutes (backoff 10 s doubling to 5 min)`);
    assert.equal(failed[0].StatusMessage, "The image id '[ami-0123456789abcdef0]' does not exist. Launching EC2 instance failed.");
    const starts = failed.map((a: any) => new Date(a.StartTime).getTime()).sort((a: number, b: number) => a - b);
    for (let k = 2; k < starts.length; k++) assert.ok(starts[k] - starts[k - 1] >= starts[k - 1] - starts[k - 2], 'gaps grow');
    s.fleet.badImage = undefined;
    await s.run(6 * MINUTE);
    assert.equal((await s.group('web')).Instances.length, 1, 'launches once the image works');
  });

  it('scale-in: zone balance first, then the termination policies; protected instances stay', async () => {
    const s = await setup();
    await withGroup(s, { TerminationPolicies: ['NewestInstance'] });
    for (const d of [2, 3, 4]) {
      await s.run(TICK_MS);
      await s.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: d });
      await s.ctl.tick();
    }
    await s.run(30_000);
    const before = (await s.group('web')).Instances as Array<{ InstanceId: string; AvailabilityZone: string }>;
    assert.deepEqual(
      before.map((i) => i.AvailabilityZone),
      ['us-east-1a', 'us-east-1b', 'us-east-1a', 'us-east-1b'],
    );
    await s.as('SetInstanceProtection', { AutoScalingGroupName: 'web', InstanceIds: [before[3].InstanceId], ProtectedFromScaleIn: true });
    await s.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 3 });
    await s.ctl.tick();
    let g = await s.group('web');
    // us-east-1a and 1b have 2 each; the newest unprotected one is the third (1a); the fourth is protected.
    assert.equal(g.Instances.find((i: any) => i.LifecycleState === 'Terminating')?.InstanceId, before[2].InstanceId);
    assert.match(
      (await s.activities('web'))[0].Cause,
      /a difference between desired and actual capacity, shrinking the capacity from 4 to 3\.$/,
    );
    await s.run(30_000);
    await s.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 2 });
    await s.ctl.tick();
    g = await s.group('web');
    // Now 1a has 1, 1b has 2: the zone with the most goes first, and its protected instance stays.
    assert.equal(g.Instances.find((i: any) => i.LifecycleState === 'Terminating')?.InstanceId, before[1].InstanceId);
  });

  it('termination policies choose as AWS documents them', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    const inst = (id: string, zone: string, launchedMinAgo: number, lc = 'new'): GroupInstance => ({
      InstanceId: id,
      InstanceType: 't3.micro',
      AvailabilityZone: zone,
      LifecycleState: 'InService',
      HealthStatus: 'Healthy',
      LaunchConfigurationName: lc,
      ProtectedFromScaleIn: false,
      LaunchedAt: now - launchedMinAgo * MINUTE,
    });
    const instances = [inst('i-1', 'a', 100, 'old'), inst('i-2', 'a', 50), inst('i-3', 'a', 130), inst('i-4', 'b', 10)];
    const group = (policies: string[]) =>
      ({ LaunchConfigurationName: 'new', TerminationPolicies: policies, Instances: instances }) as unknown as GroupRecord;
    const pick = (policies: string[]) => chooseVictim(group(policies), instances, now, () => 0)?.InstanceId;
    assert.equal(pick(['OldestInstance']), 'i-3', 'zone a first (3 instances), then the oldest');
    assert.equal(pick(['NewestInstance']), 'i-2');
    assert.equal(pick(['OldestLaunchConfiguration']), 'i-1');
    // Default: oldest launch configuration first.
    assert.equal(pick(['Default']), 'i-1');
    // Closest to the next instance hour: i-1 at 100 min (20 left), i-2 at 50 (10 left), i-3 at 130 (50 left).
    assert.equal(pick(['ClosestToNextInstanceHour']), 'i-2');
    assert.equal(pick(['NewestInstance', 'OldestInstance']), 'i-2', 'the first policy decides when it can');
  });

  it('SetDesiredCapacity with HonorCooldown is refused during the cooldown after an activity', async () => {
    const s = await setup();
    await withGroup(s, { DefaultCooldown: 120 });
    await s.run(30_000);
    await assert.rejects(
      s.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 2, HonorCooldown: true }),
      (e: any) =>
        e.code === 'ScalingActivityInProgress' && /^Scaling activity [0-9a-f-]{36} is in progress and blocks this action$/.test(e.message),
    );
    await s.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 2 });
    await s.run(TICK_MS);
    assert.match(
      (await s.activities('web'))[0].Cause,
      /a user request explicitly set group desired capacity changing the desired capacity from 1 to 2\. {2}At .* increasing the capacity from 1 to 2\.$/,
    );
    await s.run(30_000 + 120_000);
    await s.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 1, HonorCooldown: true });
  });

  it('replaces an instance past its MaxInstanceLifetime', async () => {
    const s = await setup();
    await withGroup(s, { MaxInstanceLifetime: 86_400 });
    await s.run(30_000);
    const [one] = inService(await s.group('web'));
    await s.run(24 * 60 * MINUTE);
    const acts = await s.activities('web');
    assert.ok(
      acts.some(
        (a: any) =>
          a.Description === `Terminating EC2 instance: ${one.InstanceId}` && /reached its maximum instance lifetime/.test(a.Cause),
      ),
    );
    assert.equal(inService(await s.group('web')).length, 1);
  });

  it('ForceDelete terminates the instances, then the group is gone', async () => {
    const s = await setup();
    await withGroup(s, { DesiredCapacity: 2 });
    await s.run(30_000);
    await assert.rejects(s.as('DeleteAutoScalingGroup', { AutoScalingGroupName: 'web' }), (e: any) => e.code === 'ResourceInUse');
    await s.as('DeleteAutoScalingGroup', { AutoScalingGroupName: 'web', ForceDelete: true });
    await s.ctl.tick();
    assert.equal((await s.group('web')).Status, 'Delete in progress');
    await s.run(30_000);
    assert.equal(await s.group('web'), undefined);
    assert.equal(s.fleet.live().length, 0);
  });

  it('a restarted daemon resumes: a launch EC2 accepted before the crash is adopted, not made again', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'halo-asg-'));
    dirs.push(dir);
    const file = path.join(dir, 'state.db');
    const clock = new VirtualClock();
    const s1 = await setup(file, undefined, clock);
    s1.fleet.hang = true;
    await s1.as('CreateLaunchConfiguration', {
      LaunchConfigurationName: 'web-lc',
      ImageId: 'ami-0123456789abcdef0',
      InstanceType: 't3.micro',
    });
    await s1.as('CreateAutoScalingGroup', {
      AutoScalingGroupName: 'web',
      LaunchConfigurationName: 'web-lc',
      MinSize: 1,
      MaxSize: 4,
      VPCZoneIdentifier: `${s1.subnets.a},${s1.subnets.b}`,
    });
    void s1.ctl.tick();
    for (let n = 0; n < 100 && s1.fleet.launchCalls === 0; n++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(s1.fleet.launchCalls, 1);
    // The daemon dies while RunInstances is in flight: its controller never hears back (and is never shut down).
    void s1.ctl.stop();
    clouds = clouds.filter((c) => c !== s1.cloud);
    const fleet = s1.fleet;
    fleet.hang = false;
    const s2 = await setup(file, () => fleet, clock);
    await s2.run(TICK_MS);
    let g = await s2.group('web');
    assert.equal(g.Instances.length, 1);
    assert.equal(fleet.launchCalls, 1, 'nothing launched twice');
    await s2.run(30_000);
    g = await s2.group('web');
    assert.equal(g.Instances[0].LifecycleState, 'InService');
    const acts = await s2.activities('web');
    assert.equal(acts.length, 1);
    assert.equal(acts[0].StatusCode, 'Successful');
    // A terminating instance whose TerminateInstances was lost is terminated by the next daemon.
    await s2.as('TerminateInstanceInAutoScalingGroup', { InstanceId: g.Instances[0].InstanceId, ShouldDecrementDesiredCapacity: false });
    await s2.run(30_000 + 40_000);
    assert.equal(inService(await s2.group('web')).length, 1);
    assert.equal(fleet.live().length, 1);
  });

  it('notifications go to SNS: a test notification, then launch and termination in the shape AWS sends', async () => {
    const s = await setup();
    const sns = (op: string, input: unknown) => s.cloud.invoke<any>('sns', op, input, { region: REGION });
    const { TopicArn, bodies, arrived, close } = await snsEndpoint(sns, 'asg');
    try {
      await s.as('CreateLaunchConfiguration', {
        LaunchConfigurationName: 'web-lc',
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: 't3.micro',
      });
      await s.as('CreateAutoScalingGroup', {
        AutoScalingGroupName: 'web',
        LaunchConfigurationName: 'web-lc',
        MinSize: 0,
        MaxSize: 2,
        DesiredCapacity: 0,
        VPCZoneIdentifier: s.subnets.a,
      });
      await s.as('PutNotificationConfiguration', {
        AutoScalingGroupName: 'web',
        TopicARN: TopicArn,
        NotificationTypes: ['autoscaling:EC2_INSTANCE_LAUNCH', 'autoscaling:EC2_INSTANCE_TERMINATE'],
      });
      await arrived(2, true);
      assert.equal(JSON.parse(bodies[1].Message).Event, 'autoscaling:TEST_NOTIFICATION');
      await s.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 1 });
      await s.ctl.tick();
      await s.run(30_000);
      await arrived(3, true);
      assert.equal(bodies[2].Subject, 'Auto Scaling: launch for group "web"');
      const launch = JSON.parse(bodies[2].Message);
      const id = (await s.group('web')).Instances[0].InstanceId;
      assert.equal(launch.Event, 'autoscaling:EC2_INSTANCE_LAUNCH');
      assert.equal(launch.EC2InstanceId, id);
      assert.equal(launch.AutoScalingGroupName, 'web');
      assert.equal(launch.Description, `Launching a new EC2 instance: ${id}`);
      assert.deepEqual(launch.Details, { 'Subnet ID': s.subnets.a, 'Availability Zone': 'us-east-1a' });
      await s.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 0 });
      await s.ctl.tick();
      await s.run(30_000);
      await arrived(4, true);
      assert.equal(bodies[3].Subject, 'Auto Scaling: termination for group "web"');
      assert.equal(JSON.parse(bodies[3].Message).Event, 'autoscaling:EC2_INSTANCE_TERMINATE');
    } finally {
      close();
    }
  });

  it('attach, detach, standby and terminate-in-group move instances and desired capacity as AWS does', async () => {
    const s = await setup();
    await withGroup(s, { MaxSize: 3 });
    // (Zone balance would add its own launches to the counts below.)
    await s.as('SuspendProcesses', { AutoScalingGroupName: 'web', ScalingProcesses: ['AZRebalance'] });
    await s.run(30_000);
    const loose = s.fleet.runLoose('us-east-1b', s.subnets.b);
    await s.as('AttachInstances', { AutoScalingGroupName: 'web', InstanceIds: [loose] });
    await s.run(MINUTE);
    let g = await s.group('web');
    assert.equal(g.DesiredCapacity, 2);
    assert.deepEqual(
      g.Instances.map((i: any) => i.LifecycleState),
      ['InService', 'InService'],
      'the attached instance (without the group tag) is kept',
    );
    assert.equal((await s.activities('web'))[0].Description, `Attaching an existing EC2 instance: ${loose}`);

    const out = await s.as('DetachInstances', { AutoScalingGroupName: 'web', InstanceIds: [loose], ShouldDecrementDesiredCapacity: true });
    assert.equal(out.Activities[0].Description, `Detaching EC2 instance: ${loose}`);
    await s.run(MINUTE);
    g = await s.group('web');
    assert.equal(g.DesiredCapacity, 1);
    assert.equal(g.Instances.length, 1);
    assert.equal(s.fleet.instances.get(loose)?.State, 'running', 'a detached instance keeps running');

    const [member] = inService(g);
    await assert.rejects(
      s.as('TerminateInstanceInAutoScalingGroup', { InstanceId: member.InstanceId, ShouldDecrementDesiredCapacity: true }),
      (e: any) =>
        e.code === 'ValidationError' &&
        /Currently, desiredSize equals minSize \(1\)\. Terminating instance without replacement will violate group's min size constraint\./.test(
          e.message,
        ),
    );
    await assert.rejects(
      s.as('EnterStandby', { AutoScalingGroupName: 'web', InstanceIds: [member.InstanceId], ShouldDecrementDesiredCapacity: true }),
      (e: any) =>
        e.code === 'ValidationError' && /has min-size=1, max-size=3, and desired-size=1\. To move to standby 1 instance/.test(e.message),
    );
    await s.as('EnterStandby', { AutoScalingGroupName: 'web', InstanceIds: [member.InstanceId], ShouldDecrementDesiredCapacity: false });
    await s.run(MINUTE);
    g = await s.group('web');
    assert.deepEqual(
      g.Instances.map((i: any) => i.LifecycleState).sort(),
      ['InService', 'Standby'],
      'a replacement for the instance on standby',
    );
    await s.as('ExitStandby', { AutoScalingGroupName: 'web', InstanceIds: [member.InstanceId] });
    await s.run(TICK_MS);
    g = await s.group('web');
    assert.equal(g.DesiredCapacity, 2);
    assert.deepEqual(
      g.Instances.map((i: any) => i.LifecycleState),
      ['InService', 'InService'],
    );
    const auto = await s.as('DescribeAutoScalingInstances', { InstanceIds: [member.InstanceId] });
    assert.equal(auto.AutoScalingInstances[0].HealthStatus, 'HEALTHY');
    assert.equal(auto.AutoScalingInstances[0].AutoScalingGroupName, 'web');

    const term = await s.as('TerminateInstanceInAutoScalingGroup', { InstanceId: member.InstanceId, ShouldDecrementDesiredCapacity: true });
    assert.equal(term.Activity.Description, `Terminating EC2 instance: ${member.InstanceId}`);
    assert.match(
      term.Activity.Cause,
      new RegExp(
        `instance ${member.InstanceId} was taken out of service in response to a user request, shrinking the capacity from 2 to 1\\.$`,
      ),
    );
    await s.run(MINUTE);
    g = await s.group('web');
    assert.equal(g.DesiredCapacity, 1);
    assert.equal(g.Instances.length, 1);
    assert.equal(s.fleet.launchCalls, 2, 'no replacement after a decrementing termination');

    await s.as('SetInstanceHealth', { InstanceId: g.Instances[0].InstanceId, HealthStatus: 'Unhealthy' });
    await s.run(TICK_MS);
    assert.match(
      (await s.activities('web')).find((a: any) => a.Description === `Terminating EC2 instance: ${g.Instances[0].InstanceId}`).Cause,
      /in response to a user health-check\.$/,
    );
  });

  it('an instance that dies before InService is replaced and leaves no activity in progress behind', async () => {
    const s = await setup();
    await withGroup(s, { MinSize: 0 });
    const [pending] = (await s.group('web')).Instances;
    s.fleet.setState(pending.InstanceId, 'terminated');
    await s.run(MINUTE);
    const acts = await s.activities('web');
    assert.deepEqual(
      acts.map((a: any) => a.StatusCode),
      ['Successful', 'Successful', 'Successful'],
    );
    assert.equal(inService(await s.group('web')).length, 1);
    await s.as('UpdateAutoScalingGroup', { AutoScalingGroupName: 'web', DesiredCapacity: 0 });
    await s.ctl.tick();
    await assert.rejects(
      s.as('DeleteAutoScalingGroup', { AutoScalingGroupName: 'web' }),
      (e: any) => e.code === 'ScalingActivityInProgress',
    );
    await s.run(MINUTE);
    await s.as('DeleteAutoScalingGroup', { AutoScalingGroupName: 'web' });
    await assert.rejects(s.as('DescribeScalingActivities', { AutoScalingGroupName: 'web' }), (e: any) => e.code === 'ValidationError');
  });

  it('a group with a launch template launches through RunInstances --launch-template in the chosen subnet', async () => {
    const s = await setup();
    // EC2's launch templates (when this cloud's EC2 serves them) must know the template the group names.
    await s.cloud
      .invoke(
        'ec2',
        'CreateLaunchTemplate',
        { LaunchTemplateName: 'web-lt', LaunchTemplateData: { ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.micro' } },
        { region: REGION },
      )
      .catch((err: { code?: string }) => {
        if (err.code !== 'InvalidAction') throw err;
      });
    await s.as('CreateAutoScalingGroup', {
      AutoScalingGroupName: 'lt',
      LaunchTemplate: { LaunchTemplateName: 'web-lt', Version: '$Latest' },
      MinSize: 2,
      MaxSize: 2,
      VPCZoneIdentifier: `${s.subnets.b},${s.subnets.a}`,
    });
    await s.ctl.tick();
    const g = await s.group('lt');
    assert.deepEqual(g.LaunchTemplate, { LaunchTemplateName: 'web-lt', Version: '$Latest' });
    assert.deepEqual(
      g.Instances.map((i: any) => i.AvailabilityZone),
      ['us-east-1b', 'us-east-1a'],
    );
    assert.deepEqual(g.Instances[0].LaunchTemplate, { LaunchTemplateName: 'web-lt', Version: '$Latest' });
    const input = s.fleet.instances.get(g.Instances[0].InstanceId)?.input as Record<string, any>;
    assert.deepEqual(input.LaunchTemplate, { LaunchTemplateId: undefined, LaunchTemplateName: 'web-lt', Version: '$Latest' });
    assert.equal(input.SubnetId, s.subnets.b);
    assert.equal(input.MinCount, 1);
    assert.equal(input.MaxCount, 1);
    assert.equal(input.ImageId, undefined, 'the image comes from the template');
  });

  it('keeps activities six weeks', async () => {
    const s = await setup();
    await withGroup(s);
    const now = s.clock.now();
    pruneActivities(s.cloud, now + 41 * 24 * 3_600_000);
    assert.equal((await s.activities('web')).length, 1);
    pruneActivities(s.cloud, now + 43 * 24 * 3_600_000);
    assert.equal((await s.activities('web')).length, 0);
  });
});
