import { cloudwatchErrors } from './errors.js';
import type { AlarmStateValue } from './alarm-rules.js';

/**
 * A composite alarm's AlarmRule: ALARM(x), OK(x), INSUFFICIENT_DATA(x) on alarm names or ARNs (quoted or not),
 * TRUE, FALSE, NOT, AND, OR and parentheses; AND binds tighter than OR.
 */
export type Rule =
  | { t: 'const'; v: boolean }
  | { t: 'state'; state: AlarmStateValue; alarm: string }
  | { t: 'not'; e: Rule }
  | { t: 'and' | 'or'; l: Rule; r: Rule };

const STATE_FUNCTIONS: AlarmStateValue[] = ['ALARM', 'OK', 'INSUFFICIENT_DATA'];

function tokenize(rule: string): string[] {
  const tokens: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|\(|\)|[^\s()"]+)/y;
  let pos = 0;
  while (pos < rule.length) {
    if (/^\s*$/.test(rule.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(rule);
    if (!m) throw cloudwatchErrors.alarmRuleInvalid(`unexpected character at position ${pos + 1}`);
    tokens.push(m[1]);
    pos = re.lastIndex;
  }
  return tokens;
}

/** An alarm referenced by ARN is named by the ARN's last part. */
const alarmName = (ref: string) => {
  const m = /^arn:aws:cloudwatch:[^:]*:\d*:alarm:(.+)$/.exec(ref);
  return m ? m[1] : ref;
};

export function parseRule(rule: string): Rule {
  if (!rule.trim() || rule.length > 10240) throw cloudwatchErrors.alarmRuleInvalid('it must be 1 to 10240 characters long');
  const tokens = tokenize(rule);
  let i = 0;
  const peek = () => tokens[i]?.toUpperCase();
  const take = (want?: string) => {
    const tok = tokens[i];
    if (tok === undefined || (want !== undefined && tok.toUpperCase() !== want))
      throw cloudwatchErrors.alarmRuleInvalid(want ? `expected ${want}` : 'unexpected end');
    i++;
    return tok;
  };
  const or = (): Rule => {
    let node = and();
    while (peek() === 'OR') node = (take(), { t: 'or', l: node, r: and() });
    return node;
  };
  const and = (): Rule => {
    let node = unary();
    while (peek() === 'AND') node = (take(), { t: 'and', l: node, r: unary() });
    return node;
  };
  const unary = (): Rule => {
    const tok = take();
    const upper = tok.toUpperCase();
    if (upper === 'NOT') return { t: 'not', e: unary() };
    if (upper === 'TRUE' || upper === 'FALSE') return { t: 'const', v: upper === 'TRUE' };
    if (tok === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if ((STATE_FUNCTIONS as string[]).includes(upper)) {
      take('(');
      const ref = take();
      take(')');
      const unquoted = ref.startsWith('"') ? ref.slice(1, -1).replace(/\\(.)/g, '$1') : ref;
      return { t: 'state', state: upper as AlarmStateValue, alarm: alarmName(unquoted) };
    }
    throw cloudwatchErrors.alarmRuleInvalid(`unexpected '${tok}'`);
  };
  const node = or();
  if (i < tokens.length) throw cloudwatchErrors.alarmRuleInvalid(`unexpected '${tokens[i]}'`);
  return node;
}

export function ruleAlarms(rule: Rule): string[] {
  switch (rule.t) {
    case 'state':
      return [rule.alarm];
    case 'not':
      return ruleAlarms(rule.e);
    case 'and':
    case 'or':
      return [...ruleAlarms(rule.l), ...ruleAlarms(rule.r)];
    default:
      return [];
  }
}

export function evaluateRule(rule: Rule, stateOf: (alarm: string) => AlarmStateValue | undefined): boolean {
  switch (rule.t) {
    case 'const':
      return rule.v;
    case 'state':
      return stateOf(rule.alarm) === rule.state;
    case 'not':
      return !evaluateRule(rule.e, stateOf);
    case 'and':
      return evaluateRule(rule.l, stateOf) && evaluateRule(rule.r, stateOf);
    case 'or':
      return evaluateRule(rule.l, stateOf) || evaluateRule(rule.r, stateOf);
  }
}
