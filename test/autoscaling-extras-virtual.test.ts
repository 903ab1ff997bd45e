import assert from 'node:assert/strict';
import os from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { controllerOf, TICK_MS, type GroupController } from '../src/services/autoscaling/controller.js';
import { nextRun, parseCron } from '../src/services/autoscaling/recurrence.js';
import { adjusted, invalidSteps, percentChange, stepFor, trackingCapacity } from '../src/services/autoscaling/scaling-math.js';
import { autoscalingServiceWith } from '../src/services/autoscaling/service.js';
import { actionsSettled } from '../src/services/cloudwatch/alarm-state.js';
import { cloudwatchService, publishMetric } from '../src/services/cloudwatch/service.js';
import { ec2Service } from '../src/services/ec2/service.js';
import { snsService } from '../src/services/sns/service.js';
import { Store } from '../src/store/db.js';
import { PoweredFleet } from './support/autoscaling-power-fleet.js';
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

/** A cloud with EC2 (networks only), CloudWatch, SNS and Auto Scaling over a fleet with stop/start, on a virtual clock. */
async function setup(file = ':memory:', fleetOf?: (cloud: Cloud) => PoweredFleet, clock = new VirtualClock()) {
  const cloud = new Cloud(new Store(file), clock, timingProfile('instant'), { home: os.tmpdir(), hostsPerZone: 2 });
  cloud.credentials.admin();
  cloud.register(ec2Service);
  cloud.register(cloudwatchService);
  cloud.register(snsService);
  const fleet = fleetOf ? fleetOf(cloud) : new PoweredFleet(cloud);
  cloud.register(autoscalingServiceWith({ fleet, random: () => 0 }));
  clouds.push(cloud);
  const ctl = controllerOf(cloud) as GroupController;
  const as = (op: string, input: unknown) => cloud.invoke<any>('autoscaling', op, input, { region: REGION });
  const ec2 = (op: string, input: unknown) => cloud.invoke<any>('ec2', op, input, { region: REGION });
  const vpc = (await ec2('CreateVpc', { CidrBlock: '10.9.0.0/16' })).Vpc.VpcId;
  const a = (await ec2('CreateSubnet', { VpcId: vpc, CidrBlock: '10.9.1.0/24', AvailabilityZone: 'us-east-1a' })).Subnet.SubnetId;
  const b = (await ec2('CreateSubnet', { VpcId: vpc, CidrBlock: '10.9.2.0/24', AvailabilityZone: 'us-east-1b' })).Subnet.SubnetId;
  const run = async (ms: number) => {
    for (let left = ms; left > 0; left -= TICK_MS) {
      clock.advance(Math.min(TICK_MS, left));
      await ctl.tick();
      await actionsSettled(cloud);
    }
  };
  const group = async (name = 'web') => (await as('DescribeAutoScalingGroups', { AutoScalingGroupNames: [name] })).AutoScalingGroups[0];
  const states = async (name = 'web') =>
    ((await group(name)).Instances as Array<{ LifecycleState: string }>).map((i) => i.LifecycleState).sort();
  const withGroup = async (extra: Record<string, unknown> = {}, name = 'web') => {
    await as('CreateLaunchConfiguration', {
      LaunchConfigurationName: `${name}-lc`,
      ImageId: 'ami-0123456789abcdef0',
      InstanceType: 't3.micro',
    }).catch(() => undefined);
    await as('CreateAutoScalingGroup', {
      AutoScalingGroupName: name,
      LaunchConfigurationName: `${name}-lc`,
      MinSize: 1,
      MaxSize: 4,
      DesiredCapacity: 1,
      VPCZoneIdentifier: `${a},${b}`,
      ...extra,
    });
    await ctl.tick();
  };
  return { cloud, clock, fleet, ctl, as, run, group, states, withGroup };
}

const expectError = async (p: Promise<unknown>, code: string, text?: RegExp) => {
  await assert.rejects(p, (err: any) => {
    assert.equal(err.code, code);
    if (text) assert.match(err.message, text);
    return true;
  });
};

/** PutLifecycleHook on the group `web`. */
const putHook = (t: Awaited<ReturnType<typeof setup>>, name: string, transition: 'LAUNCHING' | 'TERMINATING', extra = {}) =>
  t.as('PutLifecycleHook', {
    AutoScalingGroupName: 'web',
    LifecycleHookName: name,
    LifecycleTransition: `autoscaling:EC2_INSTANCE_${transition}`,
    ...extra,
  });

describe('lifecycle hooks on the virtual clock', () => {
  it('a launch hook holds the instance in Pending:Wait until CompleteLifecycleAction (by instance id) CONTINUEs it', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 0, MinSize: 0 });
    await t.as('PutLifecycleHook', {
      AutoScalingGroupName: 'web',
      LifecycleHookName: 'boot',
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
    });
    const [hook] = (await t.as('DescribeLifecycleHooks', { AutoScalingGroupName: 'web' })).LifecycleHooks;
    assert.equal(hook.HeartbeatTimeout, 3600);
    assert.equal(hook.GlobalTimeout, 172_800);
    assert.equal(hook.DefaultResult, 'ABANDON');
    await t.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 1 });
    await t.run(MINUTE);
    assert.deepEqual(await t.states(), ['Pending:Wait']);
    const [activity] = (await t.as('DescribeScalingActivities', { AutoScalingGroupName: 'web' })).Activities;
    assert.equal(activity.StatusCode, 'MidLifecycleAction');
    await t.run(30 * MINUTE);
    assert.deepEqual(await t.states(), ['Pending:Wait'], 'still waiting within the heartbeat timeout');
    const id = (await t.group()).Instances[0].InstanceId;
    await expectError(
      t.as('CompleteLifecycleAction', {
        AutoScalingGroupName: 'web',
        LifecycleHookName: 'boot',
        LifecycleActionResult: 'CONTINUE',
        InstanceId: 'i-00000000000000099',
      }),
      'ValidationError',
      /No active Lifecycle Action found with instance ID i-00000000000000099/,
    );
    await t.as('CompleteLifecycleAction', {
      AutoScalingGroupName: 'web',
      LifecycleHookName: 'boot',
      LifecycleActionResult: 'CONTINUE',
      InstanceId: id,
    });
    await t.run(TICK_MS);
    assert.deepEqual(await t.states(), ['InService']);
    const [done] = (await t.as('DescribeScalingActivities', { AutoScalingGroupName: 'web' })).Activities;
    assert.equal(done.StatusCode, 'Successful');
    await expectError(
      t.as('RecordLifecycleActionHeartbeat', { AutoScalingGroupName: 'web', LifecycleHookName: 'boot', InstanceId: id }),
      'ValidationError',
    );
  });

  it('a launch hook holds the instance from its launch, before EC2 says running: user data that completes the action as it boots finds it', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 0, MinSize: 0 });
    await putHook(t, 'boot', 'LAUNCHING');
    await t.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 1 });
    await t.ctl.tick();
    const [i] = (await t.group()).Instances;
    assert.equal(t.fleet.instances.get(i.InstanceId)?.State, 'pending');
    assert.equal(i.LifecycleState, 'Pending:Wait');
    await t.as('CompleteLifecycleAction', {
      AutoScalingGroupName: 'web',
      LifecycleHookName: 'boot',
      LifecycleActionResult: 'CONTINUE',
      InstanceId: i.InstanceId,
    });
    assert.deepEqual(await t.states(), ['Pending:Proceed'], 'in service only once it runs');
    await t.run(MINUTE);
    assert.deepEqual(await t.states(), ['InService']);
  });

  it('LifecycleHookSpecificationList makes the hooks with the group, so its first instance waits in them; an invalid one makes no group', async () => {
    const t = await setup();
    await t.withGroup({
      LifecycleHookSpecificationList: [
        {
          LifecycleHookName: 'ready',
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
          HeartbeatTimeout: 900,
          DefaultResult: 'ABANDON',
        },
      ],
    });
    const hooks = (await t.as('DescribeLifecycleHooks', { AutoScalingGroupName: 'web' })).LifecycleHooks;
    assert.deepEqual(
      hooks.map((h: any) => [h.LifecycleHookName, h.HeartbeatTimeout, h.DefaultResult]),
      [['ready', 900, 'ABANDON']],
    );
    await t.run(MINUTE);
    assert.deepEqual(await t.states(), ['Pending:Wait']);
    await expectError(
      t.withGroup(
        { LifecycleHookSpecificationList: [{ LifecycleHookName: 'x', LifecycleTransition: 'autoscaling:EC2_INSTANCE_REBOOTING' }] },
        'bad',
      ),
      'ValidationError',
    );
    assert.deepEqual((await t.as('DescribeAutoScalingGroups', { AutoScalingGroupNames: ['bad'] })).AutoScalingGroups, []);
  });

  it('the heartbeat timeout applies DefaultResult ABANDON: the instance is terminated and another launched; a heartbeat pushes the timeout back', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 0, MinSize: 0 });
    await t.as('PutLifecycleHook', {
      AutoScalingGroupName: 'web',
      LifecycleHookName: 'boot',
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      HeartbeatTimeout: 300,
    });
    await t.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 1 });
    await t.run(30_000);
    const first = (await t.group()).Instances[0].InstanceId;
    assert.deepEqual(await t.states(), ['Pending:Wait']);
    await t.run(4 * MINUTE);
    await t.as('RecordLifecycleActionHeartbeat', { AutoScalingGroupName: 'web', LifecycleHookName: 'boot', InstanceId: first });
    await t.run(4 * MINUTE);
    assert.equal((await t.group()).Instances[0].LifecycleState, 'Pending:Wait', '8 minutes in, but 4 since the heartbeat');
    await t.run(2 * MINUTE);
    const ids = (await t.group()).Instances.map((i: any) => `${i.InstanceId}:${i.LifecycleState}`);
    assert.ok(
      ids.some((x: string) => x.startsWith(`${first}:Terminating`)) || !ids.some((x: string) => x.startsWith(first)),
      `abandoned: ${ids.join(' ')}`,
    );
    assert.ok(
      ids.some((x: string) => !x.startsWith(first)),
      `a replacement is launched: ${ids.join(' ')}`,
    );
    const acts = (await t.as('DescribeScalingActivities', { AutoScalingGroupName: 'web' })).Activities;
    const cancelled = acts.find((x: any) => x.Description === `Launching a new EC2 instance: ${first}`);
    assert.equal(cancelled.StatusCode, 'Cancelled');
    assert.match(cancelled.StatusMessage, /was abandoned: Heartbeat Timeout/);
    assert.equal(t.fleet.instances.get(first)?.State === 'running', false);
  });

  it('DefaultResult CONTINUE lets the instance in after the timeout; a termination hook holds Terminating:Wait before TerminateInstances', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 0, MinSize: 0 });
    await t.as('PutLifecycleHook', {
      AutoScalingGroupName: 'web',
      LifecycleHookName: 'boot',
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      HeartbeatTimeout: 60,
      DefaultResult: 'CONTINUE',
    });
    await t.as('PutLifecycleHook', {
      AutoScalingGroupName: 'web',
      LifecycleHookName: 'drain',
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      HeartbeatTimeout: 600,
    });
    await t.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 1 });
    await t.run(3 * MINUTE);
    assert.deepEqual(await t.states(), ['InService']);
    const id = (await t.group()).Instances[0].InstanceId;
    await t.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 0 });
    await t.run(5 * MINUTE);
    assert.deepEqual(await t.states(), ['Terminating:Wait']);
    assert.equal(t.fleet.instances.get(id)?.State, 'running', 'not terminated in EC2 while it waits');
    const [action] = (await t.as('DescribeLifecycleHooks', { AutoScalingGroupName: 'web', LifecycleHookNames: ['drain'] })).LifecycleHooks;
    assert.equal(action.LifecycleTransition, 'autoscaling:EC2_INSTANCE_TERMINATING');
    // ABANDON on termination still terminates.
    await t.as('CompleteLifecycleAction', {
      AutoScalingGroupName: 'web',
      LifecycleHookName: 'drain',
      LifecycleActionResult: 'ABANDON',
      InstanceId: id,
    });
    await t.run(MINUTE);
    assert.deepEqual(await t.states(), []);
    assert.equal(t.fleet.instances.get(id)?.State, 'terminated');
  });

  it("notifies the hook's SNS topic: a test notification at PutLifecycleHook, then the lifecycle action with its token, which completes it", async () => {
    const t = await setup();
    const sns = (op: string, input: unknown) => t.cloud.invoke<any>('sns', op, input, { region: REGION });
    const { TopicArn, bodies, arrived, close } = await snsEndpoint(sns, 'hooks');
    try {
      await t.withGroup({ DesiredCapacity: 0, MinSize: 0 });
      await t.as('PutLifecycleHook', {
        AutoScalingGroupName: 'web',
        LifecycleHookName: 'boot',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
        NotificationTargetARN: TopicArn,
        RoleARN: `arn:aws:iam::${t.cloud.accountId}:role/hooks`,
        NotificationMetadata: 'hello',
      });
      await arrived(2);
      const test = JSON.parse(bodies[1].Message);
      assert.equal(test.Event, 'autoscaling:TEST_NOTIFICATION');
      assert.equal(test.AutoScalingGroupName, 'web');
      await t.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 1 });
      await t.run(MINUTE);
      await arrived(3);
      const id = (await t.group()).Instances[0].InstanceId;
      assert.equal(bodies[2].Subject, `Auto Scaling:  Lifecycle action 'LAUNCHING' for instance ${id} in progress.`);
      const m = JSON.parse(bodies[2].Message);
      assert.deepEqual(
        [
          m.Origin,
          m.Destination,
          m.Service,
          m.LifecycleTransition,
          m.EC2InstanceId,
          m.LifecycleHookName,
          m.AutoScalingGroupName,
          m.NotificationMetadata,
          m.AccountId,
        ],
        [
          'EC2',
          'AutoScalingGroup',
          'AWS Auto Scaling',
          'autoscaling:EC2_INSTANCE_LAUNCHING',
          id,
          'boot',
          'web',
          'hello',
          t.cloud.accountId,
        ],
      );
      assert.match(m.LifecycleActionToken, /^[0-9a-f-]{36}$/);
      await expectError(
        t.as('CompleteLifecycleAction', {
          AutoScalingGroupName: 'web',
          LifecycleHookName: 'boot',
          LifecycleActionResult: 'CONTINUE',
          LifecycleActionToken: '00000000-0000-0000-0000-000000000000',
        }),
        'ValidationError',
        /No active Lifecycle Action found with token/,
      );
      await t.as('CompleteLifecycleAction', {
        AutoScalingGroupName: 'web',
        LifecycleHookName: 'boot',
        LifecycleActionResult: 'CONTINUE',
        LifecycleActionToken: m.LifecycleActionToken,
      });
      await t.run(TICK_MS);
      assert.deepEqual(await t.states(), ['InService']);
    } finally {
      close();
    }
  });

  it('validates hooks as AWS does', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 0, MinSize: 0 });
    await expectError(
      t.as('PutLifecycleHook', {
        AutoScalingGroupName: 'web',
        LifecycleHookName: 'x',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
        HeartbeatTimeout: 10,
      }),
      'ValidationError',
      /30 and 7200/,
    );
    await expectError(
      t.as('PutLifecycleHook', {
        AutoScalingGroupName: 'web',
        LifecycleHookName: 'x',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_REBOOTING',
      }),
      'ValidationError',
    );
    await expectError(
      t.as('PutLifecycleHook', {
        AutoScalingGroupName: 'nope',
        LifecycleHookName: 'x',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      }),
      'ValidationError',
      /AutoScalingGroup name not found/,
    );
    await expectError(
      t.as('DeleteLifecycleHook', { AutoScalingGroupName: 'web', LifecycleHookName: 'x' }),
      'ValidationError',
      /No Lifecycle Hook found with name x/,
    );
  });
});

describe('warm pools on the virtual clock', () => {
  it('warm instances are launched then stopped (Warmed:Stopped); a scale-out starts one instead of launching; the pool refills', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 1, MaxSize: 3 });
    await t.run(MINUTE);
    await t.as('PutWarmPool', { AutoScalingGroupName: 'web', MinSize: 1, MaxGroupPreparedCapacity: 2 });
    await t.run(2 * MINUTE);
    const pool = await t.as('DescribeWarmPool', { AutoScalingGroupName: 'web' });
    assert.equal(pool.WarmPoolConfiguration.PoolState, 'Stopped');
    assert.deepEqual(
      pool.Instances.map((i: any) => i.LifecycleState),
      ['Warmed:Stopped'],
    );
    const warmId = pool.Instances[0].InstanceId;
    assert.equal(t.fleet.instances.get(warmId)?.State, 'stopped');
    const g = await t.group();
    assert.equal(g.WarmPoolSize, 1);
    assert.equal(g.WarmPoolConfiguration.MinSize, 1);
    const launchesBefore = t.fleet.launchCalls;
    await t.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 2 });
    await t.ctl.tick();
    assert.equal(t.fleet.calls.start, 1);
    assert.ok(
      (await t.group()).Instances.some((i: any) => i.InstanceId === warmId),
      'the warm instance joined the group',
    );
    await t.run(MINUTE);
    const after = await t.group();
    assert.equal(after.Instances.find((i: any) => i.InstanceId === warmId).LifecycleState, 'InService');
    // The pool keeps MinSize 1: one new instance launched into it (not into the group).
    assert.equal(t.fleet.launchCalls, launchesBefore + 1);
    const acts = (await t.as('DescribeScalingActivities', { AutoScalingGroupName: 'web' })).Activities.map((a: any) => a.Description);
    assert.ok(acts.includes(`Launching a new EC2 instance from warm pool: ${warmId}`), acts.join('\n'));
    await t.run(2 * MINUTE);
    assert.deepEqual(
      (await t.as('DescribeWarmPool', { AutoScalingGroupName: 'web' })).Instances.map((i: any) => i.LifecycleState),
      ['Warmed:Stopped'],
    );
  });

  it('a launch hook holds a warm instance in Warmed:Pending:Wait (running) until CONTINUE, then again in Pending:Wait as it leaves the pool; ABANDON terminates it and the pool launches another', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 1, MaxSize: 2 });
    await t.run(MINUTE);
    await putHook(t, 'boot', 'LAUNCHING', { HeartbeatTimeout: 600 });
    await t.as('PutWarmPool', { AutoScalingGroupName: 'web', MinSize: 1, MaxGroupPreparedCapacity: 2 });
    const pool = async () => (await t.as('DescribeWarmPool', { AutoScalingGroupName: 'web' })).Instances as any[];
    const activity = async (description: string) =>
      (await t.as('DescribeScalingActivities', { AutoScalingGroupName: 'web' })).Activities.find((a: any) => a.Description === description);
    const complete = (id: string, result: string) =>
      t.as('CompleteLifecycleAction', {
        AutoScalingGroupName: 'web',
        LifecycleHookName: 'boot',
        LifecycleActionResult: result,
        InstanceId: id,
      });
    await t.ctl.tick();
    // Held from its launch on, before it runs: its user data finds the action to complete as soon as it starts.
    let warm = await pool();
    assert.deepEqual(
      warm.map((i) => i.LifecycleState),
      ['Warmed:Pending:Wait'],
    );
    const warmId = warm[0].InstanceId;
    await t.run(5 * MINUTE);
    assert.deepEqual(
      (await pool()).map((i) => i.LifecycleState),
      ['Warmed:Pending:Wait'],
    );
    assert.equal(t.fleet.instances.get(warmId)?.State, 'running', 'not stopped while it prepares');
    assert.equal(t.fleet.calls.stop, 0);
    assert.equal((await activity(`Launching a new EC2 instance into warm pool: ${warmId}`)).StatusCode, 'MidLifecycleAction');
    await complete(warmId, 'CONTINUE');
    await t.run(MINUTE);
    assert.deepEqual(
      (await pool()).map((i) => i.LifecycleState),
      ['Warmed:Stopped'],
    );
    assert.equal(t.fleet.instances.get(warmId)?.State, 'stopped');
    assert.equal((await activity(`Launching a new EC2 instance into warm pool: ${warmId}`)).StatusCode, 'Successful');

    // Out of the pool into the group: the launch hook holds it once more, in Pending:Wait.
    await t.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 2 });
    await t.run(MINUTE);
    const member = () => t.group().then((g) => g.Instances.find((i: any) => i.InstanceId === warmId));
    assert.equal((await member()).LifecycleState, 'Pending:Wait');
    await complete(warmId, 'CONTINUE');
    await t.run(TICK_MS);
    assert.equal((await member()).LifecycleState, 'InService');

    // The pool refills (MinSize 1); its new instance is held too, and ABANDON terminates it: another takes its place.
    warm = await pool();
    assert.deepEqual(
      warm.map((i) => i.LifecycleState),
      ['Warmed:Pending:Wait'],
    );
    const abandoned = warm[0].InstanceId;
    await complete(abandoned, 'ABANDON');
    await t.run(2 * MINUTE);
    assert.equal(t.fleet.instances.get(abandoned)?.State, 'terminated');
    const cancelled = await activity(`Launching a new EC2 instance into warm pool: ${abandoned}`);
    assert.equal(cancelled.StatusCode, 'Cancelled');
    assert.match(cancelled.StatusMessage, /was abandoned: Lifecycle Action Completed with ABANDON Result/);
    warm = await pool();
    assert.equal(warm.length, 1);
    assert.notEqual(warm[0].InstanceId, abandoned);
    assert.equal(warm[0].LifecycleState, 'Warmed:Pending:Wait');
  });

  it('ReuseOnScaleIn with a termination hook: the instance back in the pool waits in Warmed:Pending:Wait, running, until its action ends', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 2, MaxSize: 2 });
    await t.run(MINUTE);
    await putHook(t, 'drain', 'TERMINATING', { HeartbeatTimeout: 300, DefaultResult: 'CONTINUE' });
    await t.as('PutWarmPool', { AutoScalingGroupName: 'web', MinSize: 0, InstanceReusePolicy: { ReuseOnScaleIn: true } });
    await t.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 1 });
    await t.run(MINUTE);
    let pool = (await t.as('DescribeWarmPool', { AutoScalingGroupName: 'web' })).Instances;
    assert.deepEqual(
      pool.map((i: any) => i.LifecycleState),
      ['Warmed:Pending:Wait'],
    );
    assert.equal(t.fleet.instances.get(pool[0].InstanceId)?.State, 'running');
    // Its heartbeat timeout passes: DefaultResult CONTINUE, and it is stopped into the pool.
    await t.run(6 * MINUTE);
    pool = (await t.as('DescribeWarmPool', { AutoScalingGroupName: 'web' })).Instances;
    assert.deepEqual(
      pool.map((i: any) => i.LifecycleState),
      ['Warmed:Stopped'],
    );
    assert.equal(t.fleet.instances.get(pool[0].InstanceId)?.State, 'stopped');
  });

  it("a dark zone: the pool's launch goes to another zone, once; with every zone dark its launches back off instead of retrying at every pass", async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 1, MaxSize: 3 });
    await t.run(MINUTE);
    const warmFailures = async () =>
      (await t.as('DescribeScalingActivities', { AutoScalingGroupName: 'web' })).Activities.filter((a: any) =>
        a.Description.startsWith('Launching a new EC2 instance into warm pool.  Status Reason'),
      );
    // The pool's first zone (the one without the group's instance) is dark: it is tried once, then the other one.
    const groupZone = (await t.group()).Instances[0].AvailabilityZone;
    const dark = groupZone === 'us-east-1a' ? 'us-east-1b' : 'us-east-1a';
    t.fleet.darkZones.add(dark);
    await t.as('PutWarmPool', { AutoScalingGroupName: 'web', MinSize: 1, MaxGroupPreparedCapacity: 2 });
    await t.run(2 * MINUTE);
    const pool = (await t.as('DescribeWarmPool', { AutoScalingGroupName: 'web' })).Instances;
    assert.deepEqual(
      pool.map((i: any) => [i.AvailabilityZone, i.LifecycleState]),
      [[groupZone, 'Warmed:Stopped']],
    );
    assert.equal((await warmFailures()).length, 1, 'one failed try in the dark zone, then it is left alone');

    // Every zone dark: a few tries over ten minutes (10 s, 20 s, 40 s... apart), not one per pass.
    t.fleet.darkZones.add(groupZone);
    await t.as('PutWarmPool', { AutoScalingGroupName: 'web', MinSize: 2, MaxGroupPreparedCapacity: 3 });
    const before = t.fleet.launchCalls;
    for (let i = 0; i < 60; i++) {
      await t.ctl.tick();
      await t.run(TICK_MS);
    }
    const tries = t.fleet.launchCalls - before;
    assert.ok(tries >= 4 && tries <= 12, `${tries} launch tries in 10 minutes`);
    t.fleet.darkZones.clear();
    await t.run(10 * MINUTE);
    assert.equal(
      (await t.as('DescribeWarmPool', { AutoScalingGroupName: 'web' })).Instances.length,
      2,
      'the pool fills once a zone is back',
    );
  });

  it('a daemon restarted while a warm launch is in flight adopts that instance into the pool rather than launching again', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'halo-asg-warm-'));
    dirs.push(dir);
    const file = path.join(dir, 'state.db');
    const clock = new VirtualClock();
    const s1 = await setup(file, undefined, clock);
    await s1.withGroup({ DesiredCapacity: 1, MaxSize: 2 });
    await s1.run(MINUTE);
    assert.equal(s1.fleet.launchCalls, 1);
    s1.fleet.hang = true;
    await s1.as('PutWarmPool', { AutoScalingGroupName: 'web', MinSize: 1 });
    void s1.ctl.tick();
    for (let n = 0; n < 100 && s1.fleet.launchCalls < 2; n++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(s1.fleet.launchCalls, 2);
    // The daemon dies while RunInstances is in flight.
    void s1.ctl.stop();
    clouds = clouds.filter((c) => c !== s1.cloud);
    const fleet = s1.fleet;
    fleet.hang = false;
    const s2 = await setup(file, () => fleet, clock);
    await s2.run(2 * MINUTE);
    const pool = await s2.as('DescribeWarmPool', { AutoScalingGroupName: 'web' });
    assert.deepEqual(
      pool.Instances.map((i: any) => i.LifecycleState),
      ['Warmed:Stopped'],
    );
    assert.equal(fleet.launchCalls, 2, 'nothing launched twice');
  });

  it('ReuseOnScaleIn: a scale-in moves the instance back into the pool, stopped, instead of terminating it', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 2, MaxSize: 2 });
    await t.run(MINUTE);
    await t.as('PutWarmPool', { AutoScalingGroupName: 'web', MinSize: 0, InstanceReusePolicy: { ReuseOnScaleIn: true } });
    const ids = (await t.group()).Instances.map((i: any) => i.InstanceId);
    await t.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 1 });
    await t.run(2 * MINUTE);
    const pool = await t.as('DescribeWarmPool', { AutoScalingGroupName: 'web' });
    assert.equal(pool.Instances.length, 1);
    assert.ok(ids.includes(pool.Instances[0].InstanceId), "one of the group's own instances");
    assert.equal(pool.Instances[0].LifecycleState, 'Warmed:Stopped');
    assert.equal(t.fleet.instances.get(pool.Instances[0].InstanceId)?.State, 'stopped');
    assert.equal((await t.group()).Instances.length, 1);
    assert.equal(t.fleet.launchCalls, 2, 'nothing launched for the pool');
  });

  it('a Running pool keeps its instances running; DeleteWarmPool terminates them then drops the pool', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 1, MaxSize: 3 });
    await t.as('PutWarmPool', { AutoScalingGroupName: 'web', PoolState: 'Running' });
    await t.run(2 * MINUTE);
    const pool = await t.as('DescribeWarmPool', { AutoScalingGroupName: 'web' });
    assert.deepEqual(
      pool.Instances.map((i: any) => i.LifecycleState),
      ['Warmed:Running', 'Warmed:Running'],
      'MaxSize 3 - desired 1',
    );
    assert.equal(t.fleet.calls.stop, 0);
    await t.as('DeleteWarmPool', { AutoScalingGroupName: 'web' });
    assert.equal((await t.as('DescribeWarmPool', { AutoScalingGroupName: 'web' })).WarmPoolConfiguration.Status, 'PendingDelete');
    await t.run(2 * MINUTE);
    assert.equal((await t.as('DescribeWarmPool', { AutoScalingGroupName: 'web' })).WarmPoolConfiguration, undefined);
    for (const i of pool.Instances) assert.equal(t.fleet.instances.get(i.InstanceId)?.State, 'terminated');
    await expectError(t.as('DeleteWarmPool', { AutoScalingGroupName: 'web' }), 'ValidationError');
  });
});

describe('instance refresh on the virtual clock', () => {
  it('replaces every instance in batches that keep MinHealthyPercentage in service, then is Successful', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 4, MinSize: 4, MaxSize: 6, HealthCheckGracePeriod: 0 });
    await t.run(2 * MINUTE);
    const before = (await t.group()).Instances.map((i: any) => i.InstanceId);
    assert.equal(before.length, 4);
    const { InstanceRefreshId } = await t.as('StartInstanceRefresh', {
      AutoScalingGroupName: 'web',
      Preferences: { MinHealthyPercentage: 50, InstanceWarmup: 60 },
    });
    await expectError(t.as('StartInstanceRefresh', { AutoScalingGroupName: 'web' }), 'InstanceRefreshInProgress');
    let fewest = 4;
    for (let n = 0; n < 40; n++) {
      await t.run(TICK_MS);
      const g = await t.group();
      fewest = Math.min(fewest, g.Instances.filter((i: any) => i.LifecycleState === 'InService').length);
      const [r] = (await t.as('DescribeInstanceRefreshes', { AutoScalingGroupName: 'web' })).InstanceRefreshes;
      if (r.Status === 'Successful') break;
    }
    const [r] = (await t.as('DescribeInstanceRefreshes', { AutoScalingGroupName: 'web', InstanceRefreshIds: [InstanceRefreshId] }))
      .InstanceRefreshes;
    assert.equal(r.Status, 'Successful');
    assert.equal(r.PercentageComplete, 100);
    assert.equal(r.InstancesToUpdate, 0);
    assert.equal(r.Preferences.MinHealthyPercentage, 50);
    assert.equal(fewest, 2, 'two at a time: never below 50% of 4 in service');
    const after = (await t.group()).Instances.map((i: any) => i.InstanceId);
    assert.equal(after.length, 4);
    assert.ok(
      after.every((id: string) => !before.includes(id)),
      'every instance replaced',
    );
  });

  it('default MinHealthyPercentage 90 replaces one at a time; a suspended InstanceRefresh process pauses it; CancelInstanceRefresh cancels it', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 2, MinSize: 2, MaxSize: 4, HealthCheckGracePeriod: 0 });
    await t.run(2 * MINUTE);
    await t.as('SuspendProcesses', { AutoScalingGroupName: 'web', ScalingProcesses: ['InstanceRefresh'] });
    await t.as('StartInstanceRefresh', { AutoScalingGroupName: 'web', Preferences: { InstanceWarmup: 0 } });
    await t.run(3 * MINUTE);
    assert.equal((await t.as('DescribeInstanceRefreshes', { AutoScalingGroupName: 'web' })).InstanceRefreshes[0].PercentageComplete, 0);
    assert.deepEqual(await t.states(), ['InService', 'InService'], 'paused');
    await t.as('ResumeProcesses', { AutoScalingGroupName: 'web', ScalingProcesses: ['InstanceRefresh'] });
    await t.run(TICK_MS);
    assert.equal((await t.group()).Instances.filter((i: any) => i.LifecycleState.startsWith('Terminating')).length, 1, 'one at a time');
    await t.as('CancelInstanceRefresh', { AutoScalingGroupName: 'web' });
    await t.run(3 * MINUTE);
    const [r] = (await t.as('DescribeInstanceRefreshes', { AutoScalingGroupName: 'web' })).InstanceRefreshes;
    assert.equal(r.Status, 'Cancelled');
    await expectError(t.as('CancelInstanceRefresh', { AutoScalingGroupName: 'web' }), 'ActiveInstanceRefreshNotFound');
  });

  it('RollbackInstanceRefresh returns the group to its previous configuration and replaces what the refresh launched', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 2, MinSize: 2, MaxSize: 4, HealthCheckGracePeriod: 0 });
    await t.run(2 * MINUTE);
    await expectError(
      t.as('StartInstanceRefresh', { AutoScalingGroupName: 'web', Preferences: { AutoRollback: true } }),
      'ValidationError',
      /AutoRollback requires a DesiredConfiguration/,
    );
    const template = { LaunchTemplateName: 'web-v2', Version: '1' };
    await t.as('StartInstanceRefresh', {
      AutoScalingGroupName: 'web',
      DesiredConfiguration: { LaunchTemplate: template },
      Preferences: { MinHealthyPercentage: 50, InstanceWarmup: 0 },
    });
    assert.equal((await t.group()).LaunchConfigurationName, 'web-lc', 'the group shows its configuration until the refresh succeeds');
    await expectError(
      t.as('UpdateAutoScalingGroup', { AutoScalingGroupName: 'web', LaunchConfigurationName: 'web-lc' }),
      'ValidationError',
      /An active instance refresh with a desired configuration exists/,
    );
    for (let n = 0; n < 30; n++) {
      await t.run(TICK_MS);
      if (
        (await t.group()).Instances.some((i: any) => i.LaunchTemplate?.LaunchTemplateName === 'web-v2' && i.LifecycleState === 'InService')
      )
        break;
    }
    assert.ok(
      (await t.group()).Instances.some((i: any) => i.LaunchTemplate?.LaunchTemplateName === 'web-v2'),
      'one instance from the template',
    );
    await t.as('RollbackInstanceRefresh', { AutoScalingGroupName: 'web' });
    let [r] = (await t.as('DescribeInstanceRefreshes', { AutoScalingGroupName: 'web' })).InstanceRefreshes;
    assert.equal(r.Status, 'RollbackInProgress');
    assert.equal(r.RollbackDetails.RollbackReason, 'Rollback started by user request.');
    for (let n = 0; n < 40 && r.Status === 'RollbackInProgress'; n++) {
      await t.run(TICK_MS);
      [r] = (await t.as('DescribeInstanceRefreshes', { AutoScalingGroupName: 'web' })).InstanceRefreshes;
    }
    assert.equal(r.Status, 'RollbackSuccessful');
    const g = await t.group();
    assert.equal(g.LaunchConfigurationName, 'web-lc');
    assert.equal(g.LaunchTemplate, undefined);
    assert.deepEqual(
      g.Instances.map((i: any) => i.LaunchConfigurationName),
      ['web-lc', 'web-lc'],
    );
    await expectError(t.as('RollbackInstanceRefresh', { AutoScalingGroupName: 'web' }), 'ActiveInstanceRefreshNotFound');
  });

  it("DesiredConfiguration becomes the group's configuration when the refresh succeeds; a cancelled refresh leaves the group as it was", async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 2, MinSize: 2, MaxSize: 4, HealthCheckGracePeriod: 0 });
    await t.run(2 * MINUTE);
    const v2 = { LaunchTemplateName: 'web-v2', Version: '1' };
    await t.as('StartInstanceRefresh', {
      AutoScalingGroupName: 'web',
      DesiredConfiguration: { LaunchTemplate: v2 },
      Preferences: { MinHealthyPercentage: 50, InstanceWarmup: 0 },
    });
    let [r] = (await t.as('DescribeInstanceRefreshes', { AutoScalingGroupName: 'web' })).InstanceRefreshes;
    for (let n = 0; n < 60 && r.Status !== 'Successful'; n++) {
      await t.run(TICK_MS);
      const g = await t.group();
      [r] = (await t.as('DescribeInstanceRefreshes', { AutoScalingGroupName: 'web' })).InstanceRefreshes;
      if (r.Status !== 'Successful') assert.equal(g.LaunchConfigurationName, 'web-lc', `still the launch configuration while ${r.Status}`);
    }
    assert.equal(r.Status, 'Successful');
    let g = await t.group();
    assert.deepEqual(g.LaunchTemplate, v2);
    assert.equal(g.LaunchConfigurationName, undefined);
    assert.deepEqual(
      g.Instances.map((i: any) => i.LaunchTemplate?.LaunchTemplateName),
      ['web-v2', 'web-v2'],
    );

    // A second refresh to v3, cancelled after its first replacement: the group keeps v2, and launches from it again.
    const v3 = { LaunchTemplateName: 'web-v3', Version: '1' };
    await t.as('StartInstanceRefresh', {
      AutoScalingGroupName: 'web',
      DesiredConfiguration: { LaunchTemplate: v3 },
      Preferences: { MinHealthyPercentage: 50, InstanceWarmup: 0 },
    });
    for (let n = 0; n < 30; n++) {
      await t.run(TICK_MS);
      if (
        (await t.group()).Instances.some((i: any) => i.LaunchTemplate?.LaunchTemplateName === 'web-v3' && i.LifecycleState === 'InService')
      )
        break;
    }
    await t.as('CancelInstanceRefresh', { AutoScalingGroupName: 'web' });
    for (let n = 0; n < 30 && r.Status !== 'Cancelled'; n++) {
      await t.run(TICK_MS);
      [r] = (await t.as('DescribeInstanceRefreshes', { AutoScalingGroupName: 'web' })).InstanceRefreshes;
    }
    assert.equal(r.Status, 'Cancelled');
    g = await t.group();
    assert.deepEqual(g.LaunchTemplate, v2, "a cancelled refresh does not change the group's configuration");
    const from = (x: any, name: string) => x.Instances.filter((i: any) => i.LaunchTemplate?.LaunchTemplateName === name).length;
    assert.ok(from(g, 'web-v3') >= 1, 'what the refresh replaced before the cancel stays');
    await t.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 3 });
    await t.run(MINUTE);
    const after = await t.group();
    assert.equal(after.Instances.length, 3);
    assert.equal(from(after, 'web-v2'), from(g, 'web-v2') + 1, 'the scale-out launches from v2');
    assert.equal(from(after, 'web-v3'), from(g, 'web-v3'));
  });

  it('while a cancelled refresh is Cancelling (a replacement still in its launch hook), launches use the configuration from before the refresh', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 2, MinSize: 2, MaxSize: 4, HealthCheckGracePeriod: 0 });
    await t.run(2 * MINUTE);
    await t.as('PutLifecycleHook', {
      AutoScalingGroupName: 'web',
      LifecycleHookName: 'hold',
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      HeartbeatTimeout: 7200,
      DefaultResult: 'CONTINUE',
    });
    await t.as('StartInstanceRefresh', {
      AutoScalingGroupName: 'web',
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: 'web-v2', Version: '1' } },
      Preferences: { MinHealthyPercentage: 50, InstanceWarmup: 0 },
    });
    const waitingV2 = (g: any) =>
      g.Instances.filter((i: any) => i.LaunchTemplate?.LaunchTemplateName === 'web-v2' && i.LifecycleState === 'Pending:Wait');
    for (let n = 0; n < 30 && !waitingV2(await t.group()).length; n++) await t.run(TICK_MS);
    assert.equal(waitingV2(await t.group()).length, 1, 'a replacement from web-v2 waits in its launch hook');
    await t.as('CancelInstanceRefresh', { AutoScalingGroupName: 'web' });
    await t.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 3 });
    await t.run(2 * TICK_MS);
    const refresh = async () => (await t.as('DescribeInstanceRefreshes', { AutoScalingGroupName: 'web' })).InstanceRefreshes[0];
    assert.equal((await refresh()).Status, 'Cancelling', 'the replacement in its hook keeps the refresh Cancelling');
    const g = await t.group();
    assert.equal(g.LaunchConfigurationName, 'web-lc');
    const launchedNow = g.Instances.filter((i: any) => i.LifecycleState.startsWith('Pending') && !waitingV2(g).includes(i));
    assert.equal(launchedNow.length, 1, JSON.stringify(g.Instances));
    assert.equal(launchedNow[0].LaunchConfigurationName, 'web-lc', 'launched from the configuration before the refresh');
    assert.equal(launchedNow[0].LaunchTemplate, undefined);
    await t.run(TICK_MS);
    for (const i of (await t.group()).Instances.filter((x: any) => x.LifecycleState === 'Pending:Wait'))
      await t.as('CompleteLifecycleAction', {
        AutoScalingGroupName: 'web',
        LifecycleHookName: 'hold',
        LifecycleActionResult: 'CONTINUE',
        InstanceId: i.InstanceId,
      });
    for (let n = 0; n < 30 && (await refresh()).Status !== 'Cancelled'; n++) await t.run(TICK_MS);
    assert.equal((await refresh()).Status, 'Cancelled');
    assert.equal((await t.group()).LaunchConfigurationName, 'web-lc');
  });

  it('a checkpoint pauses the refresh for CheckpointDelay once its percentage is complete', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 2, MinSize: 2, MaxSize: 4, HealthCheckGracePeriod: 0 });
    await t.run(2 * MINUTE);
    await t.as('StartInstanceRefresh', {
      AutoScalingGroupName: 'web',
      Preferences: { MinHealthyPercentage: 50, InstanceWarmup: 0, CheckpointPercentages: [50, 100], CheckpointDelay: 600 },
    });
    const refresh = async () => (await t.as('DescribeInstanceRefreshes', { AutoScalingGroupName: 'web' })).InstanceRefreshes[0];
    for (let n = 0; n < 30 && !/checkpoint/.test((await refresh()).StatusReason ?? ''); n++) await t.run(TICK_MS);
    const paused = await refresh();
    assert.equal(paused.PercentageComplete, 50);
    assert.match(paused.StatusReason, /Waiting at checkpoint 50% for 600 seconds/);
    await t.run(5 * MINUTE);
    assert.equal((await refresh()).PercentageComplete, 50, 'still at the checkpoint');
    assert.ok(
      (await t.group()).Instances.every((i: any) => i.LifecycleState === 'InService'),
      'nothing replaced meanwhile',
    );
    await t.run(8 * MINUTE);
    const done = await refresh();
    assert.equal(done.Status, 'Successful');
  });

  it("a refresh replaces the warm pool's instances too, and never serves the group from an outdated one", async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 1, MaxSize: 2, HealthCheckGracePeriod: 0 });
    await t.as('PutWarmPool', { AutoScalingGroupName: 'web', MinSize: 1 });
    await t.run(2 * MINUTE);
    const oldWarm = (await t.as('DescribeWarmPool', { AutoScalingGroupName: 'web' })).Instances[0].InstanceId;
    await t.as('CreateLaunchConfiguration', {
      LaunchConfigurationName: 'web-lc2',
      ImageId: 'ami-0123456789abcdef0',
      InstanceType: 't3.small',
    });
    await t.as('UpdateAutoScalingGroup', { AutoScalingGroupName: 'web', LaunchConfigurationName: 'web-lc2' });
    await t.as('StartInstanceRefresh', { AutoScalingGroupName: 'web', Preferences: { MinHealthyPercentage: 0, InstanceWarmup: 0 } });
    for (let n = 0; n < 40; n++) {
      await t.run(TICK_MS);
      if ((await t.as('DescribeInstanceRefreshes', { AutoScalingGroupName: 'web' })).InstanceRefreshes[0].Status === 'Successful') break;
    }
    await t.run(2 * MINUTE);
    const g = await t.group();
    assert.deepEqual(
      g.Instances.map((i: any) => [i.LaunchConfigurationName, i.LifecycleState]),
      [['web-lc2', 'InService']],
    );
    assert.notEqual(g.Instances[0].InstanceId, oldWarm);
    const pool = (await t.as('DescribeWarmPool', { AutoScalingGroupName: 'web' })).Instances;
    assert.deepEqual(
      pool.map((i: any) => [i.LaunchConfigurationName, i.LifecycleState]),
      [['web-lc2', 'Warmed:Stopped']],
    );
    assert.equal(t.fleet.instances.get(oldWarm)?.State, 'terminated');
  });

  it('MaxHealthyPercentage above 100 launches before it terminates', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 2, MinSize: 2, MaxSize: 4, HealthCheckGracePeriod: 0 });
    await t.run(2 * MINUTE);
    await t.as('StartInstanceRefresh', {
      AutoScalingGroupName: 'web',
      Preferences: { MinHealthyPercentage: 100, MaxHealthyPercentage: 200, InstanceWarmup: 0 },
    });
    let fewest = 2;
    for (let n = 0; n < 30; n++) {
      await t.run(TICK_MS);
      fewest = Math.min(fewest, (await t.group()).Instances.filter((i: any) => i.LifecycleState === 'InService').length);
    }
    assert.equal(fewest, 2, 'never fewer than desired in service');
    const [r] = (await t.as('DescribeInstanceRefreshes', { AutoScalingGroupName: 'web' })).InstanceRefreshes;
    assert.equal(r.Status, 'Successful');
    assert.equal((await t.group()).DesiredCapacity, 2);
  });
});

describe('scaling policy arithmetic', () => {
  it('PercentChangeInCapacity rounds as AWS documents, MinAdjustmentMagnitude widens small changes', () => {
    assert.equal(percentChange(10, 25), 2, '2.5 → 2');
    assert.equal(percentChange(3, 10), 1, '0.3 → 1');
    assert.equal(percentChange(3, -10), -1, '-0.3 → -1');
    assert.equal(percentChange(10, -25), -2, '-2.5 → -2');
    assert.equal(percentChange(10, 10, 3), 3);
    assert.equal(percentChange(10, -10, 2), -2);
    assert.equal(adjusted('ExactCapacity', 5, 2), 2);
    assert.equal(adjusted('ChangeInCapacity', 5, -2), 3);
    assert.equal(adjusted('PercentChangeInCapacity', 4, 50), 6);
  });

  it('step bounds: lower inclusive above the threshold, upper inclusive below it; overlaps and gaps are refused', () => {
    const steps = [
      { MetricIntervalUpperBound: 0, ScalingAdjustment: -1 },
      { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 },
      { MetricIntervalLowerBound: 10, ScalingAdjustment: 3 },
    ];
    assert.equal(stepFor(steps, 0)?.ScalingAdjustment, 1);
    assert.equal(stepFor(steps, 9.99)?.ScalingAdjustment, 1);
    assert.equal(stepFor(steps, 10)?.ScalingAdjustment, 3);
    assert.equal(stepFor(steps, -0.5)?.ScalingAdjustment, -1);
    assert.equal(invalidSteps(steps), undefined);
    assert.match(
      invalidSteps([
        { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 },
        { MetricIntervalLowerBound: 5, ScalingAdjustment: 2 },
      ]) ?? '',
      /overlap/,
    );
    assert.match(
      invalidSteps([
        { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 },
        { MetricIntervalLowerBound: 20, ScalingAdjustment: 2 },
      ]) ?? '',
      /gaps/,
    );
    assert.equal(trackingCapacity(2, 90, 50), 4);
    assert.equal(trackingCapacity(2, 51, 50), 3, 'at least one more');
    assert.equal(trackingCapacity(4, 20, 50), 2);
  });

  it('ExecutePolicy: simple scaling honours its cooldown, step scaling picks its step, results stay within MinSize and MaxSize', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 1, MaxSize: 4 });
    const { PolicyARN } = await t.as('PutScalingPolicy', {
      AutoScalingGroupName: 'web',
      PolicyName: 'up',
      AdjustmentType: 'ChangeInCapacity',
      ScalingAdjustment: 2,
      Cooldown: 300,
    });
    assert.match(PolicyARN, /^arn:aws:autoscaling:us-east-1:\d{12}:scalingPolicy:[0-9a-f-]+:autoScalingGroupName\/web:policyName\/up$/);
    // The first launch is an activity in progress, then the group's default cooldown (300 s) follows it.
    await expectError(
      t.as('ExecutePolicy', { AutoScalingGroupName: 'web', PolicyName: 'up', HonorCooldown: true }),
      'ScalingActivityInProgress',
    );
    await t.run(6 * MINUTE);
    await t.as('ExecutePolicy', { AutoScalingGroupName: 'web', PolicyName: 'up', HonorCooldown: true });
    assert.equal((await t.group()).DesiredCapacity, 3);
    await expectError(
      t.as('ExecutePolicy', { AutoScalingGroupName: 'web', PolicyName: 'up', HonorCooldown: true }),
      'ScalingActivityInProgress',
    );
    await t.as('ExecutePolicy', { PolicyName: PolicyARN });
    assert.equal((await t.group()).DesiredCapacity, 4, 'bounded by MaxSize');
    await t.as('PutScalingPolicy', {
      AutoScalingGroupName: 'web',
      PolicyName: 'steps',
      PolicyType: 'StepScaling',
      AdjustmentType: 'ExactCapacity',
      StepAdjustments: [
        { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 2 },
        { MetricIntervalLowerBound: 20, ScalingAdjustment: 3 },
      ],
    });
    await expectError(
      t.as('ExecutePolicy', { AutoScalingGroupName: 'web', PolicyName: 'steps' }),
      'ValidationError',
      /MetricValue and BreachThreshold/,
    );
    // A scale-in waits until no instance is warming up (the default warm-up is the group's cooldown, 300 s).
    await t.run(30_000);
    await t.as('ExecutePolicy', { AutoScalingGroupName: 'web', PolicyName: 'steps', MetricValue: 75, BreachThreshold: 60 });
    assert.equal((await t.group()).DesiredCapacity, 4, 'blocked while the new instances warm up');
    await t.run(6 * MINUTE);
    await t.as('ExecutePolicy', { AutoScalingGroupName: 'web', PolicyName: 'steps', MetricValue: 75, BreachThreshold: 60 });
    assert.equal((await t.group()).DesiredCapacity, 2);
    await expectError(
      t.as('PutScalingPolicy', {
        AutoScalingGroupName: 'web',
        PolicyName: 'bad',
        PolicyType: 'StepScaling',
        AdjustmentType: 'ChangeInCapacity',
        StepAdjustments: [],
        Cooldown: 10,
      }),
      'ValidationError',
    );
    await expectError(
      t.as('PutScalingPolicy', {
        AutoScalingGroupName: 'web',
        PolicyName: 'bad',
        AdjustmentType: 'ChangeInCapacity',
        ScalingAdjustment: 1,
        MinAdjustmentMagnitude: 2,
      }),
      'ValidationError',
      /PercentChangeInCapacity/,
    );
    const listed = (await t.as('DescribePolicies', { AutoScalingGroupName: 'web' })).ScalingPolicies.map((p: any) => p.PolicyName);
    assert.deepEqual(listed, ['steps', 'up']);
    await t.as('DeletePolicy', { AutoScalingGroupName: 'web', PolicyName: 'up' });
    await expectError(t.as('DeletePolicy', { AutoScalingGroupName: 'web', PolicyName: 'up' }), 'ValidationError');
  });

  it("target tracking makes its two alarms on the group's AWS/EC2 metric; AlarmHigh in ALARM scales out through the policy; DeletePolicy deletes them", async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 1, MaxSize: 4 });
    const out = await t.as('PutScalingPolicy', {
      AutoScalingGroupName: 'web',
      PolicyName: 'cpu50',
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 50 },
    });
    assert.equal(out.Alarms.length, 2);
    const names = out.Alarms.map((a: any) => a.AlarmName);
    assert.match(names[0], /^TargetTracking-web-AlarmHigh-[0-9a-f-]{36}$/);
    assert.match(names[1], /^TargetTracking-web-AlarmLow-[0-9a-f-]{36}$/);
    const cw = (op: string, input: unknown) => t.cloud.invoke<any>('monitoring', op, input, { region: REGION });
    const alarms = (await cw('DescribeAlarms', { AlarmNames: names })).MetricAlarms;
    const high = alarms.find((a: any) => a.AlarmName === names[0]);
    assert.equal(high.Namespace, 'AWS/EC2');
    assert.equal(high.MetricName, 'CPUUtilization');
    assert.deepEqual(high.Dimensions, [{ Name: 'AutoScalingGroupName', Value: 'web' }]);
    assert.deepEqual(high.AlarmActions, [out.PolicyARN]);
    assert.equal(alarms.find((a: any) => a.AlarmName === names[1]).Threshold, 45);
    // Past the instance's warm-up (the group's cooldown, 300 s): instances warming up are not current capacity.
    await t.run(6 * MINUTE);
    // Align on a minute and publish 90% CPU for three minutes.
    await t.run(MINUTE - (t.clock.now() % MINUTE));
    for (let m = 0; m < 4; m++) {
      publishMetric(t.cloud, REGION, {
        Namespace: 'AWS/EC2',
        MetricName: 'CPUUtilization',
        Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'web' }],
        Value: 90,
        Timestamp: t.clock.now() + 30_000,
      });
      await t.run(MINUTE);
    }
    assert.equal((await cw('DescribeAlarms', { AlarmNames: [names[0]] })).MetricAlarms[0].StateValue, 'ALARM');
    assert.equal((await t.group()).DesiredCapacity, 2, 'ceil(1 × 90 / 50)');
    const acts = (await t.as('DescribeScalingActivities', { AutoScalingGroupName: 'web' })).Activities;
    assert.ok(
      acts.some((a: any) =>
        new RegExp(
          `^At \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ a monitor alarm ${names[0]} in state ALARM triggered policy cpu50 changing the desired capacity from 1 to 2\\.`,
        ).test(a.Cause),
      ),
      acts.map((a: any) => a.Cause).join('\n'),
    );
    await t.as('DeletePolicy', { AutoScalingGroupName: 'web', PolicyName: 'cpu50' });
    assert.equal((await cw('DescribeAlarms', { AlarmNames: names })).MetricAlarms.length, 0);
  });

  it('a suspended AlarmNotification process keeps alarms from executing the policy', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 1, MaxSize: 4 });
    const { PolicyARN } = await t.as('PutScalingPolicy', {
      AutoScalingGroupName: 'web',
      PolicyName: 'up',
      AdjustmentType: 'ChangeInCapacity',
      ScalingAdjustment: 1,
    });
    await t.run(6 * MINUTE);
    const cw = (op: string, input: unknown) => t.cloud.invoke<any>('monitoring', op, input, { region: REGION });
    await cw('PutMetricAlarm', {
      AlarmName: 'load',
      Namespace: 'Halo/Test',
      MetricName: 'Load',
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [PolicyARN],
    });
    await t.as('SuspendProcesses', { AutoScalingGroupName: 'web', ScalingProcesses: ['AlarmNotification'] });
    await cw('SetAlarmState', { AlarmName: 'load', StateValue: 'ALARM', StateReason: 'test' });
    await actionsSettled(t.cloud);
    assert.equal((await t.group()).DesiredCapacity, 1);
    await cw('SetAlarmState', { AlarmName: 'load', StateValue: 'OK', StateReason: 'test' });
    await t.as('ResumeProcesses', { AutoScalingGroupName: 'web', ScalingProcesses: ['AlarmNotification'] });
    await cw('SetAlarmState', { AlarmName: 'load', StateValue: 'ALARM', StateReason: 'test' });
    await actionsSettled(t.cloud);
    assert.equal((await t.group()).DesiredCapacity, 2);
  });
});

describe('alarm actions on scaling policies repeat while the alarm stays in its state', () => {
  const LOAD = { Namespace: 'Halo/Test', MetricName: 'Load', Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'web' }] };
  /** Publishes `value()` for the current minute, then lets a minute of AWS time pass; returns the desired capacity after each minute. */
  async function minutes(t: Awaited<ReturnType<typeof setup>>, count: number, value: () => number): Promise<number[]> {
    const seen: number[] = [];
    for (let m = 0; m < count; m++) {
      publishMetric(t.cloud, REGION, { ...LOAD, Value: value(), Timestamp: t.clock.now() + 1_000 });
      await t.run(MINUTE);
      seen.push((await t.group()).DesiredCapacity);
    }
    return seen;
  }
  const cw = (t: Awaited<ReturnType<typeof setup>>, op: string, input: unknown) =>
    t.cloud.invoke<any>('monitoring', op, input, { region: REGION });
  const alarmOn = async (t: Awaited<ReturnType<typeof setup>>, arn: string) => {
    await cw(t, 'PutMetricAlarm', {
      AlarmName: 'load-high',
      ...LOAD,
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 60,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [arn],
    });
    await t.run(MINUTE - (t.clock.now() % MINUTE));
  };

  it('step scaling: a breach repeated while the new instance warms up adds nothing more; a larger step adds only the difference; after the warm-up the step applies again', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 2, MaxSize: 10 });
    const { PolicyARN } = await t.as('PutScalingPolicy', {
      AutoScalingGroupName: 'web',
      PolicyName: 'steps',
      PolicyType: 'StepScaling',
      AdjustmentType: 'ChangeInCapacity',
      EstimatedInstanceWarmup: 240,
      StepAdjustments: [
        { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 },
        { MetricIntervalLowerBound: 20, ScalingAdjustment: 3 },
      ],
    });
    await t.run(5 * MINUTE);
    await alarmOn(t, PolicyARN);
    // 70 breaches by 10 (+1): the alarm enters ALARM and adds one; three repeats while it warms up add nothing.
    assert.deepEqual(await minutes(t, 4, () => 70), [3, 3, 3, 3]);
    assert.equal((await cw(t, 'DescribeAlarms', { AlarmNames: ['load-high'] })).MetricAlarms[0].StateValue, 'ALARM');
    // 85 breaches by 25 (+3) while it still warms up: 2 ready + 3 = 5, so two more (the user guide's example).
    assert.deepEqual(await minutes(t, 1, () => 85), [5]);
    // Back to +1: nothing until every instance has warmed up (4 minutes after the last went InService), then 5 + 1.
    const later = await minutes(t, 6, () => 70);
    assert.equal(later[0], 5);
    assert.equal(later[later.length - 1], 6, later.join(','));
    const history = (await cw(t, 'DescribeAlarmHistory', { AlarmName: 'load-high', HistoryItemType: 'Action' })).AlarmHistoryItems;
    assert.equal(history.length, 1, 'repeats write no history item');
    const causes = (await t.as('DescribeScalingActivities', { AutoScalingGroupName: 'web' })).Activities.map((a: any) => a.Cause).join(
      '\n',
    );
    assert.match(causes, /a monitor alarm load-high in state ALARM triggered policy steps changing the desired capacity from 3 to 5\./);
  });

  it('step scaling in: blocked while an instance warms up, and computed with the terminating instances so a repeat removes no more', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 4, MinSize: 1, MaxSize: 10 });
    const { PolicyARN } = await t.as('PutScalingPolicy', {
      AutoScalingGroupName: 'web',
      PolicyName: 'down',
      PolicyType: 'StepScaling',
      AdjustmentType: 'ChangeInCapacity',
      EstimatedInstanceWarmup: 600,
      StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: -1 }],
    });
    await alarmOn(t, PolicyARN);
    // The four instances are within their 10-minute warm-up: the alarm's actions change nothing.
    const during = await minutes(t, 5, () => 90);
    assert.deepEqual(during, [4, 4, 4, 4, 4]);
    const after = await minutes(t, 8, () => 90);
    assert.ok(after.includes(3) && after[after.length - 1] < 4, after.join(','));
    // Each step down is one instance at a time: never two at once from one repeat.
    for (let k = 1; k < after.length; k++) assert.ok(after[k - 1] - after[k] <= 1, after.join(','));
  });

  it("simple scaling: repeats are refused while the activity runs and its cooldown (from the activity's end) lasts, then scale again", async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 1, MaxSize: 10 });
    const { PolicyARN } = await t.as('PutScalingPolicy', {
      AutoScalingGroupName: 'web',
      PolicyName: 'up',
      AdjustmentType: 'ChangeInCapacity',
      ScalingAdjustment: 1,
      Cooldown: 150,
    });
    // Past the group's default cooldown (300 s) that followed its first launch.
    await t.run(6 * MINUTE);
    await alarmOn(t, PolicyARN);
    const seen = await minutes(t, 5, () => 70);
    // Enters ALARM: 1 → 2; the instance is InService within a minute; the cooldown of 150 s from then keeps the
    // repeats at +60 s and +120 s out; the one at +180 s scales to 3.
    assert.deepEqual(seen.slice(0, 4), [2, 2, 2, 3], seen.join(','));
    const pol = (await t.as('DescribePolicies', { AutoScalingGroupName: 'web' })).ScalingPolicies[0];
    assert.equal(pol.PolicyName, 'up');
  });

  it('target tracking: AlarmHigh repeats scale proportionally from the instances that have warmed up; DisableScaleIn makes no AlarmLow (an update makes or deletes it)', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 1, MaxSize: 10 });
    const out = await t.as('PutScalingPolicy', {
      AutoScalingGroupName: 'web',
      PolicyName: 'cpu50',
      PolicyType: 'TargetTrackingScaling',
      EstimatedInstanceWarmup: 180,
      TargetTrackingConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' },
        TargetValue: 50,
        DisableScaleIn: true,
      },
    });
    assert.equal(out.Alarms.length, 1, 'no AlarmLow with DisableScaleIn');
    assert.match(out.Alarms[0].AlarmName, /^TargetTracking-web-AlarmHigh-/);
    const trackingAlarms = async () =>
      (await t.cloud.invoke<any>('monitoring', 'DescribeAlarms', { AlarmNamePrefix: 'TargetTracking-web-' }, { region: REGION }))
        .MetricAlarms as Array<{ AlarmName: string; StateValue: string }>;
    assert.deepEqual(
      (await trackingAlarms()).map((a) => a.AlarmName),
      [out.Alarms[0].AlarmName],
    );
    await t.run(4 * MINUTE);
    await t.run(MINUTE - (t.clock.now() % MINUTE));
    const cpu = (v: number) =>
      publishMetric(t.cloud, REGION, {
        Namespace: 'AWS/EC2',
        MetricName: 'CPUUtilization',
        Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'web' }],
        Value: v,
        Timestamp: t.clock.now() + 1_000,
      });
    const seen: number[] = [];
    for (let m = 0; m < 9; m++) {
      cpu(90);
      await t.run(MINUTE);
      seen.push((await t.group()).DesiredCapacity);
    }
    // 3 minutes above 50 → ALARM: ceil(1 × 90 / 50) = 2; while the new one warms up, repeats ask for 2 again; once it
    // has warmed up, ceil(2 × 90 / 50) = 4.
    assert.equal(seen[2], 2, seen.join(','));
    assert.equal(seen[3], 2, seen.join(','));
    assert.equal(seen[seen.length - 1], 4, seen.join(','));
    assert.ok(!seen.includes(3), seen.join(','));
    // Low CPU for 16 minutes: no alarm watches for it, so nothing scales in.
    for (let m = 0; m < 16; m++) {
      cpu(5);
      await t.run(MINUTE);
    }
    assert.equal((await t.group()).DesiredCapacity, 4);
    // Scale-in enabled by an update: AlarmLow is made (and, below 45 for 15 minutes, scales in); disabled again: deleted.
    const put = (disable: boolean) =>
      t.as('PutScalingPolicy', {
        AutoScalingGroupName: 'web',
        PolicyName: 'cpu50',
        PolicyType: 'TargetTrackingScaling',
        EstimatedInstanceWarmup: 180,
        TargetTrackingConfiguration: {
          PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' },
          TargetValue: 50,
          DisableScaleIn: disable,
        },
      });
    const enabled = await put(false);
    assert.equal(enabled.Alarms.length, 2);
    const low = enabled.Alarms.find((a: any) => a.AlarmName.includes('-AlarmLow-')).AlarmName;
    assert.ok((await trackingAlarms()).some((a) => a.AlarmName === low));
    for (let m = 0; m < 16; m++) {
      cpu(5);
      await t.run(MINUTE);
    }
    assert.ok((await t.group()).DesiredCapacity < 4, 'AlarmLow scaled in');
    const disabledAgain = await put(true);
    assert.equal(disabledAgain.Alarms.length, 1);
    const left = (await trackingAlarms()).map((a) => a.AlarmName);
    assert.equal(left.length, 1);
    assert.ok(!left.some((n) => n.includes('-AlarmLow-')), left.join(','));
  });
});

describe('group metrics collection on the virtual clock', () => {
  it('samples the enabled metrics on each minute boundary, with the warm pool ones for a group with a warm pool', async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 2, MaxSize: 4 });
    await t.as('PutWarmPool', { AutoScalingGroupName: 'web', MinSize: 1, MaxGroupPreparedCapacity: 3 });
    await t.run(2 * MINUTE);
    await t.as('EnableMetricsCollection', {
      AutoScalingGroupName: 'web',
      Granularity: '1Minute',
      Metrics: [
        'GroupDesiredCapacity',
        'GroupInServiceInstances',
        'GroupTotalInstances',
        'WarmPoolWarmedCapacity',
        'WarmPoolDesiredCapacity',
        'GroupAndWarmPoolTotalCapacity',
      ],
    });
    const start = t.clock.now();
    await t.run(3 * MINUTE);
    const series = async (metric: string) =>
      (
        await t.cloud.invoke<any>(
          'monitoring',
          'GetMetricStatistics',
          {
            Namespace: 'AWS/AutoScaling',
            MetricName: metric,
            Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'web' }],
            StartTime: new Date(start - MINUTE),
            EndTime: new Date(t.clock.now() + MINUTE),
            Period: 60,
            Statistics: ['Maximum', 'SampleCount'],
          },
          { region: REGION },
        )
      ).Datapoints.sort((a: any, b: any) => a.Timestamp - b.Timestamp);
    const desired = await series('GroupDesiredCapacity');
    assert.equal(desired.length, 3, 'one sample a minute');
    for (const p of desired) {
      assert.equal(p.SampleCount, 1);
      assert.equal(p.Maximum, 2);
      assert.equal(new Date(p.Timestamp).getTime() % MINUTE, 0, 'on the minute');
    }
    assert.deepEqual(
      (await series('GroupInServiceInstances')).map((p: any) => p.Maximum),
      [2, 2, 2],
    );
    assert.deepEqual(
      (await series('GroupTotalInstances')).map((p: any) => p.Maximum),
      [2, 2, 2],
    );
    assert.deepEqual(
      (await series('WarmPoolDesiredCapacity')).map((p: any) => p.Maximum),
      [1, 1, 1],
      'MaxGroupPreparedCapacity 3 − desired 2',
    );
    assert.deepEqual(
      (await series('WarmPoolWarmedCapacity')).map((p: any) => p.Maximum),
      [1, 1, 1],
    );
    assert.deepEqual(
      (await series('GroupAndWarmPoolTotalCapacity')).map((p: any) => p.Maximum),
      [3, 3, 3],
    );
    assert.equal((await series('GroupMinSize')).length, 0);
    await t.as('SetDesiredCapacity', { AutoScalingGroupName: 'web', DesiredCapacity: 3 });
    await t.run(MINUTE);
    assert.equal((await series('GroupDesiredCapacity')).at(-1).Maximum, 3);
    await t.as('DisableMetricsCollection', { AutoScalingGroupName: 'web' });
    const count = (await series('GroupDesiredCapacity')).length;
    await t.run(2 * MINUTE);
    assert.equal((await series('GroupDesiredCapacity')).length, count);
  });
});

describe('scheduled actions on the virtual clock', () => {
  it('cron recurrence in UTC and in a time zone', () => {
    const start = Date.UTC(2026, 0, 1, 0, 0); // a Thursday
    assert.equal(new Date(nextRun(parseCron('30 8 * * *'), start) as number).toISOString(), '2026-01-01T08:30:00.000Z');
    assert.equal(
      new Date(nextRun(parseCron('0 9 * * MON-FRI'), Date.UTC(2026, 0, 2, 10)) as number).toISOString(),
      '2026-01-05T09:00:00.000Z',
    );
    assert.equal(
      new Date(nextRun(parseCron('*/15 * * * *'), Date.UTC(2026, 0, 1, 0, 15)) as number).toISOString(),
      '2026-01-01T00:30:00.000Z',
    );
    assert.equal(new Date(nextRun(parseCron('0 9 * * *'), start, 'America/New_York') as number).toISOString(), '2026-01-01T14:00:00.000Z');
    assert.equal(new Date(nextRun(parseCron('0 0 1 JAN *'), start) as number).toISOString(), '2027-01-01T00:00:00.000Z');
    assert.throws(() => parseCron('61 * * * *'));
    assert.throws(() => parseCron('* * *'));
  });

  it("runs on the clock, changes min/max/desired with AWS's cause; a suspended ScheduledActions process skips a run", async () => {
    const t = await setup();
    await t.withGroup({ DesiredCapacity: 1, MaxSize: 4 });
    const now = t.clock.now();
    await t.as('PutScheduledUpdateGroupAction', {
      AutoScalingGroupName: 'web',
      ScheduledActionName: 'peak',
      Recurrence: '0 * * * *',
      DesiredCapacity: 3,
    });
    await t.as('PutScheduledUpdateGroupAction', {
      AutoScalingGroupName: 'web',
      ScheduledActionName: 'once',
      StartTime: new Date(now + 90 * MINUTE),
      MinSize: 2,
      MaxSize: 2,
      DesiredCapacity: 2,
    });
    await expectError(
      t.as('PutScheduledUpdateGroupAction', {
        AutoScalingGroupName: 'web',
        ScheduledActionName: 'past',
        StartTime: new Date(now - MINUTE),
        DesiredCapacity: 2,
      }),
      'ValidationError',
      /in the past/,
    );
    await expectError(
      t.as('PutScheduledUpdateGroupAction', {
        AutoScalingGroupName: 'web',
        ScheduledActionName: 'bad',
        Recurrence: 'every hour',
        DesiredCapacity: 2,
      }),
      'ValidationError',
    );
    const listed = (await t.as('DescribeScheduledActions', { AutoScalingGroupName: 'web' })).ScheduledUpdateGroupActions;
    assert.deepEqual(
      listed.map((a: any) => a.ScheduledActionName),
      ['once', 'peak'],
    );
    assert.equal(new Date(listed[1].StartTime).getTime(), now + 60 * MINUTE);
    await t.as('SuspendProcesses', { AutoScalingGroupName: 'web', ScalingProcesses: ['ScheduledActions'] });
    await t.run(61 * MINUTE);
    assert.equal((await t.group()).DesiredCapacity, 1, 'skipped while suspended');
    await t.as('ResumeProcesses', { AutoScalingGroupName: 'web', ScalingProcesses: ['ScheduledActions'] });
    await t.run(30 * MINUTE);
    let g = await t.group();
    assert.deepEqual([g.MinSize, g.MaxSize, g.DesiredCapacity], [2, 2, 2], 'the one-time action ran');
    assert.deepEqual(
      (await t.as('DescribeScheduledActions', { AutoScalingGroupName: 'web' })).ScheduledUpdateGroupActions.map(
        (a: any) => a.ScheduledActionName,
      ),
      ['peak'],
    );
    const acts = (await t.as('DescribeScalingActivities', { AutoScalingGroupName: 'web' })).Activities;
    assert.ok(
      acts.some((a: any) =>
        /a scheduled action update of AutoScalingGroup constraints to min: 2, max: 2, desired: 2 changing the desired capacity from 1 to 2\./.test(
          a.Cause,
        ),
      ),
    );
    await t.as('UpdateAutoScalingGroup', { AutoScalingGroupName: 'web', MaxSize: 4 });
    await t.run(30 * MINUTE);
    g = await t.group();
    assert.equal(g.DesiredCapacity, 3, 'the hourly action at the next hour');
    const out = await t.as('BatchDeleteScheduledAction', { AutoScalingGroupName: 'web', ScheduledActionNames: ['peak', 'missing'] });
    assert.deepEqual(
      out.FailedScheduledActions.map((f: any) => f.ScheduledActionName),
      ['missing'],
    );
  });
});
