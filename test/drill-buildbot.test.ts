import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TIMING_PROFILES } from '../src/clock/profiles.js';
import type { DrillResult } from '../src/drill/types.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';

/**
 * The buildbot adapter end to end: the CDK app's Recovery stack (`halo deploy Recovery`: buildbot on one instance with
 * an Elastic IP and the ec2:recover alarm) drilled with `halo drill host-failure` at time scale 10, aws-typical (the stack's 15-minute CreationPolicy is then 90 wall seconds for the instance to boot and start buildbot). The
 * drill's writes are builds forced by the admin through buildbot's REST API, read back afterwards from its buildsets.
 * Then the Resilient stack (state on EFS, a warm pool whose spare a launch lifecycle hook holds while its user data
 * prepares it) drilled with `halo drill instance-crash`, as `halo up` suggests.
 * Needs root and the halo-ci image layer (built once per image cache, as test/cdk-deploy.test.ts does).
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';
const SCALE = 10;

describe(
  "halo drill against the CDK app's Recovery stack running buildbot",
  { skip: ROOT ? false : 'needs root: instances run in namespaces' },
  () => {
    let cloud: TestCloud;
    before(async () => {
      cloud = await TestCloud.start({ timeScale: SCALE, profile: 'aws-typical', hostsPerZone: 2 });
      const built = cloud.halo('image', 'build', '--name', 'halo-ci', '--packages', 'buildbot,buildbot-worker');
      assert.equal(built.status, 0, built.stderr);
      const deployed = cloud.halo('deploy', 'Recovery');
      assert.equal(deployed.status, 0, deployed.stdout + deployed.stderr);
    });
    after(async () => {
      if (cloud) await disposeAndCheckHost(cloud);
    });

    /** `halo drill SCENARIO --stack STACK --json` with an RPO objective of 0: it must exit 0 with its JSON. */
    const drill = (scenario: string, stack: string, limit: string) => {
      const run = cloud.halo('drill', scenario, '--stack', stack, '--json', '--limit', limit, '--rpo-objective', '0');
      let r: DrillResult;
      try {
        r = JSON.parse(run.stdout) as DrillResult;
      } catch {
        throw new Error(`no JSON from halo drill (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
      }
      assert.equal(run.status, 0, run.stderr);
      return { run, r };
    };

    it('host-failure: recovered by the alarm, every acknowledged build kept, the timeline follows the recovery', async () => {
      const { run, r } = drill('host-failure', 'Recovery', '3600');
      for (const key of ['scenario', 'stack', 'profile', 'timeScale', 'recovered', 'rtoSeconds', 'rpoSeconds', 'lostWrites', 'timeline'])
        assert.ok(key in r, `--json has ${key}`);
      assert.equal(r.workload, 'buildbot', 'the adapter is found by asking the service');
      assert.deepEqual([r.scenario, r.stack, r.profile, r.timeScale], ['host-failure', 'Recovery', 'aws-typical', SCALE]);
      assert.equal(r.recovered, true, run.stderr);
      assert.ok(r.acknowledgedWrites >= 3, `builds were forced before and during the drill: ${r.acknowledgedWrites}`);
      assert.equal(r.lostWrites, 0, `recovery keeps the root volume: lost ${r.lostSequences.join(', ')}`);
      assert.equal(r.rpoSeconds, 0);

      // The writes are real builds in buildbot's database, tagged with the drill's run id.
      const sets = (await (await fetch(`${r.endpoint}/api/v2/buildsets?field=reason`)).json()) as { buildsets: Array<{ reason: string }> };
      const drilled = sets.buildsets.map((s) => /halo drill \w+ write (\d+)$/.exec(s.reason)?.[1]).filter(Boolean);
      assert.ok(drilled.length >= r.acknowledgedWrites, `${drilled.length} drill builds in buildbot, ${r.acknowledgedWrites} acknowledged`);

      // RTO: the alarm's five one-minute periods and the profile's recovery, then buildbot's own start on the recovered
      // instance (its per-boot script): at most 90 wall seconds of guest boot, counted in AWS time at the scale.
      const steps = TIMING_PROFILES['aws-typical'].steps;
      const lower = (4 * 60_000 + steps.recoveryToRunning) / 1000;
      const upper =
        (5 * 60_000 + steps.statusCheckInterval + steps.metricPublishDelay + 60_000 + steps.recoveryToRunning) / 1000 + 90 * SCALE;
      assert.ok(
        r.rtoSeconds !== null && r.rtoSeconds >= lower && r.rtoSeconds <= upper,
        `RTO ${r.rtoSeconds} AWS s, expected ${lower}..${upper}`,
      );

      const at = (test: (e: DrillResult['timeline'][number]) => boolean) =>
        r.timeline.find((e) => e.awsSinceFault !== undefined && test(e))?.awsSinceFault;
      const fault = at((e) => e.kind === 'fault' && /host \S+ failed/.test(e.text));
      const down = at((e) => e.kind === 'service' && e.state === 'down');
      const alarm = at((e) => e.kind === 'alarm' && e.state === 'ALARM');
      const recoveredInstance = at((e) => e.kind === 'health' && /AWS_EC2_INSTANCE_AUTO_RECOVERY_SUCCESS/.test(e.text));
      const back = at((e) => e.kind === 'service' && e.state === 'up');
      const order = { fault, down, alarm, recoveredInstance, back };
      assert.ok(
        Object.values(order).every((t) => t !== undefined),
        `each step is in the timeline: ${JSON.stringify(order)}\n${run.stderr}`,
      );
      assert.ok(
        fault! <= down! && down! < alarm! && alarm! <= recoveredInstance! && recoveredInstance! <= back!,
        `in order: ${JSON.stringify(order)}`,
      );
      assert.ok(alarm! >= (4 * 60_000) / 1000, `the alarm fired after its five periods (${alarm} AWS s)`);
      assert.ok(
        r.timeline.some((e) => e.kind === 'address' && e.text.includes(r.target.instanceId)),
        'the Elastic IP owner',
      );
      assert.match(r.restored, /restored/, 'the host is back at the end');
    });

    it("instance-crash on the Resilient stack (what halo up deploys and suggests): its warm pool's spare takes over, nothing lost", async () => {
      const deployed = cloud.halo('deploy', 'Resilient');
      assert.equal(deployed.status, 0, deployed.stdout + deployed.stderr);
      const stack = cloud.awsOk('cloudformation', 'describe-stacks', '--stack-name', 'Resilient').Stacks[0];
      const group = stack.Outputs.find((o: { OutputKey: string }) => o.OutputKey === 'GroupName').OutputValue;
      // The spare is stopped only once its user data has prepared it (the launch hook holds it until then): its next
      // start runs the CI server from the per-boot script that preparation left.
      const pooled = () => cloud.awsOk('autoscaling', 'describe-warm-pool', '--auto-scaling-group-name', group).Instances ?? [];
      for (let i = 0; i < 180 && pooled()[0]?.LifecycleState !== 'Warmed:Stopped'; i++) await new Promise((r) => setTimeout(r, 1000));
      const [spare] = pooled();
      assert.equal(spare?.LifecycleState, 'Warmed:Stopped', JSON.stringify(pooled()));
      const { run, r } = drill('instance-crash', 'Resilient', '1800');
      assert.equal(r.recovered, true, run.stderr);
      assert.equal(r.servedBy?.instanceId, spare.InstanceId, 'the spare from the warm pool took over');
      assert.equal(r.lostWrites, 0, 'the state is on EFS');
      assert.ok(
        r.timeline.some((e) => e.kind === 'scaling' && e.text.includes(`Launching a new EC2 instance from warm pool: ${spare.InstanceId}`)),
        'the group took it from its warm pool',
      );
    });
  },
);
