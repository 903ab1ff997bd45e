/**
 * The rule that turns an alarm's evaluation range into a state, as the CloudWatch User Guide documents it
 * ("How alarm state is evaluated when data is missing"): with at least EvaluationPeriods real data points the most
 * recent of them decide, and TreatMissingData is not consulted; with fewer, missing periods are filled in as few
 * times as possible; with none, TreatMissingData alone decides. The guide's two example tables are unit tests.
 */
export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type TreatMissingData = 'missing' | 'ignore' | 'breaching' | 'notBreaching';

export const STATIC_OPERATORS = [
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
] as const;
export const ANOMALY_OPERATORS = [
  'LessThanLowerOrGreaterThanUpperThreshold',
  'LessThanLowerThreshold',
  'GreaterThanUpperThreshold',
] as const;
export const TREAT_MISSING: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];

/** Extra periods retrieved beyond EvaluationPeriods: the guide's example retrieves 5 data points for 3 periods. */
export const EXTRA_RANGE_PERIODS = 2;

export interface RangePoint {
  /** Start of the period. */
  ts: number;
  /** Undefined when the period has no data. */
  value?: number;
  sampleCount?: number;
}

export interface EvaluatedPoint extends RangePoint {
  breaching: boolean;
  /** A missing period filled in according to TreatMissingData. */
  filled: boolean;
}

export interface Decision {
  /** Undefined: keep the current state (TreatMissingData ignore). */
  state?: AlarmStateValue;
  /** The data points the decision was made on, newest first. */
  evaluated: EvaluatedPoint[];
}

export function breaches(operator: string, value: number, threshold: number): boolean {
  switch (operator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
    default:
      throw new Error(`unsupported comparison operator ${operator}`);
  }
}

/**
 * @param range one entry per period of the evaluation range, oldest first
 * @param n EvaluationPeriods, @param m DatapointsToAlarm
 */
export function decide(range: RangePoint[], n: number, m: number, operator: string, threshold: number, treat: TreatMissingData): Decision {
  const real = (p: RangePoint): EvaluatedPoint => ({
    ts: p.ts,
    value: p.value,
    sampleCount: p.sampleCount,
    breaching: breaches(operator, p.value as number, threshold),
    filled: false,
  });
  const existing = range.filter((p) => p.value !== undefined).map(real);
  if (existing.length >= n) {
    const evaluated = existing.slice(-n).reverse();
    return { state: evaluated.filter((p) => p.breaching).length >= m ? 'ALARM' : 'OK', evaluated };
  }
  const fills = n - existing.length;
  // Missing periods are filled from the most recent ones, so the real points stay in the evaluation.
  const missingPeriods = range.filter((p) => p.value === undefined).slice(-fills);
  const filledAs = (breaching: boolean) =>
    [...existing, ...missingPeriods.map((p) => ({ ts: p.ts, breaching, filled: true }))].sort((a, b) => b.ts - a.ts);
  const realBreaching = existing.filter((p) => p.breaching).length;
  if (treat === 'breaching') {
    const evaluated = filledAs(true);
    return { state: evaluated.filter((p) => p.breaching).length >= m ? 'ALARM' : 'OK', evaluated };
  }
  if (treat === 'notBreaching') {
    return { state: realBreaching >= m ? 'ALARM' : 'OK', evaluated: filledAs(false) };
  }
  // missing / ignore: decide from the real points when they are enough to decide.
  const evaluated = filledAs(false);
  if (existing.length === 0) return { state: treat === 'missing' ? 'INSUFFICIENT_DATA' : undefined, evaluated };
  if (realBreaching >= m) return { state: 'ALARM', evaluated };
  if (existing.length > realBreaching) return { state: 'OK', evaluated };
  // Only breaching points, too few of them: the guide's tables go to ALARM (missing) when the oldest period of
  // the range is one of them, and otherwise to INSUFFICIENT_DATA (missing) or keep the state (ignore).
  if (treat === 'missing' && range[0]?.value !== undefined) return { state: 'ALARM', evaluated };
  return { state: treat === 'missing' ? 'INSUFFICIENT_DATA' : undefined, evaluated };
}
