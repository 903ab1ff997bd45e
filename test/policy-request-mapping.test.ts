import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../src/auth/credentials.js';
import { requestConditionContext } from '../src/auth/policy/authorize.js';
import { actionPrefix, resourcesOf } from '../src/auth/policy/request-mapping.js';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { groupArns } from '../src/services/autoscaling/authorization.js';
import { groups, type GroupRecord } from '../src/services/autoscaling/state.js';
import { iamService } from '../src/services/iam/service.js';
import { secretsmanagerService } from '../src/services/secretsmanager/service.js';
import { Store } from '../src/store/db.js';
import type { RequestContext } from '../src/services/types.js';

describe('mapping requests to IAM actions, resources and condition keys', () => {
  let home: string;
  let cloud: Cloud;
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  });
  const ctx = (service: string, operation: string, principal?: Principal): RequestContext => ({
    requestId: 'r',
    region: 'eu-west-1',
    accountId: cloud.accountId,
    principal: principal ?? cloud.adminPrincipal(),
    service,
    operation,
    cloud,
  });

  before(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), 'halo-policy-map-'));
    cloud = new Cloud(new Store(path.join(home, 'state.db')), new VirtualClock(Date.UTC(2026, 10, 26, 3, 0, 0)), timingProfile('instant'), {
      home,
      hostsPerZone: 1,
    });
    cloud.register(iamService);
    cloud.register(secretsmanagerService);
    await cloud.invoke(
      'iam',
      'CreateRole',
      { RoleName: 'web', Path: '/app/', AssumeRolePolicyDocument: trust, Tags: [{ Key: 'team', Value: 'ha' }] },
      { region: 'us-east-1' },
    );
  });
  after(async () => {
    await cloud.shutdown();
    rmSync(home, { recursive: true, force: true });
  });

  it('action prefixes follow IAM, not the signing name, where they differ', () => {
    assert.equal(actionPrefix('monitoring'), 'cloudwatch');
    assert.equal(actionPrefix('ec2'), 'ec2');
    assert.equal(actionPrefix('autoscaling'), 'autoscaling');
  });

  it("Secrets Manager requests act on the secret's full ARN, whether named by name, ARN or partial ARN", async () => {
    const a = cloud.accountId;
    const { ARN } = await cloud.invoke<{ ARN: string }>(
      'secretsmanager',
      'CreateSecret',
      { Name: 'db/pass', SecretString: 'x' },
      { region: 'eu-west-1' },
    );
    assert.deepEqual(resourcesOf(ctx('secretsmanager', 'GetSecretValue'), { SecretId: 'db/pass' }), [ARN]);
    assert.deepEqual(resourcesOf(ctx('secretsmanager', 'GetSecretValue'), { SecretId: ARN.slice(0, -7) }), [ARN]);
    assert.deepEqual(resourcesOf(ctx('secretsmanager', 'PutSecretValue'), { SecretId: ARN }), [ARN]);
    assert.deepEqual(resourcesOf(ctx('secretsmanager', 'CreateSecret'), { Name: 'new' }), [
      `arn:aws:secretsmanager:eu-west-1:${a}:secret:new-??????`,
    ]);
    assert.deepEqual(resourcesOf(ctx('secretsmanager', 'GetSecretValue'), { SecretId: 'missing' }), [
      `arn:aws:secretsmanager:eu-west-1:${a}:secret:missing-??????`,
    ]);
    assert.deepEqual(resourcesOf(ctx('secretsmanager', 'ListSecrets'), {}), ['*']);
    assert.deepEqual(resourcesOf(ctx('secretsmanager', 'GetRandomPassword'), { PasswordLength: 8 }), ['*']);
  });

  it('Auto Scaling requests act on the group they name, or the group of the instance they name; Describe* on *', () => {
    const arn = `arn:aws:autoscaling:eu-west-1:${cloud.accountId}:autoScalingGroup:0d3c5e1a-0000-4000-8000-000000000001:autoScalingGroupName/web`;
    groups(cloud).put('eu-west-1', 'web', {
      AutoScalingGroupName: 'web',
      AutoScalingGroupARN: arn,
      Instances: [{ InstanceId: 'i-0123456789abcdef0' }],
    } as unknown as GroupRecord);
    assert.deepEqual(groupArns(ctx('autoscaling', 'SuspendProcesses'), { AutoScalingGroupName: 'web' }), [arn]);
    assert.deepEqual(groupArns(ctx('autoscaling', 'SetInstanceHealth'), { InstanceId: 'i-0123456789abcdef0', HealthStatus: 'Unhealthy' }), [
      arn,
    ]);
    assert.deepEqual(groupArns(ctx('autoscaling', 'CreateAutoScalingGroup'), { AutoScalingGroupName: 'new' }), [
      `arn:aws:autoscaling:eu-west-1:${cloud.accountId}:autoScalingGroup:*:autoScalingGroupName/new`,
    ]);
    assert.deepEqual(groupArns(ctx('autoscaling', 'DescribeAutoScalingGroups'), { AutoScalingGroupNames: ['web'] }), ['*']);
    assert.deepEqual(groupArns(ctx('autoscaling', 'SetInstanceHealth'), { InstanceId: 'i-00000000000000000' }), ['*']);
  });

  it("IAM requests act on the role's real ARN (with its path), or the ARN a new entity will get", () => {
    const a = cloud.accountId;
    assert.deepEqual(resourcesOf(ctx('iam', 'GetRole'), { RoleName: 'WEB' }), [`arn:aws:iam::${a}:role/app/web`]);
    assert.deepEqual(resourcesOf(ctx('iam', 'CreateRole'), { RoleName: 'new', Path: '/x/' }), [`arn:aws:iam::${a}:role/x/new`]);
    assert.deepEqual(resourcesOf(ctx('iam', 'CreatePolicy'), { PolicyName: 'p' }), [`arn:aws:iam::${a}:policy/p`]);
    assert.deepEqual(resourcesOf(ctx('iam', 'GetPolicy'), { PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }), [
      'arn:aws:iam::aws:policy/AdministratorAccess',
    ]);
    assert.deepEqual(resourcesOf(ctx('iam', 'GetInstanceProfile'), { InstanceProfileName: 'ip' }), [
      `arn:aws:iam::${a}:instance-profile/ip`,
    ]);
    assert.deepEqual(resourcesOf(ctx('iam', 'ListRoles'), {}), ['*']);
  });

  it('SSM requests act on parameter ARNs without selectors; STS AssumeRole on the role; EC2 on *', () => {
    const a = cloud.accountId;
    assert.deepEqual(resourcesOf(ctx('ssm', 'GetParameter'), { Name: '/app/db:3' }), [`arn:aws:ssm:eu-west-1:${a}:parameter/app/db`]);
    assert.deepEqual(resourcesOf(ctx('ssm', 'GetParameters'), { Names: ['plain', '/a/b:label'] }), [
      `arn:aws:ssm:eu-west-1:${a}:parameter/plain`,
      `arn:aws:ssm:eu-west-1:${a}:parameter/a/b`,
    ]);
    assert.deepEqual(resourcesOf(ctx('ssm', 'GetParametersByPath'), { Path: '/app' }), [`arn:aws:ssm:eu-west-1:${a}:parameter/app`]);
    assert.deepEqual(resourcesOf(ctx('ssm', 'DescribeParameters'), {}), ['*']);
    assert.deepEqual(resourcesOf(ctx('sts', 'AssumeRole'), { RoleArn: 'arn:aws:iam::1:role/r' }), ['arn:aws:iam::1:role/r']);
    assert.deepEqual(resourcesOf(ctx('ec2', 'AllocateAddress'), { Domain: 'vpc' }), ['*']);
    assert.deepEqual(resourcesOf(ctx('ec2', 'DescribeInstances'), { InstanceIds: ['i-0abc'] }), ['*']);
  });

  it('EC2 requests act on every resource they name by id', () => {
    const a = cloud.accountId;
    assert.deepEqual(
      resourcesOf(ctx('ec2', 'AssociateAddress'), { AllocationId: 'eipalloc-0f1', InstanceId: 'i-0abc', AllowReassociation: true }),
      [`arn:aws:ec2:eu-west-1:${a}:elastic-ip/eipalloc-0f1`, `arn:aws:ec2:eu-west-1:${a}:instance/i-0abc`],
    );
    assert.deepEqual(resourcesOf(ctx('ec2', 'TerminateInstances'), { InstanceIds: ['i-01', 'i-02'] }), [
      `arn:aws:ec2:eu-west-1:${a}:instance/i-01`,
      `arn:aws:ec2:eu-west-1:${a}:instance/i-02`,
    ]);
    assert.deepEqual(resourcesOf(ctx('ec2', 'CreateImage'), { InstanceId: 'i-01', Name: 'snapshot-of-jenkins' }), [
      `arn:aws:ec2:eu-west-1:${a}:instance/i-01`,
    ]);
    assert.deepEqual(resourcesOf(ctx('ec2', 'DeregisterImage'), { ImageId: 'ami-0halo' }), ['arn:aws:ec2:eu-west-1::image/ami-0halo']);
  });

  it("global condition keys come from the request, the cloud clock and the session's role", () => {
    const session: Principal = {
      type: 'assumed-role',
      accountId: cloud.accountId,
      arn: `arn:aws:sts::${cloud.accountId}:assumed-role/web/i-1`,
      userId: 'AROAEXAMPLE:i-1',
      roleArn: `arn:aws:iam::${cloud.accountId}:role/app/web`,
      roleName: 'web',
    };
    const c = requestConditionContext(ctx('ec2', 'AssociateAddress', session));
    assert.equal(c['aws:CurrentTime'], '2026-11-26T03:00:00.000Z');
    assert.equal(c['aws:EpochTime'], String(Date.UTC(2026, 10, 26, 3, 0, 0) / 1000));
    assert.equal(c['aws:RequestedRegion'], 'eu-west-1');
    assert.equal(c['aws:PrincipalType'], 'AssumedRole');
    assert.equal(c['aws:PrincipalArn'], `arn:aws:iam::${cloud.accountId}:role/app/web`);
    assert.equal(c['aws:userid'], 'AROAEXAMPLE:i-1');
    assert.equal(c['aws:PrincipalTag/team'], 'ha');
    assert.equal(c['aws:PrincipalAccount'], cloud.accountId);
  });
});
