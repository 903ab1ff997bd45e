import type { Sample } from './metric-store.js';

/**
 * What a rolled-up period keeps for percentiles: its values as [value, count] pairs, equal values merged. Up to
 * MAX_VALUE_PAIRS distinct values the pairs are exact; beyond, they are summarised into MAX_VALUE_PAIRS pairs of
 * about equal count (each the middle value of its run), so a nearest-rank percentile is off by at most half a
 * run: 1 / (2 × MAX_VALUE_PAIRS) of the samples. Storage per period stays bounded whatever the publish rate.
 */
export const MAX_VALUE_PAIRS = 128;

export type Pairs = Array<[number, number]>;

/** The values a sample contributes to percentiles, or null (a statistic set of several different values). */
export function valuesOf(s: Pick<Sample, 'count' | 'min' | 'max' | 'values'>): Pairs | null {
  if (s.values) return s.values;
  return s.count === 1 || s.min === s.max ? [[s.min, s.count]] : null;
}

/** Merges value lists (null when any is null), summarising past MAX_VALUE_PAIRS distinct values. */
export function mergeValues(lists: Array<Pairs | null>): Pairs | null {
  const counts = new Map<number, number>();
  for (const list of lists) {
    if (!list) return null;
    for (const [v, c] of list) counts.set(v, (counts.get(v) ?? 0) + c);
  }
  const pairs = [...counts].sort((a, b) => a[0] - b[0]);
  return pairs.length <= MAX_VALUE_PAIRS ? pairs : summarise(pairs, MAX_VALUE_PAIRS);
}

/** Sorted pairs into at most `size` runs of about equal count, each represented by its middle value. */
export function summarise(sorted: Pairs, size: number): Pairs {
  const total = sorted.reduce((n, [, c]) => n + c, 0);
  const out: Pairs = [];
  let run: Pairs = [];
  let seen = 0;
  for (const pair of sorted) {
    run.push(pair);
    seen += pair[1];
    if (seen < ((out.length + 1) * total) / size && seen < total) continue;
    const count = run.reduce((n, [, c]) => n + c, 0);
    let acc = 0;
    let middle = run[run.length - 1][0];
    for (const [v, c] of run) {
      acc += c;
      if (acc >= count / 2) {
        middle = v;
        break;
      }
    }
    out.push([middle, count]);
    run = [];
  }
  return out;
}

export const encodeValues = (pairs: Pairs | null) => (pairs ? JSON.stringify(pairs) : null);
export const decodeValues = (text: string | null) => (text ? (JSON.parse(text) as Pairs) : null);
