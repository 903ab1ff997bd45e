import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { TestCloud } from './support/cloud.js';
import { cfn, settle, templatePath } from './templates/support.js';

describe('IAM and SSM resources, SSM parameter types, dynamic references, exports and imports', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('creates them in their services, needs CAPABILITY_IAM, and keeps an imported export until its importer is gone', async () => {
    assert.equal(cloud.aws('ssm', 'put-parameter', '--name', '/halo/test/ami', '--type', 'String', '--value', 'ami-0abc1234').status, 0);
    const args = ['cloudformation', 'create-stack', '--stack-name', 'roles', '--template-body', `file://${templatePath('iam-ssm.yaml')}`];
    const refused = cloud.aws(...args);
    assert.equal(refused.status, 254);
    assert.match(refused.stderr, /InsufficientCapabilitiesException.*Requires capabilities : \[CAPABILITY_IAM\]/);
    assert.equal(cloud.aws(...args, '--capabilities', 'CAPABILITY_IAM').status, 0);
    const client = cfn(cloud);
    const stack = await settle(client, 'roles');
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
    const out = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    assert.equal(out.Ami, 'ami-0abc1234');
    assert.deepEqual(stack.Parameters, [{ ParameterKey: 'Ami', ParameterValue: '/halo/test/ami', ResolvedValue: 'ami-0abc1234' }]);

    const roleName = String(out.RoleArn).split('/').pop() ?? '';
    assert.match(roleName, /^roles-Role-[A-Z0-9]+$/);
    const role = cloud.aws('iam', 'get-role', '--role-name', roleName);
    assert.equal(role.json.Role.Arn, out.RoleArn);
    assert.deepEqual(cloud.aws('iam', 'list-role-policies', '--role-name', roleName).json.PolicyNames.sort(), [
      'describe-addresses',
      'eip',
    ]);
    assert.equal(cloud.aws('iam', 'list-attached-role-policies', '--role-name', roleName).json.AttachedPolicies.length, 1);
    const profile = await client.send(new DescribeStackResourceCommand({ StackName: 'roles', LogicalResourceId: 'Profile' }));
    const gotProfile = cloud.aws(
      'iam',
      'get-instance-profile',
      '--instance-profile-name',
      String(profile.StackResourceDetail?.PhysicalResourceId),
    );
    assert.equal(gotProfile.json.InstanceProfile.Roles[0].RoleName, roleName);
    assert.equal(cloud.aws('ssm', 'get-parameter', '--name', '/roles/role').json.Parameter.Value, out.RoleArn);
    assert.equal(cloud.aws('ssm', 'get-parameter', '--name', String(out.CopyName)).json.Parameter.Value, 'copy of ami-0abc1234');

    assert.equal(
      cloud.aws(
        'cloudformation',
        'create-stack',
        '--stack-name',
        'user',
        '--template-body',
        `file://${templatePath('import.yaml')}`,
        '--parameters',
        'ParameterKey=From,ParameterValue=roles',
      ).status,
      0,
    );
    const user = await settle(client, 'user');
    assert.equal(user.StackStatus, 'CREATE_COMPLETE', user.StackStatusReason);
    assert.equal(user.Outputs?.[0].OutputValue, out.RoleArn);
    assert.deepEqual(cloud.aws('cloudformation', 'list-imports', '--export-name', 'roles-RoleArn').json.Imports, ['user']);

    assert.equal(cloud.aws('cloudformation', 'delete-stack', '--stack-name', 'roles').status, 0);
    const blocked = await settle(client, 'roles');
    assert.equal(blocked.StackStatus, 'DELETE_FAILED');
    assert.equal(blocked.StackStatusReason, 'Export roles-RoleArn cannot be deleted as it is in use by user');

    cloud.aws('cloudformation', 'delete-stack', '--stack-name', 'user');
    assert.equal((await settle(client, user.StackId ?? '')).StackStatus, 'DELETE_COMPLETE');
    cloud.aws('cloudformation', 'delete-stack', '--stack-name', 'roles');
    assert.equal((await settle(client, stack.StackId ?? '')).StackStatus, 'DELETE_COMPLETE');
    assert.equal(cloud.aws('iam', 'get-role', '--role-name', roleName).status, 254);
    assert.equal(cloud.aws('ssm', 'get-parameter', '--name', '/roles/role').status, 254);
  });
});
