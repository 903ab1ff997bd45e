import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureImage } from '../src/runtime/images.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';
import { cfn, eventLog, settle } from './templates/support.js';

/**
 * AWS::CloudFormation::WaitConditionHandle and WaitCondition through the real aws CLI: an instance's user data PUTs
 * JSON signals to the handle's presigned URL (curl -T, and cfn-signal with the URL), GetAtt Data gathers them; a
 * FAILURE signal and the time-out (on a scaled clock) fail the stack with CloudFormation's reasons.
 * The instance case needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

const waitCondition = (extra: Record<string, unknown> = {}, props: Record<string, unknown> = {}) => ({
  Type: 'AWS::CloudFormation::WaitCondition',
  ...extra,
  Properties: { Handle: { Ref: 'Handle' }, Timeout: '600', ...props },
});

const instanceTemplate = JSON.stringify({
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.30.0.0/16' } },
    Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.30.1.0/24', AvailabilityZone: 'us-east-1a' } },
    Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' },
    Web: {
      Type: 'AWS::EC2::Instance',
      Properties: {
        ImageId: 'ami-1ecae776',
        InstanceType: 't2.micro',
        SubnetId: { Ref: 'Subnet' },
        UserData: {
          'Fn::Base64': {
            'Fn::Sub': [
              '#!/bin/sh\n' +
                'printf \'{"Status":"SUCCESS","Reason":"web ready","UniqueId":"web","Data":"served by %s"}\' "$(hostname)" > /tmp/signal.json\n' +
                'curl -sS -T /tmp/signal.json "${Url}"\n' +
                '/opt/aws/bin/cfn-signal -e 0 -i second -d 42 -r "second step" "${Url}"\n',
              { Url: { Ref: 'Handle' } },
            ],
          },
        },
      },
    },
    Wait: waitCondition({ DependsOn: 'Web' }, { Count: '2' }),
  },
  Outputs: {
    Data: { Value: { 'Fn::GetAtt': ['Wait', 'Data'] } },
    Url: { Value: { Ref: 'Handle' } },
    Host: { Value: { 'Fn::GetAtt': ['Web', 'PrivateDnsName'] } },
  },
});

const handleOnly = (timeout: string) =>
  JSON.stringify({
    Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' }, Wait: waitCondition({}, { Timeout: timeout }) },
  });

describe('CloudFormation wait conditions: a handle URL signaled with JSON, and the time-out', () => {
  let cloud: TestCloud;
  before(async () => {
    if (ROOT) await ensureImage(process.env.HALO_IMAGE_CACHE as string);
    cloud = await TestCloud.start({ timeScale: 20, profile: 'fast' });
  });
  after(async () => {
    if (cloud && ROOT) await disposeAndCheckHost(cloud);
    else await cloud?.dispose();
  });

  const create = (name: string, body: string) =>
    cloud.awsOk('cloudformation', 'create-stack', '--stack-name', name, '--template-body', body);

  /** A PUT from the host to a handle URL: its path and query at the cloud's endpoint (instances use 169.254.169.254:4570). */
  const putFromHost = (url: string, body: string) =>
    fetch(url.replace(/^http:\/\/169\.254\.169\.254:4570/, cloud.endpoint), { method: 'PUT', body });

  it('without a signal the wait condition times out on the cloud clock, as CloudFormation says it', async () => {
    create('wait-none', handleOnly('120'));
    const done = await settle(cfn(cloud), 'wait-none', 6000);
    assert.equal(done.StackStatus, 'ROLLBACK_COMPLETE', done.StackStatusReason);
    const failed = (await eventLog(cfn(cloud), 'wait-none')).events.find(
      (e) => e.LogicalResourceId === 'Wait' && e.ResourceStatus === 'CREATE_FAILED',
    );
    assert.equal(failed?.ResourceStatusReason, 'WaitCondition timed out. Received 0 conditions when expecting 1');
  });

  it('a FAILURE signal fails it with its reason; a forged or malformed signal is refused', async () => {
    create('wait-fail', handleOnly('3600'));
    let url = '';
    for (let i = 0; i < 600 && !url; i++) {
      const r = cloud.awsOk('cloudformation', 'describe-stack-resources', '--stack-name', 'wait-fail');
      url = r.StackResources.find((x: { LogicalResourceId: string }) => x.LogicalResourceId === 'Handle')?.PhysicalResourceId ?? '';
      if (!url) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(
      url,
      /^http:\/\/169\.254\.169\.254:4570\/cloudformation-waitcondition\/us-east-1\/arn%3Aaws%3Acloudformation%3A.*\/Handle\?AWSAccessKeyId=AKIA\w+&Expires=\d+&Signature=/,
    );
    const forged = await putFromHost(url.replace(/Signature=[^&]+/, 'Signature=forged'), '{"Status":"SUCCESS","UniqueId":"x"}');
    assert.equal(forged.status, 403);
    assert.match(await forged.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
    const malformed = await putFromHost(url, '{"Status":"DONE","UniqueId":"x"}');
    assert.equal(malformed.status, 400);
    const failure = await putFromHost(url, JSON.stringify({ Status: 'FAILURE', Reason: 'the setup broke', UniqueId: 'host', Data: '' }));
    assert.equal(failure.status, 200, await failure.text());
    const done = await settle(cfn(cloud), 'wait-fail', 6000);
    assert.equal(done.StackStatus, 'ROLLBACK_COMPLETE');
    const failed = (await eventLog(cfn(cloud), 'wait-fail')).events.find(
      (e) => e.LogicalResourceId === 'Wait' && e.ResourceStatus === 'CREATE_FAILED',
    );
    assert.equal(failed?.ResourceStatusReason, "WaitCondition received failed message: 'the setup broke' for uniqueId: host");
  });

  it('a wait condition with a CreationPolicy instead of a handle waits for SignalResource', async () => {
    create(
      'wait-policy',
      JSON.stringify({
        Resources: {
          Wait: { Type: 'AWS::CloudFormation::WaitCondition', CreationPolicy: { ResourceSignal: { Count: 1, Timeout: 'PT30M' } } },
        },
      }),
    );
    for (let i = 0; i < 600; i++) {
      const events = (await eventLog(cfn(cloud), 'wait-policy')).events;
      if (events.some((e) => e.LogicalResourceId === 'Wait' && e.ResourceStatusReason === 'Resource creation Initiated')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    cloud.awsOk(
      'cloudformation',
      'signal-resource',
      '--stack-name',
      'wait-policy',
      '--logical-resource-id',
      'Wait',
      '--unique-id',
      'admin',
      '--status',
      'SUCCESS',
    );
    const done = await settle(cfn(cloud), 'wait-policy', 6000);
    assert.equal(done.StackStatus, 'CREATE_COMPLETE', done.StackStatusReason);
  });

  it(
    'an instance signals the handle from its user data (curl -T and cfn-signal URL); GetAtt Data has both',
    { skip: ROOT ? false : 'needs root: instances run in namespaces' },
    async () => {
      create('wait-ok', instanceTemplate);
      const done = await settle(cfn(cloud), 'wait-ok', 6000);
      assert.equal(done.StackStatus, 'CREATE_COMPLETE', done.StackStatusReason);
      const out = Object.fromEntries((done.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
      const hostname = String(out.Host).split('.')[0];
      assert.deepEqual(JSON.parse(String(out.Data)), { web: `served by ${hostname}`, second: '42' });
      const described = cloud.awsOk(
        'cloudformation',
        'describe-stack-resource',
        '--stack-name',
        'wait-ok',
        '--logical-resource-id',
        'Wait',
      );
      assert.match(described.StackResourceDetail.PhysicalResourceId, /^arn:aws:cloudformation:us-east-1:\d+:stack\/wait-ok\/[\w-]+\/Wait$/);
      cloud.awsOk('cloudformation', 'delete-stack', '--stack-name', 'wait-ok');
      const deleted = await settle(cfn(cloud), 'wait-ok', 6000).catch(() => undefined);
      assert.notEqual(deleted?.StackStatus, 'DELETE_FAILED');
    },
  );
});
