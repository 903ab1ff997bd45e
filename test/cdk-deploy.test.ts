import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';

/**
 * The CDK app deployed to the local cloud with `halo deploy` (root: real instances). Needs the halo-ci image layer
 * (built once per image cache by `halo image build --name halo-ci --packages buildbot,buildbot-worker`).
 */
let cloud: TestCloud;
const isRoot = process.getuid?.() === 0;

before(async () => {
  if (!isRoot) return;
  cloud = await TestCloud.start();
  const built = cloud.halo('image', 'build', '--name', 'halo-ci', '--packages', 'buildbot,buildbot-worker');
  assert.equal(built.status, 0, built.stderr);
});

after(async () => {
  if (cloud) await disposeAndCheckHost(cloud);
});

function stackOutputs(name: string): Record<string, string> {
  const stack = cloud.awsOk('cloudformation', 'describe-stacks', '--stack-name', name).Stacks[0];
  return Object.fromEntries((stack.Outputs ?? []).map((o: { OutputKey: string; OutputValue: string }) => [o.OutputKey, o.OutputValue]));
}

async function http(url: string, init?: RequestInit): Promise<{ status: number; text: string; headers: Headers }> {
  const r = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

/**
 * The server's answer. With the CreationPolicy honoured the stack completes only once the server answers, so the
 * first try succeeds; the retries cover a cloud that completes the stack before the signal.
 */
async function answering(url: string, stack: string): Promise<{ status: number; text: string }> {
  for (let i = 0; i < 90; i++) {
    try {
      return await http(url);
    } catch {
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  const id =
    cloud.awsOk(
      'ec2',
      'describe-instances',
      '--filters',
      `Name=tag:aws:cloudformation:stack-name,Values=${stack}`,
      'Name=instance-state-name,Values=running',
    ).Reservations?.[0]?.Instances?.[0]?.InstanceId ??
    cloud
      .awsOk('cloudformation', 'describe-stack-resources', '--stack-name', stack)
      .StackResources.find((r: { ResourceType: string }) => r.ResourceType === 'AWS::EC2::Instance')?.PhysicalResourceId;
  const console = id ? cloud.aws('ec2', 'get-console-output', '--instance-id', id, '--output', 'text').stdout : '';
  throw new Error(`${url} never answered; console of ${id}:\n${console}`);
}

/** Logs in to buildbot as admin (curl, basic auth, a cookie jar), forces the `smoke` build through the REST API and waits for its result. */
async function buildThroughTheApi(base: string, password: string): Promise<Record<string, unknown>> {
  const jar = path.join(mkdtempSync(path.join(os.tmpdir(), 'halo-cdk-jar-')), 'cookies');
  const curl = (...args: string[]) => spawnSync('curl', ['-s', '--max-time', '10', '-b', jar, '-c', jar, ...args], { encoding: 'utf8' });
  const login = curl('-u', `admin:${password}`, '-o', '/dev/null', '-w', '%{http_code}', `${base}/auth/login`);
  assert.equal(login.stdout, '302', `login: ${login.stdout} ${login.stderr}`);
  const force = curl(
    '-X',
    'POST',
    '-H',
    'Content-Type: application/json',
    '-d',
    JSON.stringify({ jsonrpc: '2.0', method: 'force', id: 1, params: { builderid: '1' } }),
    `${base}/api/v2/forceschedulers/force`,
  );
  assert.match(force.stdout, /"result"/, force.stdout);
  rmSync(path.dirname(jar), { recursive: true, force: true });
  for (let i = 0; i < 60; i++) {
    // A connection refused here is the architecture at work (an unhealthy server replaced on a loaded machine): the
    // build is asked for again until its result is known.
    const builds = await http(`${base}/api/v2/builds`).then(
      (r) => JSON.parse(r.text).builds as Array<Record<string, unknown>>,
      () => [],
    );
    if (builds[0]?.complete) return builds[0];
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error('the forced build did not complete within 2 minutes');
}

test(
  'Recovery (target local) deploys to CREATE_COMPLETE, buildbot answers on its Elastic IP and runs a build, the stack deletes cleanly',
  { skip: !isRoot && 'needs root' },
  async () => {
    const deployed = cloud.halo('deploy', 'Recovery');
    assert.equal(deployed.status, 0, deployed.stdout + deployed.stderr);
    assert.match(deployed.stdout, /Recovery \| .* \| CREATE_COMPLETE +\| AWS::CloudFormation::Stack/);
    assert.match(deployed.stdout, /Recovery\.URL = http:\/\//);
    const out = stackOutputs('Recovery');
    const api = await answering(`${out.URL}/api/v2/builders`, 'Recovery');
    assert.equal(api.status, 200);
    assert.match(api.text, /"name": "smoke"/);
    const sm = new SecretsManagerClient(cloud.sdk);
    const password = (await sm.send(new GetSecretValueCommand({ SecretId: out.AdminPasswordSecret }))).SecretString!;
    // Anonymous control is refused; the admin's build runs and succeeds.
    const anonymous = await http(`${out.URL}/api/v2/forceschedulers/force`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"jsonrpc":"2.0","method":"force","id":1,"params":{"builderid":"1"}}',
    });
    assert.equal(anonymous.status, 403);
    const build = await buildThroughTheApi(out.URL, password);
    assert.equal(build.results, 0, JSON.stringify(build));
    const destroyed = cloud.halo('destroy', 'Recovery');
    assert.equal(destroyed.status, 0, destroyed.stdout + destroyed.stderr);
    assert.match(destroyed.stdout, /DELETE_COMPLETE/);
  },
);

test(
  'a stack whose workload cannot start (an image without buildbot) ends CREATE_FAILED through its CreationPolicy',
  { skip: !isRoot && 'needs root' },
  async () => {
    const seed = JSON.parse(readFileSync(new URL('../../test/templates/seed/recovery.json', import.meta.url), 'utf8'));
    const plainImage = Object.values(seed.Mappings.EC2RegionMap as Record<string, Record<string, string>>)[0]
      .AmazonLinuxAMIHVMEBSBacked64bit;
    const deployed = cloud.halo('deploy', 'Recovery', '--stack-name', 'RecoveryBroken', '-p', `ImageId=${plainImage}`);
    assert.notEqual(deployed.status, 0, deployed.stdout);
    const stack = cloud.awsOk('cloudformation', 'describe-stacks', '--stack-name', 'RecoveryBroken').Stacks[0];
    assert.match(stack.StackStatus, /^(CREATE_FAILED|ROLLBACK_COMPLETE)$/);
    const events = cloud.awsOk('cloudformation', 'describe-stack-events', '--stack-name', 'RecoveryBroken').StackEvents as Array<
      Record<string, string>
    >;
    assert.ok(
      events.some((e) => e.LogicalResourceId.startsWith('RecoveryInstance') && e.ResourceStatus === 'CREATE_FAILED'),
      JSON.stringify(events.map((e) => [e.LogicalResourceId, e.ResourceStatus, e.ResourceStatusReason])),
    );
    const destroyed = cloud.halo('destroy', 'RecoveryBroken');
    assert.equal(destroyed.status, 0, destroyed.stdout + destroyed.stderr);
  },
);

/** The public address of the group's one in-service instance (MultiAz has no Elastic IP, as in the seed). */
function groupUrl(stack: string): string {
  const group = stackOutputs(stack).GroupName;
  const instances = cloud.awsOk('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', group).AutoScalingGroups[0]
    .Instances as Array<{ InstanceId: string }>;
  assert.equal(instances.length, 1);
  const reservation = cloud.awsOk('ec2', 'describe-instances', '--instance-ids', instances[0].InstanceId).Reservations[0];
  return `http://${reservation.Instances[0].PublicIpAddress}:8080`;
}

for (const stack of ['MultiAz', 'MultiAzSnapshot']) {
  test(
    `${stack} (target local) deploys to CREATE_COMPLETE, its buildbot runs a build, the stack deletes cleanly`,
    { skip: !isRoot && 'needs root' },
    async () => {
      const deployed = cloud.halo('deploy', stack);
      assert.equal(deployed.status, 0, deployed.stdout + deployed.stderr);
      const out = stackOutputs(stack);
      const url = out.URL ?? groupUrl(stack);
      const api = await answering(`${url}/api/v2/builders`, stack);
      assert.equal(api.status, 200);
      const sm = new SecretsManagerClient(cloud.sdk);
      const password = (await sm.send(new GetSecretValueCommand({ SecretId: out.AdminPasswordSecret }))).SecretString!;
      assert.equal((await buildThroughTheApi(url, password)).results, 0);
      const destroyed = cloud.halo('destroy', stack);
      assert.equal(destroyed.status, 0, destroyed.stdout + destroyed.stderr);
    },
  );
}

for (const stack of ['Resilient']) {
  test(
    `${stack} (target local) deploys to CREATE_COMPLETE with its state on EFS, its buildbot runs a build, the stack deletes cleanly`,
    { skip: !isRoot && 'needs root' },
    async () => {
      const deployed = cloud.halo('deploy', stack);
      assert.equal(deployed.status, 0, deployed.stdout + deployed.stderr);
      const out = stackOutputs(stack);
      assert.equal((await answering(`${out.URL}/api/v2/builders`, stack)).status, 200);
      const sm = new SecretsManagerClient(cloud.sdk);
      const password = (await sm.send(new GetSecretValueCommand({ SecretId: out.AdminPasswordSecret }))).SecretString!;
      assert.equal((await buildThroughTheApi(out.URL, password)).results, 0);
      const destroyed = cloud.halo('destroy', stack);
      assert.equal(destroyed.status, 0, destroyed.stdout + destroyed.stderr);
    },
  );
}
