import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureImage } from '../src/runtime/images.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';
import { inInstance } from './support/instance-shell.js';
import { waitFor } from './support/wait.js';
import { cfn, eventLog, settle } from './templates/support.js';

/**
 * CreationPolicy with ResourceSignal on an instance: its user data runs /opt/aws/bin/cfn-signal (the instance's
 * role has no CloudFormation permission: a stack's own instances may signal it). SUCCESS → CREATE_COMPLETE;
 * `cfn-signal -e 1` → CREATE_FAILED "Received FAILURE signal ..." and rollback; no signal → the time-out fails it.
 * Needs root (real instances).
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

function template(userData: string, timeout: string, profile = true): string {
  const t = JSON.parse(templateWithProfile(userData, timeout));
  if (!profile) {
    delete t.Resources.Role;
    delete t.Resources.Profile;
    delete t.Resources.Web.Properties.IamInstanceProfile;
  }
  return JSON.stringify(t);
}

function templateWithProfile(userData: string, timeout: string): string {
  return JSON.stringify({
    Resources: {
      Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.20.0.0/16' } },
      Subnet: {
        Type: 'AWS::EC2::Subnet',
        Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.20.1.0/24', AvailabilityZone: 'us-east-1a' },
      },
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          },
        },
      },
      Profile: { Type: 'AWS::IAM::InstanceProfile', Properties: { Roles: [{ Ref: 'Role' }] } },
      Web: {
        Type: 'AWS::EC2::Instance',
        CreationPolicy: { ResourceSignal: { Count: 1, Timeout: timeout } },
        Properties: {
          ImageId: 'ami-1ecae776',
          InstanceType: 't2.micro',
          SubnetId: { Ref: 'Subnet' },
          IamInstanceProfile: { Ref: 'Profile' },
          UserData: { 'Fn::Base64': { 'Fn::Sub': userData } },
        },
      },
    },
    Outputs: { Id: { Value: { Ref: 'Web' } } },
  });
}

describe(
  'CreationPolicy ResourceSignal on an instance, signaled by cfn-signal from its user data',
  { skip: ROOT ? false : 'needs root: instances run in namespaces' },
  () => {
    let cloud: TestCloud;
    /** The instance of the first stack, still running. */
    let okInstance = '';
    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ timeScale: 20, profile: 'fast' });
    });
    after(async () => {
      if (cloud) await disposeAndCheckHost(cloud);
    });

    const create = (name: string, body: string) =>
      cloud.awsOk('cloudformation', 'create-stack', '--stack-name', name, '--template-body', body, '--capabilities', 'CAPABILITY_IAM');

    it('success, FAILURE signal and time-out, each as CloudFormation reports them', async () => {
      create(
        'signals-ok',
        template(
          '#!/bin/sh\necho configured > /tmp/done\n/opt/aws/bin/cfn-signal -e $? --stack ${AWS::StackName} --resource Web --region ${AWS::Region}\n',
          'PT30M',
        ),
      );
      create(
        'signals-fail',
        template(
          '#!/bin/bash\ncurl -sf http://mirrors.jenkins-ci.org/redhat/jenkins.repo -o /tmp/jenkins.repo\ncfn-signal -e $? --stack ${AWS::StackName} --resource Web\n',
          'PT30M',
        ),
      );
      create('signals-none', template('#!/bin/sh\necho never signals\n', 'PT2M'));

      const ok = await settle(cfn(cloud), 'signals-ok', 6000);
      assert.equal(ok.StackStatus, 'CREATE_COMPLETE', ok.StackStatusReason);
      const id = ok.Outputs?.[0].OutputValue as string;
      okInstance = id;
      const okEvents = (await eventLog(cfn(cloud), 'signals-ok')).events.filter((e) => e.LogicalResourceId === 'Web');
      assert.deepEqual(
        okEvents.map((e) => `${e.ResourceStatus} ${e.ResourceStatusReason ?? ''}`.trim()),
        [
          'CREATE_IN_PROGRESS',
          'CREATE_IN_PROGRESS Resource creation Initiated',
          `CREATE_IN_PROGRESS Received SUCCESS signal with UniqueId ${id}`,
          'CREATE_COMPLETE',
        ],
      );
      // Once complete, the resource no longer takes signals (AWS's ValidationError).
      const late = cloud.aws(
        'cloudformation',
        'signal-resource',
        '--stack-name',
        'signals-ok',
        '--logical-resource-id',
        'Web',
        '--unique-id',
        'late',
        '--status',
        'SUCCESS',
      );
      assert.notEqual(late.status, 0);
      assert.match(
        late.stderr,
        /ValidationError.*Stack arn:aws:cloudformation:us-east-1:\d+:stack\/signals-ok\/\S+ is in CREATE_COMPLETE state and cannot be signaled/,
      );

      const failed = await settle(cfn(cloud), 'signals-fail', 6000);
      assert.equal(failed.StackStatus, 'ROLLBACK_COMPLETE', failed.StackStatusReason);
      const failEvents = (await eventLog(cfn(cloud), 'signals-fail')).events.filter((e) => e.LogicalResourceId === 'Web');
      const failedEvent = failEvents.find((e) => e.ResourceStatus === 'CREATE_FAILED');
      assert.match(failedEvent?.ResourceStatusReason ?? '', /^Received FAILURE signal with UniqueId i-[0-9a-f]+$/);
      assert.ok(
        failEvents.some((e) => /^Received FAILURE signal with UniqueId i-/.test(e.ResourceStatusReason ?? '')),
        'the signal is an event',
      );
      assert.equal(failEvents.at(-1)?.ResourceStatus, 'DELETE_COMPLETE', 'rolled back: the instance is deleted');

      const none = await settle(cfn(cloud), 'signals-none', 6000);
      assert.equal(none.StackStatus, 'ROLLBACK_COMPLETE', none.StackStatusReason);
      const noneEvents = (await eventLog(cfn(cloud), 'signals-none')).events.filter((e) => e.LogicalResourceId === 'Web');
      assert.equal(
        noneEvents.find((e) => e.ResourceStatus === 'CREATE_FAILED')?.ResourceStatusReason,
        'Failed to receive 1 resource signal(s) within the specified duration',
      );
    });

    it('cfn-signal on an instance without an instance profile signals as the instance itself, as on AWS', async () => {
      create(
        'signals-noprofile',
        template('#!/bin/sh\ncfn-signal --stack ${AWS::StackName} --resource Web\necho "cfn-signal exited with $?"\n', 'PT30M', false),
      );
      const done = await settle(cfn(cloud), 'signals-noprofile', 6000);
      assert.equal(done.StackStatus, 'CREATE_COMPLETE', done.StackStatusReason);
      const instanceId = done.Outputs?.[0].OutputValue as string;
      const events = (await eventLog(cfn(cloud), 'signals-noprofile')).events.filter((e) => e.LogicalResourceId === 'Web');
      assert.ok(
        events.some((e) => e.ResourceStatusReason === `Received SUCCESS signal with UniqueId ${instanceId}`),
        'the signal is an event',
      );
      // Without credentials an instance speaks only for itself: another stack's resource refuses it.
      create('signals-target', template('#!/bin/sh\nsleep 600\n', 'PT30M'));
      await waitFor(
        'Web waiting for its signal',
        async () =>
          (await eventLog(cfn(cloud), 'signals-target')).events.find(
            (e) => e.LogicalResourceId === 'Web' && e.ResourceStatusReason === 'Resource creation Initiated',
          ),
        120_000,
      );
      const intruder = inInstance(
        instanceId,
        'env -i PATH=/run/halo/bin:/usr/bin:/bin HOME=/root /opt/aws/bin/cfn-signal --stack signals-target --resource Web --id intruder',
      );
      assert.notEqual(intruder.status, 0);
      assert.match(intruder.stderr, /cfn-signal: AccessDenied.*is not authorized to perform: cloudformation:SignalResource/);
      for (const name of ['signals-noprofile', 'signals-target']) cloud.awsOk('cloudformation', 'delete-stack', '--stack-name', name);
      for (const name of ['signals-noprofile', 'signals-target']) await settle(cfn(cloud), name, 6000).catch(() => undefined);
    });

    it('SignalResource refuses a resource that does not wait for signals and a bad status, as AWS does', async () => {
      create('signals-other', template('#!/bin/sh\nsleep 600\n', 'PT30M'));
      await waitFor(
        'Web waiting for its signal',
        async () =>
          (await eventLog(cfn(cloud), 'signals-other')).events.find(
            (e) => e.LogicalResourceId === 'Web' && e.ResourceStatusReason === 'Resource creation Initiated',
          ),
        120_000,
      );
      const wrong = cloud.aws(
        'cloudformation',
        'signal-resource',
        '--stack-name',
        'signals-other',
        '--logical-resource-id',
        'Vpc',
        '--unique-id',
        'x',
        '--status',
        'SUCCESS',
      );
      assert.match(wrong.stderr, /ValidationError.*Resource Vpc is in CREATE_COMPLETE state and cannot be signaled/);
      // An instance of another stack is no member of this one: its role (no policy) may not signal it.
      const intruder = inInstance(
        okInstance,
        'aws cloudformation signal-resource --stack-name signals-other --logical-resource-id Web --unique-id intruder --status SUCCESS',
      );
      assert.notEqual(intruder.status, 0);
      assert.match(intruder.stderr, /AccessDenied.*is not authorized to perform: cloudformation:SignalResource/);
      const bad = cloud.aws(
        'cloudformation',
        'signal-resource',
        '--stack-name',
        'signals-other',
        '--logical-resource-id',
        'Web',
        '--unique-id',
        'x',
        '--status',
        'MAYBE',
      );
      assert.notEqual(bad.status, 0);
      // The admin may signal too (as any caller with cloudformation:SignalResource).
      cloud.awsOk(
        'cloudformation',
        'signal-resource',
        '--stack-name',
        'signals-other',
        '--logical-resource-id',
        'Web',
        '--unique-id',
        'operator',
        '--status',
        'SUCCESS',
      );
      const done = await settle(cfn(cloud), 'signals-other', 6000);
      assert.equal(done.StackStatus, 'CREATE_COMPLETE', done.StackStatusReason);
      const events = (await eventLog(cfn(cloud), 'signals-other')).events;
      assert.ok(events.some((e) => e.ResourceStatusReason === 'Received SUCCESS signal with UniqueId operator'));
    });
  },
);
