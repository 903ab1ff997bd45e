import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AWS_CLI, TestCloud } from './support/cloud.js';

describe('SSM Parameter Store through the real aws CLI', () => {
  let cloud: TestCloud;
  let account = '';
  const ok = (...args: string[]) => cloud.awsOk('ssm', ...args);
  const fails = (code: string, ...args: string[]) => cloud.awsFails(code, 'ssm', ...args);

  before(async () => {
    cloud = await TestCloud.start();
    account = (await new STSClient(cloud.sdk).send(new GetCallerIdentityCommand({}))).Account ?? '';
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('put-parameter creates version 1, refuses to overwrite without --overwrite, keeps history', () => {
    assert.deepEqual(ok('put-parameter', '--name', '/app/db/url', '--type', 'String', '--value', 'postgres://a'), {
      Version: 1,
      Tier: 'Standard',
    });
    const { Parameter } = ok('get-parameter', '--name', '/app/db/url');
    assert.equal(Parameter.Value, 'postgres://a');
    assert.equal(Parameter.Type, 'String');
    assert.equal(Parameter.Version, 1);
    assert.equal(Parameter.DataType, 'text');
    assert.equal(Parameter.ARN, `arn:aws:ssm:us-east-1:${account}:parameter/app/db/url`);
    assert.match(
      fails('ParameterAlreadyExists', 'put-parameter', '--name', '/app/db/url', '--type', 'String', '--value', 'x'),
      /overwrite/,
    );
    assert.equal(ok('put-parameter', '--name', '/app/db/url', '--value', 'postgres://b', '--overwrite').Version, 2);
    const history = ok('get-parameter-history', '--name', '/app/db/url').Parameters;
    assert.deepEqual(
      history.map((p: any) => [p.Version, p.Value]),
      [
        [1, 'postgres://a'],
        [2, 'postgres://b'],
      ],
    );
    assert.equal(ok('get-parameter', '--name', '/app/db/url:1').Parameter.Value, 'postgres://a');
    fails('ParameterVersionNotFound', 'get-parameter', '--name', '/app/db/url:9');
  });

  it('SecureString values are encrypted unless --with-decryption', () => {
    ok('put-parameter', '--name', '/app/db/password', '--type', 'SecureString', '--value', 's3cret!');
    const hidden = ok('get-parameter', '--name', '/app/db/password').Parameter;
    assert.equal(hidden.Type, 'SecureString');
    assert.notEqual(hidden.Value, 's3cret!');
    assert.ok(!Buffer.from(hidden.Value, 'base64').toString('latin1').includes('s3cret'));
    assert.equal(ok('get-parameter', '--name', '/app/db/password', '--with-decryption').Parameter.Value, 's3cret!');
    const described = ok('describe-parameters', '--parameter-filters', 'Key=Name,Values=/app/db/password').Parameters;
    assert.equal(described.length, 1);
    assert.equal(described[0].KeyId, 'alias/aws/ssm');
    assert.equal(described[0].Value, undefined);
  });

  it('get-parameters reports the names it cannot find; get-parameters-by-path walks one level or all', () => {
    ok('put-parameter', '--name', '/app/hosts', '--type', 'StringList', '--value', 'a,b,c');
    ok('put-parameter', '--name', 'plain', '--type', 'String', '--value', 'flat');
    const got = ok('get-parameters', '--names', '/app/hosts', 'plain', '/nope');
    assert.deepEqual(
      got.Parameters.map((p: any) => [p.Name, p.Type, p.Value]),
      [
        ['/app/hosts', 'StringList', 'a,b,c'],
        ['plain', 'String', 'flat'],
      ],
    );
    assert.deepEqual(got.InvalidParameters, ['/nope']);
    assert.deepEqual(
      ok('get-parameters-by-path', '--path', '/app').Parameters.map((p: any) => p.Name),
      ['/app/hosts'],
    );
    const deep = ok('get-parameters-by-path', '--path', '/app', '--recursive', '--with-decryption').Parameters;
    assert.deepEqual(
      deep.map((p: any) => [p.Name, p.Value]),
      [
        ['/app/db/password', 's3cret!'],
        ['/app/db/url', 'postgres://b'],
        ['/app/hosts', 'a,b,c'],
      ],
    );
    const secure = ok(
      'get-parameters-by-path',
      '--path',
      '/app',
      '--recursive',
      '--parameter-filters',
      'Key=Type,Values=SecureString',
    ).Parameters;
    assert.deepEqual(
      secure.map((p: any) => p.Name),
      ['/app/db/password'],
    );
  });

  it('labels select versions; allowed patterns and reserved names are enforced', () => {
    assert.deepEqual(ok('label-parameter-version', '--name', '/app/db/url', '--parameter-version', '1', '--labels', 'stable', '9bad'), {
      InvalidLabels: ['9bad'],
      ParameterVersion: 1,
    });
    assert.equal(ok('get-parameter', '--name', '/app/db/url:stable').Parameter.Value, 'postgres://a');
    ok('put-parameter', '--name', '/app/port', '--type', 'String', '--value', '8080', '--allowed-pattern', '^\\d+$');
    fails('ParameterPatternMismatchException', 'put-parameter', '--name', '/app/port', '--value', 'eighty', '--overwrite');
    fails('ValidationException', 'put-parameter', '--name', '/aws/mine', '--type', 'String', '--value', 'x');
    fails('ValidationException', 'put-parameter', '--name', 'no/leading/slash', '--type', 'String', '--value', 'x');
    fails('ValidationException', 'put-parameter', '--name', '/new/without/type', '--value', 'x');
  });

  it('tags, delete-parameter and delete-parameters', () => {
    ok('add-tags-to-resource', '--resource-type', 'Parameter', '--resource-id', '/app/hosts', '--tags', 'Key=team,Value=ha');
    assert.deepEqual(ok('list-tags-for-resource', '--resource-type', 'Parameter', '--resource-id', '/app/hosts').TagList, [
      { Key: 'team', Value: 'ha' },
    ]);
    assert.deepEqual(
      ok('describe-parameters', '--parameter-filters', 'Key=tag:team').Parameters.map((p: any) => p.Name),
      ['/app/hosts'],
    );
    ok('delete-parameter', '--name', '/app/hosts');
    fails('ParameterNotFound', 'get-parameter', '--name', '/app/hosts');
    fails('ParameterNotFound', 'delete-parameter', '--name', '/app/hosts');
    assert.deepEqual(ok('delete-parameters', '--names', 'plain', '/gone'), { DeletedParameters: ['plain'], InvalidParameters: ['/gone'] });
  });

  it("the public Amazon Linux parameter names the cloud's default image", () => {
    const images = cloud.aws('ec2', 'describe-images', '--owners', 'amazon');
    assert.equal(images.status, 0, images.stderr);
    const { Parameter } = ok('get-parameter', '--name', '/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2');
    assert.equal(Parameter.Value, images.json.Images[0].ImageId);
    assert.equal(Parameter.DataType, 'aws:ec2:image');
    const listed = ok('get-parameters-by-path', '--path', '/aws/service/ami-amazon-linux-latest').Parameters;
    assert.ok(listed.some((p: any) => p.Name === '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64'));
    fails('ParameterNotFound', 'get-parameter', '--name', '/aws/service/ami-amazon-linux-latest/no-such-image');
  });

  it('a role session reads only the parameters its policy allows (AccessDeniedException otherwise)', async () => {
    const iam = new IAMClient(cloud.sdk);
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: account }, Action: 'sts:AssumeRole' }] };
    await iam.send(new CreateRoleCommand({ RoleName: 'app-reader', AssumeRolePolicyDocument: JSON.stringify(trust) }));
    const allow = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['ssm:GetParameter*'], Resource: 'arn:aws:ssm:*:*:parameter/app/db/*' }],
    };
    await iam.send(new PutRolePolicyCommand({ RoleName: 'app-reader', PolicyName: 'read-app', PolicyDocument: JSON.stringify(allow) }));
    const { Credentials: c } = await new STSClient(cloud.sdk).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/app-reader`, RoleSessionName: 'app' }),
    );
    const env = {
      ...cloud.env,
      AWS_ACCESS_KEY_ID: c?.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: c?.SecretAccessKey,
      AWS_SESSION_TOKEN: c?.SessionToken,
    };
    const run = (...args: string[]) =>
      spawnSync(AWS_CLI, ['--endpoint-url', cloud.endpoint, '--output', 'json', 'ssm', ...args], { env, encoding: 'utf8' });
    const allowed = run('get-parameter', '--name', '/app/db/url');
    assert.equal(allowed.status, 0, allowed.stderr);
    assert.equal(JSON.parse(allowed.stdout).Parameter.Value, 'postgres://b');
    const refused = run('get-parameter', '--name', '/app/port');
    assert.match(
      refused.stderr,
      /\(AccessDeniedException\).*is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:\d+:parameter\/app\/port/,
    );
    assert.match(run('put-parameter', '--name', '/app/db/url', '--value', 'x', '--overwrite').stderr, /\(AccessDeniedException\)/);
  });
});
