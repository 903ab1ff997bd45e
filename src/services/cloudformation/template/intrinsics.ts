import { cfnErrors } from '../errors.js';
import { cidrSubnets } from './cidr.js';

/** What `Ref: AWS::NoValue` evaluates to: removed from the object or list that holds it. */
export const NO_VALUE = Symbol('AWS::NoValue');

export const FUNCTIONS = new Set([
  'Ref',
  'Fn::GetAtt',
  'Fn::Join',
  'Fn::Sub',
  'Fn::Select',
  'Fn::Split',
  'Fn::GetAZs',
  'Fn::FindInMap',
  'Fn::Base64',
  'Fn::Cidr',
  'Fn::If',
  'Fn::Equals',
  'Fn::And',
  'Fn::Or',
  'Fn::Not',
  'Fn::ImportValue',
  'Condition',
]);

/** Where the values of an evaluation come from. */
export interface Scope {
  /** Parameters and pseudo parameters by name (lists for List<...> and CommaDelimitedList parameters). */
  params: Record<string, string | string[]>;
  mappings: Record<string, Record<string, Record<string, unknown>>>;
  /** Whether a condition (of the Conditions section) is true. */
  condition(name: string): boolean;
  /** A resource's Ref value; undefined when the name is not a resource. */
  ref(logicalId: string): string | undefined;
  /** A resource's attribute (Fn::GetAtt). */
  getAtt(logicalId: string, attribute: string): unknown;
  zones(region: string): string[];
  importValue(name: string): string;
  region: string;
  /** Change set previews: values of resources not made yet are placeholders, and functions of them too. */
  pending?: boolean;
}

export const PENDING_MARK = '{{halo:pending:';

/** The single `Fn::*`/`Ref`/`Condition` key of an object that is a function call, else undefined. */
export function functionOf(value: unknown, allowCondition = false): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const key = keys[0];
  if (key === 'Ref' || key.startsWith('Fn::')) return key;
  if (key === 'Condition' && allowCondition && typeof (value as Record<string, unknown>).Condition === 'string') return key;
  return undefined;
}

/** Evaluates every intrinsic function in value; `AWS::NoValue` is removed from objects and lists. */
export function evaluate(value: unknown, scope: Scope, inCondition = false): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => evaluate(v, scope, inCondition)).filter((v) => v !== NO_VALUE);
  }
  if (value && typeof value === 'object') {
    const fn = functionOf(value, inCondition);
    if (fn)
      return scope.pending
        ? callPending(fn, (value as Record<string, unknown>)[fn], scope)
        : call(fn, (value as Record<string, unknown>)[fn], scope);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = evaluate(v, scope, inCondition);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }
  return value;
}

/** In a preview, a function that cannot work on a placeholder gives a placeholder. */
function callPending(fn: string, arg: unknown, scope: Scope): unknown {
  try {
    return call(fn, arg, scope);
  } catch (err) {
    let input: unknown;
    try {
      input = evaluate(arg, scope);
    } catch {
      throw err;
    }
    if (JSON.stringify(input)?.includes(PENDING_MARK)) return `${PENDING_MARK}${fn}}}`;
    throw err;
  }
}

function call(fn: string, arg: unknown, scope: Scope): unknown {
  switch (fn) {
    case 'Ref':
      return ref(arg, scope);
    case 'Fn::GetAtt':
      return getAtt(arg, scope);
    case 'Fn::Join': {
      const [delim, list] = args(fn, arg, 2);
      const items = evaluate(list, scope);
      if (!Array.isArray(items))
        throw cfnErrors.templateError(
          'every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.',
        );
      return items.map((i) => scalar(fn, i)).join(String(evaluate(delim, scope)));
    }
    case 'Fn::Sub':
      return sub(arg, scope);
    case 'Fn::Select': {
      const [index, list] = args(fn, arg, 2);
      const items = evaluate(list, scope);
      const i = Number(evaluate(index, scope));
      if (!Array.isArray(items))
        throw cfnErrors.templateError('Fn::Select requires a list argument with two elements: an integer index and a list');
      if (!Number.isInteger(i) || i < 0 || i >= items.length)
        throw cfnErrors.templateError(`Fn::Select cannot select nonexistent value at index ${String(evaluate(index, scope))}`);
      return items[i];
    }
    case 'Fn::Split': {
      const [delim, source] = args(fn, arg, 2);
      return scalar(fn, evaluate(source, scope)).split(String(evaluate(delim, scope)));
    }
    case 'Fn::GetAZs': {
      const region = arg === undefined || arg === null ? '' : scalar(fn, evaluate(arg, scope));
      return scope.zones(region || scope.region);
    }
    case 'Fn::FindInMap': {
      const [map, top, second] = args(fn, arg, 3).map((a) => scalar(fn, evaluate(a, scope)));
      const mapping = scope.mappings[map];
      if (!mapping) throw cfnErrors.templateError(`Unable to get mapping for ${map}`);
      const level = mapping[top];
      if (!level || !(second in level)) throw cfnErrors.templateError(`Unable to get mapping for ${map}::${top}::${second}`);
      return level[second];
    }
    case 'Fn::Base64':
      return Buffer.from(scalar(fn, evaluate(arg, scope)), 'utf8').toString('base64');
    case 'Fn::Cidr': {
      const [block, count, bits] = args(fn, arg, 3).map((a) => scalar(fn, evaluate(a, scope)));
      try {
        return cidrSubnets(block, Number(count), Number(bits));
      } catch (err) {
        throw cfnErrors.templateError(`Fn::Cidr: ${(err as Error).message}`);
      }
    }
    case 'Fn::If': {
      const [name, whenTrue, whenFalse] = args(fn, arg, 3);
      if (typeof name !== 'string') throw cfnErrors.templateError('Fn::If requires a condition name as its first argument');
      return evaluate(scope.condition(name) ? whenTrue : whenFalse, scope);
    }
    case 'Fn::Equals': {
      const [a, b] = args(fn, arg, 2).map((x) => evaluate(x, scope, true));
      return JSON.stringify(normal(a)) === JSON.stringify(normal(b));
    }
    case 'Fn::And':
    case 'Fn::Or': {
      if (!Array.isArray(arg) || arg.length < 2 || arg.length > 10)
        throw cfnErrors.templateError(`${fn} requires between 2 and 10 conditions`);
      const values = arg.map((c) => truth(fn, evaluate(c, scope, true)));
      return fn === 'Fn::And' ? values.every(Boolean) : values.some(Boolean);
    }
    case 'Fn::Not': {
      const [c] = args(fn, arg, 1);
      return !truth(fn, evaluate(c, scope, true));
    }
    case 'Condition':
      return scope.condition(String(arg));
    case 'Fn::ImportValue':
      return scope.importValue(scalar(fn, evaluate(arg, scope)));
    default:
      throw cfnErrors.templateError(
        `Encountered unsupported function: ${fn} Supported functions are: [${[...FUNCTIONS].filter((f) => f.startsWith('Fn::')).join(', ')}]`,
      );
  }
}

function ref(arg: unknown, scope: Scope): unknown {
  if (typeof arg !== 'string') throw cfnErrors.templateError('Every Ref object must have a single String value.');
  if (arg === 'AWS::NoValue') return NO_VALUE;
  if (arg in scope.params) return scope.params[arg];
  const value = scope.ref(arg);
  if (value === undefined) throw cfnErrors.unresolvedDependency(arg);
  return value;
}

function getAtt(arg: unknown, scope: Scope): unknown {
  let parts = typeof arg === 'string' ? splitAttr(arg) : arg;
  if (!Array.isArray(parts) || parts.length !== 2)
    throw cfnErrors.templateError('Fn::GetAtt requires a list of two elements: a resource name and an attribute name');
  parts = [parts[0], evaluate(parts[1], scope)];
  const [logicalId, attribute] = parts as [unknown, unknown];
  if (typeof logicalId !== 'string' || typeof attribute !== 'string') throw cfnErrors.templateError('Fn::GetAtt arguments must be strings');
  return scope.getAtt(logicalId, attribute);
}

export function splitAttr(s: string): string[] {
  const dot = s.indexOf('.');
  return dot < 0 ? [s] : [s.slice(0, dot), s.slice(dot + 1)];
}

/** Variables of a Fn::Sub string: `${Name}` and `${Resource.Attribute}`; `${!Literal}` stays literal. */
export function subVariables(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/\$\{([^}]*)\}/g)) if (!m[1].startsWith('!')) names.push(m[1].trim());
  return names;
}

function sub(arg: unknown, scope: Scope): string {
  const [text, vars] = typeof arg === 'string' ? [arg, {}] : args('Fn::Sub', arg, 2);
  if (typeof text !== 'string') throw cfnErrors.templateError('Fn::Sub requires a string, or a list of a string and a map of variables');
  if (!vars || typeof vars !== 'object' || Array.isArray(vars))
    throw cfnErrors.templateError('The second argument of Fn::Sub must be a map of variables');
  const values = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, evaluate(v, scope)]));
  return text.replace(/\$\{([^}]*)\}/g, (_all, raw: string) => {
    if (raw.startsWith('!')) return `\${${raw.slice(1)}}`;
    const name = raw.trim();
    if (name in values) return scalar('Fn::Sub', values[name]);
    if (name in scope.params) return scalar('Fn::Sub', scope.params[name]);
    if (name.includes('.')) {
      const [res, att] = splitAttr(name);
      return scalar('Fn::Sub', scope.getAtt(res, att));
    }
    const r = scope.ref(name);
    if (r === undefined) throw cfnErrors.unresolvedDependency(name);
    return r;
  });
}

function args(fn: string, arg: unknown, n: number): unknown[] {
  if (!Array.isArray(arg) || arg.length !== n) throw cfnErrors.templateError(`${fn} requires a list of ${n} argument${n > 1 ? 's' : ''}`);
  return arg;
}

function scalar(fn: string, v: unknown): string {
  if (Array.isArray(v)) {
    // A list parameter referenced where a string is expected: AWS joins it with commas.
    if (v.every((x) => typeof x !== 'object')) return v.join(',');
  }
  if (v === null || v === undefined || typeof v === 'object' || typeof v === 'symbol') {
    throw cfnErrors.templateError(`${fn} requires string values; got ${JSON.stringify(v) ?? String(v)}`);
  }
  return String(v);
}

function truth(fn: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw cfnErrors.templateError(`${fn} requires condition values (Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition)`);
}

/** Scalars compare as strings in Fn::Equals ("10" equals 10, "true" equals true). */
function normal(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normal);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normal(x)]));
  return v === undefined ? null : String(v);
}
