import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { HALO_MAIN, TestCloud } from './support/cloud.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** An SDK v3 client made with no options at all: region, endpoint and credentials come from the environment only. */
const CLIENT_WITH_NO_OPTIONS = `
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
const out = await new EC2Client({}).send(new DescribeRegionsCommand({}));
console.log(JSON.stringify(out.Regions.map((r) => r.RegionName)));
`;

describe('halo cloud env', () => {
  let cloud: TestCloud;
  let home: string;
  before(async () => {
    cloud = await TestCloud.start();
    home = mkdtempSync(path.join(os.tmpdir(), 'halo-env-home-'));
  });
  after(async () => {
    await cloud?.dispose();
    rmSync(home, { recursive: true, force: true });
  });

  it('exports what the aws CLI and SDK v3 need: new EC2Client({}) answers DescribeRegions after eval', () => {
    // A shell with nothing of AWS in its environment: only what `halo cloud env` prints.
    const env = { PATH: process.env.PATH, HOME: home, HALO_HOME: cloud.home };
    const script =
      `eval "$("${process.execPath}" "${HALO_MAIN}" cloud env)" && test -n "$AWS_REGION" && test "$AWS_REGION" = "$AWS_DEFAULT_REGION" ` +
      `&& "${process.execPath}" --input-type=module -e "$CLIENT"`;
    const r = spawnSync('bash', ['-c', script], { env: { ...env, CLIENT: CLIENT_WITH_NO_OPTIONS }, cwd: REPO, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const regions = JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]') as string[];
    assert.ok(regions.includes('us-east-1'), r.stdout);
  });
});
