import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureImage } from '../src/runtime/images.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';
import { waitFor } from './support/wait.js';

/**
 * Instances launched from EC2 launch templates, for real, through the aws CLI: the template's data with the request's
 * overrides, the launch-template tags, the metadata options enforced by the metadata service, user data that ran;
 * every form of private address request; and a stack of AWS::EC2::LaunchTemplate + AWS::EC2::Instance. Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

/** User data that proves it ran and that IMDSv1 is refused (HttpTokens required) while a v2 token works. */
const USER_DATA = [
  '#!/bin/bash',
  "T=$(curl -s -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)",
  'echo "lt-v1-status: $(curl -s -o /dev/null -w \'%{http_code}\' http://169.254.169.254/latest/meta-data/instance-id)"',
  'echo "lt-v2-id: $(curl -s -H "X-aws-ec2-metadata-token: $T" http://169.254.169.254/latest/meta-data/instance-id)"',
  '',
].join('\n');

describe(
  'instances launched from launch templates',
  { skip: ROOT ? false : 'needs root: network namespaces, nftables and mounts (CI runs as root)' },
  () => {
    let cloud: TestCloud;
    const ids: Record<string, string> = {};
    const aws = (...args: string[]) => cloud.awsOk(...args);
    const instance = (id: string) => aws('ec2', 'describe-instances', '--instance-ids', id).Reservations[0].Instances[0];
    const tagsOf = (i: { Tags?: Array<{ Key: string; Value: string }> }) => Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]));
    const consoleOf = (id: string): string => aws('ec2', 'get-console-output', '--instance-id', id).Output ?? '';
    const terminate = async (...instanceIds: string[]) => {
      aws('ec2', 'terminate-instances', '--instance-ids', ...instanceIds);
      for (const id of instanceIds)
        await waitFor(`${id} terminated`, () => (instance(id).State.Name === 'terminated' ? true : undefined), 60_000);
    };

    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ timeScale: 60, profile: 'instant' });
      ids.vpc = aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16').Vpc.VpcId;
      ids.subnetA = aws(
        'ec2',
        'create-subnet',
        '--vpc-id',
        ids.vpc,
        '--cidr-block',
        '10.0.1.0/24',
        '--availability-zone',
        'us-east-1a',
      ).Subnet.SubnetId;
      ids.subnetB = aws(
        'ec2',
        'create-subnet',
        '--vpc-id',
        ids.vpc,
        '--cidr-block',
        '10.0.2.0/24',
        '--availability-zone',
        'us-east-1b',
      ).Subnet.SubnetId;
      ids.igw = aws('ec2', 'create-internet-gateway').InternetGateway.InternetGatewayId;
      aws('ec2', 'attach-internet-gateway', '--internet-gateway-id', ids.igw, '--vpc-id', ids.vpc);
      ids.sg = aws('ec2', 'create-security-group', '--vpc-id', ids.vpc, '--group-name', 'lt', '--description', 'launch template').GroupId;
    });

    after(async () => {
      if (cloud) await disposeAndCheckHost(cloud);
    });

    it('launches the $Latest version with the request overriding the instance type and the subnet; tags, metadata options and user data come from the template', async () => {
      const lt = aws(
        'ec2',
        'create-launch-template',
        '--launch-template-name',
        'app',
        '--launch-template-data',
        JSON.stringify({
          ImageId: 'ami-1ecae776',
          InstanceType: 't3.micro',
          NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: ids.subnetA, Groups: [ids.sg], AssociatePublicIpAddress: true }],
          MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2 },
          TagSpecifications: [
            {
              ResourceType: 'instance',
              Tags: [
                { Key: 'Name', Value: 'from-template' },
                { Key: 'role', Value: 'template' },
              ],
            },
          ],
        }),
      ).LaunchTemplate;
      aws(
        'ec2',
        'create-launch-template-version',
        '--launch-template-id',
        lt.LaunchTemplateId,
        '--source-version',
        '1',
        '--launch-template-data',
        JSON.stringify({ UserData: Buffer.from(USER_DATA).toString('base64') }),
      );
      const run = aws(
        'ec2',
        'run-instances',
        '--launch-template',
        `LaunchTemplateId=${lt.LaunchTemplateId},Version=$Latest`,
        '--instance-type',
        't3.small',
        '--subnet-id',
        ids.subnetB,
        '--tag-specifications',
        'ResourceType=instance,Tags=[{Key=role,Value=request}]',
      ).Instances[0];
      const id = run.InstanceId as string;
      await waitFor(`${id} running`, () => (instance(id).State.Name === 'running' ? true : undefined), 60_000);
      const i = instance(id);
      assert.equal(i.InstanceType, 't3.small', 'the request overrides the template');
      assert.equal(i.SubnetId, ids.subnetB, "the request's subnet replaces the interface's");
      assert.equal(i.Placement.AvailabilityZone, 'us-east-1b');
      assert.deepEqual(
        i.SecurityGroups.map((g: { GroupId: string }) => g.GroupId),
        [ids.sg],
        "groups from the template's interface",
      );
      assert.ok(i.PublicIpAddress, 'AssociatePublicIpAddress from the template');
      assert.equal(i.MetadataOptions.HttpTokens, 'required');
      assert.equal(i.MetadataOptions.HttpPutResponseHopLimit, 2);
      assert.deepEqual(tagsOf(i), {
        Name: 'from-template',
        role: 'request',
        'aws:ec2launchtemplate:id': lt.LaunchTemplateId,
        'aws:ec2launchtemplate:version': '2',
      });
      const out = await waitFor('user data output', () => (consoleOf(id).includes('lt-v2-id: i-') ? consoleOf(id) : undefined), 60_000);
      assert.match(out, /lt-v1-status: 401/, 'IMDSv1 refused: HttpTokens required from the template');
      assert.ok(out.includes(`lt-v2-id: ${id}`), out);

      // By name, the default version (1, without user data), nothing overridden.
      const plain = aws('ec2', 'run-instances', '--launch-template', 'LaunchTemplateName=app').Instances[0];
      assert.equal(plain.InstanceType, 't3.micro');
      assert.equal(plain.SubnetId, ids.subnetA);
      assert.equal(tagsOf(plain)['aws:ec2launchtemplate:version'], '1');
      await terminate(id, plain.InstanceId);
    });

    it("honours every form of private address request, including the aws CLI's with --associate-public-ip-address", async () => {
      const withPublic = aws(
        'ec2',
        'run-instances',
        '--image-id',
        'ami-1ecae776',
        '--subnet-id',
        ids.subnetA,
        '--associate-public-ip-address',
        '--private-ip-address',
        '10.0.1.20',
      ).Instances[0];
      assert.equal(withPublic.PrivateIpAddress, '10.0.1.20', 'NetworkInterface.1.PrivateIpAddresses.1 (Primary), as the CLI sends it');
      const inInterface = aws(
        'ec2',
        'run-instances',
        '--image-id',
        'ami-1ecae776',
        '--network-interfaces',
        JSON.stringify([{ DeviceIndex: 0, SubnetId: ids.subnetA, PrivateIpAddress: '10.0.1.21' }]),
      ).Instances[0];
      assert.equal(inInterface.PrivateIpAddress, '10.0.1.21');
      const listed = aws(
        'ec2',
        'run-instances',
        '--image-id',
        'ami-1ecae776',
        '--network-interfaces',
        JSON.stringify([{ DeviceIndex: 0, SubnetId: ids.subnetA, PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '10.0.1.22' }] }]),
      ).Instances[0];
      assert.equal(listed.PrivateIpAddress, '10.0.1.22');
      const top = aws('ec2', 'run-instances', '--image-id', 'ami-1ecae776', '--subnet-id', ids.subnetA, '--private-ip-address', '10.0.1.23')
        .Instances[0];
      assert.equal(top.PrivateIpAddress, '10.0.1.23');
      cloud.awsFails(
        'InvalidParameterCombination',
        'ec2',
        'run-instances',
        '--image-id',
        'ami-1ecae776',
        '--network-interfaces',
        JSON.stringify([
          {
            DeviceIndex: 0,
            SubnetId: ids.subnetA,
            PrivateIpAddress: '10.0.1.24',
            PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '10.0.1.25' }],
          },
        ]),
      );
      cloud.awsFails(
        'Unsupported',
        'ec2',
        'run-instances',
        '--image-id',
        'ami-1ecae776',
        '--network-interfaces',
        JSON.stringify([
          {
            DeviceIndex: 0,
            SubnetId: ids.subnetA,
            PrivateIpAddresses: [
              { Primary: true, PrivateIpAddress: '10.0.1.26' },
              { Primary: false, PrivateIpAddress: '10.0.1.27' },
            ],
          },
        ]),
      );
      await waitFor("the address is the instance's in DescribeInstances", () =>
        instance(withPublic.InstanceId).PrivateIpAddress === '10.0.1.20' ? true : undefined,
      );
      await terminate(withPublic.InstanceId, inInterface.InstanceId, listed.InstanceId, top.InstanceId);
    });

    it('a stack of AWS::EC2::LaunchTemplate and an AWS::EC2::Instance using its latest version; an update makes version 2 and a new instance', async () => {
      const template = (type: string) =>
        JSON.stringify({
          Resources: {
            Template: {
              Type: 'AWS::EC2::LaunchTemplate',
              Properties: {
                LaunchTemplateName: 'stack-template',
                LaunchTemplateData: {
                  ImageId: 'ami-1ecae776',
                  InstanceType: type,
                  UserData: { 'Fn::Base64': '#!/bin/bash\necho stack-user-data-ran\n' },
                  MetadataOptions: { HttpTokens: 'required' },
                },
              },
            },
            Server: {
              Type: 'AWS::EC2::Instance',
              Properties: {
                LaunchTemplate: { LaunchTemplateId: { Ref: 'Template' }, Version: { 'Fn::GetAtt': ['Template', 'LatestVersionNumber'] } },
                SubnetId: ids.subnetA,
              },
            },
          },
          Outputs: {
            Latest: { Value: { 'Fn::GetAtt': ['Template', 'LatestVersionNumber'] } },
            InstanceId: { Value: { Ref: 'Server' } },
          },
        });
      const stackDone = (status: string) =>
        waitFor(
          `stack ${status}`,
          () => {
            const s = aws('cloudformation', 'describe-stacks', '--stack-name', 'lt-app').Stacks[0];
            if (/FAILED|ROLLBACK/.test(s.StackStatus)) throw new Error(`${s.StackStatus}: ${s.StackStatusReason ?? ''}`);
            return s.StackStatus === status ? s : undefined;
          },
          120_000,
        );
      const outputs = (s: { Outputs: Array<{ OutputKey: string; OutputValue: string }> }) =>
        Object.fromEntries(s.Outputs.map((o) => [o.OutputKey, o.OutputValue]));
      aws('cloudformation', 'create-stack', '--stack-name', 'lt-app', '--template-body', template('t3.micro'));
      const first = outputs(await stackDone('CREATE_COMPLETE'));
      assert.equal(first.Latest, '1');
      const i1 = instance(first.InstanceId);
      assert.equal(i1.InstanceType, 't3.micro');
      assert.equal(i1.MetadataOptions.HttpTokens, 'required');
      assert.equal(tagsOf(i1)['aws:ec2launchtemplate:version'], '1');
      assert.equal(tagsOf(i1)['aws:cloudformation:logical-id'], 'Server');
      await waitFor('stack user data ran', () => (consoleOf(first.InstanceId).includes('stack-user-data-ran') ? true : undefined), 60_000);

      aws('cloudformation', 'update-stack', '--stack-name', 'lt-app', '--template-body', template('t3.small'));
      const second = outputs(await stackDone('UPDATE_COMPLETE'));
      assert.equal(second.Latest, '2');
      assert.notEqual(second.InstanceId, first.InstanceId, 'a new launch template version replaces the instance');
      const i2 = instance(second.InstanceId);
      assert.equal(i2.InstanceType, 't3.small');
      assert.equal(tagsOf(i2)['aws:ec2launchtemplate:version'], '2');
      assert.equal(instance(first.InstanceId).State.Name, 'terminated');
      const versions = aws('ec2', 'describe-launch-template-versions', '--launch-template-name', 'stack-template').LaunchTemplateVersions;
      assert.deepEqual(
        versions.map((v: { VersionNumber: number }) => v.VersionNumber),
        [1, 2],
      );

      aws('cloudformation', 'delete-stack', '--stack-name', 'lt-app');
      await waitFor(
        'stack deleted',
        () => (cloud.aws('cloudformation', 'describe-stacks', '--stack-name', 'lt-app').status !== 0 ? true : undefined),
        120_000,
      );
      assert.equal(instance(second.InstanceId).State.Name, 'terminated');
      cloud.awsFails(
        'InvalidLaunchTemplateName.NotFoundException',
        'ec2',
        'describe-launch-templates',
        '--launch-template-names',
        'stack-template',
      );
    });
  },
);
