import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolesCommand,
  CreateRoleCommand,
  TagRoleCommand,
  ListRoleTagsCommand,
} from '@aws-sdk/client-iam';
import { TestCloud } from './support/cloud.js';

const trust = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
};
const associate = { Version: '2012-10-17', Statement: [{ Action: ['ec2:AssociateAddress'], Resource: ['*'], Effect: 'Allow' }] };

describe('IAM roles, inline and managed policies, instance profiles through the real aws CLI', () => {
  let cloud: TestCloud;
  let account = '';
  const file = (name: string, doc: unknown) => {
    const p = path.join(cloud.home, name);
    writeFileSync(p, typeof doc === 'string' ? doc : JSON.stringify(doc));
    return `file://${p}`;
  };
  const ok = (...args: string[]) => cloud.awsOk(...args);
  const fails = (code: string, ...args: string[]) => cloud.awsFails(code, ...args);

  before(async () => {
    cloud = await TestCloud.start();
    account = ok('sts', 'get-caller-identity').Account;
  });
  after(async () => {
    await cloud?.dispose();
  });

  it("create-role makes the seed's instance role with an AROA id, an ARN with its path, and the trust policy", () => {
    const { Role } = ok(
      'iam',
      'create-role',
      '--role-name',
      'IamRole',
      '--path',
      '/',
      '--assume-role-policy-document',
      file('trust.json', trust),
    );
    assert.match(Role.RoleId, /^AROA[A-Z2-7]{17}$/);
    assert.equal(Role.Arn, `arn:aws:iam::${account}:role/IamRole`);
    assert.equal(Role.Path, '/');
    assert.deepEqual(Role.AssumeRolePolicyDocument, trust);
    assert.ok(!Number.isNaN(Date.parse(Role.CreateDate)));
    const got = ok('iam', 'get-role', '--role-name', 'iamrole').Role;
    assert.equal(got.RoleId, Role.RoleId);
    assert.equal(got.MaxSessionDuration, 3600);
    fails(
      'EntityAlreadyExists',
      'iam',
      'create-role',
      '--role-name',
      'IAMROLE',
      '--assume-role-policy-document',
      file('trust.json', trust),
    );
  });

  it('a role in a path gets the path in its ARN; list-roles filters by path prefix', () => {
    const { Role } = ok(
      'iam',
      'create-role',
      '--role-name',
      'deep',
      '--path',
      '/app/web/',
      '--assume-role-policy-document',
      file('trust.json', trust),
    );
    assert.equal(Role.Arn, `arn:aws:iam::${account}:role/app/web/deep`);
    assert.deepEqual(
      ok('iam', 'list-roles', '--path-prefix', '/app/').Roles.map((r: any) => r.RoleName),
      ['deep'],
    );
    fails(
      'ValidationError',
      'iam',
      'create-role',
      '--role-name',
      'bad',
      '--path',
      'nopath',
      '--assume-role-policy-document',
      file('trust.json', trust),
    );
    fails('ValidationError', 'iam', 'create-role', '--role-name', 'bad name!', '--assume-role-policy-document', file('trust.json', trust));
  });

  it('rejects trust and identity policies IAM rejects, with MalformedPolicyDocument', () => {
    fails('MalformedPolicyDocument', 'iam', 'create-role', '--role-name', 'x', '--assume-role-policy-document', '{not json');
    const withResource = { Version: '2012-10-17', Statement: [{ ...trust.Statement[0], Resource: '*' }] };
    assert.match(
      fails(
        'MalformedPolicyDocument',
        'iam',
        'create-role',
        '--role-name',
        'x',
        '--assume-role-policy-document',
        file('r.json', withResource),
      ),
      /prohibited field Resource/,
    );
    const withPrincipal = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Principal: '*' }] };
    assert.match(
      fails(
        'MalformedPolicyDocument',
        'iam',
        'put-role-policy',
        '--role-name',
        'IamRole',
        '--policy-name',
        'p',
        '--policy-document',
        file('p.json', withPrincipal),
      ),
      /should not specify a principal/,
    );
    fails(
      'MalformedPolicyDocument',
      'iam',
      'put-role-policy',
      '--role-name',
      'IamRole',
      '--policy-name',
      'p',
      '--policy-document',
      file('p.json', { Statement: [{ Effect: 'Allow', Action: 'ec2:X' }] }),
    );
    fails('NoSuchEntity', 'iam', 'get-role', '--role-name', 'x');
  });

  it('put-role-policy / get-role-policy / list-role-policies / update-assume-role-policy', () => {
    ok('iam', 'put-role-policy', '--role-name', 'IamRole', '--policy-name', 'root', '--policy-document', file('associate.json', associate));
    const got = ok('iam', 'get-role-policy', '--role-name', 'IamRole', '--policy-name', 'root');
    assert.deepEqual(got, { RoleName: 'IamRole', PolicyName: 'root', PolicyDocument: associate });
    assert.deepEqual(ok('iam', 'list-role-policies', '--role-name', 'IamRole').PolicyNames, ['root']);
    fails('NoSuchEntity', 'iam', 'get-role-policy', '--role-name', 'IamRole', '--policy-name', 'nope');
    const newTrust = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }],
    };
    ok('iam', 'update-assume-role-policy', '--role-name', 'deep', '--policy-document', file('t2.json', newTrust));
    assert.deepEqual(ok('iam', 'get-role', '--role-name', 'deep').Role.AssumeRolePolicyDocument, newTrust);
  });

  it('instance profiles hold one role; get-instance-profile shows it', () => {
    const { InstanceProfile } = ok('iam', 'create-instance-profile', '--instance-profile-name', 'IamInstanceProfile');
    assert.match(InstanceProfile.InstanceProfileId, /^AIPA[A-Z2-7]{17}$/);
    assert.equal(InstanceProfile.Arn, `arn:aws:iam::${account}:instance-profile/IamInstanceProfile`);
    assert.deepEqual(InstanceProfile.Roles, []);
    ok('iam', 'add-role-to-instance-profile', '--instance-profile-name', 'IamInstanceProfile', '--role-name', 'IamRole');
    const got = ok('iam', 'get-instance-profile', '--instance-profile-name', 'IamInstanceProfile').InstanceProfile;
    assert.deepEqual(
      got.Roles.map((r: any) => [r.RoleName, r.Arn]),
      [['IamRole', `arn:aws:iam::${account}:role/IamRole`]],
    );
    assert.deepEqual(got.Roles[0].AssumeRolePolicyDocument, trust);
    fails('LimitExceeded', 'iam', 'add-role-to-instance-profile', '--instance-profile-name', 'IamInstanceProfile', '--role-name', 'deep');
    fails('EntityAlreadyExists', 'iam', 'create-instance-profile', '--instance-profile-name', 'IamInstanceProfile');
    const forRole = ok('iam', 'list-instance-profiles-for-role', '--role-name', 'IamRole').InstanceProfiles;
    assert.deepEqual(
      forRole.map((p: any) => p.InstanceProfileName),
      ['IamInstanceProfile'],
    );
    assert.deepEqual(
      ok('iam', 'list-instance-profiles').InstanceProfiles.map((p: any) => p.InstanceProfileName),
      ['IamInstanceProfile'],
    );
    fails('NoSuchEntity', 'iam', 'get-instance-profile', '--instance-profile-name', 'nope');
  });

  it('managed policies: create, attach, versions, and AWS managed ones by ARN', () => {
    const { Policy } = ok('iam', 'create-policy', '--policy-name', 'eip', '--policy-document', file('associate.json', associate));
    assert.match(Policy.PolicyId, /^ANPA[A-Z2-7]{17}$/);
    assert.equal(Policy.Arn, `arn:aws:iam::${account}:policy/eip`);
    assert.equal(Policy.DefaultVersionId, 'v1');
    fails('EntityAlreadyExists', 'iam', 'create-policy', '--policy-name', 'eip', '--policy-document', file('associate.json', associate));
    ok('iam', 'attach-role-policy', '--role-name', 'IamRole', '--policy-arn', Policy.Arn);
    ok('iam', 'attach-role-policy', '--role-name', 'IamRole', '--policy-arn', 'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess');
    assert.deepEqual(ok('iam', 'list-attached-role-policies', '--role-name', 'IamRole').AttachedPolicies, [
      { PolicyName: 'eip', PolicyArn: Policy.Arn },
      { PolicyName: 'AmazonEC2ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess' },
    ]);
    assert.equal(ok('iam', 'get-policy', '--policy-arn', Policy.Arn).Policy.AttachmentCount, 1);
    assert.deepEqual(ok('iam', 'get-policy-version', '--policy-arn', Policy.Arn, '--version-id', 'v1').PolicyVersion.Document, associate);
    const admin = ok(
      'iam',
      'get-policy-version',
      '--policy-arn',
      'arn:aws:iam::aws:policy/AdministratorAccess',
      '--version-id',
      'v1',
    ).PolicyVersion;
    assert.deepEqual(admin.Document, { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
    fails(
      'NoSuchEntity',
      'iam',
      'attach-role-policy',
      '--role-name',
      'IamRole',
      '--policy-arn',
      'arn:aws:iam::aws:policy/NoSuchPolicyHere',
    );
    fails('DeleteConflict', 'iam', 'delete-policy', '--policy-arn', Policy.Arn);

    const v2 = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' }] };
    assert.equal(
      ok('iam', 'create-policy-version', '--policy-arn', Policy.Arn, '--policy-document', file('v2.json', v2), '--set-as-default')
        .PolicyVersion.VersionId,
      'v2',
    );
    assert.equal(ok('iam', 'get-policy', '--policy-arn', Policy.Arn).Policy.DefaultVersionId, 'v2');
    assert.deepEqual(
      ok('iam', 'list-policy-versions', '--policy-arn', Policy.Arn).Versions.map((v: any) => [v.VersionId, v.IsDefaultVersion]),
      [
        ['v2', true],
        ['v1', false],
      ],
    );
    fails('DeleteConflict', 'iam', 'delete-policy-version', '--policy-arn', Policy.Arn, '--version-id', 'v2');
    ok('iam', 'delete-policy-version', '--policy-arn', Policy.Arn, '--version-id', 'v1');
    const local = ok('iam', 'list-policies', '--scope', 'Local').Policies.map((p: any) => p.PolicyName);
    assert.deepEqual(local, ['eip']);
  });

  it('delete-role answers DeleteConflict until profiles, managed and inline policies are gone', () => {
    assert.match(fails('DeleteConflict', 'iam', 'delete-role', '--role-name', 'IamRole'), /instance profile/);
    ok('iam', 'remove-role-from-instance-profile', '--instance-profile-name', 'IamInstanceProfile', '--role-name', 'IamRole');
    assert.match(fails('DeleteConflict', 'iam', 'delete-role', '--role-name', 'IamRole'), /detach all policies/);
    ok('iam', 'detach-role-policy', '--role-name', 'IamRole', '--policy-arn', 'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess');
    ok('iam', 'detach-role-policy', '--role-name', 'IamRole', '--policy-arn', `arn:aws:iam::${account}:policy/eip`);
    fails('NoSuchEntity', 'iam', 'detach-role-policy', '--role-name', 'IamRole', '--policy-arn', `arn:aws:iam::${account}:policy/eip`);
    assert.match(fails('DeleteConflict', 'iam', 'delete-role', '--role-name', 'IamRole'), /delete policies/);
    ok('iam', 'delete-role-policy', '--role-name', 'IamRole', '--policy-name', 'root');
    ok('iam', 'delete-role', '--role-name', 'IamRole');
    fails('NoSuchEntity', 'iam', 'get-role', '--role-name', 'IamRole');
    ok('iam', 'delete-instance-profile', '--instance-profile-name', 'IamInstanceProfile');
    ok('iam', 'delete-policy', '--policy-arn', `arn:aws:iam::${account}:policy/eip`);
    fails('NoSuchEntity', 'iam', 'get-policy', '--policy-arn', `arn:aws:iam::${account}:policy/eip`);
  });

  it('the SDK v3 client sees URL-encoded documents, tags and Marker paging', async () => {
    const iam = new IAMClient(cloud.sdk);
    const text = JSON.stringify(trust);
    await iam.send(new CreateRoleCommand({ RoleName: 'sdk-role', AssumeRolePolicyDocument: text, Tags: [{ Key: 'team', Value: 'ha' }] }));
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'sdk-role' }));
    assert.notEqual(Role?.AssumeRolePolicyDocument, text);
    assert.equal(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? ''), text);
    assert.deepEqual(Role?.Tags, [{ Key: 'team', Value: 'ha' }]);
    await iam.send(
      new TagRoleCommand({
        RoleName: 'sdk-role',
        Tags: [
          { Key: 'TEAM', Value: 'ops' },
          { Key: 'tier', Value: 'web' },
        ],
      }),
    );
    assert.deepEqual((await iam.send(new ListRoleTagsCommand({ RoleName: 'sdk-role' }))).Tags, [
      { Key: 'TEAM', Value: 'ops' },
      { Key: 'tier', Value: 'web' },
    ]);
    const first = await iam.send(new ListRolesCommand({ MaxItems: 1 }));
    assert.equal(first.Roles?.length, 1);
    assert.equal(first.IsTruncated, true);
    const rest = await iam.send(new ListRolesCommand({ Marker: first.Marker }));
    assert.deepEqual(
      [...(first.Roles ?? []), ...(rest.Roles ?? [])].map((r) => r.RoleName),
      ['deep', 'sdk-role'],
    );
    await assert.rejects(iam.send(new GetRolePolicyCommand({ RoleName: 'sdk-role', PolicyName: 'none' })), {
      name: 'NoSuchEntityException',
    });
  });
});
