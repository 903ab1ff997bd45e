import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCloud } from './support/cloud.js';
import { cfn, settle } from './templates/support.js';

/** A group's policies, scheduled action, lifecycle hook and warm pool as a template writes them (string numbers), for a group made by the CLI. */
function template(target: string, heartbeat: string) {
  const group = { Ref: 'GroupName' };
  return JSON.stringify({
    AWSTemplateFormatVersion: '2010-09-09',
    Parameters: { GroupName: { Type: 'String' } },
    Resources: {
      CpuPolicy: {
        Type: 'AWS::AutoScaling::ScalingPolicy',
        Properties: {
          AutoScalingGroupName: group,
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingConfiguration: {
            PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' },
            TargetValue: target,
          },
        },
      },
      UpPolicy: {
        Type: 'AWS::AutoScaling::ScalingPolicy',
        Properties: { AutoScalingGroupName: group, AdjustmentType: 'ChangeInCapacity', ScalingAdjustment: '1', Cooldown: '120' },
      },
      Morning: {
        Type: 'AWS::AutoScaling::ScheduledAction',
        Properties: {
          AutoScalingGroupName: group,
          Recurrence: '0 9 * * *',
          TimeZone: 'Europe/Paris',
          MinSize: '0',
          MaxSize: '2',
          DesiredCapacity: '0',
        },
      },
      Boot: {
        Type: 'AWS::AutoScaling::LifecycleHook',
        Properties: {
          AutoScalingGroupName: group,
          LifecycleHookName: 'boot',
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
          HeartbeatTimeout: heartbeat,
          DefaultResult: 'CONTINUE',
        },
      },
      Pool: {
        Type: 'AWS::AutoScaling::WarmPool',
        Properties: { AutoScalingGroupName: group, MinSize: '0', MaxGroupPreparedCapacity: '0', PoolState: 'Stopped' },
      },
    },
    Outputs: {
      PolicyRef: { Value: { Ref: 'CpuPolicy' } },
      PolicyArn: { Value: { 'Fn::GetAtt': ['CpuPolicy', 'Arn'] } },
      PolicyName: { Value: { 'Fn::GetAtt': ['CpuPolicy', 'PolicyName'] } },
      UpArn: { Value: { Ref: 'UpPolicy' } },
      Scheduled: { Value: { Ref: 'Morning' } },
      Hook: { Value: { Ref: 'Boot' } },
    },
  });
}

describe('Auto Scaling policies, scheduled actions, lifecycle hooks and warm pools through CloudFormation and the aws CLI', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('create-stack makes them (Ref and GetAtt as AWS documents), update-stack changes them in place, delete-stack removes them and the policy alarms', async () => {
    const client = cfn(cloud);
    cloud.awsOk(
      'autoscaling',
      'create-launch-configuration',
      '--launch-configuration-name',
      'lc',
      '--image-id',
      'ami-1ecae776',
      '--instance-type',
      't2.micro',
    );
    cloud.awsOk(
      'autoscaling',
      'create-auto-scaling-group',
      '--auto-scaling-group-name',
      'web',
      '--launch-configuration-name',
      'lc',
      '--min-size',
      '0',
      '--max-size',
      '2',
      '--desired-capacity',
      '0',
      '--availability-zones',
      'us-east-1a',
    );
    const create = cloud.aws(
      'cloudformation',
      'create-stack',
      '--stack-name',
      'extras',
      '--template-body',
      template('50', '120'),
      '--parameters',
      'ParameterKey=GroupName,ParameterValue=web',
    );
    assert.equal(create.status, 0, create.stderr);
    const stack = await settle(client, 'extras');
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
    const out = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    assert.match(
      String(out.PolicyRef),
      /^arn:aws:autoscaling:us-east-1:\d{12}:scalingPolicy:[0-9a-f-]+:autoScalingGroupName\/web:policyName\/extras-CpuPolicy-[A-Z0-9]+$/,
    );
    assert.equal(out.PolicyArn, out.PolicyRef);
    assert.equal(out.PolicyName, String(out.PolicyRef).split('policyName/')[1]);
    assert.match(String(out.Scheduled), /^extras-Morning-[A-Z0-9]+$/);
    assert.equal(out.Hook, 'boot');

    const policies = cloud.awsOk('autoscaling', 'describe-policies', '--auto-scaling-group-name', 'web').ScalingPolicies as any[];
    const cpu = policies.find((p) => p.PolicyARN === out.PolicyRef);
    assert.equal(cpu.TargetTrackingConfiguration.TargetValue, 50);
    assert.equal(cpu.Alarms.length, 2);
    const up = policies.find((p) => p.PolicyARN === out.UpArn);
    assert.deepEqual([up.PolicyType, up.AdjustmentType, up.ScalingAdjustment, up.Cooldown], ['SimpleScaling', 'ChangeInCapacity', 1, 120]);
    const scheduled = cloud.awsOk('autoscaling', 'describe-scheduled-actions', '--auto-scaling-group-name', 'web')
      .ScheduledUpdateGroupActions[0];
    assert.deepEqual(
      [scheduled.ScheduledActionName, scheduled.Recurrence, scheduled.TimeZone],
      [out.Scheduled, '0 9 * * *', 'Europe/Paris'],
    );
    const hook = cloud.awsOk('autoscaling', 'describe-lifecycle-hooks', '--auto-scaling-group-name', 'web').LifecycleHooks[0];
    assert.deepEqual([hook.HeartbeatTimeout, hook.DefaultResult, hook.GlobalTimeout], [120, 'CONTINUE', 12_000]);
    const pool = cloud.awsOk('autoscaling', 'describe-warm-pool', '--auto-scaling-group-name', 'web').WarmPoolConfiguration;
    assert.deepEqual([pool.MinSize, pool.MaxGroupPreparedCapacity, pool.PoolState], [0, 0, 'Stopped']);
    const alarmNames = cpu.Alarms.map((a: { AlarmName: string }) => a.AlarmName);

    const update = cloud.aws(
      'cloudformation',
      'update-stack',
      '--stack-name',
      'extras',
      '--template-body',
      template('60', '300'),
      '--parameters',
      'ParameterKey=GroupName,ParameterValue=web',
    );
    assert.equal(update.status, 0, update.stderr);
    assert.equal((await settle(client, 'extras')).StackStatus, 'UPDATE_COMPLETE');
    const updated = (cloud.awsOk('autoscaling', 'describe-policies', '--auto-scaling-group-name', 'web').ScalingPolicies as any[]).find(
      (p) => p.PolicyARN === out.PolicyRef,
    );
    assert.equal(updated.TargetTrackingConfiguration.TargetValue, 60, 'same policy (same ARN), new target');
    const high = cloud.awsOk('cloudwatch', 'describe-alarms', '--alarm-name-prefix', 'TargetTracking-web-AlarmHigh-').MetricAlarms;
    assert.deepEqual(
      high.map((a: { Threshold: number }) => a.Threshold),
      [60],
      'its alarms follow the new target',
    );
    assert.equal(
      cloud.awsOk('autoscaling', 'describe-lifecycle-hooks', '--auto-scaling-group-name', 'web').LifecycleHooks[0].HeartbeatTimeout,
      300,
    );

    const del = cloud.aws('cloudformation', 'delete-stack', '--stack-name', 'extras');
    assert.equal(del.status, 0, del.stderr);
    const gone = await settle(client, create.json.StackId);
    assert.equal(gone.StackStatus, 'DELETE_COMPLETE', gone.StackStatusReason);
    assert.equal(cloud.awsOk('autoscaling', 'describe-policies', '--auto-scaling-group-name', 'web').ScalingPolicies.length, 0);
    assert.equal(
      cloud.awsOk('autoscaling', 'describe-scheduled-actions', '--auto-scaling-group-name', 'web').ScheduledUpdateGroupActions.length,
      0,
    );
    assert.equal(cloud.awsOk('autoscaling', 'describe-lifecycle-hooks', '--auto-scaling-group-name', 'web').LifecycleHooks.length, 0);
    assert.equal(cloud.awsOk('autoscaling', 'describe-warm-pool', '--auto-scaling-group-name', 'web').WarmPoolConfiguration, undefined);
    assert.equal(cloud.awsOk('cloudwatch', 'describe-alarms', '--alarm-names', ...alarmNames).MetricAlarms.length, 0);
    client.destroy();
  });
});
