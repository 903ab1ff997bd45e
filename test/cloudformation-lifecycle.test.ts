import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { TestCloud } from './support/cloud.js';
import { cfn, eventLog, settle, templatePath } from './templates/support.js';

describe('CloudFormation stack lifecycle through the real aws CLI', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('creates a key pair stack, shows outputs and exports, deletes it, then says the stack does not exist', async () => {
    const created = cloud.aws(
      'cloudformation',
      'create-stack',
      '--stack-name',
      'keys',
      '--template-body',
      `file://${templatePath('keypair.yaml')}`,
      '--parameters',
      'ParameterKey=Name,ParameterValue=main',
    );
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.json.StackId, /^arn:aws:cloudformation:us-east-1:\d{12}:stack\/keys\/[0-9a-f-]{36}$/);
    const client = cfn(cloud);
    const stack = await settle(client, 'keys');
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);

    const keys = cloud.aws('ec2', 'describe-key-pairs', '--key-names', 'keys-main');
    assert.equal(keys.status, 0, keys.stderr);
    const keyId = keys.json.KeyPairs[0].KeyPairId;

    const outputs = cloud.aws('cloudformation', 'describe-stacks', '--stack-name', 'keys', '--query', 'Stacks[0].Outputs');
    assert.deepEqual(
      Object.fromEntries(outputs.json.map((o: { OutputKey: string; OutputValue: string }) => [o.OutputKey, o.OutputValue])),
      { KeyName: 'keys-main', KeyPairId: keyId },
    );
    const exports = cloud.aws('cloudformation', 'list-exports');
    assert.deepEqual(
      exports.json.Exports.map((e: { Name: string; Value: string }) => [e.Name, e.Value]),
      [['keys-KeyPairId', keyId]],
    );

    const { lines } = await eventLog(client, 'keys');
    assert.deepEqual(lines, [
      'keys CREATE_IN_PROGRESS',
      'Key CREATE_IN_PROGRESS',
      'Key CREATE_IN_PROGRESS',
      'Key CREATE_COMPLETE',
      'keys CREATE_COMPLETE',
    ]);
    const res = cloud.aws('cloudformation', 'describe-stack-resource', '--stack-name', 'keys', '--logical-resource-id', 'Key');
    assert.equal(res.json.StackResourceDetail.PhysicalResourceId, 'keys-main');

    const template = cloud.aws('cloudformation', 'get-template', '--stack-name', 'keys');
    assert.equal(template.json.TemplateBody, readFileSync(templatePath('keypair.yaml'), 'utf8'));

    assert.equal(cloud.aws('cloudformation', 'delete-stack', '--stack-name', 'keys').status, 0);
    await settle(client, stack.StackId ?? '');
    const gone = cloud.aws('cloudformation', 'describe-stacks', '--stack-name', 'keys');
    assert.equal(gone.status, 254);
    assert.match(gone.stderr, /ValidationError.*Stack with id keys does not exist/);
    assert.equal(cloud.aws('ec2', 'describe-key-pairs', '--key-names', 'keys-main').status, 254);
    const listed = cloud.aws('cloudformation', 'list-stacks', '--stack-status-filter', 'DELETE_COMPLETE');
    assert.equal(listed.json.StackSummaries[0].StackName, 'keys');
  });
});
