import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  ValidateResourcePolicyCommand,
} from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { AWS_CLI, TestCloud } from './support/cloud.js';
import { errorName } from './support/errors.js';
import { cfn, settle } from './templates/support.js';

const policy = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

/**
 * A secret's resource policy weighed with the caller's identity policies, as AWS does within one account: an explicit
 * deny in either wins; an allow in either suffices. Callers are role sessions (AssumeRole), through SDK v3 and the aws CLI.
 */
describe('Secrets Manager resource policies are evaluated', () => {
  let cloud: TestCloud;
  let account = '';
  const ok = (...args: string[]) => cloud.awsOk('secretsmanager', ...args);
  const fails = (code: string, ...args: string[]) => cloud.awsFails(code, 'secretsmanager', ...args);
  const roleArn = (name: string) => `arn:aws:iam::${account}:role/${name}`;

  /** A role the admin may assume, with an optional inline policy; returns its session's credentials. */
  const session = async (name: string, identityPolicy?: string) => {
    cloud.awsOk(
      'iam',
      'create-role',
      '--role-name',
      name,
      '--assume-role-policy-document',
      policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }),
    );
    if (identityPolicy)
      cloud.awsOk('iam', 'put-role-policy', '--role-name', name, '--policy-name', 'inline', '--policy-document', identityPolicy);
    const { Credentials: c } = await new STSClient(cloud.sdk).send(
      new AssumeRoleCommand({ RoleArn: roleArn(name), RoleSessionName: 'test' }),
    );
    return { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! };
  };
  const client = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string }) =>
    new SecretsManagerClient({ ...cloud.sdk, credentials });
  /** The aws CLI with a role session's keys. */
  const cliAs = (c: { accessKeyId: string; secretAccessKey: string; sessionToken: string }, ...args: string[]) =>
    spawnSync(AWS_CLI, ['--endpoint-url', cloud.endpoint, '--output', 'json', 'secretsmanager', ...args], {
      env: { ...cloud.env, AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_SESSION_TOKEN: c.sessionToken },
      encoding: 'utf8',
    });

  before(async () => {
    cloud = await TestCloud.start();
    account = cloud.awsOk('sts', 'get-caller-identity').Account;
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('an allow in the resource policy alone lets a role without any identity policy read the secret, and only what it names', async () => {
    const arn = ok('create-secret', '--name', 'shared/db', '--secret-string', 'from the policy').ARN;
    const reader = await session('rp-reader');
    const stranger = await session('rp-stranger');
    const sm = client(reader);
    assert.equal(
      await errorName(sm.send(new GetSecretValueCommand({ SecretId: 'shared/db' }))),
      'AccessDeniedException',
      'no policy allows it yet',
    );
    ok(
      'put-resource-policy',
      '--secret-id',
      'shared/db',
      '--resource-policy',
      policy({ Effect: 'Allow', Principal: { AWS: roleArn('rp-reader') }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }),
    );
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'shared/db' }))).SecretString, 'from the policy');
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString, 'from the policy');
    const cli = cliAs(reader, 'get-secret-value', '--secret-id', 'shared/db');
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).SecretString, 'from the policy');
    assert.equal(
      await errorName(sm.send(new DescribeSecretCommand({ SecretId: 'shared/db' }))),
      'AccessDeniedException',
      'another action is not granted',
    );
    assert.equal(
      await errorName(sm.send(new PutSecretValueCommand({ SecretId: 'shared/db', SecretString: 'x' }))),
      'AccessDeniedException',
    );
    assert.equal(
      await errorName(client(stranger).send(new GetSecretValueCommand({ SecretId: 'shared/db' }))),
      'AccessDeniedException',
      'another role is not named',
    );
    ok('delete-resource-policy', '--secret-id', 'shared/db');
    assert.equal(
      await errorName(sm.send(new GetSecretValueCommand({ SecretId: 'shared/db' }))),
      'AccessDeniedException',
      'the grant went with the policy',
    );
  });

  it('a resource policy naming the account delegates to IAM: it grants nothing by itself', async () => {
    ok('create-secret', '--name', 'shared/account', '--secret-string', 'v');
    ok(
      'put-resource-policy',
      '--secret-id',
      'shared/account',
      '--resource-policy',
      policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'secretsmanager:*', Resource: '*' }),
    );
    const nobody = await session('rp-nobody');
    assert.equal(await errorName(client(nobody).send(new GetSecretValueCommand({ SecretId: 'shared/account' }))), 'AccessDeniedException');
  });

  it('an explicit deny in the resource policy wins over an identity policy that allows everything (SDK and CLI)', async () => {
    ok('create-secret', '--name', 'shared/locked', '--secret-string', 'kept away');
    ok('create-secret', '--name', 'shared/open', '--secret-string', 'open');
    const admin = await session('rp-admin', policy({ Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' }));
    const sm = client(admin);
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'shared/locked' }))).SecretString, 'kept away');
    ok(
      'put-resource-policy',
      '--secret-id',
      'shared/locked',
      '--resource-policy',
      policy({ Effect: 'Deny', Principal: { AWS: roleArn('rp-admin') }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }),
    );
    const denied = await sm.send(new GetSecretValueCommand({ SecretId: 'shared/locked' })).then(
      () => undefined,
      (err: Error) => err,
    );
    assert.equal(denied?.name, 'AccessDeniedException');
    assert.match(
      denied?.message ?? '',
      /secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:\d{12}:secret:shared\/locked-\w{6} with an explicit deny in a resource-based policy/,
    );
    const cli = cliAs(admin, 'get-secret-value', '--secret-id', 'shared/locked');
    assert.notEqual(cli.status, 0);
    assert.match(cli.stderr, /\(AccessDeniedException\).*explicit deny in a resource-based policy/);
    assert.equal(
      (await sm.send(new DescribeSecretCommand({ SecretId: 'shared/locked' }))).Name,
      'shared/locked',
      'the deny names one action',
    );
    assert.equal(
      (await sm.send(new GetSecretValueCommand({ SecretId: 'shared/open' }))).SecretString,
      'open',
      'other secrets are not touched',
    );
  });

  it("an explicit deny in the identity policy wins over the resource policy's allow; conditions are evaluated", async () => {
    ok('create-secret', '--name', 'shared/cond', '--secret-string', 'c');
    const role = await session('rp-denied', policy({ Effect: 'Deny', Action: 'secretsmanager:GetSecretValue', Resource: '*' }));
    const other = await session('rp-cond');
    ok(
      'put-resource-policy',
      '--secret-id',
      'shared/cond',
      '--resource-policy',
      policy(
        {
          Effect: 'Allow',
          Principal: { AWS: [roleArn('rp-denied'), roleArn('rp-cond')] },
          Action: 'secretsmanager:GetSecretValue',
          Resource: '*',
        },
        {
          Effect: 'Allow',
          Principal: { AWS: roleArn('rp-cond') },
          Action: 'secretsmanager:DescribeSecret',
          Resource: '*',
          Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
        },
      ),
    );
    const denied = await client(role)
      .send(new GetSecretValueCommand({ SecretId: 'shared/cond' }))
      .then(
        () => undefined,
        (err: Error) => err,
      );
    assert.equal(denied?.name, 'AccessDeniedException');
    assert.match(denied?.message ?? '', /with an explicit deny in an identity-based policy/);
    assert.equal((await client(other).send(new GetSecretValueCommand({ SecretId: 'shared/cond' }))).SecretString, 'c');
    assert.equal(
      await errorName(client(other).send(new DescribeSecretCommand({ SecretId: 'shared/cond' }))),
      'AccessDeniedException',
      'the region condition does not hold',
    );
  });

  it('a grant to the role is capped by its permissions boundary; a grant to the session itself is not', async () => {
    ok('create-secret', '--name', 'shared/bounded', '--secret-string', 'b');
    const boundary = cloud.awsOk(
      'iam',
      'create-policy',
      '--policy-name',
      'no-secrets',
      '--policy-document',
      policy({ Effect: 'Allow', Action: 'ec2:DescribeRegions', Resource: '*' }),
    ).Policy.Arn;
    const creds = await session('rp-bounded');
    cloud.awsOk('iam', 'put-role-permissions-boundary', '--role-name', 'rp-bounded', '--permissions-boundary', boundary);
    const sm = client(creds);
    const grant = (principal: string) =>
      ok(
        'put-resource-policy',
        '--secret-id',
        'shared/bounded',
        '--resource-policy',
        policy({ Effect: 'Allow', Principal: { AWS: principal }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }),
      );
    grant(roleArn('rp-bounded'));
    assert.equal(
      await errorName(sm.send(new GetSecretValueCommand({ SecretId: 'shared/bounded' }))),
      'AccessDeniedException',
      'the boundary caps a grant to the role',
    );
    grant(`arn:aws:sts::${account}:assumed-role/rp-bounded/test`);
    assert.equal(
      (await sm.send(new GetSecretValueCommand({ SecretId: 'shared/bounded' }))).SecretString,
      'b',
      'a grant to the session is not capped',
    );
  });

  it("AWS::SecretsManager::ResourcePolicy puts the policy (Ref is the secret's ARN) and deleting the stack removes it", async () => {
    const reader = await session('rp-stack-reader');
    const template = {
      Resources: {
        Secret: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'stack/shared', SecretString: 'from a stack' } },
        Policy: {
          Type: 'AWS::SecretsManager::ResourcePolicy',
          Properties: {
            SecretId: { Ref: 'Secret' },
            BlockPublicPolicy: true,
            ResourcePolicy: {
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Principal: { AWS: roleArn('rp-stack-reader') }, Action: 'secretsmanager:GetSecretValue', Resource: '*' },
              ],
            },
          },
        },
      },
      Outputs: { PolicyRef: { Value: { Ref: 'Policy' } }, SecretArn: { Value: { Ref: 'Secret' } } },
    };
    cloud.awsOk('cloudformation', 'create-stack', '--stack-name', 'secret-policy', '--template-body', JSON.stringify(template));
    const stack = await settle(cfn(cloud), 'secret-policy');
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
    const out = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    assert.equal(out.PolicyRef, out.SecretArn);
    assert.equal((await client(reader).send(new GetSecretValueCommand({ SecretId: 'stack/shared' }))).SecretString, 'from a stack');
    cloud.awsOk('cloudformation', 'delete-stack', '--stack-name', 'secret-policy');
    const gone = await settle(cfn(cloud), 'secret-policy').catch(() => undefined);
    assert.ok(!gone || gone.StackStatus === 'DELETE_COMPLETE', gone?.StackStatusReason);
    assert.equal(await errorName(client(reader).send(new GetSecretValueCommand({ SecretId: 'stack/shared' }))), 'AccessDeniedException');
  });

  it('put-resource-policy checks the grammar, blocks broad access when asked, and refuses to lock the caller out', async () => {
    ok('create-secret', '--name', 'shared/checks', '--secret-string', 'v');
    const everyone = policy({ Effect: 'Allow', Principal: '*', Action: 'secretsmanager:GetSecretValue', Resource: '*' });
    const narrowed = policy({
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalAccount': account } },
    });
    fails(
      'PublicPolicyException',
      'put-resource-policy',
      '--secret-id',
      'shared/checks',
      '--resource-policy',
      everyone,
      '--block-public-policy',
    );
    ok('put-resource-policy', '--secret-id', 'shared/checks', '--resource-policy', narrowed, '--block-public-policy');
    ok('put-resource-policy', '--secret-id', 'shared/checks', '--resource-policy', everyone);
    const noPrincipal = policy({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' });
    assert.match(
      fails('MalformedPolicyDocumentException', 'put-resource-policy', '--secret-id', 'shared/checks', '--resource-policy', noPrincipal),
      /Principal/,
    );
    fails(
      'MalformedPolicyDocumentException',
      'put-resource-policy',
      '--secret-id',
      'shared/checks',
      '--resource-policy',
      policy({ Effect: 'Maybe', Principal: '*', Action: '*' }),
    );
    const lockout = policy({ Effect: 'Deny', Principal: '*', Action: 'secretsmanager:PutResourcePolicy', Resource: '*' });
    fails('MalformedPolicyDocumentException', 'put-resource-policy', '--secret-id', 'shared/checks', '--resource-policy', lockout);

    const sm = new SecretsManagerClient(cloud.sdk);
    const valid = await sm.send(new ValidateResourcePolicyCommand({ SecretId: 'shared/checks', ResourcePolicy: narrowed }));
    assert.equal(valid.PolicyValidationPassed, true);
    assert.deepEqual(valid.ValidationErrors ?? [], []);
    const broad = await sm.send(new ValidateResourcePolicyCommand({ ResourcePolicy: everyone }));
    assert.equal(broad.PolicyValidationPassed, false);
    assert.deepEqual(
      broad.ValidationErrors?.map((e) => e.CheckName),
      ['BROAD_ACCESS'],
    );
    const cli = ok('validate-resource-policy', '--secret-id', 'shared/checks', '--resource-policy', lockout);
    assert.equal(cli.PolicyValidationPassed, false);
    assert.deepEqual(
      cli.ValidationErrors.map((e: { CheckName: string }) => e.CheckName),
      ['LOCKOUT'],
    );
    assert.equal(
      await errorName(sm.send(new ValidateResourcePolicyCommand({ ResourcePolicy: '{not json' }))),
      'MalformedPolicyDocumentException',
    );
    assert.equal(
      await errorName(
        sm.send(new PutResourcePolicyCommand({ SecretId: 'shared/checks', ResourcePolicy: everyone, BlockPublicPolicy: true })),
      ),
      'PublicPolicyException',
    );
  });
});
