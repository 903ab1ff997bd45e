import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScaledClock, VirtualClock } from '../src/clock/clock.js';
import { TIMING_PROFILES, TIMING_SOURCES, timingProfile } from '../src/clock/profiles.js';
import { setIniSection } from '../src/cli/aws-profile.js';

describe('the one clock', () => {
  it('a virtual clock fires due timers in order, repeating ones every period, and not cancelled ones', () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    clock.after(3000, () => fired.push(`a@${clock.now()}`));
    const every = clock.every(1000, () => fired.push(`e@${clock.now()}`));
    const cancelled = clock.after(2000, () => fired.push('never'));
    cancelled.cancel();
    clock.advance(3500);
    every.cancel();
    clock.advance(5000);
    assert.deepEqual(fired, ['e@1000', 'e@2000', 'a@3000', 'e@3000']);
    assert.equal(clock.now(), 8500);
  });

  it('a scaled clock runs AWS time faster than wall time', async () => {
    const clock = new ScaledClock(1000);
    const start = clock.now();
    await clock.sleep(60_000);
    assert.ok(clock.now() - start >= 60_000);
    // Node's timers may fire a millisecond early; the clock's own never do.
    for (let i = 0; i < 50; i++) {
      const due = clock.now() + 1500;
      await clock.sleep(1500);
      assert.ok(clock.now() >= due, `woke ${due - clock.now()} AWS ms early`);
    }
    assert.throws(() => new ScaledClock(0), /positive/);
  });

  it('every profile gives every step, each step has a source', () => {
    for (const profile of Object.values(TIMING_PROFILES)) {
      assert.deepEqual(Object.keys(profile.steps).sort(), Object.keys(TIMING_SOURCES).sort());
    }
    assert.throws(() => timingProfile('nope'), /choose one of/);
  });
});

describe('aws CLI profile files', () => {
  it('replaces only its own section', () => {
    const before = '[default]\nregion = eu-west-1\n\n[profile halo]\nregion = old\n\n[profile other]\nx = 1\n';
    assert.equal(
      setIniSection(before, 'profile halo', { region: 'us-east-1' }),
      '[default]\nregion = eu-west-1\n\n[profile other]\nx = 1\n\n[profile halo]\nregion = us-east-1\n',
    );
    assert.equal(setIniSection('', 'halo', { a: 'b' }), '[halo]\na = b\n');
  });
});
