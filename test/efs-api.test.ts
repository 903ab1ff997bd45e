import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  EFSClient,
  FileSystemNotFound,
  CreateFileSystemCommand,
  paginateDescribeFileSystems,
} from '@aws-sdk/client-efs';
import { TestCloud } from './support/cloud.js';
import { cfn, settle } from './templates/support.js';

/** A VPC with subnets in two zones, as the EFS tests need one. */
function network(cloud: TestCloud, cidr: string) {
  const ec2 = (...args: string[]) => cloud.awsOk('ec2', ...args);
  const vpc = ec2('create-vpc', '--cidr-block', `${cidr}.0.0/16`).Vpc.VpcId as string;
  const a = ec2('create-subnet', '--vpc-id', vpc, '--cidr-block', `${cidr}.1.0/24`, '--availability-zone', 'us-east-1a').Subnet
    .SubnetId as string;
  const b = ec2('create-subnet', '--vpc-id', vpc, '--cidr-block', `${cidr}.2.0/24`, '--availability-zone', 'us-east-1b').Subnet
    .SubnetId as string;
  const sg = ec2('create-security-group', '--vpc-id', vpc, '--group-name', `nfs-${cidr}`, '--description', 'NFS').GroupId as string;
  return { vpc, a, b, sg };
}

describe('EFS API (REST-JSON) through the real aws CLI and SDK v3', () => {
  let cloud: TestCloud;
  let efs: EFSClient;
  const ok = (...args: string[]) => cloud.awsOk('efs', ...args);
  const fails = (code: string, ...args: string[]) => cloud.awsFails(code, 'efs', ...args);
  const until = async (read: () => string) => {
    for (let i = 0; i < 200 && read() !== 'available'; i++) await sleep(50);
    assert.equal(read(), 'available');
  };

  before(async () => {
    cloud = await TestCloud.start({ profile: 'fast' });
    efs = new EFSClient(cloud.sdk);
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('create-file-system records its settings, is creating then available on the clock, and is idempotent by creation token', async () => {
    const fs = ok(
      'create-file-system',
      '--creation-token',
      'jenkins-home',
      '--encrypted',
      '--performance-mode',
      'generalPurpose',
      '--throughput-mode',
      'elastic',
      '--tags',
      'Key=Name,Value=jenkins',
      'Key=team,Value=ci',
    );
    assert.match(fs.FileSystemId, /^fs-[0-9a-f]{17}$/);
    assert.equal(fs.LifeCycleState, 'creating');
    assert.equal(fs.Name, 'jenkins');
    assert.equal(fs.Encrypted, true);
    assert.match(fs.KmsKeyId, /^arn:aws:kms:us-east-1:\d{12}:/);
    assert.equal(fs.ThroughputMode, 'elastic');
    assert.equal(fs.NumberOfMountTargets, 0);
    assert.equal(fs.FileSystemArn, `arn:aws:elasticfilesystem:us-east-1:${fs.OwnerId}:file-system/${fs.FileSystemId}`);
    const again = cloud.aws('efs', 'create-file-system', '--creation-token', 'jenkins-home');
    assert.match(again.stderr, /\(FileSystemAlreadyExists\).*jenkins-home/);
    await until(() => ok('describe-file-systems', '--file-system-id', fs.FileSystemId).FileSystems[0].LifeCycleState);
    assert.equal(ok('describe-file-systems', '--creation-token', 'jenkins-home').FileSystems[0].FileSystemId, fs.FileSystemId);
    fails('BadRequest', 'create-file-system', '--creation-token', 'p', '--throughput-mode', 'provisioned');
    fails('BadRequest', 'create-file-system', '--creation-token', 'k', '--kms-key-id', 'alias/x');
    const updated = ok(
      'update-file-system',
      '--file-system-id',
      fs.FileSystemId,
      '--throughput-mode',
      'provisioned',
      '--provisioned-throughput-in-mibps',
      '64',
    );
    assert.deepEqual([updated.ThroughputMode, updated.ProvisionedThroughputInMibps], ['provisioned', 64]);
  });

  it('SDK v3: a missing file system is a 404 FileSystemNotFound; DescribeFileSystems pages with Marker/MaxItems', async () => {
    await assert.rejects(efs.send(new DescribeFileSystemsCommand({ FileSystemId: 'fs-00000000000000000' })), (err: any) => {
      assert.ok(err instanceof FileSystemNotFound);
      assert.equal(err.$metadata.httpStatusCode, 404);
      assert.match(err.message, /fs-00000000000000000/);
      return true;
    });
    for (const token of ['p1', 'p2', 'p3']) await efs.send(new CreateFileSystemCommand({ CreationToken: token }));
    const first = await efs.send(new DescribeFileSystemsCommand({ MaxItems: 2 }));
    assert.equal(first.FileSystems?.length, 2);
    assert.ok(first.NextMarker);
    const ids: string[] = [];
    for await (const page of paginateDescribeFileSystems({ client: efs, pageSize: 1 }, {}))
      ids.push(...(page.FileSystems ?? []).map((f) => f.FileSystemId ?? ''));
    assert.equal(ids.length, 4);
    assert.equal(new Set(ids).size, 4);
    fails('BadRequest', 'describe-file-systems', '--marker', 'bogus');
  });

  it('mount targets: one per zone, an address of the subnet (or the one asked), groups; the file system is in use while they exist', async () => {
    const net = network(cloud, '10.40');
    const fs = ok('create-file-system', '--creation-token', 'mt-test');
    await until(() => ok('describe-file-systems', '--file-system-id', fs.FileSystemId).FileSystems[0].LifeCycleState);
    const a = ok('create-mount-target', '--file-system-id', fs.FileSystemId, '--subnet-id', net.a, '--security-groups', net.sg);
    assert.match(a.MountTargetId, /^fsmt-[0-9a-f]{17}$/);
    assert.equal(a.LifeCycleState, 'creating');
    assert.match(a.IpAddress, /^10\.40\.1\.\d+$/);
    assert.deepEqual([a.AvailabilityZoneName, a.VpcId, a.SubnetId], ['us-east-1a', net.vpc, net.a]);
    assert.match(fails('MountTargetConflict', 'create-mount-target', '--file-system-id', fs.FileSystemId, '--subnet-id', net.a), /AZ/);
    fails('SubnetNotFound', 'create-mount-target', '--file-system-id', fs.FileSystemId, '--subnet-id', 'subnet-00000000000000000');
    fails(
      'SecurityGroupNotFound',
      'create-mount-target',
      '--file-system-id',
      fs.FileSystemId,
      '--subnet-id',
      net.b,
      '--security-groups',
      'sg-00000000000000000',
    );
    const b = ok('create-mount-target', '--file-system-id', fs.FileSystemId, '--subnet-id', net.b, '--ip-address', '10.40.2.50');
    assert.equal(b.IpAddress, '10.40.2.50');
    const other = ok('create-file-system', '--creation-token', 'mt-test-2');
    await until(() => ok('describe-file-systems', '--file-system-id', other.FileSystemId).FileSystems[0].LifeCycleState);
    fails(
      'IpAddressInUse',
      'create-mount-target',
      '--file-system-id',
      other.FileSystemId,
      '--subnet-id',
      net.b,
      '--ip-address',
      '10.40.2.50',
    );
    // The address is held in EC2's bookkeeping: an instance can never be given it.
    const eni = cloud.awsOk('ec2', 'describe-network-interfaces', '--network-interface-ids', b.NetworkInterfaceId).NetworkInterfaces[0];
    assert.equal(eni.PrivateIpAddress, '10.40.2.50');
    const defaultGroup = cloud.awsOk(
      'ec2',
      'describe-security-groups',
      '--filters',
      `Name=vpc-id,Values=${net.vpc}`,
      'Name=group-name,Values=default',
    ).SecurityGroups[0].GroupId;
    await until(() => ok('describe-mount-targets', '--mount-target-id', b.MountTargetId).MountTargets[0].LifeCycleState);
    assert.deepEqual(ok('describe-mount-target-security-groups', '--mount-target-id', b.MountTargetId).SecurityGroups, [defaultGroup]);
    ok('modify-mount-target-security-groups', '--mount-target-id', b.MountTargetId, '--security-groups', net.sg);
    assert.deepEqual(ok('describe-mount-target-security-groups', '--mount-target-id', b.MountTargetId).SecurityGroups, [net.sg]);
    assert.equal(ok('describe-file-systems', '--file-system-id', fs.FileSystemId).FileSystems[0].NumberOfMountTargets, 2);
    // A new client: the shared one's keep-alive socket idled while the CLI ran (spawnSync) and the daemon closed it.
    const listed = await new EFSClient(cloud.sdk).send(new DescribeMountTargetsCommand({ FileSystemId: fs.FileSystemId }));
    assert.deepEqual(listed.MountTargets?.map((m) => m.MountTargetId).sort(), [a.MountTargetId, b.MountTargetId].sort());
    fails('BadRequest', 'describe-mount-targets');
    fails('FileSystemInUse', 'delete-file-system', '--file-system-id', fs.FileSystemId);
    ok('delete-mount-target', '--mount-target-id', a.MountTargetId);
    ok('delete-mount-target', '--mount-target-id', b.MountTargetId);
    fails('MountTargetNotFound', 'delete-mount-target', '--mount-target-id', b.MountTargetId);
    fails('MountTargetNotFound', 'describe-mount-targets', '--mount-target-id', b.MountTargetId);
  });

  it('access points, lifecycle and backup policies, file system policies and tags', async () => {
    const fs = ok('create-file-system', '--creation-token', 'ap-test', '--backup');
    await until(() => ok('describe-file-systems', '--file-system-id', fs.FileSystemId).FileSystems[0].LifeCycleState);
    const ap = ok(
      'create-access-point',
      '--file-system-id',
      fs.FileSystemId,
      '--client-token',
      'jenkins-ap',
      '--posix-user',
      'Uid=1000,Gid=1000',
      '--root-directory',
      'Path=/jenkins,CreationInfo={OwnerUid=1000,OwnerGid=1000,Permissions=755}',
      '--tags',
      'Key=Name,Value=jenkins',
    );
    assert.match(ap.AccessPointId, /^fsap-[0-9a-f]{17}$/);
    assert.equal(ap.AccessPointArn, `arn:aws:elasticfilesystem:us-east-1:${fs.OwnerId}:access-point/${ap.AccessPointId}`);
    assert.deepEqual(ap.RootDirectory, { Path: '/jenkins', CreationInfo: { OwnerUid: 1000, OwnerGid: 1000, Permissions: '755' } });
    assert.deepEqual(ap.PosixUser, { Uid: 1000, Gid: 1000 });
    assert.equal(ap.Name, 'jenkins');
    assert.equal(ok('describe-access-points', '--file-system-id', fs.FileSystemId).AccessPoints[0].AccessPointId, ap.AccessPointId);
    fails('BadRequest', 'create-access-point', '--file-system-id', fs.FileSystemId, '--root-directory', 'Path=relative');
    for (const bad of ['/a/b/c/d/e', '/.hidden', '/a;b', '/a/'])
      fails('BadRequest', 'create-access-point', '--file-system-id', fs.FileSystemId, '--root-directory', `Path=${bad}`);

    assert.deepEqual(ok('describe-lifecycle-configuration', '--file-system-id', fs.FileSystemId).LifecyclePolicies, []);
    ok(
      'put-lifecycle-configuration',
      '--file-system-id',
      fs.FileSystemId,
      '--lifecycle-policies',
      'TransitionToIA=AFTER_30_DAYS',
      'TransitionToPrimaryStorageClass=AFTER_1_ACCESS',
    );
    assert.deepEqual(ok('describe-lifecycle-configuration', '--file-system-id', fs.FileSystemId).LifecyclePolicies, [
      { TransitionToIA: 'AFTER_30_DAYS' },
      { TransitionToPrimaryStorageClass: 'AFTER_1_ACCESS' },
    ]);
    fails(
      'BadRequest',
      'put-lifecycle-configuration',
      '--file-system-id',
      fs.FileSystemId,
      '--lifecycle-policies',
      'TransitionToIA=AFTER_2_DAYS',
    );

    assert.deepEqual(ok('describe-backup-policy', '--file-system-id', fs.FileSystemId).BackupPolicy, { Status: 'ENABLED' });
    ok('put-backup-policy', '--file-system-id', fs.FileSystemId, '--backup-policy', 'Status=DISABLED');
    assert.deepEqual(ok('describe-backup-policy', '--file-system-id', fs.FileSystemId).BackupPolicy, { Status: 'DISABLED' });

    fails('PolicyNotFound', 'describe-file-system-policy', '--file-system-id', fs.FileSystemId);
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'elasticfilesystem:ClientMount' }],
    });
    ok('put-file-system-policy', '--file-system-id', fs.FileSystemId, '--policy', policy);
    assert.equal(ok('describe-file-system-policy', '--file-system-id', fs.FileSystemId).Policy, policy);
    fails('InvalidPolicyException', 'put-file-system-policy', '--file-system-id', fs.FileSystemId, '--policy', 'not json');
    ok('delete-file-system-policy', '--file-system-id', fs.FileSystemId);
    fails('PolicyNotFound', 'describe-file-system-policy', '--file-system-id', fs.FileSystemId);

    ok('tag-resource', '--resource-id', fs.FileSystemId, '--tags', 'Key=env,Value=prod');
    ok('untag-resource', '--resource-id', fs.FileSystemId, '--tag-keys', 'env');
    ok('tag-resource', '--resource-id', ap.AccessPointId, '--tags', 'Key=env,Value=dev');
    assert.deepEqual(ok('list-tags-for-resource', '--resource-id', ap.AccessPointId).Tags, [
      { Key: 'Name', Value: 'jenkins' },
      { Key: 'env', Value: 'dev' },
    ]);
    assert.deepEqual(ok('list-tags-for-resource', '--resource-id', fs.FileSystemId).Tags, []);
    fails('AccessPointNotFound', 'list-tags-for-resource', '--resource-id', 'fsap-00000000000000000');

    ok('delete-access-point', '--access-point-id', ap.AccessPointId);
    fails('AccessPointNotFound', 'delete-access-point', '--access-point-id', ap.AccessPointId);
    ok('delete-file-system', '--file-system-id', fs.FileSystemId);
    fails('FileSystemNotFound', 'describe-lifecycle-configuration', '--file-system-id', fs.FileSystemId);
  });

  it('AWS::EFS::FileSystem, MountTarget and AccessPoint through CloudFormation: Ref and every GetAtt', async () => {
    const net = network(cloud, '10.41');
    const template = {
      Resources: {
        FileSystem: {
          Type: 'AWS::EFS::FileSystem',
          Properties: {
            Encrypted: true,
            FileSystemTags: [{ Key: 'Name', Value: 'home' }],
            BackupPolicy: { Status: 'ENABLED' },
            LifecyclePolicies: [{ TransitionToIA: 'AFTER_7_DAYS' }],
          },
        },
        TargetA: {
          Type: 'AWS::EFS::MountTarget',
          Properties: { FileSystemId: { Ref: 'FileSystem' }, SubnetId: net.a, SecurityGroups: [net.sg] },
        },
        TargetB: {
          Type: 'AWS::EFS::MountTarget',
          Properties: { FileSystemId: { Ref: 'FileSystem' }, SubnetId: net.b, SecurityGroups: [net.sg], IpAddress: '10.41.2.9' },
        },
        Point: {
          Type: 'AWS::EFS::AccessPoint',
          Properties: { FileSystemId: { Ref: 'FileSystem' }, PosixUser: { Uid: '1000', Gid: '1000' }, RootDirectory: { Path: '/data' } },
        },
      },
      Outputs: {
        Fs: { Value: { Ref: 'FileSystem' } },
        FsId: { Value: { 'Fn::GetAtt': ['FileSystem', 'FileSystemId'] } },
        FsArn: { Value: { 'Fn::GetAtt': ['FileSystem', 'Arn'] } },
        Mt: { Value: { Ref: 'TargetB' } },
        MtIp: { Value: { 'Fn::GetAtt': ['TargetB', 'IpAddress'] } },
        Ap: { Value: { Ref: 'Point' } },
        ApId: { Value: { 'Fn::GetAtt': ['Point', 'AccessPointId'] } },
        ApArn: { Value: { 'Fn::GetAtt': ['Point', 'Arn'] } },
      },
    };
    const client = cfn(cloud);
    cloud.awsOk('cloudformation', 'create-stack', '--stack-name', 'efs', '--template-body', JSON.stringify(template));
    const stack = await settle(client, 'efs');
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
    const out = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    assert.match(String(out.Fs), /^fs-/);
    assert.equal(out.FsId, out.Fs);
    assert.match(String(out.FsArn), new RegExp(`^arn:aws:elasticfilesystem:us-east-1:\\d{12}:file-system/${out.Fs}$`));
    assert.match(String(out.Mt), /^fsmt-/);
    assert.equal(out.MtIp, '10.41.2.9');
    assert.equal(out.ApId, out.Ap);
    assert.match(String(out.ApArn), new RegExp(`access-point/${out.Ap}$`));
    const fs = ok('describe-file-systems', '--file-system-id', String(out.Fs)).FileSystems[0];
    assert.deepEqual([fs.Encrypted, fs.Name, fs.NumberOfMountTargets, fs.LifeCycleState], [true, 'home', 2, 'available']);
    assert.deepEqual(ok('describe-lifecycle-configuration', '--file-system-id', String(out.Fs)).LifecyclePolicies, [
      { TransitionToIA: 'AFTER_7_DAYS' },
    ]);
    cloud.awsOk('cloudformation', 'delete-stack', '--stack-name', 'efs');
    await settle(client, 'efs').catch(() => undefined);
    fails('FileSystemNotFound', 'describe-file-systems', '--file-system-id', String(out.Fs));
    assert.deepEqual(cloud.awsOk('ec2', 'describe-network-interfaces', '--filters', `Name=vpc-id,Values=${net.vpc}`).NetworkInterfaces, []);
  });
});
