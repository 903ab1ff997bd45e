import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { Store } from '../src/store/db.js';
import { liveKey } from '../src/store/live.js';

function newCloud(home: string, name: string): Cloud {
  return new Cloud(new Store(path.join(home, `${name}.db`)), new VirtualClock(Date.UTC(2026, 11, 1)), timingProfile('instant'), {
    home,
    hostsPerZone: 1,
  });
}

describe('per-cloud live state (cloud.live)', () => {
  it('each cloud has its own value of a key, made once on first use; peek does not make it', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'halo-live-'));
    const made: string[] = [];
    const COUNTS = liveKey('test.counts', (cloud) => {
      made.push(cloud.config.home);
      return new Map<string, number>();
    });
    const a = newCloud(home, 'a');
    const b = newCloud(home, 'b');
    try {
      assert.equal(a.live.peek(COUNTS), undefined);
      a.live.get(COUNTS).set('x', 1);
      assert.equal(a.live.get(COUNTS).get('x'), 1);
      assert.equal(b.live.get(COUNTS).get('x'), undefined, 'another cloud does not see it');
      assert.equal(made.length, 2, 'made once per cloud');
      assert.equal(a.live.peek(COUNTS)?.get('x'), 1);
    } finally {
      await a.shutdown();
      await b.shutdown();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('disposers run at shutdown, after the shutdown hooks, last made first, once; the values stay for late work', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'halo-live-'));
    const order: string[] = [];
    const FIRST = liveKey(
      'test.first',
      () => ({ name: 'first' }),
      (v) => {
        order.push(v.name);
      },
    );
    const SECOND = liveKey(
      'test.second',
      () => ({ name: 'second' }),
      async (v) => {
        order.push(v.name);
      },
    );
    const cloud = newCloud(home, 'c');
    try {
      const first = cloud.live.get(FIRST);
      cloud.live.get(SECOND);
      cloud.onShutdown(() => {
        order.push('hook');
      });
      await cloud.shutdown();
      assert.deepEqual(order, ['hook', 'second', 'first']);
      assert.equal(cloud.live.get(FIRST), first, 'late work sees the same object');
      await cloud.live.dispose();
      assert.deepEqual(order, ['hook', 'second', 'first'], 'disposed once');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
