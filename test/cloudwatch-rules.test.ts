import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { breaches, decide, type RangePoint, type TreatMissingData } from '../src/services/cloudwatch/alarm-rules.js';

/** '0 - X - X' → range points (0 = not breaching, X = breaching, - = missing), with threshold 1 > . */
function range(pattern: string): RangePoint[] {
  return pattern
    .split(' ')
    .map((c, i) => ({ ts: i * 60_000, value: c === '-' ? undefined : c === 'X' ? 5 : 0, sampleCount: c === '-' ? undefined : 1 }));
}

const MODES: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];

function states(pattern: string, n: number, m: number): string[] {
  return MODES.map((t) => decide(range(pattern), n, m, 'GreaterThanThreshold', 1, t).state ?? 'retain');
}

describe('alarm evaluation with missing data, as the CloudWatch User Guide tables', () => {
  it('3 of 3 (evaluation range of 5)', () => {
    assert.deepEqual(states('0 - X - X', 3, 3), ['OK', 'OK', 'OK', 'OK']);
    assert.deepEqual(states('0 - - - -', 3, 3), ['OK', 'OK', 'OK', 'OK']);
    assert.deepEqual(states('- - - - -', 3, 3), ['INSUFFICIENT_DATA', 'retain', 'ALARM', 'OK']);
    assert.deepEqual(states('0 X X - X', 3, 3), ['ALARM', 'ALARM', 'ALARM', 'ALARM']);
    assert.deepEqual(states('- - - - X', 3, 3), ['INSUFFICIENT_DATA', 'retain', 'ALARM', 'OK']);
    assert.deepEqual(states('X - - - -', 3, 3), ['ALARM', 'retain', 'ALARM', 'OK']);
  });

  it('2 of 3 (M out of N)', () => {
    assert.deepEqual(states('0 - X - X', 3, 2), ['ALARM', 'ALARM', 'ALARM', 'ALARM']);
    assert.deepEqual(states('0 0 X 0 X', 3, 2), ['ALARM', 'ALARM', 'ALARM', 'ALARM']);
    assert.deepEqual(states('0 - X - -', 3, 2), ['OK', 'OK', 'ALARM', 'OK']);
    assert.deepEqual(states('- - - - 0', 3, 2), ['OK', 'OK', 'ALARM', 'OK']);
    assert.deepEqual(states('- - - - X', 3, 2), ['INSUFFICIENT_DATA', 'retain', 'ALARM', 'OK']);
  });

  it('with enough real points, only the most recent N count and missing-data treatment is not consulted', () => {
    const d = decide(range('X X 0 0 0 X X'), 3, 3, 'GreaterThanThreshold', 1, 'breaching');
    assert.equal(d.state, 'OK');
    assert.deepEqual(
      d.evaluated.map((p) => p.ts),
      [6, 5, 4].map((i) => i * 60_000),
    );
    assert.ok(d.evaluated.every((p) => !p.filled));
  });

  it('fills missing periods from the most recent ones, as few as needed', () => {
    const d = decide(range('X - 0 - -'), 3, 1, 'GreaterThanThreshold', 1, 'breaching');
    assert.equal(d.state, 'ALARM');
    assert.deepEqual(
      d.evaluated.map((p) => [p.ts / 60_000, p.filled, p.breaching]),
      [
        [4, true, true],
        [2, false, false],
        [0, false, true],
      ],
    );
  });
});

describe('comparison operators', () => {
  const cases: Array<[string, number, boolean]> = [
    ['GreaterThanThreshold', 10, false],
    ['GreaterThanThreshold', 10.5, true],
    ['GreaterThanOrEqualToThreshold', 10, true],
    ['GreaterThanOrEqualToThreshold', 9.9, false],
    ['LessThanThreshold', 10, false],
    ['LessThanThreshold', 9.9, true],
    ['LessThanOrEqualToThreshold', 10, true],
    ['LessThanOrEqualToThreshold', 10.1, false],
  ];
  for (const [op, value, expected] of cases) {
    it(`${value} ${op} 10 is ${expected ? '' : 'not '}breaching`, () => {
      assert.equal(breaches(op, value, 10), expected);
      const d = decide([{ ts: 0, value, sampleCount: 1 }], 1, 1, op, 10, 'missing');
      assert.equal(d.state, expected ? 'ALARM' : 'OK');
    });
  }
});
