import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCloud } from './support/cloud.js';
import { cfn, settle } from './templates/support.js';

/** An alarm as the seed's recovery.json writes one (string numbers, joined ARN), on a custom metric. */
function template(threshold: string, name?: string) {
  return JSON.stringify({
    AWSTemplateFormatVersion: '2010-09-09',
    Resources: {
      LoadAlarm: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          ...(name ? { AlarmName: name } : {}),
          AlarmDescription: 'Load too high.',
          Namespace: 'Halo/Cfn',
          MetricName: 'Load',
          Dimensions: [{ Name: 'Host', Value: 'web-1' }],
          Statistic: 'Minimum',
          Period: '60',
          EvaluationPeriods: '5',
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: threshold,
          TreatMissingData: 'missing',
          AlarmActions: [{ 'Fn::Join': ['', ['arn:aws:sns:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':ops']] }],
        },
      },
    },
    Outputs: {
      Name: { Value: { Ref: 'LoadAlarm' } },
      Arn: { Value: { 'Fn::GetAtt': ['LoadAlarm', 'Arn'] } },
    },
  });
}

describe('AWS::CloudWatch::Alarm through CloudFormation and the real aws CLI', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('create-stack makes the alarm (Ref = name, GetAtt Arn), update-stack changes it in place, delete-stack removes it', async () => {
    const client = cfn(cloud);
    const create = cloud.aws('cloudformation', 'create-stack', '--stack-name', 'alarms', '--template-body', template('0'));
    assert.equal(create.status, 0, create.stderr);
    const stack = await settle(client, 'alarms');
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
    const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    assert.match(String(outputs.Name), /^alarms-LoadAlarm-[A-Z0-9]+$/);
    const account = String(outputs.Arn).split(':')[4];
    assert.equal(outputs.Arn, `arn:aws:cloudwatch:us-east-1:${account}:alarm:${outputs.Name}`);
    const described = cloud.aws('cloudwatch', 'describe-alarms', '--alarm-names', String(outputs.Name)).json.MetricAlarms[0];
    assert.deepEqual(
      [
        described.Statistic,
        described.Period,
        described.EvaluationPeriods,
        described.Threshold,
        described.ComparisonOperator,
        described.AlarmActions,
      ],
      ['Minimum', 60, 5, 0, 'GreaterThanThreshold', [`arn:aws:sns:us-east-1:${account}:ops`]],
    );
    assert.deepEqual(described.Dimensions, [{ Name: 'Host', Value: 'web-1' }]);

    const update = cloud.aws('cloudformation', 'update-stack', '--stack-name', 'alarms', '--template-body', template('3'));
    assert.equal(update.status, 0, update.stderr);
    assert.equal((await settle(client, 'alarms')).StackStatus, 'UPDATE_COMPLETE');
    const updated = cloud.aws('cloudwatch', 'describe-alarms', '--alarm-names', String(outputs.Name)).json.MetricAlarms[0];
    assert.equal(updated.Threshold, 3);
    assert.equal(updated.AlarmArn, outputs.Arn);

    const del = cloud.aws('cloudformation', 'delete-stack', '--stack-name', 'alarms');
    assert.equal(del.status, 0, del.stderr);
    await settle(client, 'alarms').catch(() => undefined);
    assert.deepEqual(cloud.aws('cloudwatch', 'describe-alarms').json.MetricAlarms, []);
    client.destroy();
  });

  it('delete-stack completes when the alarm was already deleted outside CloudFormation (not found is done)', async () => {
    const client = cfn(cloud);
    const create = cloud.aws('cloudformation', 'create-stack', '--stack-name', 'gone', '--template-body', template('0', 'gone-alarm'));
    assert.equal(create.status, 0, create.stderr);
    assert.equal((await settle(client, 'gone')).StackStatus, 'CREATE_COMPLETE');
    assert.equal(cloud.aws('cloudwatch', 'delete-alarms', '--alarm-names', 'gone-alarm').status, 0);
    assert.equal(cloud.aws('cloudformation', 'delete-stack', '--stack-name', 'gone').status, 0);
    const after = await settle(client, 'gone').catch(() => undefined);
    assert.notEqual(after?.StackStatus, 'DELETE_FAILED', after?.StackStatusReason);
    const listed = cloud.aws('cloudformation', 'list-stacks').json.StackSummaries.find((s: any) => s.StackName === 'gone');
    assert.equal(listed.StackStatus, 'DELETE_COMPLETE');
    client.destroy();
  });

  it('an invalid alarm fails the stack with the CloudWatch error as reason', async () => {
    const client = cfn(cloud);
    const bad = JSON.parse(template('0', 'broken'));
    bad.Resources.LoadAlarm.Properties.Period = '90';
    const create = cloud.aws('cloudformation', 'create-stack', '--stack-name', 'bad-alarm', '--template-body', JSON.stringify(bad));
    assert.equal(create.status, 0, create.stderr);
    const stack = await settle(client, 'bad-alarm');
    assert.match(String(stack.StackStatus), /ROLLBACK_COMPLETE|CREATE_FAILED/);
    const events = cloud.aws('cloudformation', 'describe-stack-events', '--stack-name', 'bad-alarm').json.StackEvents;
    const failed = events.find((e: any) => e.LogicalResourceId === 'LoadAlarm' && e.ResourceStatus === 'CREATE_FAILED');
    assert.match(failed.ResourceStatusReason, /Period must be 10, 20, 30 or a multiple of 60/);
    client.destroy();
  });
});
