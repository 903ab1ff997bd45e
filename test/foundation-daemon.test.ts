import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestCloud } from './support/cloud.js';

describe('the daemon keeps its state and the CLI drives it', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('a key pair survives kill -9 of the daemon', async () => {
    const created = cloud.aws('ec2', 'create-key-pair', '--key-name', 'mykey');
    assert.equal(created.status, 0, created.stderr);
    await cloud.crash();
    await cloud.restart();
    const described = cloud.aws('ec2', 'describe-key-pairs', '--key-names', 'mykey');
    assert.equal(described.status, 0, described.stderr);
    assert.equal(described.json.KeyPairs[0].KeyPairId, created.json.KeyPairId);
    assert.equal(described.json.KeyPairs[0].KeyFingerprint, created.json.KeyFingerprint);
  });

  it('status --json names pid, endpoint, port, home and region', () => {
    const r = cloud.halo('cloud', 'status', '--json');
    assert.equal(r.status, 0, r.stderr);
    const status = JSON.parse(r.stdout);
    assert.equal(status.running, true);
    assert.equal(status.endpoint, cloud.endpoint);
    assert.equal(status.port, cloud.port);
    assert.equal(status.home, cloud.home);
    assert.equal(status.region, 'us-east-1');
    assert.equal(typeof status.pid, 'number');
  });

  it('env prints exports and writes the aws CLI profile "halo"', () => {
    const r = cloud.halo('cloud', 'env');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^export AWS_ENDPOINT_URL=${cloud.endpoint}$`, 'm'));
    assert.match(r.stdout, /^export AWS_DEFAULT_REGION=us-east-1$/m);
    const credentials = readFileSync(path.join(cloud.home, 'aws-credentials'), 'utf8');
    assert.match(credentials, new RegExp(`\\[halo\\]\\naws_access_key_id = ${cloud.accessKeyId}\\n`));
    assert.match(readFileSync(path.join(cloud.home, 'aws-config'), 'utf8'), /\[profile halo\]\nregion = us-east-1\n/);
    const viaProfile = cloud.aws('--profile', 'halo', 'sts', 'get-caller-identity');
    assert.equal(viaProfile.status, 0, viaProfile.stderr);
    assert.match(viaProfile.json.Arn, /^arn:aws:iam::\d{12}:root$/);
  });

  it('halo aws runs the real aws CLI against the cloud', () => {
    const r = cloud.halo('aws', 'ec2', 'describe-key-pairs', '--query', 'KeyPairs[].KeyName', '--output', 'text');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'mykey');
  });

  it('refuses to start a second cloud on the same home, and bad flags, with what to do', () => {
    const twice = cloud.halo('cloud', 'start', '--port', '0');
    assert.equal(twice.status, 1);
    assert.match(twice.stderr, /already runs .* 'halo cloud stop'/);
    const bad = cloud.halo('cloud', 'start', '--time-scale', '-3');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--time-scale must be a positive number/);
    const profile = cloud.halo('cloud', 'start', '--profile', 'warp');
    assert.match(profile.stderr, /unknown timing profile "warp"; choose one of: aws-typical, fast, instant/);
  });

  it('stop removes the daemon record; status then says how to start', async () => {
    await cloud.stop();
    assert.equal(existsSync(path.join(cloud.home, 'daemon.json')), false);
    const r = cloud.halo('cloud', 'status');
    assert.equal(r.status, 3);
    assert.match(r.stdout, /not running .*halo cloud start --detach/);
  });
});
