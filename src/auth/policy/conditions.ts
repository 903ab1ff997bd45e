import { splitOperator, type ConditionBlock } from './document.js';
import { ipInCidr } from './ip.js';
import { substitute } from './variables.js';
import { arnMatch, globMatch } from './wildcard.js';

export type ContextValue = string | string[];
export type ConditionContext = Record<string, ContextValue>;

type Compare = (contextValue: string, policyValue: string) => boolean;

const num = (s: string) => (s.trim() === '' ? Number.NaN : Number(s));
const numeric =
  (f: (a: number, b: number) => boolean): Compare =>
  (c, p) => {
    const a = num(c);
    const b = num(p);
    return !Number.isNaN(a) && !Number.isNaN(b) && f(a, b);
  };
const time = (s: string) => (/^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s));
const dated =
  (f: (a: number, b: number) => boolean): Compare =>
  (c, p) => {
    const a = time(c);
    const b = time(p);
    return !Number.isNaN(a) && !Number.isNaN(b) && f(a, b);
  };

/** Each operator as a positive comparison; `negated` ones hold when no policy value matches. */
const OPERATORS: Record<string, { compare: Compare; negated?: boolean; variables?: boolean }> = {
  StringEquals: { compare: (c, p) => c === p, variables: true },
  StringNotEquals: { compare: (c, p) => c === p, negated: true, variables: true },
  StringEqualsIgnoreCase: { compare: (c, p) => c.toLowerCase() === p.toLowerCase(), variables: true },
  StringNotEqualsIgnoreCase: { compare: (c, p) => c.toLowerCase() === p.toLowerCase(), negated: true, variables: true },
  StringLike: { compare: (c, p) => globMatch(p, c), variables: true },
  StringNotLike: { compare: (c, p) => globMatch(p, c), negated: true, variables: true },
  NumericEquals: { compare: numeric((a, b) => a === b) },
  NumericNotEquals: { compare: numeric((a, b) => a === b), negated: true },
  NumericLessThan: { compare: numeric((a, b) => a < b) },
  NumericLessThanEquals: { compare: numeric((a, b) => a <= b) },
  NumericGreaterThan: { compare: numeric((a, b) => a > b) },
  NumericGreaterThanEquals: { compare: numeric((a, b) => a >= b) },
  DateEquals: { compare: dated((a, b) => a === b) },
  DateNotEquals: { compare: dated((a, b) => a === b), negated: true },
  DateLessThan: { compare: dated((a, b) => a < b) },
  DateLessThanEquals: { compare: dated((a, b) => a <= b) },
  DateGreaterThan: { compare: dated((a, b) => a > b) },
  DateGreaterThanEquals: { compare: dated((a, b) => a >= b) },
  Bool: { compare: (c, p) => c.toLowerCase() === p.toLowerCase() },
  BinaryEquals: { compare: (c, p) => c === p },
  IpAddress: { compare: (c, p) => ipInCidr(c, p) },
  NotIpAddress: { compare: (c, p) => ipInCidr(c, p), negated: true },
  ArnEquals: { compare: (c, p) => arnMatch(p, c), variables: true },
  ArnLike: { compare: (c, p) => arnMatch(p, c), variables: true },
  ArnNotEquals: { compare: (c, p) => arnMatch(p, c), negated: true, variables: true },
  ArnNotLike: { compare: (c, p) => arnMatch(p, c), negated: true, variables: true },
};

/** Condition keys are not case-sensitive; their values are. */
export function contextLookup(context: ConditionContext): (key: string) => ContextValue | undefined {
  const lower = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  return (key) => lower.get(key.toLowerCase());
}

/**
 * Whether a statement's Condition block holds: every operator, and within it every key, must hold; the values
 * listed for one key are alternatives.
 */
export function conditionsHold(
  block: ConditionBlock | undefined,
  lookup: (key: string) => ContextValue | undefined,
  variables = true,
): boolean {
  if (!block) return true;
  for (const [operatorName, keys] of Object.entries(block)) {
    const op = splitOperator(operatorName);
    if (!op) return false;
    for (const [key, raw] of Object.entries(keys)) {
      const policyValues = (Array.isArray(raw) ? raw : [raw]).map(String);
      if (!keyHolds(op, key, policyValues, lookup, variables)) return false;
    }
  }
  return true;
}

function keyHolds(
  op: NonNullable<ReturnType<typeof splitOperator>>,
  key: string,
  policyValues: string[],
  lookup: (key: string) => ContextValue | undefined,
  variables: boolean,
): boolean {
  const found = lookup(key);
  const present = found !== undefined && !(Array.isArray(found) && found.length === 0);
  if (op.base === 'Null') return policyValues.some((v) => (v.toLowerCase() === 'true' ? !present : present));

  const spec = OPERATORS[op.base];
  if (!present) {
    if (op.ifExists) return true;
    if (op.qualifier === 'ForAllValues') return true;
    if (op.qualifier === 'ForAnyValue') return false;
    return spec.negated === true;
  }
  const expected =
    spec.variables && variables ? policyValues.map((v) => substitute(v, lookup)).filter((v): v is string => v !== undefined) : policyValues;
  const values = Array.isArray(found) ? found : [found];
  const matchesAny = (c: string) => expected.some((p) => spec.compare(c, p));
  if (op.qualifier === 'ForAllValues') return values.every((c) => (spec.negated ? !matchesAny(c) : matchesAny(c)));
  if (op.qualifier === 'ForAnyValue') return values.some((c) => (spec.negated ? !matchesAny(c) : matchesAny(c)));
  return spec.negated ? !values.some(matchesAny) : values.some(matchesAny);
}
