import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { TestCloud } from './support/cloud.js';
import { errorName } from './support/errors.js';
import { waitFor } from './support/wait.js';

/**
 * EC2 launch templates through the real aws CLI and SDK v3, without instances: versions, defaults, filters,
 * pagination, deletion, tags, the errors EC2 gives, RunInstances' resolution of a template, and the CloudFormation
 * type AWS::EC2::LaunchTemplate.
 */
describe('EC2 launch templates', () => {
  let cloud: TestCloud;
  let ec2: EC2Client;
  const aws = (...args: string[]) => cloud.awsOk(...args);
  const data = (o: unknown) => JSON.stringify(o);

  before(async () => {
    cloud = await TestCloud.start();
    ec2 = new EC2Client(cloud.sdk);
  });
  after(async () => {
    ec2?.destroy();
    await cloud?.dispose();
  });

  it('creates a template with its first version, its tags and a client token, and refuses a taken or malformed name', () => {
    const made = aws(
      'ec2',
      'create-launch-template',
      '--launch-template-name',
      'web',
      '--version-description',
      'first',
      '--launch-template-data',
      data({ ImageId: 'ami-1ecae776', InstanceType: 't2.micro', MetadataOptions: { HttpTokens: 'required' } }),
      '--tag-specifications',
      'ResourceType=launch-template,Tags=[{Key=team,Value=blue}]',
      '--client-token',
      'tok-1',
    ).LaunchTemplate;
    assert.match(made.LaunchTemplateId, /^lt-[0-9a-f]{17}$/);
    assert.equal(made.LaunchTemplateName, 'web');
    assert.equal(made.DefaultVersionNumber, 1);
    assert.equal(made.LatestVersionNumber, 1);
    assert.match(made.CreatedBy, /^arn:aws:iam::\d{12}:root$/);
    assert.deepEqual(made.Tags, [{ Key: 'team', Value: 'blue' }]);
    const again = aws(
      'ec2',
      'create-launch-template',
      '--launch-template-name',
      'web',
      '--launch-template-data',
      data({ ImageId: 'ami-1ecae776', InstanceType: 't2.micro', MetadataOptions: { HttpTokens: 'required' } }),
      '--client-token',
      'tok-1',
    ).LaunchTemplate;
    assert.equal(again.LaunchTemplateId, made.LaunchTemplateId, 'the same client token returns the same template');
    cloud.awsFails(
      'IdempotentParameterMismatch',
      'ec2',
      'create-launch-template',
      '--launch-template-name',
      'web',
      '--launch-template-data',
      data({ InstanceType: 't3.micro' }),
      '--client-token',
      'tok-1',
    );
    cloud.awsFails(
      'InvalidLaunchTemplateName.AlreadyExistsException',
      'ec2',
      'create-launch-template',
      '--launch-template-name',
      'web',
      '--launch-template-data',
      data({ InstanceType: 't3.micro' }),
    );
    cloud.awsFails(
      'DryRunOperation',
      'ec2',
      'create-launch-template',
      '--dry-run',
      '--launch-template-name',
      'dry',
      '--launch-template-data',
      data({ InstanceType: 't3.micro' }),
    );
    cloud.awsFails('InvalidLaunchTemplateName.NotFoundException', 'ec2', 'describe-launch-templates', '--launch-template-names', 'dry');
    cloud.awsFails(
      'InvalidLaunchTemplateName.MalformedException',
      'ec2',
      'create-launch-template',
      '--launch-template-name',
      'a b',
      '--launch-template-data',
      data({ InstanceType: 't3.micro' }),
    );
    const v1 = aws('ec2', 'describe-launch-template-versions', '--launch-template-id', made.LaunchTemplateId).LaunchTemplateVersions;
    assert.equal(v1.length, 1);
    assert.equal(v1[0].VersionDescription, 'first');
    assert.equal(v1[0].DefaultVersion, true);
    assert.deepEqual(v1[0].LaunchTemplateData, {
      ImageId: 'ami-1ecae776',
      InstanceType: 't2.micro',
      MetadataOptions: { HttpTokens: 'required' },
    });
    const tags = aws('ec2', 'describe-tags', '--filters', `Name=resource-id,Values=${made.LaunchTemplateId}`).Tags;
    assert.deepEqual(tags, [{ Key: 'team', Value: 'blue', ResourceId: made.LaunchTemplateId, ResourceType: 'launch-template' }]);
  });

  it('makes versions from a source version, sets the default, and reads $Latest, $Default, Min/MaxVersion and filters', () => {
    const id = aws('ec2', 'describe-launch-templates', '--launch-template-names', 'web').LaunchTemplates[0].LaunchTemplateId as string;
    const v2 = aws(
      'ec2',
      'create-launch-template-version',
      '--launch-template-name',
      'web',
      '--source-version',
      '1',
      '--version-description',
      'bigger',
      '--launch-template-data',
      data({ InstanceType: 't3.large' }),
    ).LaunchTemplateVersion;
    assert.equal(v2.VersionNumber, 2);
    assert.equal(v2.DefaultVersion, false);
    assert.deepEqual(
      v2.LaunchTemplateData,
      { ImageId: 'ami-1ecae776', InstanceType: 't3.large', MetadataOptions: { HttpTokens: 'required' } },
      'the new data is merged over the source version',
    );
    const v3 = aws(
      'ec2',
      'create-launch-template-version',
      '--launch-template-id',
      id,
      '--launch-template-data',
      data({ ImageId: 'ami-0000000000000abcd' }),
    ).LaunchTemplateVersion;
    assert.deepEqual(v3.LaunchTemplateData, { ImageId: 'ami-0000000000000abcd' }, 'without a source version the data stands alone');
    const pick = (...args: string[]) =>
      aws('ec2', 'describe-launch-template-versions', '--launch-template-id', id, ...args).LaunchTemplateVersions.map(
        (v: { VersionNumber: number }) => v.VersionNumber,
      );
    assert.deepEqual(pick('--versions', '$Latest'), [3]);
    assert.deepEqual(pick('--versions', '$Default'), [1]);
    assert.deepEqual(pick('--versions', '$Latest', '1'), [1, 3]);
    assert.deepEqual(pick('--min-version', '2'), [2, 3]);
    assert.deepEqual(pick('--max-version', '2'), [1, 2]);
    assert.deepEqual(pick('--filters', 'Name=instance-type,Values=t3.*'), [2]);
    assert.deepEqual(pick('--filters', 'Name=is-default-version,Values=true'), [1]);
    cloud.awsFails(
      'InvalidLaunchTemplateId.VersionNotFound',
      'ec2',
      'describe-launch-template-versions',
      '--launch-template-id',
      id,
      '--versions',
      '9',
    );
    const modified = aws('ec2', 'modify-launch-template', '--launch-template-id', id, '--default-version', '2').LaunchTemplate;
    assert.equal(modified.DefaultVersionNumber, 2);
    assert.equal(modified.LatestVersionNumber, 3);
    assert.deepEqual(pick('--versions', '$Default'), [2]);
    cloud.awsFails(
      'InvalidLaunchTemplateId.VersionNotFound',
      'ec2',
      'modify-launch-template',
      '--launch-template-id',
      id,
      '--default-version',
      '7',
    );
  });

  it('deletes versions one by one: the default version and unknown ones are listed with their reason', () => {
    const out = aws('ec2', 'delete-launch-template-versions', '--launch-template-name', 'web', '--versions', '1', '2', '5');
    assert.deepEqual(
      out.SuccessfullyDeletedLaunchTemplateVersions.map((v: { VersionNumber: number }) => v.VersionNumber),
      [1],
    );
    const failed = out.UnsuccessfullyDeletedLaunchTemplateVersions as Array<{ VersionNumber: number; ResponseError: { Code: string } }>;
    assert.deepEqual(
      failed.map((f) => [f.VersionNumber, f.ResponseError.Code]),
      [
        [2, 'unexpectedError'],
        [5, 'launchTemplateVersionDoesNotExist'],
      ],
    );
    const versions = aws('ec2', 'describe-launch-template-versions', '--launch-template-name', 'web').LaunchTemplateVersions;
    assert.deepEqual(
      versions.map((v: { VersionNumber: number }) => v.VersionNumber),
      [2, 3],
    );
    const missing = aws(
      'ec2',
      'delete-launch-template-versions',
      '--launch-template-name',
      'nope',
      '--versions',
      '1',
    ).UnsuccessfullyDeletedLaunchTemplateVersions;
    assert.equal(missing[0].ResponseError.Code, 'launchTemplateNameDoesNotExist');
  });

  it('describes templates by id, name and filters (name, create-time, tag:, tag-key), with EC2 errors for unknown ones', () => {
    aws(
      'ec2',
      'create-launch-template',
      '--launch-template-name',
      'worker',
      '--launch-template-data',
      data({ InstanceType: 't3.micro' }),
      '--tag-specifications',
      'ResourceType=launch-template,Tags=[{Key=team,Value=red},{Key=tier,Value=batch}]',
    );
    const names = (...args: string[]) =>
      aws('ec2', 'describe-launch-templates', ...args)
        .LaunchTemplates.map((t: { LaunchTemplateName: string }) => t.LaunchTemplateName)
        .sort();
    assert.deepEqual(names(), ['web', 'worker']);
    assert.deepEqual(names('--filters', 'Name=launch-template-name,Values=wo*'), ['worker']);
    assert.deepEqual(names('--filters', 'Name=tag:team,Values=blue'), ['web']);
    assert.deepEqual(names('--filters', 'Name=tag-key,Values=tier'), ['worker']);
    assert.deepEqual(names('--filters', 'Name=create-time,Values=20*'), ['web', 'worker']);
    assert.deepEqual(names('--filters', 'Name=create-time,Values=1999*'), []);
    cloud.awsFails('InvalidLaunchTemplateName.NotFoundException', 'ec2', 'describe-launch-templates', '--launch-template-names', 'nope');
    cloud.awsFails('InvalidLaunchTemplateId.NotFound', 'ec2', 'describe-launch-templates', '--launch-template-ids', 'lt-0123456789abcdef0');
    cloud.awsFails('InvalidLaunchTemplateId.Malformed', 'ec2', 'describe-launch-templates', '--launch-template-ids', 'lt-zz');
    cloud.awsFails(
      'InvalidLaunchTemplateName.NotFoundException',
      'ec2',
      'create-launch-template-version',
      '--launch-template-name',
      'nope',
      '--launch-template-data',
      data({ InstanceType: 't3.micro' }),
    );
  });

  it('pages templates and versions through the CLI auto-pagination and SDK v3 tokens', async () => {
    for (let i = 0; i < 5; i++)
      aws(
        'ec2',
        'create-launch-template',
        '--launch-template-name',
        `paged-${i}`,
        '--launch-template-data',
        data({ InstanceType: 't3.nano' }),
      );
    const all = aws('ec2', 'describe-launch-templates', '--page-size', '2').LaunchTemplates;
    assert.equal(all.length, 7);
    assert.equal(new Set(all.map((t: { LaunchTemplateId: string }) => t.LaunchTemplateId)).size, 7);
    for (let i = 0; i < 4; i++)
      aws(
        'ec2',
        'create-launch-template-version',
        '--launch-template-name',
        'paged-0',
        '--launch-template-data',
        data({ InstanceType: `t3.${['micro', 'small', 'medium', 'large'][i]}` }),
      );
    const versions = aws(
      'ec2',
      'describe-launch-template-versions',
      '--launch-template-name',
      'paged-0',
      '--page-size',
      '2',
    ).LaunchTemplateVersions;
    assert.deepEqual(
      versions.map((v: { VersionNumber: number }) => v.VersionNumber),
      [1, 2, 3, 4, 5],
    );
    const first = await ec2.send(new DescribeLaunchTemplatesCommand({ MaxResults: 3 }));
    assert.equal(first.LaunchTemplates?.length, 3);
    assert.ok(first.NextToken);
    const second = await ec2.send(new DescribeLaunchTemplatesCommand({ MaxResults: 3, NextToken: first.NextToken }));
    assert.equal(second.LaunchTemplates?.length, 3);
    assert.notEqual(second.LaunchTemplates?.[0].LaunchTemplateId, first.LaunchTemplates?.[0].LaunchTemplateId);
    assert.equal(
      await errorName(ec2.send(new DescribeLaunchTemplatesCommand({ MaxResults: 3, NextToken: 'garbage' }))),
      'InvalidParameterValue',
    );
    assert.equal(await errorName(ec2.send(new DescribeLaunchTemplatesCommand({ MaxResults: 500 }))), 'InvalidParameterValue');
    assert.equal(
      await errorName(
        ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'paged-0', MaxResults: 2, NextToken: first.NextToken })),
      ),
      'InvalidParameterValue',
      'a token is bound to the request it came from',
    );
    const latest = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ Versions: ['$Latest'] }));
    assert.equal(latest.LaunchTemplateVersions?.length, 7, '$Latest of every template when none is named');
  });

  it('SDK v3: creates a template and a version with typed data', async () => {
    const made = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'sdk-made',
        LaunchTemplateData: {
          ImageId: 'ami-1ecae776',
          NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: true, Groups: ['sg-0123456789abcdef0'] }],
          Monitoring: { Enabled: true },
          UserData: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'),
        },
      }),
    );
    const id = made.LaunchTemplate?.LaunchTemplateId as string;
    const v2 = await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        SourceVersion: '$Latest',
        LaunchTemplateData: { InstanceType: 'c5.large' },
      }),
    );
    const d = v2.LaunchTemplateVersion?.LaunchTemplateData;
    assert.equal(d?.InstanceType, 'c5.large');
    assert.equal(d?.NetworkInterfaces?.[0].AssociatePublicIpAddress, true);
    assert.deepEqual(d?.NetworkInterfaces?.[0].Groups, ['sg-0123456789abcdef0']);
    assert.equal(d?.Monitoring?.Enabled, true);
    assert.equal(Buffer.from(d?.UserData ?? '', 'base64').toString(), '#!/bin/sh\necho hi\n');
  });

  it('RunInstances refuses an unknown template or version with EC2 errors', async () => {
    const run = (LaunchTemplate: Record<string, string>) =>
      errorName(ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate })));
    assert.equal(await run({ LaunchTemplateName: 'nope' }), 'InvalidLaunchTemplateName.NotFoundException');
    assert.equal(await run({ LaunchTemplateId: 'lt-0123456789abcdef0' }), 'InvalidLaunchTemplateId.NotFound');
    assert.equal(
      await run({ LaunchTemplateName: 'web', Version: '1' }),
      'InvalidLaunchTemplateId.VersionNotFound',
      'version 1 was deleted',
    );
    assert.equal(await run({ LaunchTemplateName: 'web', LaunchTemplateId: 'lt-0123456789abcdef0' }), 'MissingParameter');
  });

  it('deletes a template with all its versions; its name can be used again', () => {
    const gone = aws('ec2', 'delete-launch-template', '--launch-template-name', 'worker').LaunchTemplate;
    cloud.awsFails(
      'InvalidLaunchTemplateId.NotFound',
      'ec2',
      'describe-launch-template-versions',
      '--launch-template-id',
      gone.LaunchTemplateId,
    );
    cloud.awsFails('InvalidLaunchTemplateName.NotFoundException', 'ec2', 'delete-launch-template', '--launch-template-name', 'worker');
    const again = aws(
      'ec2',
      'create-launch-template',
      '--launch-template-name',
      'worker',
      '--launch-template-data',
      data({ InstanceType: 't3.micro' }),
    ).LaunchTemplate;
    assert.notEqual(again.LaunchTemplateId, gone.LaunchTemplateId);
  });

  it('AWS::EC2::LaunchTemplate: a generated name, GetAtt of its versions, stack tags, a new version on update, deleted with the stack', async () => {
    const template = (type: string) =>
      JSON.stringify({
        Resources: {
          Template: {
            Type: 'AWS::EC2::LaunchTemplate',
            Properties: {
              VersionDescription: `type ${type}`,
              LaunchTemplateData: {
                ImageId: 'ami-1ecae776',
                InstanceType: type,
                MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: '2' },
                NetworkInterfaces: [{ DeviceIndex: '0', AssociatePublicIpAddress: 'true' }],
              },
              TagSpecifications: [{ ResourceType: 'launch-template', Tags: [{ Key: 'app', Value: 'lt' }] }],
            },
          },
        },
        Outputs: {
          Id: { Value: { Ref: 'Template' } },
          Latest: { Value: { 'Fn::GetAtt': ['Template', 'LatestVersionNumber'] } },
          Default: { Value: { 'Fn::GetAtt': ['Template', 'DefaultVersionNumber'] } },
          Same: { Value: { 'Fn::GetAtt': ['Template', 'LaunchTemplateId'] } },
        },
      });
    const stackDone = (status: string) =>
      waitFor(`stack ${status}`, () => {
        const s = aws('cloudformation', 'describe-stacks', '--stack-name', 'lt-stack').Stacks[0];
        if (/FAILED|ROLLBACK/.test(s.StackStatus)) throw new Error(`${s.StackStatus}: ${s.StackStatusReason ?? ''}`);
        return s.StackStatus === status ? s : undefined;
      });
    const outputs = (s: { Outputs: Array<{ OutputKey: string; OutputValue: string }> }) =>
      Object.fromEntries(s.Outputs.map((o) => [o.OutputKey, o.OutputValue]));
    aws('cloudformation', 'create-stack', '--stack-name', 'lt-stack', '--template-body', template('t3.micro'));
    const created = outputs(await stackDone('CREATE_COMPLETE'));
    assert.match(created.Id, /^lt-/);
    assert.equal(created.Same, created.Id);
    assert.equal(created.Latest, '1');
    assert.equal(created.Default, '1');
    const lt = aws('ec2', 'describe-launch-templates', '--launch-template-ids', created.Id).LaunchTemplates[0];
    assert.match(lt.LaunchTemplateName, /^lt-stack-Template-/);
    const tags = Object.fromEntries(lt.Tags.map((t: { Key: string; Value: string }) => [t.Key, t.Value]));
    assert.equal(tags.app, 'lt');
    assert.equal(tags['aws:cloudformation:stack-name'], 'lt-stack');
    assert.equal(tags['aws:cloudformation:logical-id'], 'Template');
    const v1 = aws('ec2', 'describe-launch-template-versions', '--launch-template-id', created.Id).LaunchTemplateVersions[0]
      .LaunchTemplateData;
    assert.equal(v1.MetadataOptions.HttpPutResponseHopLimit, 2, 'template strings become the API types');
    assert.equal(v1.NetworkInterfaces[0].AssociatePublicIpAddress, true);
    aws('cloudformation', 'update-stack', '--stack-name', 'lt-stack', '--template-body', template('t3.small'));
    const updated = outputs(await stackDone('UPDATE_COMPLETE'));
    assert.equal(updated.Id, created.Id, 'the same template, a new version');
    assert.equal(updated.Latest, '2');
    assert.equal(updated.Default, '1', 'CloudFormation leaves the default version as it was');
    const v2 = aws('ec2', 'describe-launch-template-versions', '--launch-template-id', created.Id, '--versions', '2')
      .LaunchTemplateVersions[0];
    assert.equal(v2.LaunchTemplateData.InstanceType, 't3.small');
    assert.equal(v2.VersionDescription, 'type t3.small');
    aws('cloudformation', 'delete-stack', '--stack-name', 'lt-stack');
    await waitFor('stack deleted', () =>
      cloud.aws('cloudformation', 'describe-stacks', '--stack-name', 'lt-stack').status !== 0 ? true : undefined,
    );
    cloud.awsFails('InvalidLaunchTemplateId.NotFound', 'ec2', 'describe-launch-templates', '--launch-template-ids', created.Id);
  });
});
