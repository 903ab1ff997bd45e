import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureImage } from '../src/runtime/images.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';
import { cfn, settle } from './templates/support.js';
import { waitFor } from './support/wait.js';

/**
 * Instances that read a generated password from Secrets Manager with their role's credentials (the metadata
 * service's, through the image's aws wrapper), and one whose role may not. Their image comes from the AL2023
 * public parameter. Needs root (namespaces, nftables, mounts).
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

const AL2023 = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
const trust = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

/** A role and its instance profile, with one inline policy allowing `actions` on the stack's secret. */
function roleWith(actions: string[]) {
  return {
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: trust,
        Policies: [
          {
            PolicyName: 'secret',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: actions, Resource: { Ref: 'AdminPassword' } }],
            },
          },
        ],
      },
    },
  };
}

const userData = (tag: string) => ({
  'Fn::Base64': {
    'Fn::Join': [
      '',
      [
        '#!/bin/sh\n',
        `out=$(aws secretsmanager get-secret-value --secret-id ci/admin --query SecretString --output text 2>&1)\n`,
        `echo "${tag}-BEGIN $out ${tag}-END"\n`,
      ],
    ],
  },
});

function instance(profile: string, tag: string) {
  return {
    Type: 'AWS::EC2::Instance',
    Properties: {
      ImageId: { Ref: 'ImageId' },
      InstanceType: 't2.micro',
      SubnetId: { Ref: 'Subnet' },
      IamInstanceProfile: { Ref: profile },
      UserData: userData(tag),
    },
  };
}

const template = JSON.stringify({
  Parameters: { ImageId: { Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: AL2023 } },
  Resources: {
    VPC: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
    Subnet: {
      Type: 'AWS::EC2::Subnet',
      Properties: { VpcId: { Ref: 'VPC' }, CidrBlock: '10.0.1.0/24', AvailabilityZone: { 'Fn::Select': ['0', { 'Fn::GetAZs': '' }] } },
    },
    AdminPassword: {
      Type: 'AWS::SecretsManager::Secret',
      Properties: {
        Name: 'ci/admin',
        GenerateSecretString: { SecretStringTemplate: '{"user":"admin"}', GenerateStringKey: 'password', ExcludePunctuation: true },
      },
    },
    ReaderRole: roleWith(['secretsmanager:GetSecretValue']).Role,
    ReaderProfile: { Type: 'AWS::IAM::InstanceProfile', Properties: { Roles: [{ Ref: 'ReaderRole' }] } },
    OutsiderRole: roleWith(['secretsmanager:DescribeSecret']).Role,
    OutsiderProfile: { Type: 'AWS::IAM::InstanceProfile', Properties: { Roles: [{ Ref: 'OutsiderRole' }] } },
    Reader: instance('ReaderProfile', 'READER'),
    Outsider: instance('OutsiderProfile', 'OUTSIDER'),
  },
  Outputs: {
    Reader: { Value: { Ref: 'Reader' } },
    Outsider: { Value: { Ref: 'Outsider' } },
    SecretArn: { Value: { Ref: 'AdminPassword' } },
    OutsiderRole: { Value: { Ref: 'OutsiderRole' } },
  },
});

describe(
  'instances read Secrets Manager with their role',
  { skip: ROOT ? false : 'needs root: network namespaces, nftables and mounts (CI runs as root)' },
  () => {
    let cloud: TestCloud;
    const consoleOf = (id: string): string => cloud.awsOk('ec2', 'get-console-output', '--instance-id', id).Output ?? '';
    const between = (text: string, tag: string) => new RegExp(`${tag}-BEGIN ([\\s\\S]*?) ${tag}-END`).exec(text)?.[1]?.trim();

    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ timeScale: 60, profile: 'instant' });
    });
    after(async () => {
      if (cloud) await disposeAndCheckHost(cloud);
    });

    it('a template whose image is the AL2023 public parameter launches the default image; its roles decide who reads the generated password', async () => {
      const client = cfn(cloud);
      cloud.awsOk('cloudformation', 'create-stack', '--stack-name', 'ci', '--template-body', template, '--capabilities', 'CAPABILITY_IAM');
      const stack = await settle(client, 'ci', 4000);
      assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
      const out = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, String(o.OutputValue)]));

      const defaultImage = cloud.awsOk('ec2', 'describe-images', '--owners', 'amazon').Images[0].ImageId;
      const described = cloud
        .awsOk('ec2', 'describe-instances', '--instance-ids', out.Reader, out.Outsider)
        .Reservations.flatMap((r: any) => r.Instances);
      assert.deepEqual(
        described.map((i: any) => i.ImageId),
        [defaultImage, defaultImage],
      );
      assert.deepEqual(
        described.map((i: any) => i.State.Name),
        ['running', 'running'],
      );

      const password = JSON.parse(cloud.awsOk('secretsmanager', 'get-secret-value', '--secret-id', 'ci/admin').SecretString);
      assert.match(password.password, /^[A-Za-z0-9]{32}$/);

      const readerSaw = await waitFor("the reader's user data", () => between(consoleOf(out.Reader), 'READER'), 120_000).catch(
        (err: Error) => {
          throw new Error(`${err.message}; console:\n${consoleOf(out.Reader).slice(-1500)}`);
        },
      );
      assert.deepEqual(JSON.parse(readerSaw), password, 'the instance read the generated password with its role');

      const outsiderSaw = await waitFor("the outsider's user data", () => between(consoleOf(out.Outsider), 'OUTSIDER'), 120_000).catch(
        (err: Error) => {
          throw new Error(`${err.message}; console:\n${consoleOf(out.Outsider).slice(-1500)}`);
        },
      );
      assert.match(outsiderSaw, /An error occurred \(AccessDeniedException\) when calling the GetSecretValue operation/);
      assert.match(
        outsiderSaw,
        new RegExp(
          `assumed-role/${out.OutsiderRole}/${out.Outsider} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${out.SecretArn.replace(/[/]/g, '\\/')}`,
        ),
      );
      assert.ok(!outsiderSaw.includes(password.password));

      cloud.awsOk('cloudformation', 'delete-stack', '--stack-name', 'ci');
      assert.equal((await settle(client, stack.StackId ?? '', 4000)).StackStatus, 'DELETE_COMPLETE');
    });
  },
);
