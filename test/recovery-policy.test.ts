import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { recordRecovery, recoveryRefusal } from '../src/services/ec2/compute/recovery-policy.js';
import type { InstanceRecord } from '../src/services/ec2/compute/state.js';
import { Store } from '../src/store/db.js';

describe('when EC2 refuses a recovery', () => {
  const clock = new VirtualClock();
  const cloud = new Cloud(new Store(':memory:'), clock, timingProfile('instant'), { home: '/nonexistent', hostsPerZone: 2 });
  const instance = (type: string) => ({ InstanceId: 'i-0123456789abcdef0', InstanceType: type }) as InstanceRecord;

  it('refuses instance types with instance store volumes, not EBS-only ones', () => {
    for (const type of ['c5d.large', 'm5ad.xlarge', 'r5dn.large', 'c6gd.medium', 'i3.large', 'd2.xlarge', 'h1.2xlarge']) {
      assert.match(recoveryRefusal(cloud, 'us-east-1', instance(type)) ?? '', /instance store/, type);
    }
    for (const type of ['t2.micro', 't3.small', 'c5n.large', 'm5.large', 'x1e.xlarge', 'a1.medium', 'r5a.large']) {
      assert.equal(recoveryRefusal(cloud, 'us-east-1', instance(type)), undefined, type);
    }
  });

  it('recovers one instance at most three times in 24 hours', () => {
    const i = instance('t2.micro');
    for (let n = 0; n < 3; n++) {
      assert.equal(recoveryRefusal(cloud, 'us-east-1', i), undefined);
      recordRecovery(cloud, 'us-east-1', i.InstanceId);
      clock.advance(60 * 60 * 1000);
    }
    assert.match(recoveryRefusal(cloud, 'us-east-1', i) ?? '', /already recovered 3 times in the last 24 hours/);
    clock.advance(22 * 60 * 60 * 1000);
    assert.equal(recoveryRefusal(cloud, 'us-east-1', i), undefined, 'the first recovery is more than a day old');
  });
});
