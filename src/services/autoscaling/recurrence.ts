/**
 * Unix cron expressions of scheduled actions (`Minute Hour Day-of-month Month Day-of-week`), evaluated in UTC or an
 * IANA time zone: `*`, lists, ranges, steps, and month and day names. As in cron, when both day fields are
 * restricted a day matching either runs.
 */
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface Field {
  values: Set<number>;
  any: boolean;
}
export interface Cron {
  minute: Field;
  hour: Field;
  dom: Field;
  month: Field;
  dow: Field;
}

function field(text: string, min: number, max: number, names?: string[], offset = 0): Field {
  const values = new Set<number>();
  const value = (t: string) => {
    const named = names?.indexOf(t.toUpperCase()) ?? -1;
    const n = named >= 0 ? named + offset : Number(t);
    if (!/^\d+$/.test(t) && named < 0) throw new Error(`"${t}" is not a valid value`);
    if (n < min || n > max) throw new Error(`${n} is out of range ${min}-${max}`);
    return n;
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!(step >= 1) || !Number.isInteger(step)) throw new Error(`"${part}" has an invalid step`);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range.includes('-')) [lo, hi] = range.split('-').map(value) as [number, number];
    else [lo, hi] = [value(range), stepText === undefined ? value(range) : max];
    if (lo > hi) throw new Error(`"${part}" is an empty range`);
    for (let n = lo; n <= hi; n += step) values.add(n);
  }
  return { values, any: text === '*' };
}

/** Parses a recurrence; throws with what is wrong. */
export function parseCron(expression: string): Cron {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error('a recurrence has five fields: minute hour day-of-month month day-of-week');
  const dow = field(parts[4], 0, 7, DAYS);
  if (dow.values.has(7)) dow.values.add(0);
  return {
    minute: field(parts[0], 0, 59),
    hour: field(parts[1], 0, 23),
    dom: field(parts[2], 1, 31),
    month: field(parts[3], 1, 12, MONTHS, 1),
    dow,
  };
}

interface Local {
  minute: number;
  hour: number;
  day: number;
  month: number;
  weekday: number;
}

function localParts(ms: number, timeZone: string): Local {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') {
    const d = new Date(ms);
    return { minute: d.getUTCMinutes(), hour: d.getUTCHours(), day: d.getUTCDate(), month: d.getUTCMonth() + 1, weekday: d.getUTCDay() };
  }
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    minute: 'numeric',
    hour: 'numeric',
    day: 'numeric',
    month: 'numeric',
    weekday: 'short',
  }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return {
    minute: Number(get('minute')),
    hour: Number(get('hour')),
    day: Number(get('day')),
    month: Number(get('month')),
    weekday: DAYS.indexOf(get('weekday').toUpperCase()),
  };
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const dayMatches = (c: Cron, l: Local) => {
  const dom = c.dom.values.has(l.day);
  const dow = c.dow.values.has(l.weekday);
  if (c.dom.any && c.dow.any) return true;
  if (c.dom.any) return dow;
  if (c.dow.any) return dom;
  return dom || dow;
};

/** The first minute strictly after `after` (cloud time, ms) at which the recurrence runs; undefined within ~5 years none does. */
export function nextRun(c: Cron, after: number, timeZone = 'UTC'): number | undefined {
  let t = Math.floor(after / 60_000) * 60_000 + 60_000;
  const end = after + 5 * 366 * 86_400_000;
  while (t < end) {
    const l = localParts(t, timeZone);
    if (!c.month.values.has(l.month) || !dayMatches(c, l)) {
      t += (60 - l.minute) * 60_000 + (23 - l.hour) * 3_600_000;
      continue;
    }
    if (!c.hour.values.has(l.hour)) {
      t += (60 - l.minute) * 60_000;
      continue;
    }
    if (c.minute.values.has(l.minute)) return t;
    t += 60_000;
  }
  return undefined;
}
