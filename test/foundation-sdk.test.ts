import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateKeyPairCommand,
  DeleteKeyPairCommand,
  DescribeAvailabilityZonesCommand,
  DescribeKeyPairsCommand,
  DescribeRegionsCommand,
  EC2Client,
  ImportKeyPairCommand,
} from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { generateKeyPairSync } from 'node:crypto';
import { TestCloud } from './support/cloud.js';

/** An AWS SDK v3 call either answers 200 with a request id, or throws an AWS error with a code and a request id. */
async function wellFormed(call: Promise<{ $metadata: { httpStatusCode?: number; requestId?: string } }>): Promise<void> {
  try {
    const out = await call;
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.ok(out.$metadata.requestId, 'a request id');
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number; requestId?: string }; $fault?: string };
    assert.match(e.name, /^[A-Z][A-Za-z.]+$/, `an AWS error code, got ${e.name}: ${e.message}`);
    assert.ok(e.$metadata?.httpStatusCode && e.$metadata.httpStatusCode >= 400, `an HTTP error status, got ${e.$metadata?.httpStatusCode}`);
    assert.ok(e.$metadata?.requestId, 'a request id on the error');
    assert.notEqual(e.name, 'InternalFailure');
  }
}

describe('AWS SDK v3 clients against the local cloud', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  it("STS GetCallerIdentity names the admin of the cloud's account", async () => {
    const out = await new STSClient(cloud.sdk).send(new GetCallerIdentityCommand({}));
    assert.match(out.Account ?? '', /^\d{12}$/);
    assert.equal(out.Arn, `arn:aws:iam::${out.Account}:root`);
  });

  it('EC2 DescribeRegions, DescribeAvailabilityZones (filters, other region)', async () => {
    const ec2 = new EC2Client(cloud.sdk);
    const regions = await ec2.send(new DescribeRegionsCommand({ RegionNames: ['us-west-2', 'eu-central-1'] }));
    assert.deepEqual(regions.Regions?.map((r) => r.RegionName).sort(), ['eu-central-1', 'us-west-2']);
    const all = await ec2.send(new DescribeRegionsCommand({ AllRegions: true }));
    assert.ok(all.Regions?.some((r) => r.OptInStatus === 'not-opted-in'));
    const zones = await ec2.send(
      new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-id', Values: ['use1-az6', 'use1-az1'] }] }),
    );
    assert.deepEqual(
      zones.AvailabilityZones?.map((z) => z.ZoneName),
      ['us-east-1c', 'us-east-1d'],
    );
    const west = await new EC2Client({ ...cloud.sdk, region: 'eu-west-1' }).send(new DescribeAvailabilityZonesCommand({}));
    assert.deepEqual(
      west.AvailabilityZones?.map((z) => z.ZoneName),
      ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    );
    await assert.rejects(new EC2Client({ ...cloud.sdk, region: 'af-south-1' }).send(new DescribeAvailabilityZonesCommand({})), {
      name: 'OptInRequired',
    });
    await assert.rejects(ec2.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'colour', Values: ['x'] }] })), {
      name: 'InvalidParameterValue',
    });
  });

  it('EC2 key pairs: create, import, describe, duplicate, delete', async () => {
    const ec2 = new EC2Client(cloud.sdk);
    const created = await ec2.send(
      new CreateKeyPairCommand({
        KeyName: 'sdk-key',
        TagSpecifications: [{ ResourceType: 'key-pair', Tags: [{ Key: 'team', Value: 'sre' }] }],
      }),
    );
    assert.match(created.KeyMaterial ?? '', /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.match(created.KeyPairId ?? '', /^key-[0-9a-f]{17}$/);
    await assert.rejects(ec2.send(new CreateKeyPairCommand({ KeyName: 'sdk-key' })), { name: 'InvalidKeyPair.Duplicate' });
    const { publicKey } = generateKeyPairSync('ed25519');
    const jwk = publicKey.export({ format: 'jwk' });
    const blob = Buffer.concat([
      Buffer.from([0, 0, 0, 11]),
      Buffer.from('ssh-ed25519'),
      Buffer.from([0, 0, 0, 32]),
      Buffer.from(jwk.x as string, 'base64url'),
    ]);
    const imported = await ec2.send(
      new ImportKeyPairCommand({ KeyName: 'imported', PublicKeyMaterial: Buffer.from(`ssh-ed25519 ${blob.toString('base64')} me@host`) }),
    );
    assert.ok(imported.KeyFingerprint);
    await assert.rejects(ec2.send(new ImportKeyPairCommand({ KeyName: 'junk', PublicKeyMaterial: Buffer.from('not a key') })), {
      name: 'InvalidKey.Format',
    });
    const tagged = await ec2.send(new DescribeKeyPairsCommand({ Filters: [{ Name: 'tag:team', Values: ['sre'] }] }));
    assert.deepEqual(
      tagged.KeyPairs?.map((k) => k.KeyName),
      ['sdk-key'],
    );
    const byType = await ec2.send(
      new DescribeKeyPairsCommand({ Filters: [{ Name: 'key-type', Values: ['ed25519'] }], IncludePublicKey: true }),
    );
    assert.equal(byType.KeyPairs?.[0]?.KeyName, 'imported');
    assert.match(byType.KeyPairs?.[0]?.PublicKey ?? '', /^ssh-ed25519 /);
    await ec2.send(new DeleteKeyPairCommand({ KeyName: 'sdk-key' }));
    await assert.rejects(ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['sdk-key'] })), { name: 'InvalidKeyPair.NotFound' });
  });

  it('CloudWatch (JSON 1.0), Auto Scaling and CloudFormation answer well-formed', async () => {
    await wellFormed(new CloudWatchClient(cloud.sdk).send(new DescribeAlarmsCommand({})));
    await wellFormed(new AutoScalingClient(cloud.sdk).send(new DescribeAutoScalingGroupsCommand({})));
    await wellFormed(new CloudFormationClient(cloud.sdk).send(new ListStacksCommand({})));
  });
});
