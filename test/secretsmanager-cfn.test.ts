import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetParametersByPathCommand, GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { TestCloud } from './support/cloud.js';
import { cfn, settle } from './templates/support.js';

const AL2023 = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

/** A stack whose secret's generated password reaches another resource through a dynamic reference. */
const secretTemplate = (description: string) =>
  JSON.stringify({
    Parameters: {
      ImageId: { Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: AL2023 },
    },
    Resources: {
      DbSecret: {
        Type: 'AWS::SecretsManager::Secret',
        Properties: {
          Name: 'stack/db',
          Description: description,
          KmsKeyId: 'alias/aws/secretsmanager',
          GenerateSecretString: {
            SecretStringTemplate: '{"username":"admin"}',
            GenerateStringKey: 'password',
            PasswordLength: 20,
            ExcludeCharacters: '"@/\\',
          },
          Tags: [{ Key: 'app', Value: 'ci' }],
        },
      },
      Plain: { Type: 'AWS::SecretsManager::Secret', Properties: { SecretString: 'literal' } },
      Generated: {
        Type: 'AWS::SecretsManager::Secret',
        Properties: { GenerateSecretString: { PasswordLength: 12, ExcludePunctuation: true } },
      },
      // The dynamic reference names the secret by its ARN through Fn::Sub, which also orders the creation.
      Copy: {
        Type: 'AWS::SSM::Parameter',
        Properties: {
          Name: '/stack/db-user',
          Type: 'String',
          Value: { 'Fn::Sub': 'user={{resolve:secretsmanager:${DbSecret}:SecretString:username}}' },
        },
      },
      Password: {
        Type: 'AWS::SSM::Parameter',
        DependsOn: 'DbSecret',
        Properties: {
          Name: '/stack/db-password',
          Type: 'String',
          Value: '{{resolve:secretsmanager:stack/db:SecretString:password:AWSCURRENT}}',
        },
      },
    },
    Outputs: {
      Arn: { Value: { Ref: 'DbSecret' } },
      Id: { Value: { 'Fn::GetAtt': ['DbSecret', 'Id'] } },
      Plain: { Value: { Ref: 'Plain' } },
      Generated: { Value: { Ref: 'Generated' } },
      Image: { Value: { Ref: 'ImageId' } },
    },
  });

describe('AWS::SecretsManager::Secret, {{resolve:secretsmanager:...}} and the public AMI parameters', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('a stack generates the password into a JSON template, and another resource reads it through a dynamic reference', async () => {
    const client = cfn(cloud);
    cloud.awsOk('cloudformation', 'create-stack', '--stack-name', 'secrets', '--template-body', secretTemplate('first'));
    const stack = await settle(client, 'secrets');
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
    const out = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    assert.match(String(out.Arn), /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:stack\/db-[A-Za-z0-9]{6}$/);
    assert.equal(out.Id, out.Arn);

    const value = cloud.awsOk('secretsmanager', 'get-secret-value', '--secret-id', 'stack/db');
    const doc = JSON.parse(value.SecretString);
    assert.equal(doc.username, 'admin');
    assert.equal(doc.password.length, 20);
    assert.doesNotMatch(doc.password, /["@/\\]/);
    assert.equal(cloud.awsOk('ssm', 'get-parameter', '--name', '/stack/db-user').Parameter.Value, 'user=admin');
    assert.equal(cloud.awsOk('ssm', 'get-parameter', '--name', '/stack/db-password').Parameter.Value, doc.password);

    const described = cloud.awsOk('secretsmanager', 'describe-secret', '--secret-id', String(out.Arn));
    assert.equal(described.KmsKeyId, 'alias/aws/secretsmanager');
    assert.equal(described.Description, 'first');
    const tags = Object.fromEntries(described.Tags.map((t: any) => [t.Key, t.Value]));
    assert.equal(tags.app, 'ci');
    assert.equal(tags['aws:cloudformation:stack-name'], 'secrets');
    assert.equal(cloud.awsOk('secretsmanager', 'get-secret-value', '--secret-id', String(out.Plain)).SecretString, 'literal');
    assert.match(String(out.Plain), /:secret:Plain-[A-Za-z0-9]{12}-[A-Za-z0-9]{6}$/, 'an unnamed secret is named after its logical id');
    assert.match(cloud.awsOk('secretsmanager', 'get-secret-value', '--secret-id', String(out.Generated)).SecretString, /^[A-Za-z0-9]{12}$/);

    // The AL2023 public parameter resolved to the cloud's default image.
    const defaultImage = cloud.awsOk('ec2', 'describe-images', '--owners', 'amazon').Images[0].ImageId;
    assert.equal(out.Image, defaultImage);
    assert.deepEqual(stack.Parameters, [{ ParameterKey: 'ImageId', ParameterValue: AL2023, ResolvedValue: defaultImage }]);

    // A new description updates in place; the value stays.
    cloud.awsOk('cloudformation', 'update-stack', '--stack-name', 'secrets', '--template-body', secretTemplate('second'));
    const updated = await settle(client, 'secrets');
    assert.equal(updated.StackStatus, 'UPDATE_COMPLETE', updated.StackStatusReason);
    const after = cloud.awsOk('secretsmanager', 'describe-secret', '--secret-id', 'stack/db');
    assert.equal(after.ARN, out.Arn);
    assert.equal(after.Description, 'second');
    assert.equal(cloud.awsOk('secretsmanager', 'get-secret-value', '--secret-id', 'stack/db').SecretString, value.SecretString);

    cloud.awsOk('cloudformation', 'delete-stack', '--stack-name', 'secrets');
    assert.equal((await settle(client, stack.StackId ?? '')).StackStatus, 'DELETE_COMPLETE');
    cloud.awsFails('ResourceNotFoundException', 'secretsmanager', 'describe-secret', '--secret-id', 'stack/db');
    assert.equal(cloud.awsOk('secretsmanager', 'list-secrets', '--include-planned-deletion').SecretList.length, 0);
  });

  it('a reference to a missing secret or JSON key fails the resource with the reason', async () => {
    const client = cfn(cloud);
    const template = JSON.stringify({
      Resources: {
        P: {
          Type: 'AWS::SSM::Parameter',
          Properties: { Type: 'String', Value: '{{resolve:secretsmanager:nowhere:SecretString:password}}' },
        },
      },
    });
    cloud.awsOk('cloudformation', 'create-stack', '--stack-name', 'broken', '--template-body', template);
    const stack = await settle(client, 'broken');
    assert.equal(stack.StackStatus, 'ROLLBACK_COMPLETE');
    const events = cloud.awsOk('cloudformation', 'describe-stack-events', '--stack-name', 'broken').StackEvents;
    const failed = events.find((e: any) => e.ResourceStatus === 'CREATE_FAILED');
    assert.match(failed.ResourceStatusReason, /Secrets Manager can't find the specified secret/);
  });

  it('the AL2023, AL2 and Debian 12 public parameters all name the default image, through GetParameters and GetParametersByPath', async () => {
    const ssm = new SSMClient(cloud.sdk);
    const defaultImage = cloud.awsOk('ec2', 'describe-images', '--owners', 'amazon').Images[0].ImageId;
    const names = [
      AL2023,
      '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64',
      '/aws/service/ami-amazon-linux-latest/al2023-ami-minimal-kernel-default-arm64',
      '/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2',
      '/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2',
      '/aws/service/debian/release/12/latest/amd64',
      '/aws/service/debian/release/bookworm/latest/arm64',
      '/aws/service/debian/release/13/latest/amd64',
    ];
    const got = await ssm.send(new GetParametersCommand({ Names: names }));
    assert.deepEqual(got.InvalidParameters, ['/aws/service/debian/release/13/latest/amd64']);
    assert.equal(got.Parameters?.length, 7);
    for (const p of got.Parameters ?? []) {
      assert.equal(p.Value, defaultImage);
      assert.equal(p.DataType, 'aws:ec2:image');
      assert.equal(p.ARN, `arn:aws:ssm:us-east-1::parameter${p.Name}`);
    }
    assert.equal(
      cloud.awsOk('ssm', 'get-parameter', '--name', '/aws/service/debian/release/12/latest/amd64').Parameter.Value,
      defaultImage,
    );
    const debian = await ssm.send(new GetParametersByPathCommand({ Path: '/aws/service/debian/release', Recursive: true }));
    assert.deepEqual(debian.Parameters?.map((p) => p.Name).sort(), [
      '/aws/service/debian/release/12/latest/amd64',
      '/aws/service/debian/release/12/latest/arm64',
      '/aws/service/debian/release/bookworm/latest/amd64',
      '/aws/service/debian/release/bookworm/latest/arm64',
    ]);
    const amazon = cloud
      .awsOk('ssm', 'get-parameters-by-path', '--path', '/aws/service/ami-amazon-linux-latest')
      .Parameters.map((p: any) => p.Name);
    for (const n of names.slice(0, 5)) assert.ok(amazon.includes(n), n);
  });
});
