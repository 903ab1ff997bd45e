import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCloud } from './support/cloud.js';
import { CreateStackCommand, ValidateTemplateCommand } from '@aws-sdk/client-cloudformation';
import { cfn, eventLog, SEED_TEMPLATES, settle, templateBody, templatePath } from './templates/support.js';

describe('templates, validation and failure modes through the real aws CLI', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  const create = (name: string, file: string, ...more: string[]) =>
    cloud.aws('cloudformation', 'create-stack', '--stack-name', name, '--template-body', `file://${file}`, ...more);

  it('evaluates every intrinsic function and pseudo parameter in a real stack', async () => {
    assert.equal(create('fns', templatePath('intrinsics.yaml')).status, 0);
    const stack = await settle(cfn(cloud), 'fns');
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
    const out = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    const account = cloud.aws('sts', 'get-caller-identity').json.Account;
    assert.deepEqual(out, {
      Ref: '/fns/value',
      GetAtt: 'beta|3',
      Sub: `aws:us-east-1:${account}:fns:amazonaws.com:\${Literal}`,
      SubAttr: 'beta|3',
      Split: 'c',
      GetAZs: 'us-east-1a,us-east-1b,us-east-1c,us-east-1d,us-east-1e,us-east-1f',
      Base64: 'aGVsbG8=',
      Cidr: '10.0.0.0/24,10.0.1.0/24',
      If: 'big',
      Either: 'yes',
      NoValue: 'ac',
      StackIdIsArn: 'arn',
    });
    const resources = cloud.aws('cloudformation', 'describe-stack-resources', '--stack-name', 'fns').json.StackResources;
    assert.deepEqual(
      resources.map((r: { LogicalResourceId: string }) => r.LogicalResourceId),
      ['Param'],
      'a resource whose condition is false is not made',
    );
  });

  it('ValidateTemplate describes parameters and capabilities; bad templates are ValidationErrors naming the problem', () => {
    const ok = cloud.aws('cloudformation', 'validate-template', '--template-body', `file://${SEED_TEMPLATES}/recovery.json`);
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(
      ok.json.Parameters.map((p: { ParameterKey: string; DefaultValue?: string }) => [p.ParameterKey, p.DefaultValue]),
      [
        ['KeyName', 'mykey'],
        ['JenkinsAdminPassword', undefined],
      ],
    );
    const iam = cloud.aws('cloudformation', 'validate-template', '--template-body', `file://${templatePath('iam-ssm.yaml')}`);
    assert.deepEqual(iam.json.Capabilities, ['CAPABILITY_IAM']);
    const cases: Array<[string, RegExp]> = [
      ['{"Resources": {"A": {"Type": "AWS::EC2::VPC",}}}', /Template format error: JSON not well-formed. \(line 1, {2}column \d+\)/],
      ['Resources:\n  A: [\n', /Template format error: YAML not well-formed. \(line \d+, column \d+\)/],
      [
        '{"Resources": {"A": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": {"Ref": "Missing"}}}}}',
        /Unresolved resource dependencies \[Missing\] in the Resources block/,
      ],
      [
        '{"Resources": {"A": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": {"Fn::Frobnicate": "x"}}}}}',
        /Encountered unsupported function: Fn::Frobnicate/,
      ],
      ['{"Description": "nothing"}', /At least one Resources member must be defined/],
      [
        '{"Transform": "AWS::Serverless-2016-10-31", "Resources": {"A": {"Type": "AWS::Serverless::Function"}}}',
        /does not support Transform/,
      ],
    ];
    for (const [body, message] of cases) {
      const r = cloud.aws('cloudformation', 'validate-template', '--template-body', body);
      assert.equal(r.status, 254, body);
      assert.match(r.stderr, /ValidationError/);
      assert.match(r.stderr, message);
    }
  });

  it('validates every seed template, also read through TemplateURL', async () => {
    const client = cfn(cloud);
    for (const name of ['recovery.json', 'multiaz.json', 'multiaz-ebs.json', 'multiaz-elasticip.json']) {
      const r = await client.send(new ValidateTemplateCommand({ TemplateURL: `file://${SEED_TEMPLATES}/${name}` }));
      assert.ok(
        r.Parameters?.some((p) => p.ParameterKey === 'JenkinsAdminPassword'),
        name,
      );
      assert.match(r.Description ?? '', /AWS in Action/);
    }
    const elastic = await client.send(new ValidateTemplateCommand({ TemplateURL: `file://${SEED_TEMPLATES}/multiaz-elasticip.json` }));
    assert.deepEqual(elastic.Capabilities, ['CAPABILITY_IAM'], 'the seed passes --capabilities CAPABILITY_IAM for this one');
  });

  it('refuses a cycle, a bad parameter and a missing key pair before creating anything', () => {
    const cycle = create('cycle', templatePath('cycle.json'));
    assert.match(cycle.stderr, /ValidationError.*Circular dependency between resources: \[A, B, C\]/);
    const short = create(
      'bad',
      `${SEED_TEMPLATES}/recovery.json`,
      '--parameters',
      'ParameterKey=JenkinsAdminPassword,ParameterValue=short',
    );
    assert.match(short.stderr, /ValidationError.*Parameter 'JenkinsAdminPassword' must contain at least 8 characters/);
    const pattern = create(
      'bad',
      `${SEED_TEMPLATES}/recovery.json`,
      '--parameters',
      'ParameterKey=JenkinsAdminPassword,ParameterValue=not-alnum!',
    );
    assert.match(pattern.stderr, /Parameter 'JenkinsAdminPassword' must match pattern \[a-zA-Z0-9\]\*/);
    const key = create(
      'bad',
      `${SEED_TEMPLATES}/recovery.json`,
      '--parameters',
      'ParameterKey=JenkinsAdminPassword,ParameterValue=secret1234',
    );
    assert.match(
      key.stderr,
      /ValidationError.*Parameter validation failed: parameter value mykey for parameter name KeyName does not exist\./,
    );
    const missing = create('bad', `${SEED_TEMPLATES}/recovery.json`);
    assert.match(missing.stderr, /Parameters: \[JenkinsAdminPassword\] must have values/);
    assert.equal(cloud.aws('cloudformation', 'describe-stacks', '--stack-name', 'cycle').status, 254);
    assert.equal(
      cloud
        .aws('cloudformation', 'list-stacks')
        .json.StackSummaries.filter((s: { StackName: string }) => s.StackName === 'bad' || s.StackName === 'cycle').length,
      0,
    );
    assert.equal(cloud.aws('ec2', 'describe-vpcs').json.Vpcs.length, 0);
  });

  it('an unknown resource type fails the stack naming the type; DeletionPolicy Retain keeps a resource', async () => {
    const r = create('keep', templatePath('retain.yaml'));
    assert.equal(r.status, 0, r.stderr);
    const client = cfn(cloud);
    const stack = await settle(client, 'keep');
    assert.equal(stack.StackStatus, 'ROLLBACK_COMPLETE');
    const { events, lines } = await eventLog(client, 'keep');
    const failed = events.find((e) => e.ResourceStatus === 'CREATE_FAILED');
    assert.equal(failed?.LogicalResourceId, 'Unknown');
    assert.match(failed?.ResourceStatusReason ?? '', /AWS::Nothing::Here/);
    assert.ok(lines.includes('Kept DELETE_SKIPPED'), lines.join('\n'));
    assert.ok(lines.includes('Dropped DELETE_COMPLETE'));
    assert.equal(cloud.aws('ssm', 'get-parameter', '--name', '/keep/kept').json.Parameter.Value, 'still here');
    assert.equal(cloud.aws('ssm', 'get-parameter', '--name', '/keep/dropped').status, 254);
    const again = create('keep', templatePath('retain.yaml'));
    assert.match(again.stderr, /AlreadyExistsException.*Stack \[keep\] already exists/);
  });

  it('OnFailure DELETE deletes the stack after its rollback', async () => {
    const client = cfn(cloud);
    const { StackId } = await client.send(
      new CreateStackCommand({ StackName: 'gone', TemplateBody: templateBody('retain.yaml'), OnFailure: 'DELETE' }),
    );
    const final = await settle(client, StackId ?? '');
    assert.equal(final.StackStatus, 'DELETE_COMPLETE');
    const stackLines = (await eventLog(client, StackId ?? '')).lines.filter((l) => l.startsWith('gone '));
    assert.deepEqual(stackLines, [
      'gone CREATE_IN_PROGRESS',
      'gone ROLLBACK_IN_PROGRESS',
      'gone ROLLBACK_COMPLETE',
      'gone DELETE_IN_PROGRESS',
      'gone DELETE_COMPLETE',
    ]);
    cloud.aws('ssm', 'delete-parameter', '--name', '/gone/kept');
  });

  it('an export name already exported by another stack fails the second stack', async () => {
    const client = cfn(cloud);
    const body = templateBody('fixed-export.yaml');
    await client.send(new CreateStackCommand({ StackName: 'exp-one', TemplateBody: body }));
    assert.equal((await settle(client, 'exp-one')).StackStatus, 'CREATE_COMPLETE');
    await client.send(new CreateStackCommand({ StackName: 'exp-two', TemplateBody: body }));
    const second = await settle(client, 'exp-two');
    assert.equal(second.StackStatus, 'ROLLBACK_COMPLETE');
    assert.equal(second.StackStatusReason, undefined);
    const { events } = await eventLog(client, 'exp-two');
    assert.equal(
      events.find((e) => e.ResourceStatus === 'ROLLBACK_IN_PROGRESS')?.ResourceStatusReason,
      'Export with name fixed-export is already exported by stack exp-one. Rollback requested by user.',
    );
  });

  it('two stacks with the same VPC CIDR do not interfere', async () => {
    const client = cfn(cloud);
    const params = ['--parameters', 'ParameterKey=Cidr,ParameterValue=10.0.0.0/16', 'ParameterKey=Secret,ParameterValue=x'];
    assert.equal(create('twin-a', templatePath('update-vpc.yaml'), ...params).status, 0);
    assert.equal(create('twin-b', templatePath('update-vpc.yaml'), ...params).status, 0);
    const [a, b] = [await settle(client, 'twin-a'), await settle(client, 'twin-b')];
    assert.equal(a.StackStatus, 'CREATE_COMPLETE', a.StackStatusReason);
    assert.equal(b.StackStatus, 'CREATE_COMPLETE', b.StackStatusReason);
    const vpcA = a.Outputs?.find((o) => o.OutputKey === 'VpcId')?.OutputValue;
    const vpcB = b.Outputs?.find((o) => o.OutputKey === 'VpcId')?.OutputValue;
    assert.notEqual(vpcA, vpcB);
    for (const vpc of [vpcA, vpcB]) {
      const subnets = cloud.aws('ec2', 'describe-subnets', '--filters', `Name=vpc-id,Values=${vpc}`).json.Subnets;
      assert.deepEqual(
        subnets.map((s: { CidrBlock: string }) => s.CidrBlock),
        ['10.0.0.0/24'],
      );
    }
    cloud.aws('cloudformation', 'delete-stack', '--stack-name', 'twin-a');
    assert.equal((await settle(client, a.StackId ?? '')).StackStatus, 'DELETE_COMPLETE');
    const left = cloud.aws('ec2', 'describe-vpcs').json.Vpcs.map((v: { VpcId: string }) => v.VpcId);
    assert.deepEqual(left, [vpcB]);
  });
});
