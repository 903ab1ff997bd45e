/** The capacity arithmetic of scaling policies, as the EC2 Auto Scaling user guide states it. */

export type AdjustmentType = 'ChangeInCapacity' | 'ExactCapacity' | 'PercentChangeInCapacity';
export const ADJUSTMENT_TYPES: readonly AdjustmentType[] = ['ChangeInCapacity', 'ExactCapacity', 'PercentChangeInCapacity'];

export interface StepAdjustment {
  MetricIntervalLowerBound?: number;
  MetricIntervalUpperBound?: number;
  ScalingAdjustment: number;
}

/**
 * PercentChangeInCapacity: a result above 1 is rounded down, between 0 and 1 becomes 1, between -1 and 0 becomes
 * -1, below -1 is rounded up (toward zero); then a nonzero change smaller than MinAdjustmentMagnitude grows to it.
 */
export function percentChange(current: number, percent: number, minMagnitude?: number): number {
  const raw = (current * percent) / 100;
  let change = raw >= 1 ? Math.floor(raw) : raw > 0 ? 1 : raw <= -1 ? Math.ceil(raw) : raw < 0 ? -1 : 0;
  if (minMagnitude && change !== 0 && Math.abs(change) < minMagnitude) change = Math.sign(change) * minMagnitude;
  return change;
}

/** The new desired capacity for an adjustment, before the group's MinSize and MaxSize bound it. */
export function adjusted(type: AdjustmentType, current: number, adjustment: number, minMagnitude?: number): number {
  if (type === 'ExactCapacity') return adjustment;
  if (type === 'PercentChangeInCapacity') return current + percentChange(current, adjustment, minMagnitude);
  return current + adjustment;
}

export const bounded = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));

/**
 * The step whose interval holds `breach` (metric value minus the alarm's threshold). Bounds are relative to the
 * threshold; a missing lower bound is minus infinity, a missing upper one infinity. Above the threshold the lower
 * bound is inclusive and the upper exclusive; below it, the other way round.
 */
export function stepFor(steps: StepAdjustment[], breach: number): StepAdjustment | undefined {
  return steps.find((s) => {
    const lo = s.MetricIntervalLowerBound ?? -Infinity;
    const hi = s.MetricIntervalUpperBound ?? Infinity;
    return breach >= 0 ? lo <= breach && breach < hi : lo < breach && breach <= hi;
  });
}

/** Why a set of step adjustments is invalid (overlap, gap, more than one open end), or undefined when valid. */
export function invalidSteps(steps: StepAdjustment[]): string | undefined {
  if (!steps.length) return 'StepAdjustments must have at least one step adjustment.';
  if (steps.filter((s) => s.MetricIntervalLowerBound === undefined).length > 1)
    return 'Only one step adjustment can have an unspecified lower bound.';
  if (steps.filter((s) => s.MetricIntervalUpperBound === undefined).length > 1)
    return 'Only one step adjustment can have an unspecified upper bound.';
  for (const s of steps) {
    if (
      s.MetricIntervalLowerBound !== undefined &&
      s.MetricIntervalUpperBound !== undefined &&
      s.MetricIntervalLowerBound >= s.MetricIntervalUpperBound
    ) {
      return `The upper bound (${s.MetricIntervalUpperBound}) of a step adjustment must be greater than its lower bound (${s.MetricIntervalLowerBound}).`;
    }
  }
  const sorted = [...steps].sort((a, b) => (a.MetricIntervalLowerBound ?? -Infinity) - (b.MetricIntervalLowerBound ?? -Infinity));
  for (let n = 1; n < sorted.length; n++) {
    const prevHi = sorted[n - 1].MetricIntervalUpperBound;
    const lo = sorted[n].MetricIntervalLowerBound;
    if (prevHi === undefined || lo === undefined || prevHi > lo) return 'Step adjustments must not overlap.';
    if (prevHi < lo) return 'Step adjustments must not have gaps between them.';
  }
  return undefined;
}

/**
 * Target tracking: the capacity that brings the metric back to the target, assuming it scales with the number of
 * instances. Scale-out rounds up and adds at least one instance; scale-in rounds up too (it removes capacity
 * conservatively) and never adds.
 */
export function trackingCapacity(current: number, metric: number, target: number): number {
  if (current <= 0 || target <= 0) return current;
  const wanted = Math.ceil((current * metric) / target - 1e-9);
  if (metric > target) return Math.max(current + 1, wanted);
  if (metric < target) return Math.min(current, wanted);
  return current;
}
