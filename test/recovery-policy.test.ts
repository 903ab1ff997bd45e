import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import type { AwsError } from '../src/protocol/errors.js';
import { SIMPLIFIED_RECOVERY_FAILED_CHECKS, startSimplifiedRecovery } from '../src/services/ec2/compute/auto-recovery.js';
import { parseAutoRecovery, setAutoRecovery, simplifiedRecoverySupported } from '../src/services/ec2/compute/maintenance.js';
import { recordRecovery, recoveryRefusal } from '../src/services/ec2/compute/recovery-policy.js';
import { instancesTable, type InstanceRecord } from '../src/services/ec2/compute/state.js';
import { listHealthEvents } from '../src/services/health/events.js';
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

describe('simplified automatic recovery: which instances, when, and how often', () => {
  const clock = new VirtualClock();
  const cloud = new Cloud(new Store(':memory:'), clock, timingProfile('instant'), { home: '/nonexistent', hostsPerZone: 2 });
  const region = 'us-east-1';
  const stopWatching = startSimplifiedRecovery(cloud);
  after(() => stopWatching());
  let n = 0;
  /** A running instance as RunInstances stores it (only the fields recovery reads matter here). */
  const launch = (type: string, tags: Array<{ Key: string; Value: string }> = []) => {
    const id = `i-${(++n).toString(16).padStart(17, '0')}`;
    instancesTable(cloud.store).put(region, id, {
      InstanceId: id,
      InstanceType: type,
      OwnerId: '123456789012',
      State: { Code: 16, Name: 'running' },
      AvailabilityZone: 'us-east-1a',
      HostId: 'h-use1-az2-1',
      Tags: tags,
    } as InstanceRecord);
    return id;
  };
  /** `count` failed system checks, one a minute of cloud time, as the status-check loop reports them. */
  const failChecks = (id: string, count: number) => {
    for (let i = 0; i < count; i++) {
      cloud.events.emit('ec2.statusChecked', { region, instanceId: id, system: 'impaired', instance: 'impaired', timestamp: clock.now() });
      clock.advance(60_000);
    }
  };
  const eventsOf = (id: string) => listHealthEvents(cloud).filter((e) => e.entities.some((x) => x.entityValue === id));

  it('knows the instance types the User Guide lists, and no metal or instance store types', () => {
    for (const type of [
      't2.micro',
      't3.small',
      'm5.large',
      'c5n.xlarge',
      'r6i.2xlarge',
      'c7g.medium',
      'a1.large',
      'm3.medium',
      'u-6tb1.112xlarge',
      'm7i.large',
      'r7g.xlarge',
      'c7i-flex.large',
    ]) {
      assert.equal(simplifiedRecoverySupported(type), true, type);
    }
    for (const type of [
      'm5.metal',
      'c5d.large',
      'i3.large',
      'd2.xlarge',
      'x2idn.16xlarge',
      'mac1.metal',
      'z1d.large',
      'm7gd.large',
      'c6id.xlarge',
      'm7i.metal-24xl',
      'm1.small',
    ]) {
      assert.equal(simplifiedRecoverySupported(type), false, type);
    }
  });

  it('accepts AutoRecovery default and disabled (any case) and refuses anything else with InvalidParameterValue', () => {
    assert.equal(parseAutoRecovery('default'), 'default');
    assert.equal(parseAutoRecovery('Disabled'), 'disabled');
    assert.equal(parseAutoRecovery(undefined), undefined);
    assert.throws(
      () => parseAutoRecovery('enabled'),
      (err: AwsError) => err.code === 'InvalidParameterValue',
    );
  });

  it('acts only after SIMPLIFIED_RECOVERY_FAILED_CHECKS failed system checks in a row, and a passing check starts over', () => {
    const id = launch('t2.micro');
    recordRecovery(cloud, region, id);
    recordRecovery(cloud, region, id);
    recordRecovery(cloud, region, id);
    failChecks(id, SIMPLIFIED_RECOVERY_FAILED_CHECKS - 1);
    cloud.events.emit('ec2.statusChecked', { region, instanceId: id, system: 'ok', instance: 'ok', timestamp: clock.now() });
    failChecks(id, SIMPLIFIED_RECOVERY_FAILED_CHECKS - 1);
    assert.deepEqual(eventsOf(id), [], 'no attempt before the threshold');
    failChecks(id, 1);
    // Three recoveries in the last day: the attempt is refused, and AWS Health says so.
    const [event] = eventsOf(id);
    assert.equal(event?.eventTypeCode, 'AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_FAILURE');
    assert.match(event.description, /already recovered 3 times in the last 24 hours/);
    assert.equal(
      event.startTime,
      clock.now() - SIMPLIFIED_RECOVERY_FAILED_CHECKS * 60_000,
      'the event starts with the first failed check of the run',
    );
    failChecks(id, 5);
    assert.equal(eventsOf(id).length, 1, 'one attempt per run of failed checks');
  });

  it('leaves alone instances with AutoRecovery disabled, unsupported types and Auto Scaling group members', () => {
    const disabled = launch('t3.micro');
    setAutoRecovery(cloud, region, disabled, 'disabled');
    const storeType = launch('c5d.large');
    const member = launch('t3.micro', [{ Key: 'aws:autoscaling:groupName', Value: 'web' }]);
    for (const id of [disabled, storeType, member]) {
      for (let i = 0; i < 3; i++) recordRecovery(cloud, region, id);
      failChecks(id, SIMPLIFIED_RECOVERY_FAILED_CHECKS + 2);
      assert.deepEqual(eventsOf(id), [], id);
    }
  });
});
