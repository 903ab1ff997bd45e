import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { footprint, isClean } from '../src/runtime/cleanup.js';
import { cloudTag } from '../src/runtime/names.js';
import { HALO_MAIN } from './support/cloud.js';
import { processesOf } from './support/host.js';

/**
 * `halo up`, `halo status` and `halo down` as a user runs them, against a cloud the CLI itself starts in a private
 * HALO_HOME (root: real instances). The Recovery architecture is the quickest to deploy; the default (Resilient)
 * takes the same path with more resources.
 */
const isRoot = process.getuid?.() === 0;
const ARCHITECTURE = 'Recovery';
let home = '';

function env(): NodeJS.ProcessEnv {
  const { HALO_COMMAND: _ignored, ...rest } = process.env;
  return {
    ...rest,
    HOME: home,
    HALO_HOME: home,
    // The machine's shared image cache: the default image and the halo-ci layer are built once per machine.
    HALO_IMAGE_CACHE: process.env.HALO_IMAGE_CACHE || '/var/cache/halo-images',
    AWS_CONFIG_FILE: path.join(home, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'aws-credentials'),
  };
}

function halo(...args: string[]) {
  return spawnSync(process.execPath, [HALO_MAIN, ...args], { env: env(), encoding: 'utf8', timeout: 20 * 60_000 });
}

function awsJson(...args: string[]): any {
  const r = halo('aws', '--output', 'json', ...args);
  assert.equal(r.status, 0, `halo aws ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function eventIds(): string[] {
  return (awsJson('cloudformation', 'describe-stack-events', '--stack-name', ARCHITECTURE).StackEvents as Array<{ EventId: string }>)
    .map((e) => e.EventId)
    .sort();
}

/** The stack's instances that are not terminated. */
function instanceIds(): string[] {
  const reservations = awsJson(
    'ec2',
    'describe-instances',
    '--filters',
    `Name=tag:aws:cloudformation:stack-name,Values=${ARCHITECTURE}`,
    'Name=instance-state-name,Values=pending,running,stopping,stopped,shutting-down',
  ).Reservations as Array<{ Instances: Array<{ InstanceId: string }> }>;
  return reservations.flatMap((r) => r.Instances.map((i) => i.InstanceId)).sort();
}

before(() => {
  if (isRoot) home = mkdtempSync(path.join(os.tmpdir(), 'halo-up-test-'));
});

after(() => {
  if (!home) return;
  const stopped = halo('cloud', 'stop');
  assert.equal(stopped.status, 0, stopped.stderr);
  assert.match(stopped.stdout, /halo cloud stopped .*every instance, network and mount of it is gone/);
  const cleaned = halo('cloud', 'clean', '--state');
  assert.equal(cleaned.status, 0, cleaned.stderr);
  assert.match(cleaned.stdout, /removed the cloud's state in /);
  for (const left of ['state.db', 'instances', 'volumes', 'efs'])
    assert.equal(existsSync(path.join(home, left)), false, `'halo cloud clean --state' removed ${left}`);
  const fp = footprint(cloudTag(home));
  assert.ok(isClean(fp), `the host still holds halo objects of this cloud: ${JSON.stringify(fp)}`);
  assert.deepEqual(processesOf(home), [], 'processes of this cloud are still running');
  rmSync(home, { recursive: true, force: true });
});

let url = '';
let firstEvents: string[] = [];
let firstInstances: string[] = [];

test('halo up refuses an unknown architecture, saying which exist', { skip: !isRoot && 'needs root' }, () => {
  const r = halo('up', '--stack', 'Nope', '--port', '0');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--stack Nope: the architectures are Recovery, MultiAz, MultiAzSnapshot, Resilient/);
  assert.equal(halo('cloud', 'status').status, 3, 'no cloud was started for a refused command');
});

test(
  'halo up starts the cloud, registers the halo-ci image, deploys the stack and prints a URL that answers, the password command and a drill to try',
  { skip: !isRoot && 'needs root' },
  async () => {
    const r = halo('up', '--stack', ARCHITECTURE, '--port', '0', '--profile', 'fast');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /halo cloud: started at http:\/\/127\.0\.0\.1:\d+/);
    assert.match(r.stdout, /image: (reused the cached layer|built the layer) .*registered as ami-[0-9a-f]+ \(halo-ci\)/);
    assert.match(r.stdout, new RegExp(`${ARCHITECTURE} \\| .* \\| CREATE_COMPLETE +\\| AWS::CloudFormation::Stack`));
    assert.match(r.stdout, /waiting for RecoveryInstance\w+'s success signal/, 'the progress names the signal wait');
    url = /URL: +(http:\/\/\S+) +answering \(HTTP 200\)/.exec(r.stdout)?.[1] ?? '';
    assert.ok(url, r.stdout);
    assert.match(r.stdout, new RegExp(`halo drill instance-crash --stack ${ARCHITECTURE}`));

    const page = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /halo CI/);

    // The printed command really prints the admin password: buildbot lets admin log in with it.
    const command = /^ +halo (aws secretsmanager get-secret-value --secret-id \S+ --query SecretString --output text)$/m.exec(
      r.stdout,
    )?.[1];
    assert.ok(command, r.stdout);
    assert.match(
      r.stdout,
      /aws secretsmanager get-secret-value --secret-id \S+ --query SecretString --output text --endpoint-url http:\/\/127\.0\.0\.1:\d+/,
    );
    const read = halo(...command.split(' '));
    assert.equal(read.status, 0, read.stderr);
    const password = read.stdout.trim();
    assert.ok(password.length >= 16, `a generated password, got '${password}'`);
    const login = await fetch(`${url}/auth/login`, {
      headers: { Authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` },
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(login.status, 302, 'admin logs in with the password the command printed');
    const wrong = await fetch(`${url}/auth/login`, {
      headers: { Authorization: `Basic ${Buffer.from('admin:wrong-password').toString('base64')}` },
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    assert.notEqual(wrong.status, 302);

    firstEvents = eventIds();
    firstInstances = instanceIds();
    assert.equal(firstInstances.length, 1);
  },
);

test('halo up again changes nothing: no new stack event, the same instance, the same summary', { skip: !isRoot && 'needs root' }, () => {
  assert.ok(url, 'the first up deployed the stack');
  const r = halo('up', '--stack', ARCHITECTURE);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /halo cloud: running at/);
  assert.match(r.stdout, /image: halo-ci is ami-/);
  assert.match(r.stdout, /already deployed with this template \(CREATE_COMPLETE\); nothing changed/);
  assert.match(r.stdout, /template from .*\/synth/, 'the unchanged CDK app is not synthesized again');
  assert.ok(r.stdout.includes(`URL:             ${url}   answering (HTTP 200)`), r.stdout);
  assert.deepEqual(eventIds(), firstEvents);
  assert.deepEqual(instanceIds(), firstInstances);
});

test(
  'halo status --json reports the cloud and the stack healthy: URL answering, instance running, alarm not in ALARM',
  { skip: !isRoot && 'needs root' },
  () => {
    const r = halo('status', '--json');
    assert.equal(r.status, 0, r.stderr);
    const status = JSON.parse(r.stdout);
    assert.equal(status.cloud.running, true);
    assert.equal(status.cloud.home, home);
    assert.equal(status.cloud.profile, 'fast');
    assert.equal(status.stacks.length, 1);
    const stack = status.stacks[0];
    assert.equal(stack.name, ARCHITECTURE);
    assert.equal(stack.status, 'CREATE_COMPLETE');
    assert.equal(stack.tags['halo:deployed-by'], 'halo up');
    assert.equal(stack.url, url);
    assert.equal(stack.probe.answering, true);
    assert.equal(stack.probe.httpStatus, 200);
    assert.deepEqual(
      stack.instances.map((i: { instanceId: string }) => i.instanceId),
      firstInstances,
    );
    assert.equal(stack.instances[0].state, 'running');
    assert.equal(stack.alarms.length, 1);
    assert.notEqual(stack.alarms[0].state, 'ALARM');
    assert.equal(stack.healthy, true);
  },
);

test('halo down removes the stack (DELETE_COMPLETE) and says the cloud keeps running', { skip: !isRoot && 'needs root' }, async () => {
  assert.ok(url, 'the first up deployed the stack');
  const r = halo('down');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`${ARCHITECTURE} \\| .* \\| DELETE_COMPLETE +\\| AWS::CloudFormation::Stack`));
  assert.match(r.stdout, new RegExp(`${ARCHITECTURE}: DELETE_COMPLETE`));
  assert.match(r.stdout, /the halo cloud keeps running at .*'halo cloud stop' stops it/);
  const gone = halo('aws', 'cloudformation', 'describe-stacks', '--stack-name', ARCHITECTURE);
  assert.notEqual(gone.status, 0);
  assert.match(gone.stderr, /does not exist/);
  assert.deepEqual(instanceIds(), [], 'every instance of the stack is terminated');
  await assert.rejects(fetch(url, { signal: AbortSignal.timeout(5000) }), 'the URL no longer answers');
  const status = JSON.parse(halo('status', '--json').stdout);
  assert.equal(status.cloud.running, true);
  assert.deepEqual(status.stacks, []);
});
