import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import {
  awaitingOf,
  creationSignals,
  parseDuration,
  recordSignal,
  waitForSignals,
  type SignalRow,
} from '../src/services/cloudformation/engine/signals.js';
import { Store } from '../src/store/db.js';

const tick = () => new Promise((r) => setImmediate(r));
const state = <T>(p: Promise<T>) =>
  Promise.race([
    p.then(
      () => 'done',
      (e: Error) => `failed: ${e.message}`,
    ),
    tick().then(() => 'waiting'),
  ]);

describe('resource signals: Count, Timeout and MinSuccessfulInstancesPercent on a virtual clock', () => {
  let dir: string;
  let cloud: Cloud;
  let clock: VirtualClock;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'halo-cfn-signals-'));
    clock = new VirtualClock();
    cloud = new Cloud(new Store(path.join(dir, 'state.db')), clock, timingProfile('instant'), { home: dir, hostsPerZone: 1 });
  });
  after(() => {
    cloud.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const signal = (stack: string, id: string, uniqueId: string, status: SignalRow['status']) =>
    recordSignal(cloud, stack, id, { uniqueId, status, at: clock.now() });

  it("ISO-8601 durations and the policy's defaults (Count 1, PT5M) and limits (PT12H)", () => {
    assert.equal(parseDuration('PT15M'), 900_000);
    assert.equal(parseDuration('PT1H30M'), 5_400_000);
    assert.equal(parseDuration('P1DT2S'), 86_402_000);
    assert.equal(parseDuration('15M'), undefined);
    assert.equal(parseDuration('PT'), undefined);
    assert.deepEqual(creationSignals({ ResourceSignal: {} }, 1000), { count: 1, expires: 1000 + 300_000, minSuccessPercent: 100 });
    assert.equal(
      creationSignals({ AutoScalingCreationPolicy: { MinSuccessfulInstancesPercent: 50 } }, 0),
      undefined,
      'no ResourceSignal: nothing to wait for',
    );
    assert.throws(() => awaitingOf(1, 'PT13H', undefined, 0), /exceeds the maximum of PT12H/);
    assert.throws(() => awaitingOf(1, 'ten minutes', undefined, 0), /ISO 8601/);
  });

  it("Count success signals complete it; the time-out counts from the start, on the cloud's clock", async () => {
    const seen: string[] = [];
    const wait = waitForSignals(cloud, 's1', 'Group', awaitingOf(2, 'PT10M', undefined, clock.now()), (r) =>
      seen.push(`${r.status} ${r.uniqueId}`),
    );
    signal('s1', 'Group', 'i-1', 'SUCCESS');
    signal('s1', 'Other', 'i-9', 'SUCCESS');
    assert.equal(await state(wait), 'waiting');
    clock.advance(1000);
    signal('s1', 'Group', 'i-1', 'SUCCESS');
    assert.equal(await state(wait), 'waiting', 'the same UniqueId counts once');
    clock.advance(598_000);
    signal('s1', 'Group', 'i-2', 'SUCCESS');
    assert.equal(await state(wait), 'done');
    assert.deepEqual(seen, ['SUCCESS i-1', 'SUCCESS i-1', 'SUCCESS i-2']);

    const late = waitForSignals(cloud, 's2', 'Web', awaitingOf(1, 'PT10M', undefined, clock.now()), () => undefined);
    clock.advance(599_999);
    assert.equal(await state(late), 'waiting');
    clock.advance(1);
    assert.equal(await state(late), 'failed: Failed to receive 1 resource signal(s) within the specified duration');
  });

  it('a FAILURE signal fails it at once, unless MinSuccessfulInstancesPercent can still be met', async () => {
    const one = waitForSignals(cloud, 's3', 'Web', awaitingOf(1, 'PT10M', undefined, clock.now()), () => undefined);
    signal('s3', 'Web', 'i-0abc', 'FAILURE');
    assert.equal(await state(one), 'failed: Received FAILURE signal with UniqueId i-0abc');

    const half = waitForSignals(cloud, 's4', 'Group', awaitingOf(4, 'PT10M', 50, clock.now()), () => undefined);
    signal('s4', 'Group', 'i-1', 'FAILURE');
    signal('s4', 'Group', 'i-2', 'FAILURE');
    assert.equal(await state(half), 'waiting', 'two of four may still succeed');
    signal('s4', 'Group', 'i-3', 'FAILURE');
    assert.equal(
      await state(half),
      'failed: Received 3 FAILURE signal(s) out of 4. Unable to satisfy 50% MinSuccessfulInstancesPercent requirement',
    );

    const enough = waitForSignals(cloud, 's5', 'Group', awaitingOf(4, 'PT10M', 50, clock.now()), () => undefined);
    signal('s5', 'Group', 'i-1', 'SUCCESS');
    signal('s5', 'Group', 'i-2', 'SUCCESS');
    assert.equal(await state(enough), 'waiting', 'CloudFormation waits for the others until the time-out');
    clock.advance(600_000);
    assert.equal(await state(enough), 'done', 'at the time-out, 2 of 4 satisfy 50%');
  });

  it('a cancelled stack operation stops the wait (no timer left behind)', async () => {
    const abort = new AbortController();
    const wait = waitForSignals(cloud, 's6', 'Web', awaitingOf(1, 'PT12H', undefined, clock.now()), () => undefined, abort.signal);
    assert.equal(await state(wait), 'waiting');
    abort.abort();
    assert.equal(await state(wait), 'failed: Resource creation cancelled');
  });
});
