import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureImage } from '../src/runtime/images.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';
import { cfn, eventLog, settle } from './templates/support.js';

/**
 * A group with CreationPolicy (its instances run cfn-signal from their user data) and an UpdatePolicy: a change of
 * the launch configuration rolls the instances one batch at a time waiting for their signals
 * (AutoScalingRollingUpdate), or makes a new group and deletes the old one once the new one is ready
 * (AutoScalingReplacingUpdate). Needs root (real instances).
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

const USER_DATA = {
  'Fn::Base64': {
    'Fn::Sub': '#!/bin/sh\n/opt/aws/bin/cfn-signal -e 0 --stack ${AWS::StackName} --resource Group --region ${AWS::Region}\n',
  },
};

/** The same group launched from an AWS::EC2::LaunchTemplate (its latest version) instead of a launch configuration. */
function withLaunchTemplate(updatePolicy: unknown): string {
  const t = JSON.parse(template(updatePolicy));
  delete t.Resources.Config;
  t.Resources.Template = {
    Type: 'AWS::EC2::LaunchTemplate',
    Properties: {
      LaunchTemplateData: {
        ImageId: 'ami-1ecae776',
        InstanceType: { Ref: 'Type' },
        IamInstanceProfile: { Arn: { 'Fn::GetAtt': ['Profile', 'Arn'] } },
        UserData: USER_DATA,
      },
    },
  };
  delete t.Resources.Group.Properties.LaunchConfigurationName;
  t.Resources.Group.Properties.LaunchTemplate = {
    LaunchTemplateId: { Ref: 'Template' },
    Version: { 'Fn::GetAtt': ['Template', 'LatestVersionNumber'] },
  };
  return JSON.stringify(t);
}

function template(updatePolicy: unknown): string {
  return JSON.stringify({
    Parameters: { Type: { Type: 'String', Default: 't2.micro' } },
    Resources: {
      Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.30.0.0/16' } },
      SubnetA: {
        Type: 'AWS::EC2::Subnet',
        Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.30.1.0/24', AvailabilityZone: 'us-east-1a' },
      },
      SubnetB: {
        Type: 'AWS::EC2::Subnet',
        Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.30.2.0/24', AvailabilityZone: 'us-east-1b' },
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
      Config: {
        Type: 'AWS::AutoScaling::LaunchConfiguration',
        Properties: {
          ImageId: 'ami-1ecae776',
          InstanceType: { Ref: 'Type' },
          IamInstanceProfile: { Ref: 'Profile' },
          UserData: USER_DATA,
        },
      },
      Group: {
        Type: 'AWS::AutoScaling::AutoScalingGroup',
        CreationPolicy: { ResourceSignal: { Count: 2, Timeout: 'PT30M' } },
        UpdatePolicy: updatePolicy,
        Properties: {
          LaunchConfigurationName: { Ref: 'Config' },
          MinSize: 2,
          MaxSize: 2,
          DesiredCapacity: 2,
          VPCZoneIdentifier: [{ Ref: 'SubnetA' }, { Ref: 'SubnetB' }],
          Tags: [{ Key: 'Name', Value: 'rolled', PropagateAtLaunch: true }],
        },
      },
    },
    Outputs: { Group: { Value: { Ref: 'Group' } } },
  });
}

interface GroupInstance {
  InstanceId: string;
  LifecycleState: string;
  LaunchConfigurationName?: string;
}

describe(
  'Auto Scaling groups in CloudFormation: signals and update policies',
  { skip: ROOT ? false : 'needs root: instances run in namespaces' },
  () => {
    let cloud: TestCloud;
    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ timeScale: 30, profile: 'fast' });
    });
    after(async () => {
      if (cloud) await disposeAndCheckHost(cloud);
    });

    const group = (name: string) =>
      cloud.awsOk('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', name).AutoScalingGroups[0];
    const live = (name: string) => (group(name).Instances as GroupInstance[]).filter((i) => i.LifecycleState === 'InService');

    async function created(stack: string, policy: unknown, body = template) {
      cloud.awsOk(
        'cloudformation',
        'create-stack',
        '--stack-name',
        stack,
        '--template-body',
        body(policy),
        '--capabilities',
        'CAPABILITY_IAM',
      );
      const s = await settle(cfn(cloud), stack, 6000);
      assert.equal(s.StackStatus, 'CREATE_COMPLETE', s.StackStatusReason);
      const name = s.Outputs?.[0].OutputValue as string;
      const signals = (await eventLog(cfn(cloud), stack)).events.filter(
        (e) => e.LogicalResourceId === 'Group' && /^Received SUCCESS signal with UniqueId i-/.test(e.ResourceStatusReason ?? ''),
      );
      assert.equal(signals.length, 2, 'two signals, one from each instance');
      const tags = cloud.awsOk('autoscaling', 'describe-tags', '--filters', `Name=auto-scaling-group,Values=${name}`).Tags as Array<{
        Key: string;
      }>;
      assert.ok(tags.some((t) => t.Key === 'Name'));
      return { name, before: live(name).map((i) => i.InstanceId) };
    }

    const update = async (stack: string, policy: unknown, body = template) => {
      cloud.awsOk(
        'cloudformation',
        'update-stack',
        '--stack-name',
        stack,
        '--template-body',
        body(policy),
        '--parameters',
        'ParameterKey=Type,ParameterValue=t3.micro',
        '--capabilities',
        'CAPABILITY_IAM',
      );
      const s = await settle(cfn(cloud), stack, 12000);
      assert.equal(s.StackStatus, 'UPDATE_COMPLETE', s.StackStatusReason);
      return s;
    };

    it('AutoScalingRollingUpdate: one instance at a time, one kept InService, each batch waits for its signal', async () => {
      const policy = {
        AutoScalingRollingUpdate: {
          MinInstancesInService: 1,
          MaxBatchSize: 1,
          WaitOnResourceSignals: true,
          PauseTime: 'PT30M',
          SuspendProcesses: ['AZRebalance'],
        },
      };
      const { name, before } = await created('rolling', policy);
      await update('rolling', policy);
      const now = live(name);
      const lc = group(name).LaunchConfigurationName as string;
      assert.equal(now.length, 2);
      assert.ok(
        now.every((i) => !before.includes(i.InstanceId) && i.LaunchConfigurationName === lc),
        JSON.stringify(now),
      );
      const updates = (await eventLog(cfn(cloud), 'rolling')).events.filter(
        (e) => e.LogicalResourceId === 'Group' && e.ResourceStatus === 'UPDATE_IN_PROGRESS',
      );
      assert.equal(
        updates.filter((e) => /^Received SUCCESS signal/.test(e.ResourceStatusReason ?? '')).length,
        2,
        'a signal per replaced instance',
      );
      const processes = group(name).SuspendedProcesses as unknown[];
      assert.equal(processes.length, 0, 'suspended processes resumed after the update');
    });

    it('AutoScalingRollingUpdate with a launch template: a new version replaces both instances in one batch of two', async () => {
      const policy = {
        AutoScalingRollingUpdate: { MinInstancesInService: 0, MaxBatchSize: 2, WaitOnResourceSignals: true, PauseTime: 'PT30M' },
      };
      const { name, before } = await created('rolling-lt', policy, withLaunchTemplate);
      assert.equal(group(name).LaunchTemplate.Version, '1');
      await update('rolling-lt', policy, withLaunchTemplate);
      assert.equal(group(name).LaunchTemplate.Version, '2');
      const now = live(name) as Array<GroupInstance & { LaunchTemplate?: { Version?: string } }>;
      assert.equal(now.length, 2);
      assert.ok(
        now.every((i) => !before.includes(i.InstanceId) && i.LaunchTemplate?.Version === '2'),
        JSON.stringify(now),
      );
      for (const i of now) {
        const described = cloud.awsOk('ec2', 'describe-instances', '--instance-ids', i.InstanceId).Reservations[0].Instances[0];
        assert.equal(described.InstanceType, 't3.micro', 'launched from version 2');
      }
      cloud.awsOk('cloudformation', 'delete-stack', '--stack-name', 'rolling-lt');
      await settle(cfn(cloud), 'rolling-lt', 12000).catch(() => undefined);
      assert.equal(
        cloud.awsOk('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', name).AutoScalingGroups.length,
        0,
      );
    });

    it('AutoScalingReplacingUpdate WillReplace: a new group, the old one deleted once the new one has its signals', async () => {
      const policy = { AutoScalingReplacingUpdate: { WillReplace: true } };
      const { name } = await created('replacing', policy);
      const s = await update('replacing', policy);
      const fresh = s.Outputs?.[0].OutputValue as string;
      assert.notEqual(fresh, name, 'a new group');
      assert.equal(live(fresh).length, 2);
      assert.equal(
        cloud.awsOk('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', name).AutoScalingGroups.length,
        0,
        'the old group is gone',
      );
      cloud.awsOk('cloudformation', 'delete-stack', '--stack-name', 'replacing');
      cloud.awsOk('cloudformation', 'delete-stack', '--stack-name', 'rolling');
      for (const stack of ['replacing', 'rolling']) await settle(cfn(cloud), stack, 12000).catch(() => undefined);
      assert.equal(
        cloud.awsOk('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', fresh).AutoScalingGroups.length,
        0,
      );
    });
  },
);
