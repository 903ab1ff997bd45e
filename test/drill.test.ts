import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TIMING_PROFILES } from '../src/clock/profiles.js';
import type { DrillResult } from '../src/drill/types.js';
import { ensureImage } from '../src/runtime/images.js';
import { HALO_MAIN, TestCloud } from './support/cloud.js';
import { get, waitFor } from './support/wait.js';
import { disposeAndCheckHost } from './support/host.js';
import { cfn, settle, templatePath } from './templates/support.js';

/**
 * `halo drill` end to end through the CLI against the seed's recovery architecture (test/templates/drill-journal.json:
 * one instance with an Elastic IP, the StatusCheckFailed_System alarm with ec2:recover, and the journal workload).
 * aws-typical profile at time scale 30: every bound below is AWS time derived from the profile. Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';
const SCALE = 30;
const STACK = 'drill-recovery';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `halo drill ...`; `onLine` sees each live line and may return true to send SIGTERM. */
function drill(cloud: TestCloud, args: string[], onLine?: (line: string) => boolean): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HALO_MAIN, 'drill', ...args], { env: cloud.env });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!signalled && onLine && stderr.split('\n').some(onLine)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function parse(run: Run): DrillResult {
  try {
    return JSON.parse(run.stdout) as DrillResult;
  } catch {
    throw new Error(`no JSON from halo drill (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

function zoneIssues(cloud: TestCloud): Array<{ statusCode: string; availabilityZone: string }> {
  return cloud.awsOk(
    'health',
    'describe-events',
    '--region',
    'us-east-1',
    '--filter',
    JSON.stringify({ eventTypeCodes: ['AWS_EC2_OPERATIONAL_ISSUE'] }),
  ).events;
}

describe(
  "halo drill against the seed's recovery architecture",
  { skip: ROOT ? false : 'needs root: instances run in namespaces (CI runs as root)' },
  () => {
    let cloud: TestCloud;
    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ timeScale: SCALE, profile: 'aws-typical', hostsPerZone: 2 });
      cloud.awsOk(
        'cloudformation',
        'create-stack',
        '--stack-name',
        STACK,
        '--template-body',
        `file://${templatePath('drill-journal.json')}`,
      );
      const stack = await settle(cfn(cloud), STACK, 6000);
      assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
    });
    after(async () => {
      if (cloud) await disposeAndCheckHost(cloud);
    });

    it("host-failure: recovered by the alarm with no write lost, after the alarm's five failed periods", async () => {
      const run = await drill(cloud, [
        'host-failure',
        '--stack',
        STACK,
        '--json',
        '--limit',
        '1800',
        '--rto-objective',
        '3600',
        '--rpo-objective',
        '0',
      ]);
      const r = parse(run);
      if (process.env.HALO_DRILL_RECORD) writeFileSync(process.env.HALO_DRILL_RECORD, `${JSON.stringify(r, null, 2)}\n`);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(r.scenario, 'host-failure');
      assert.equal(r.stack, STACK);
      assert.equal(r.profile, 'aws-typical');
      assert.equal(r.timeScale, SCALE);
      assert.equal(r.workload, 'journal');
      assert.equal(r.recovered, true, run.stderr);
      assert.equal(r.lostWrites, 0, `lost ${r.lostSequences.join(', ')}`);
      assert.equal(r.rpoSeconds, 0);
      assert.ok(r.acknowledgedWrites >= 3, `writes were made before and during the fault: ${r.acknowledgedWrites}`);
      const steps = TIMING_PROFILES['aws-typical'].steps;
      const period = 60_000;
      // At the earliest: five failing one-minute status checks (the first right at the fault, the fifth four periods
      // later) fire the alarm, and the recovered instance answers no earlier than the profile's recoveryToRunning after it.
      const alarmEarliest = (4 * period) / 1000;
      const lower = alarmEarliest + steps.recoveryToRunning / 1000;
      // At the latest: five periods, a status check interval and the metric delay before the first failing datapoint is
      // seen, one period of evaluation alignment, the recovery, the relaunch, and the guest's own boot (5 minutes' allowance).
      const upper =
        (5 * period +
          steps.statusCheckInterval +
          steps.metricPublishDelay +
          period +
          steps.recoveryToRunning +
          steps.instancePendingToRunning +
          300_000) /
        1000;
      assert.ok(
        r.rtoSeconds !== null && r.rtoSeconds >= lower && r.rtoSeconds <= upper,
        `RTO ${r.rtoSeconds} AWS s, expected ${lower}..${upper}:\n${run.stderr}`,
      );
      const alarmAt = r.timeline.find((e) => e.kind === 'alarm' && e.state === 'ALARM')?.awsSinceFault;
      // (The drill sees the alarm when it polls it, so its time here may lag the transition itself.)
      assert.ok(
        alarmAt !== undefined && alarmAt >= alarmEarliest && alarmAt <= r.rtoSeconds,
        `the alarm fired (${alarmAt} AWS s) before the service came back (${r.rtoSeconds})`,
      );
      assert.ok(
        r.rtoWallSeconds !== null && Math.abs(r.rtoWallSeconds * SCALE - r.rtoSeconds) <= SCALE,
        'the wall RTO is the AWS RTO at the scale',
      );
      const kinds = r.timeline.map((e) => e.kind);
      for (const kind of ['fault', 'service', 'alarm', 'instance', 'restore'])
        assert.ok(kinds.includes(kind as never), `timeline has ${kind}: ${kinds.join(',')}`);
      assert.match(r.restored, /restored/);
      assert.match(run.stderr, /\[wall +\+\d+\.\ds \| AWS \d\d:\d\d:\d\d/, 'a live timeline with wall and AWS time');
    });

    it('az-outage: the recovery architecture is reported as not recovered within the limit, and the zone comes back', async () => {
      const run = await drill(cloud, ['az-outage', '--stack', STACK, '--json', '--limit', '900', '--rto-objective', '900']);
      const r = parse(run);
      assert.equal(run.code, 2, `a missed objective fails the command: ${run.stderr}`);
      assert.equal(r.recovered, false);
      assert.equal(r.rtoSeconds, null);
      assert.equal(r.lostWrites, null);
      assert.equal(r.interrupted, false);
      assert.equal(r.limitSeconds, 900);
      assert.ok(r.timeline.some((e) => /not recovered within the limit \(900 AWS s\)/.test(e.text)));
      assert.ok(
        r.timeline.some((e) => e.kind === 'health' && /AWS_EC2_OPERATIONAL_ISSUE in us-east-1a: open/.test(e.text)),
        'the dark zone seen in AWS Health',
      );
      const zones = cloud.awsOk('ec2', 'describe-availability-zones').AvailabilityZones as Array<{ State: string }>;
      assert.ok(zones.every((z) => z.State === 'available'));
      assert.deepEqual(
        zoneIssues(cloud).filter((e) => e.statusCode !== 'closed'),
        [],
        'no zone is left dark',
      );
    });
    it('after the zone is back, a reboot brings the service back (the system check is fine again: the alarm stays quiet)', async () => {
      const id = cloud.awsOk('cloudformation', 'describe-stack-resource', '--stack-name', STACK, '--logical-resource-id', 'Server')
        .StackResourceDetail.PhysicalResourceId as string;
      const url = cloud
        .awsOk('cloudformation', 'describe-stacks', '--stack-name', STACK)
        .Stacks[0].Outputs.find((o: { OutputKey: string }) => o.OutputKey === 'ServiceURL').OutputValue as string;
      cloud.awsOk('ec2', 'reboot-instances', '--instance-ids', id);
      await waitFor(
        'the journal answering after the reboot',
        async () => ((await get(`${url}/health`))?.status === 200 ? true : undefined),
        120_000,
      );
    });

    it('SIGTERM during an az-outage: the drill brings the zone back before it exits', async () => {
      const run = await drill(cloud, ['az-outage', '--stack', STACK, '--json', '--limit', '1800'], (line) => / is dark /.test(line));
      assert.equal(run.code, 143, run.stderr);
      const r = parse(run);
      assert.equal(r.interrupted, true);
      assert.equal(r.recovered, false);
      assert.match(r.restored, /is back/);
      const issues = zoneIssues(cloud);
      assert.ok(issues.length >= 1, 'the outage opened an AWS Health issue for the zone');
      assert.deepEqual(
        issues.filter((e) => e.statusCode !== 'closed'),
        [],
        'no zone is left dark',
      );
    });

    it('matrix: a stack deployed from a template on the command line × terminate and network-partition (recreated in between), as Markdown and HTML', async () => {
      const out = path.join(cloud.home, 'matrix');
      const run = await drill(cloud, [
        'matrix',
        '--out',
        out,
        '--templates',
        `drill-recovery-matrix=${templatePath('drill-journal.json')}`,
        '--scenarios',
        'terminate,network-partition',
        '--limit',
        '900',
      ]);
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
      assert.equal(results.entries.length, 2);
      const [terminated, partitioned] = results.entries as DrillResult[];
      assert.equal(terminated.stack, 'drill-recovery-matrix');
      assert.equal(terminated.scenario, 'terminate');
      assert.equal(terminated.recovered, false, 'nothing replaces a terminated instance of the recovery architecture');
      assert.equal(terminated.profile, 'aws-typical');
      // The second run needed a fresh stack: the first one's instance is terminated.
      assert.equal(partitioned.scenario, 'network-partition', JSON.stringify(partitioned));
      assert.notEqual(partitioned.target.instanceId, terminated.target.instanceId);
      // The cut fails the system check from the next check; after the alarm's five periods its recover action moves
      // the instance to another host, where its link is up: the partition ended with the move, no write is lost.
      assert.equal(partitioned.recovered, true, JSON.stringify(partitioned.timeline));
      assert.ok(
        partitioned.timeline.some((t) => t.kind === 'alarm' && t.state === 'ALARM'),
        'the recovery alarm went to ALARM',
      );
      assert.equal(partitioned.lostWrites, 0);
      assert.match(partitioned.restored, /is not cut off the network \(any more/);
      const md = readFileSync(path.join(out, 'report.md'), 'utf8');
      assert.match(
        md,
        /\| Recovery triggered by a CloudWatch alarm \(drill-recovery-matrix\) \| about 10 min \| no data lost \|.*\| terminate \| not recovered within 900 AWS s \|/,
      );
      const html = readFileSync(path.join(out, 'report.html'), 'utf8');
      assert.equal((html.match(/<svg /g) ?? []).length, 2);
      assert.ok(html.includes('instance '), 'an instance lane');
      cloud.awsOk('cloudformation', 'delete-stack', '--stack-name', 'drill-recovery-matrix');
      await settle(cfn(cloud), 'drill-recovery-matrix', 6000).catch(() => undefined);
    });
  },
);
