import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { DrillResult } from '../src/drill/types.js';
import { ensureImage } from '../src/runtime/images.js';
import { HALO_MAIN, TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';
import { cfn, settle, templatePath } from './templates/support.js';

/**
 * `halo drill` against the seed's second architecture (multiaz-elasticip.json with the journal workload): an Auto
 * Scaling group of one over two zones whose instance takes the Elastic IP at boot. The journal lives on the root
 * volume, so a replacement starts empty: the drill must report the acknowledged writes as lost. Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';
const SCALE = 30;
const STACK = 'drill-multiaz';

function parse(run: { code: number | null; stdout: string; stderr: string }): DrillResult {
  try {
    const r = JSON.parse(run.stdout) as DrillResult;
    if (process.env.HALO_DRILL_RECORD)
      appendFileSync(process.env.HALO_DRILL_RECORD, `${run.stderr}\n${JSON.stringify({ ...r, timeline: undefined })}\n`);
    return r;
  } catch {
    throw new Error(`no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

function drill(cloud: TestCloud, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HALO_MAIN, 'drill', ...args], { env: cloud.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe("halo drill against the seed's multi-AZ Auto Scaling architecture", { skip: ROOT ? false : 'needs root' }, () => {
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
      `file://${templatePath('drill-journal-multiaz.json')}`,
      '--capabilities',
      'CAPABILITY_IAM',
    );
    const stack = await settle(cfn(cloud), STACK, 6000);
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
  });
  after(async () => {
    if (cloud) await disposeAndCheckHost(cloud);
  });

  it('terminate: the group replaces the instance, the Elastic IP follows, and the writes on the old root volume are lost', async () => {
    const run = await drill(cloud, ['terminate', '--stack', STACK, '--json', '--limit', '1800']);
    const r = parse(run);
    assert.equal(r.recovered, true, run.stderr);
    assert.ok(
      r.timeline.some((e) => e.kind === 'scaling'),
      `scaling activities in the timeline:\n${run.stderr}`,
    );
    const owners = r.timeline.filter((e) => e.kind === 'address').map((e) => e.state);
    assert.ok(owners.length >= 2 && owners[owners.length - 1] !== r.target.instanceId, `the Elastic IP moved: ${owners.join(' → ')}`);
    const before = r.timeline.find((e) => /writes acknowledged before the fault/.test(e.text))?.text ?? '';
    const ackedBefore = Number(/^(\d+)/.exec(before)?.[1]);
    assert.ok(r.lostWrites !== null && r.lostWrites >= ackedBefore && ackedBefore >= 3, `lost ${r.lostWrites}, ${before}`);
    // One write every 5 AWS s: the lost ones span at least the intervals between them.
    assert.ok(
      r.rpoSeconds !== null && r.rpoSeconds >= 5 * (ackedBefore - 2),
      `RPO ${r.rpoSeconds} AWS s spans the ${ackedBefore} writes before the fault`,
    );
  });

  it('az-outage: the group launches in the other zone; the drill restores the zone', async () => {
    const run = await drill(cloud, ['az-outage', '--stack', STACK, '--json', '--limit', '1800']);
    const r = parse(run);
    assert.equal(r.recovered, true, run.stderr);
    const zones = r.timeline.filter((e) => e.kind === 'instance' && / running in /.test(e.text)).map((e) => / in (\S+)$/.exec(e.text)?.[1]);
    assert.ok(
      zones.some((z) => z && z !== r.target.zone),
      `an instance runs outside ${r.target.zone}: ${zones.join(', ')}`,
    );
    assert.ok(r.lostWrites !== null && r.lostWrites >= 3, `the journal of the dark zone's instance is lost: ${r.lostWrites}`);
    // The impaired instance is replaced once the group's health check grace period (600 s) is over, at the latest;
    // then a launch (aws-typical 45 s), the next health check (30 s) and the guest's boot (5 minutes' allowance).
    assert.ok(r.rtoSeconds !== null && r.rtoSeconds <= 600 + 45 + 30 + 300, `RTO ${r.rtoSeconds} AWS s`);
    assert.match(r.restored, /is back/);
    const open = cloud
      .awsOk(
        'health',
        'describe-events',
        '--region',
        'us-east-1',
        '--filter',
        JSON.stringify({ eventTypeCodes: ['AWS_EC2_OPERATIONAL_ISSUE'] }),
      )
      .events.filter((e: { statusCode: string }) => e.statusCode !== 'closed');
    assert.deepEqual(open, [], 'no zone left dark');
  });
});
