import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { authorize, decide } from '../src/auth/policy/authorize.js';
import { policiesForPrincipal } from '../src/auth/policy/principal-policies.js';
import type { Principal } from '../src/auth/credentials.js';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { iamService } from '../src/services/iam/service.js';
import { instanceRoleCredentials, stsService } from '../src/services/sts/service.js';
import { Store } from '../src/store/db.js';

const MINUTE = 60_000;
const trust = (service: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
const associate = { Version: '2012-10-17', Statement: [{ Action: ['ec2:AssociateAddress'], Resource: ['*'], Effect: 'Allow' }] };

describe('instance role credentials for the metadata service (in-process, virtual clock)', () => {
  let home: string;
  let cloud: Cloud;
  let clock: VirtualClock;
  const iam = (op: string, input: object) => cloud.invoke('iam', op, input, { region: 'us-east-1' });

  before(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), 'halo-iam-unit-'));
    clock = new VirtualClock(Date.UTC(2026, 10, 26, 2, 0, 0));
    cloud = new Cloud(new Store(path.join(home, 'state.db')), clock, timingProfile('instant'), { home, hostsPerZone: 1 });
    cloud.register(iamService);
    cloud.register(stsService);
    await iam('CreateRole', { RoleName: 'IamRole', AssumeRolePolicyDocument: trust('ec2.amazonaws.com') });
    await iam('PutRolePolicy', { RoleName: 'IamRole', PolicyName: 'root', PolicyDocument: JSON.stringify(associate) });
    await iam('AttachRolePolicy', { RoleName: 'IamRole', PolicyArn: 'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess' });
    await iam('CreateInstanceProfile', { InstanceProfileName: 'IamInstanceProfile' });
    await iam('AddRoleToInstanceProfile', { InstanceProfileName: 'IamInstanceProfile', RoleName: 'IamRole' });
  });
  after(async () => {
    await cloud.shutdown();
    rmSync(home, { recursive: true, force: true });
  });

  it("issues 6-hour credentials of the profile's role, with the instance id as session name", () => {
    const creds = instanceRoleCredentials(cloud, 'IamInstanceProfile', 'i-0123456789abcdef0');
    assert.equal(creds.roleName, 'IamRole');
    assert.match(creds.AccessKeyId, /^ASIA/);
    assert.equal(creds.Expiration, '2026-11-26T08:00:00Z');
    assert.equal(creds.LastUpdated, '2026-11-26T02:00:00Z');
    const key = cloud.credentials.find(creds.AccessKeyId);
    assert.equal(key?.sessionToken, creds.Token);
    assert.equal(key?.principal.arn, `arn:aws:sts::${cloud.accountId}:assumed-role/IamRole/i-0123456789abcdef0`);
    assert.match(key?.principal.userId ?? '', /^AROA[A-Z2-7]{17}:i-0123456789abcdef0$/);
  });

  it('reuses them while 15 minutes or more remain, then issues new ones', () => {
    const first = instanceRoleCredentials(cloud, 'IamInstanceProfile', 'i-reuse');
    clock.advance(5 * 60 * MINUTE + 45 * MINUTE);
    const same = instanceRoleCredentials(cloud, `arn:aws:iam::${cloud.accountId}:instance-profile/IamInstanceProfile`, 'i-reuse');
    assert.equal(same.AccessKeyId, first.AccessKeyId);
    clock.advance(1 * MINUTE);
    const fresh = instanceRoleCredentials(cloud, 'IamInstanceProfile', 'i-reuse');
    assert.notEqual(fresh.AccessKeyId, first.AccessKeyId);
    assert.equal(Date.parse(fresh.Expiration) - clock.now(), 6 * 60 * MINUTE);
    assert.notEqual(instanceRoleCredentials(cloud, 'IamInstanceProfile', 'i-other').AccessKeyId, fresh.AccessKeyId);
  });

  it("the session's policies are the role's inline and attached managed policies", () => {
    const creds = instanceRoleCredentials(cloud, 'IamInstanceProfile', 'i-policies');
    const principal = cloud.credentials.find(creds.AccessKeyId)?.principal;
    assert.ok(principal);
    const docs = policiesForPrincipal(cloud, principal);
    assert.deepEqual(docs[0], associate);
    assert.equal(docs.length, 2);
    assert.match(JSON.stringify(docs[1]), /ec2:Describe\*/);
  });

  it('refuses a missing profile, a profile without a role, and a role that does not trust EC2', async () => {
    assert.throws(() => instanceRoleCredentials(cloud, 'nope', 'i-1'), { code: 'NoSuchEntity' });
    await iam('CreateInstanceProfile', { InstanceProfileName: 'empty' });
    assert.throws(() => instanceRoleCredentials(cloud, 'empty', 'i-1'), { code: 'NoSuchEntity' });
    await iam('CreateRole', { RoleName: 'lambda-role', AssumeRolePolicyDocument: trust('lambda.amazonaws.com') });
    await iam('AddRoleToInstanceProfile', { InstanceProfileName: 'empty', RoleName: 'lambda-role' });
    assert.throws(() => instanceRoleCredentials(cloud, 'empty', 'i-1'), { code: 'AccessDenied' });
  });
  it("a permissions boundary caps what the role's policies allow, and denials speak each service's language", async () => {
    await iam('CreateRole', { RoleName: 'bounded', AssumeRolePolicyDocument: trust('ec2.amazonaws.com') });
    await iam('PutRolePolicy', {
      RoleName: 'bounded',
      PolicyName: 'all',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    });
    await iam('CreateInstanceProfile', { InstanceProfileName: 'bounded' });
    await iam('AddRoleToInstanceProfile', { InstanceProfileName: 'bounded', RoleName: 'bounded' });
    const principal = cloud.credentials.find(instanceRoleCredentials(cloud, 'bounded', 'i-bounded').AccessKeyId)?.principal as Principal;
    const ctx = (service: string, operation: string) => ({
      requestId: 'r',
      region: 'us-east-1',
      accountId: cloud.accountId,
      principal,
      service,
      operation,
      cloud,
    });
    assert.equal(decide(ctx('iam', 'CreateRole'), 'iam:CreateRole', '*'), 'Allow');

    await assert.rejects(iam('PutRolePermissionsBoundary', { RoleName: 'bounded', PermissionsBoundary: 'arn:aws:iam::aws:policy/Nope' }), {
      code: 'NoSuchEntity',
    });
    await iam('PutRolePermissionsBoundary', {
      RoleName: 'bounded',
      PermissionsBoundary: 'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess',
    });
    assert.equal(decide(ctx('ec2', 'DescribeRegions'), 'ec2:DescribeRegions', '*'), 'Allow');
    assert.equal(decide(ctx('iam', 'CreateRole'), 'iam:CreateRole', '*'), 'ImplicitDeny');
    assert.throws(
      () => authorize(ctx('ec2', 'RunInstances'), {}),
      (err: any) =>
        err.code === 'UnauthorizedOperation' &&
        err.status === 403 &&
        err.message ===
          `You are not authorized to perform this operation. User: arn:aws:sts::${cloud.accountId}:assumed-role/bounded/i-bounded is not authorized to perform: ec2:RunInstances because no identity-based policy allows the ec2:RunInstances action`,
    );
    assert.throws(
      () => authorize(ctx('ssm', 'PutParameter'), { Name: 'x' }),
      (err: any) =>
        err.code === 'AccessDeniedException' &&
        err.status === 400 &&
        /ssm:PutParameter on resource: arn:aws:ssm:us-east-1:\d{12}:parameter\/x /.test(err.message),
    );
    assert.throws(
      () => authorize(ctx('monitoring', 'PutMetricAlarm'), {}),
      (err: any) => err.code === 'AccessDenied' && /cloudwatch:PutMetricAlarm/.test(err.message),
    );

    await iam('DeleteRolePermissionsBoundary', { RoleName: 'bounded' });
    assert.doesNotThrow(() => authorize(ctx('ec2', 'RunInstances'), {}));
    await assert.rejects(iam('DeleteRolePermissionsBoundary', { RoleName: 'bounded' }), { code: 'NoSuchEntity' });
  });
  it('customer managed policies take tags; AWS managed ones cannot be changed', async () => {
    const { Policy } = await iam('CreatePolicy', {
      PolicyName: 'tagged',
      PolicyDocument: JSON.stringify(associate),
      Tags: [{ Key: 'env', Value: 'dev' }],
    });
    await iam('TagPolicy', {
      PolicyArn: Policy.Arn,
      Tags: [
        { Key: 'ENV', Value: 'prod' },
        { Key: 'team', Value: 'ha' },
      ],
    });
    assert.deepEqual((await iam('ListPolicyTags', { PolicyArn: Policy.Arn })).Tags, [
      { Key: 'ENV', Value: 'prod' },
      { Key: 'team', Value: 'ha' },
    ]);
    await iam('UntagPolicy', { PolicyArn: Policy.Arn, TagKeys: ['env'] });
    assert.deepEqual((await iam('GetPolicy', { PolicyArn: Policy.Arn })).Policy.Tags, [{ Key: 'team', Value: 'ha' }]);
    await assert.rejects(iam('TagPolicy', { PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess', Tags: [{ Key: 'a', Value: 'b' }] }), {
      code: 'InvalidInput',
    });
  });
});
