import type { AlarmStateValue, Decision } from './alarm-rules.js';

const OPERATOR_TEXT: Record<string, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

/** Numbers as AWS prints them in reasons (Java doubles): 70.0, 38.958. */
export const javaDouble = (v: number) => (Number.isInteger(v) && Math.abs(v) < 1e7 ? v.toFixed(1) : String(v));

const two = (n: number) => String(n).padStart(2, '0');
/** dd/MM/yy HH:mm:ss in UTC, as in AWS state reasons. */
export function reasonDate(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

/** ISO 8601 with +0000, as in AWS StateReasonData and alarm messages. */
export const awsDate = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const wasWere = (n: number) => (n === 1 ? 'was' : 'were');

export interface ReasonContext {
  decision: Decision;
  newState: AlarmStateValue;
  oldState: AlarmStateValue;
  operator: string;
  threshold: number;
  datapointsToAlarm: number;
  evaluationPeriods: number;
  period: number;
  statistic?: string;
  extendedStatistic?: string;
  unit?: string;
  queryDate: number;
  rangeStart: number;
}

export function stateReason(c: ReasonContext): string {
  const { evaluated } = c.decision;
  const n = c.evaluationPeriods;
  if (c.newState === 'INSUFFICIENT_DATA') {
    const unknown = evaluated.filter((p) => p.filled).length || n;
    return `Insufficient Data: ${plural(unknown, 'datapoint')} ${wasWere(unknown)} unknown.`;
  }
  const filled = evaluated.filter((p) => p.filled);
  if (filled.length === evaluated.length && filled.length > 0) {
    const as = filled[0].breaching ? 'Breaching' : 'NonBreaching';
    return `Threshold Crossed: no datapoints were received for ${plural(filled.length, 'period')} and ${plural(filled.length, 'missing datapoint')} ${wasWere(filled.length)} treated as [${as}].`;
  }
  const toAlarm = c.newState === 'ALARM';
  const counted = evaluated.filter((p) => p.breaching === toAlarm);
  const shown = counted.filter((p) => !p.filled).map((p) => `${javaDouble(p.value as number)} (${reasonDate(p.ts)})`);
  const minimum = toAlarm ? c.datapointsToAlarm : n - c.datapointsToAlarm + 1;
  const op = `${toAlarm ? '' : 'not '}${OPERATOR_TEXT[c.operator] ?? c.operator}`;
  const filledNote = filled.length
    ? ` (${plural(filled.length, 'missing datapoint')} treated as [${filled[0].breaching ? 'Breaching' : 'NonBreaching'}])`
    : '';
  return `Threshold Crossed: ${counted.length} out of the last ${n} datapoints [${shown.join(', ')}] ${wasWere(counted.length)} ${op} the threshold (${javaDouble(c.threshold)})${filledNote} (minimum ${plural(minimum, 'datapoint')} for ${c.oldState} -> ${c.newState} transition).`;
}

/** StateReasonData as AWS writes it for metric alarms (a JSON document). */
export function stateReasonData(c: ReasonContext): string {
  const real = c.decision.evaluated.filter((p) => !p.filled);
  const data: Record<string, unknown> = {
    version: '1.0',
    queryDate: awsDate(c.queryDate),
    startDate: awsDate(c.rangeStart),
  };
  if (c.statistic) data.statistic = c.statistic;
  if (c.extendedStatistic) data.extendedStatistic = c.extendedStatistic;
  if (c.unit) data.unit = c.unit;
  data.period = c.period;
  data.recentDatapoints = [...real].reverse().map((p) => p.value);
  data.threshold = c.threshold;
  data.evaluatedDatapoints = c.decision.evaluated.map((p) =>
    p.filled ? { timestamp: awsDate(p.ts) } : { timestamp: awsDate(p.ts), sampleCount: p.sampleCount, value: p.value },
  );
  return JSON.stringify(data);
}
