import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AllocateAddressCommand,
  CreateKeyPairCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteTagsCommand,
  DescribeTagsCommand,
  DescribeKeyPairsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { TestCloud } from './support/cloud.js';
import { errorName } from './support/errors.js';

describe('EC2 tags over every kind of resource (CreateTags, DeleteTags, DescribeTags)', () => {
  let cloud: TestCloud;
  let ec2: EC2Client;
  before(async () => {
    cloud = await TestCloud.start();
    ec2 = new EC2Client(cloud.sdk);
  });
  after(async () => {
    ec2?.destroy();
    await cloud?.dispose();
  });

  it('tags VPCs, subnets, groups and addresses at once, overwrites values, and describes them by filter', async () => {
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.0.0/24' }))).Subnet?.SubnetId ?? '';
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: 'g', Description: 'g' }))).GroupId ?? '';
    const eip = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId ?? '';
    await ec2.send(
      new CreateTagsCommand({
        Resources: [vpc, subnet, sg, eip],
        Tags: [
          { Key: 'env', Value: 'test' },
          { Key: 'Name', Value: 'first' },
        ],
      }),
    );
    await ec2.send(new CreateTagsCommand({ Resources: [vpc], Tags: [{ Key: 'Name', Value: 'jenkins' }] }));

    const vpcs = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: ['jenkins'] }] }))).Vpcs ?? [];
    assert.deepEqual(
      vpcs.map((v) => v.VpcId),
      [vpc],
    );
    assert.deepEqual(vpcs[0].Tags, [
      { Key: 'env', Value: 'test' },
      { Key: 'Name', Value: 'jenkins' },
    ]);

    const env = (await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['env'] }] }))).Tags ?? [];
    assert.deepEqual(
      env.map((t) => [t.ResourceType, t.ResourceId]).sort(),
      [
        ['elastic-ip', eip],
        ['security-group', sg],
        ['subnet', subnet],
        ['vpc', vpc],
      ].sort(),
    );
    const cli = cloud.aws('ec2', 'describe-tags', '--filters', 'Name=resource-type,Values=subnet');
    assert.equal(cli.status, 0, cli.stderr);
    assert.deepEqual(
      cli.json.Tags,
      [
        { Key: 'env', ResourceId: subnet, ResourceType: 'subnet', Value: 'test' },
        { Key: 'Name', ResourceId: subnet, ResourceType: 'subnet', Value: 'first' },
      ].sort((a, b) => a.Key.localeCompare(b.Key)),
    );

    // DeleteTags: a key alone removes it; with a value, only when the value matches; no tags at all removes every tag.
    await ec2.send(new DeleteTagsCommand({ Resources: [subnet], Tags: [{ Key: 'env', Value: 'other' }] }));
    await ec2.send(new DeleteTagsCommand({ Resources: [vpc], Tags: [{ Key: 'env' }] }));
    await ec2.send(new DeleteTagsCommand({ Resources: [sg] }));
    const left = (await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [vpc, subnet, sg] }] }))).Tags ?? [];
    assert.deepEqual(
      left.map((t) => [t.ResourceId, t.Key, t.Value]).sort(),
      [
        [subnet, 'Name', 'first'],
        [subnet, 'env', 'test'],
        [vpc, 'Name', 'jenkins'],
      ].sort(),
    );
  });

  it('tags key pairs (kept by name) through their key-... id', async () => {
    const key = await ec2.send(new CreateKeyPairCommand({ KeyName: 'mykey' }));
    await ec2.send(new CreateTagsCommand({ Resources: [key.KeyPairId ?? ''], Tags: [{ Key: 'owner', Value: 'ops' }] }));
    const pairs = (await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['mykey'] }))).KeyPairs ?? [];
    assert.deepEqual(pairs[0]?.Tags, [{ Key: 'owner', Value: 'ops' }]);
    const tags = (await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-type', Values: ['key-pair'] }] }))).Tags ?? [];
    assert.deepEqual(tags, [{ Key: 'owner', Value: 'ops', ResourceId: key.KeyPairId, ResourceType: 'key-pair' }]);
  });

  it('refuses unknown ids, missing resources and reserved keys, changing nothing', async () => {
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc?.VpcId ?? '';
    assert.equal(
      await errorName(ec2.send(new CreateTagsCommand({ Resources: ['nonsense'], Tags: [{ Key: 'a', Value: 'b' }] }))),
      'InvalidID',
    );
    assert.equal(
      await errorName(ec2.send(new CreateTagsCommand({ Resources: [vpc, 'vpc-00000000000000000'], Tags: [{ Key: 'a', Value: 'b' }] }))),
      'InvalidVpcID.NotFound',
    );
    assert.equal(
      await errorName(ec2.send(new CreateTagsCommand({ Resources: [vpc], Tags: [{ Key: 'aws:cloudformation:stack-name', Value: 'x' }] }))),
      'InvalidParameterValue',
    );
    const tags = (await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [vpc] }] }))).Tags ?? [];
    assert.deepEqual(tags, []);
  });
});
