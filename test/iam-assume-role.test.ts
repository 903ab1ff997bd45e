import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import {
  AllocateAddressCommand,
  DescribeKeyPairsCommand,
  DescribeRegionsCommand,
  EC2Client,
  ReleaseAddressCommand,
} from '@aws-sdk/client-ec2';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand, STSClient, type Credentials } from '@aws-sdk/client-sts';
import { AWS_CLI, TestCloud, type AwsResult } from './support/cloud.js';

const policy = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

describe('STS AssumeRole and IAM policies enforced on role sessions', () => {
  let cloud: TestCloud;
  let iam: IAMClient;
  let sts: STSClient;
  let account = '';
  const roleArn = (name: string) => `arn:aws:iam::${account}:role/${name}`;
  const trustAccount = () => policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' });

  /** The real aws CLI with a role session's credentials. */
  const awsAs = (creds: Credentials, ...args: string[]): AwsResult => {
    const env = {
      ...cloud.env,
      AWS_ACCESS_KEY_ID: creds.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.SecretAccessKey,
      AWS_SESSION_TOKEN: creds.SessionToken,
    };
    const r = spawnSync(AWS_CLI, ['--endpoint-url', cloud.endpoint, '--output', 'json', ...args], { env, encoding: 'utf8' });
    let json: any;
    try {
      json = r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
    } catch {
      json = undefined;
    }
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
  };
  const sdkAs = (creds: Credentials) => ({
    ...cloud.sdk,
    credentials: { accessKeyId: creds.AccessKeyId ?? '', secretAccessKey: creds.SecretAccessKey ?? '', sessionToken: creds.SessionToken },
  });
  const assume = async (name: string, extra: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> = {}, client = sts) =>
    (await client.send(new AssumeRoleCommand({ RoleArn: roleArn(name), RoleSessionName: 's1', ...extra }))).Credentials as Credentials;

  before(async () => {
    cloud = await TestCloud.start();
    iam = new IAMClient(cloud.sdk);
    sts = new STSClient(cloud.sdk);
    account = (await sts.send(new GetCallerIdentityCommand({}))).Account ?? '';
    await iam.send(new CreateRoleCommand({ RoleName: 'regions-reader', AssumeRolePolicyDocument: trustAccount() }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'regions-reader',
        PolicyName: 'regions',
        PolicyDocument: policy({ Effect: 'Allow', Action: 'ec2:DescribeRegions', Resource: '*' }),
      }),
    );
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('aws sts assume-role returns session credentials; get-caller-identity shows the assumed role', async () => {
    const r = cloud.aws('sts', 'assume-role', '--role-arn', roleArn('regions-reader'), '--role-session-name', 'cli-session');
    assert.equal(r.status, 0, r.stderr);
    const { Credentials: creds, AssumedRoleUser } = r.json;
    assert.match(creds.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.ok(creds.SessionToken.length > 20);
    assert.ok(Date.parse(creds.Expiration) > Date.now() + 50 * 60_000);
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'regions-reader' }));
    assert.equal(AssumedRoleUser.Arn, `arn:aws:sts::${account}:assumed-role/regions-reader/cli-session`);
    assert.equal(AssumedRoleUser.AssumedRoleId, `${Role?.RoleId}:cli-session`);
    assert.ok(Role?.RoleLastUsed?.LastUsedDate);

    const who = awsAs(creds, 'sts', 'get-caller-identity');
    assert.equal(who.status, 0, who.stderr);
    assert.deepEqual(who.json, { UserId: `${Role?.RoleId}:cli-session`, Account: account, Arn: AssumedRoleUser.Arn });

    const allowed = awsAs(creds, 'ec2', 'describe-regions', '--region', 'us-east-1');
    assert.equal(allowed.status, 0, allowed.stderr);
    assert.ok(allowed.json.Regions.length > 0);

    const refused = awsAs(creds, 'ec2', 'describe-key-pairs', '--region', 'us-east-1');
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /\(UnauthorizedOperation\)/);
    assert.match(
      refused.stderr,
      new RegExp(
        `You are not authorized to perform this operation. User: ${AssumedRoleUser.Arn} is not authorized to perform: ec2:DescribeKeyPairs`,
      ),
    );

    const iamRefused = awsAs(creds, 'iam', 'get-role', '--role-name', 'regions-reader');
    assert.match(iamRefused.stderr, /\(AccessDenied\).*iam:GetRole on resource: arn:aws:iam::\d{12}:role\/regions-reader/);
  });

  it('the SDK v3 clients see the same decisions, and an explicit Deny overrides an attached Allow', async () => {
    const creds = await assume('regions-reader');
    const ec2 = new EC2Client(sdkAs(creds));
    assert.ok((await ec2.send(new DescribeRegionsCommand({}))).Regions?.length);
    await assert.rejects(ec2.send(new DescribeKeyPairsCommand({})), { name: 'UnauthorizedOperation' });

    await iam.send(
      new AttachRolePolicyCommand({ RoleName: 'regions-reader', PolicyArn: 'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess' }),
    );
    await ec2.send(new DescribeKeyPairsCommand({}));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'regions-reader',
        PolicyName: 'no-keys',
        PolicyDocument: policy({ Effect: 'Deny', Action: 'ec2:DescribeKeyPairs', Resource: '*' }),
      }),
    );
    await assert.rejects(
      ec2.send(new DescribeKeyPairsCommand({})),
      (err: Error) => err.name === 'UnauthorizedOperation' && /explicit deny/.test(err.message),
    );
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'regions-reader', PolicyName: 'no-keys' }));
  });

  it('a trust policy that does not name the caller refuses AssumeRole with AccessDenied', async () => {
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'ec2-only',
        AssumeRolePolicyDocument: policy({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }),
      }),
    );
    await assert.rejects(
      assume('ec2-only'),
      (err: Error) =>
        err.name === 'AccessDenied' &&
        err.message ===
          `User: arn:aws:iam::${account}:root is not authorized to perform: sts:AssumeRole on resource: ${roleArn('ec2-only')}`,
    );
    await assert.rejects(assume('no-such-role'), { name: 'AccessDenied' });
    await assert.rejects(assume('regions-reader', { DurationSeconds: 7200 }), (err: Error) => /MaxSessionDuration/.test(err.message));
  });

  it("role chaining needs the caller's policy or a trust policy naming the caller's role", async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'target', AssumeRolePolicyDocument: trustAccount() }));
    const reader = new STSClient(sdkAs(await assume('regions-reader')));
    await assert.rejects(assume('target', {}, reader), { name: 'AccessDenied' });
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'target',
        PolicyDocument: policy({ Effect: 'Allow', Principal: { AWS: roleArn('regions-reader') }, Action: 'sts:AssumeRole' }),
      }),
    );
    const chained = await assume('target', { RoleSessionName: 'chained' }, reader);
    const who = await new STSClient(sdkAs(chained)).send(new GetCallerIdentityCommand({}));
    assert.equal(who.Arn, `arn:aws:sts::${account}:assumed-role/target/chained`);
    await assert.rejects(assume('target', { DurationSeconds: 3601 }, reader), (err: Error) => /role chaining/.test(err.message));
  });

  it('a session policy narrows the session; deleting the role ends what its sessions may do', async () => {
    const narrowed = await assume('regions-reader', { Policy: policy({ Effect: 'Allow', Action: 'ec2:DescribeKeyPairs', Resource: '*' }) });
    const ec2 = new EC2Client(sdkAs(narrowed));
    await ec2.send(new DescribeKeyPairsCommand({}));
    await assert.rejects(ec2.send(new DescribeRegionsCommand({})), { name: 'UnauthorizedOperation' });

    await iam.send(new CreateRoleCommand({ RoleName: 'short-lived', AssumeRolePolicyDocument: trustAccount() }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'short-lived',
        PolicyName: 'p',
        PolicyDocument: policy({ Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' }),
      }),
    );
    const session = new EC2Client(sdkAs(await assume('short-lived')));
    await session.send(new DescribeRegionsCommand({}));
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'short-lived', PolicyName: 'p' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'short-lived' }));
    await assert.rejects(session.send(new DescribeRegionsCommand({})), { name: 'UnauthorizedOperation' });
  });
  it('simulate-principal-policy and simulate-custom-policy answer with the same evaluation', () => {
    const principal = cloud.aws(
      'iam',
      'simulate-principal-policy',
      '--policy-source-arn',
      roleArn('regions-reader'),
      '--action-names',
      'ec2:DescribeKeyPairs',
      'ec2:RunInstances',
    );
    assert.equal(principal.status, 0, principal.stderr);
    assert.deepEqual(
      principal.json.EvaluationResults.map((r: any) => [r.EvalActionName, r.EvalResourceName, r.EvalDecision]),
      [
        ['ec2:DescribeKeyPairs', '*', 'allowed'],
        ['ec2:RunInstances', '*', 'implicitDeny'],
      ],
    );
    const custom = policy(
      { Effect: 'Allow', Action: 'ssm:GetParameter', Resource: 'arn:aws:ssm:*:*:parameter/app/*' },
      { Effect: 'Deny', Action: 'ssm:*', Resource: '*', Condition: { StringNotEquals: { 'aws:RequestedRegion': 'us-east-1' } } },
    );
    const r = cloud.aws(
      'iam',
      'simulate-custom-policy',
      '--policy-input-list',
      custom,
      '--action-names',
      'ssm:GetParameter',
      '--resource-arns',
      'arn:aws:ssm:us-east-1:1:parameter/app/x',
      'arn:aws:ssm:us-east-1:1:parameter/other',
      '--context-entries',
      'ContextKeyName=aws:RequestedRegion,ContextKeyValues=eu-west-1,ContextKeyType=string',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      r.json.EvaluationResults.map((e: any) => e.EvalDecision),
      ['explicitDeny', 'explicitDeny'],
    );
    const noContext = cloud.aws(
      'iam',
      'simulate-custom-policy',
      '--policy-input-list',
      custom,
      '--action-names',
      'ssm:GetParameter',
      '--resource-arns',
      'arn:aws:ssm:us-east-1:1:parameter/app/x',
    );
    assert.equal(noContext.json.EvaluationResults[0].EvalDecision, 'explicitDeny');
    assert.deepEqual(noContext.json.EvaluationResults[0].MissingContextValues, ['aws:RequestedRegion']);
    const inRegion = cloud.aws(
      'iam',
      'simulate-custom-policy',
      '--policy-input-list',
      custom,
      '--action-names',
      'ssm:GetParameter',
      '--resource-arns',
      'arn:aws:ssm:us-east-1:1:parameter/app/x',
      'arn:aws:ssm:us-east-1:1:parameter/other',
      '--context-entries',
      'ContextKeyName=aws:RequestedRegion,ContextKeyValues=us-east-1,ContextKeyType=string',
    );
    assert.deepEqual(
      inRegion.json.EvaluationResults.map((e: any) => e.EvalDecision),
      ['allowed', 'implicitDeny'],
    );
  });
  it('EC2 calls are checked on the resources they name: a policy scoped to one Elastic IP covers only that one', async () => {
    const admin = new EC2Client(cloud.sdk);
    const mine = (await admin.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId ?? '';
    const other = (await admin.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId ?? '';
    await iam.send(new CreateRoleCommand({ RoleName: 'eip-keeper', AssumeRolePolicyDocument: trustAccount() }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'eip-keeper',
        PolicyName: 'one-eip',
        PolicyDocument: policy({
          Effect: 'Allow',
          Action: 'ec2:ReleaseAddress',
          Resource: `arn:aws:ec2:us-east-1:${account}:elastic-ip/${mine}`,
        }),
      }),
    );
    const creds = await assume('eip-keeper');
    const refused = awsAs(creds, 'ec2', 'release-address', '--region', 'us-east-1', '--allocation-id', other);
    assert.match(
      refused.stderr,
      new RegExp(`\\(UnauthorizedOperation\\).*ec2:ReleaseAddress on resource: arn:aws:ec2:us-east-1:${account}:elastic-ip/${other}`),
    );
    await new EC2Client(sdkAs(creds)).send(new ReleaseAddressCommand({ AllocationId: mine }));
    await admin.send(new ReleaseAddressCommand({ AllocationId: other }));
  });
  it('get-session-token gives the admin session credentials, and refuses role sessions', async () => {
    const roleSession = new STSClient(sdkAs(await assume('regions-reader')));
    await assert.rejects(
      roleSession.send(new GetSessionTokenCommand({})),
      (err: Error) => err.name === 'AccessDenied' && /session credentials/.test(err.message),
    );
    const r = cloud.aws('sts', 'get-session-token', '--duration-seconds', '900');
    assert.equal(r.status, 0, r.stderr);
    const creds = r.json.Credentials;
    assert.match(creds.AccessKeyId, /^ASIA/);
    const who = awsAs(creds, 'sts', 'get-caller-identity');
    assert.equal(who.json.Arn, `arn:aws:iam::${account}:root`);
    assert.match(awsAs(creds, 'sts', 'get-session-token').stderr, /\(AccessDenied\).*session credentials/);
    assert.match(cloud.aws('sts', 'get-session-token', '--duration-seconds', '7200').stderr, /\(ValidationError\)/);
  });
});
