import type { Cloud } from '../../cloud.js';
import { liveKey } from '../../store/live.js';

/**
 * When metric alarms are evaluated. The CloudWatch User Guide: an alarm with a period of 10 or 30 seconds (a
 * high-resolution alarm, charged more) is evaluated every 10 seconds; other alarms are evaluated every minute.
 * halo applies the 10-second schedule to every sub-minute period PutMetricAlarm accepts (10, 20, 30).
 */
export const HIGH_RES_TICK_MS = 10_000;
export const STANDARD_TICK_MS = 60_000;

/** Periods PutMetricAlarm accepts below one minute (the API reference: 10, 20, 30 and any multiple of 60). */
export const HIGH_RES_ALARM_PERIODS = [10, 20, 30];

export const isHighResolutionPeriod = (periodSeconds: number) => periodSeconds < 60;

export const isValidAlarmPeriod = (p: number) => Number.isInteger(p) && (HIGH_RES_ALARM_PERIODS.includes(p) || (p >= 60 && p % 60 === 0));

/** How often an alarm of that period is evaluated, in ms of cloud time. */
export const evaluationInterval = (periodSeconds: number) => (isHighResolutionPeriod(periodSeconds) ? HIGH_RES_TICK_MS : STANDARD_TICK_MS);

/** The latest evaluation time of an alarm of that period at or before `now`: the end of its evaluation range. */
export const evaluationTime = (periodSeconds: number, now: number) => now - (now % evaluationInterval(periodSeconds));

/**
 * The high-resolution alarms of a cloud, as `scope\nname` keys: what the 10-second ticks evaluate, so that they
 * never read the other (possibly 10,000) alarms. PutMetricAlarm adds to it; the evaluator rebuilds it from the
 * store at every full (minute) tick and drops keys whose alarm is gone or no longer high-resolution. `wake` is the
 * evaluator's hook, called when a high-resolution alarm appears so that 10-second ticks start right away.
 */
const HIGH_RESOLUTION = liveKey('cloudwatch.highResolutionAlarms', () => ({
  keys: new Set<string>(),
  wake: undefined as (() => void) | undefined,
}));

export const highResolutionAlarms = (cloud: Cloud): Set<string> => cloud.live.get(HIGH_RESOLUTION).keys;

export const alarmKey = (scope: string, name: string) => `${scope}\n${name}`;

export const onHighResolutionAlarm = (cloud: Cloud, wake: () => void) => {
  cloud.live.get(HIGH_RESOLUTION).wake = wake;
};

export function addHighResolutionAlarm(cloud: Cloud, key: string): void {
  const slot = cloud.live.get(HIGH_RESOLUTION);
  if (slot.keys.has(key)) return;
  slot.keys.add(key);
  slot.wake?.();
}
