import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCloud } from './support/cloud.js';

describe("the seed's region commands through the real aws CLI", () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  it("describe-regions prints the seed's regions, field for field", () => {
    const r = cloud.aws('ec2', 'describe-regions');
    assert.equal(r.status, 0, r.stderr);
    const seedOrder = [
      'eu-north-1',
      'ap-south-1',
      'eu-west-3',
      'eu-west-2',
      'eu-west-1',
      'ap-northeast-2',
      'ap-northeast-1',
      'sa-east-1',
      'ca-central-1',
      'ap-southeast-1',
      'ap-southeast-2',
      'eu-central-1',
      'us-east-1',
      'us-east-2',
      'us-west-1',
      'us-west-2',
    ];
    assert.deepEqual(r.json, { Regions: seedOrder.map((name) => ({ Endpoint: `ec2.${name}.amazonaws.com`, RegionName: name })) });
  });

  it("describe-availability-zones --region us-east-1 prints the seed's zones and zone ids", () => {
    const r = cloud.aws('ec2', 'describe-availability-zones', '--region', 'us-east-1');
    assert.equal(r.status, 0, r.stderr);
    const ids: Record<string, string> = { a: 'use1-az2', b: 'use1-az4', c: 'use1-az6', d: 'use1-az1', e: 'use1-az3', f: 'use1-az5' };
    assert.deepEqual(r.json, {
      AvailabilityZones: Object.entries(ids).map(([letter, id]) => ({
        State: 'available',
        Messages: [],
        RegionName: 'us-east-1',
        ZoneName: `us-east-1${letter}`,
        ZoneId: id,
      })),
    });
  });
});
