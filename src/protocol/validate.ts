import { constraintsOf, type ConstraintModel, type CShape } from './constraints.js';
import type { AwsError } from './errors.js';
import { wireErrors } from './wire-errors.js';
import { resolve, type ServiceModel, type Shape } from './model.js';

/** How a request reached the operation: the wire protocol decides the error format. */
export type Wire = 'ec2' | 'query' | 'json' | 'rest-json';

/** One broken constraint: where (the member path as the model names it), the value, and what it must satisfy. */
interface Violation {
  path: string[];
  value: unknown;
  kind: 'required' | 'length' | 'range' | 'enum' | 'pattern';
  /** The constraint's text in AWS's words ("Member must have length less than or equal to 255"). */
  constraint: string;
  limit?: number;
}

/**
 * Validates an operation's already-typed input against its service model, before the operation sees it: required
 * members at every depth, and, from the botocore model when installed (src/protocol/constraints.ts), string /
 * list / map lengths, number ranges, enums and patterns. The error is AWS's for the protocol: Coral's
 * "N validation error(s) detected: ..." for awsQuery and JSON services, EC2's own codes for EC2.
 */
export function validateInput(model: ServiceModel, operation: string, input: unknown, wire: Wire, ownChecks: readonly string[] = []): void {
  const constraints = constraintsOf(model);
  const found: Violation[] = [];
  const inputRef = constraints?.operations[operation]?.input;
  if (constraints && inputRef) walk({ model: constraints, found, own: new Set(ownChecks) }, inputRef.shape, input, []);
  else requiredOnly(model, model.operations[operation]?.input, input, [], found);
  if (found.length) throw errorFor(model, wire, found);
}

/** Required members only, from the parsing model, for a shape (the fallback when the botocore model is absent). */
export function checkRequired(model: ServiceModel, shape: Shape | undefined, input: unknown, wire: Wire): void {
  const found: Violation[] = [];
  requiredOnly(model, shape, input, [], found);
  if (found.length) throw errorFor(model, wire, found);
}

/** The check without the botocore model: required members only, from the parsing model. */
function requiredOnly(model: ServiceModel, shape: Shape | undefined, input: unknown, path: string[], found: Violation[]): void {
  if (!shape || input === undefined || input === null) return;
  const s = resolve(model, shape);
  if (s.type === 'structure' && typeof input === 'object') {
    const obj = input as Record<string, unknown>;
    for (const name of s.required ?? []) if (obj[name] === undefined || obj[name] === null) found.push(missing([...path, name]));
    for (const [name, ref] of Object.entries(s.members ?? {})) requiredOnly(model, ref, obj[name], [...path, name], found);
  } else if (s.type === 'list' && Array.isArray(input)) {
    input.forEach((item, i) => requiredOnly(model, s.member, item, [...path, String(i + 1), 'member'], found));
  }
}

const missing = (path: string[]): Violation => ({ path, value: null, kind: 'required', constraint: 'Member must not be null' });

interface Walk {
  model: ConstraintModel;
  found: Violation[];
  /** Shapes whose constraints the service checks itself, in its own words. */
  own: ReadonlySet<string>;
}

function walk(w: Walk, shapeName: string, value: unknown, path: string[]): void {
  const { found } = w;
  const shape = w.model.shapes[shapeName];
  if (!shape || value === undefined || value === null) return;
  if (!w.own.has(shapeName)) checkScalar(shapeName, shape, value, path, found);
  if (shape.type === 'structure' && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const name of shape.required ?? []) if (obj[name] === undefined || obj[name] === null) found.push(missing([...path, name]));
    for (const [name, ref] of Object.entries(shape.members ?? {})) walk(w, ref.shape, obj[name], [...path, name]);
  } else if (shape.type === 'list' && Array.isArray(value) && shape.member) {
    const member = shape.member.shape;
    value.forEach((item, i) => walk(w, member, item, [...path, String(i + 1), 'member']));
  } else if (shape.type === 'map' && typeof value === 'object' && shape.value) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(w, shape.value.shape, v, [...path, k]);
  }
}

function checkScalar(shapeName: string, shape: CShape, value: unknown, path: string[], found: Violation[]): void {
  const add = (kind: Violation['kind'], constraint: string, limit?: number) => found.push({ path, value, kind, constraint, limit });
  const size = sizeOf(shape, value);
  if (size !== undefined) {
    if (shape.min !== undefined && size < shape.min)
      add('length', `Member must have length greater than or equal to ${shape.min}`, shape.min);
    if (shape.max !== undefined && size > shape.max) add('length', `Member must have length less than or equal to ${shape.max}`, shape.max);
  }
  if (typeof value === 'number' && NUMERIC.has(shape.type)) {
    if (shape.min !== undefined && value < shape.min)
      add('range', `Member must have value greater than or equal to ${shape.min}`, shape.min);
    if (shape.max !== undefined && value > shape.max) add('range', `Member must have value less than or equal to ${shape.max}`, shape.max);
  }
  if (typeof value !== 'string') return;
  if (shape.enum && !OPEN_ENUMS.has(shapeName) && !shape.enum.includes(value))
    add('enum', `Member must satisfy enum value set: [${enumOrder(shape.enum).join(', ')}]`);
  if (shape.regex && !shape.regex.test(value)) add('pattern', `Member must satisfy regular expression pattern: ${shape.pattern}`);
}

const NUMERIC = new Set(['integer', 'long', 'float', 'double']);

/** Enums whose installed model lags behind what AWS accepts (new instance types every month): left to the operation. */
const OPEN_ENUMS = new Set(['InstanceType']);

function sizeOf(shape: CShape, value: unknown): number | undefined {
  if (shape.type === 'string' && typeof value === 'string') return value.length;
  if (shape.type === 'list' && Array.isArray(value)) return value.length;
  if (shape.type === 'map' && value && typeof value === 'object') return Object.keys(value).length;
  if (shape.type === 'blob' && Buffer.isBuffer(value)) return value.length;
  return undefined;
}

/**
 * AWS names some enum sets in an order of its own in its messages (observed); the others in the model's order.
 * Keyed by the sorted set, so the order follows the values, not a shape name.
 */
const OBSERVED_ORDER: string[][] = [
  ['SecureString', 'StringList', 'String'],
  ['Advanced', 'Intelligent-Tiering', 'Standard'],
];

function enumOrder(values: string[]): string[] {
  const key = [...values].sort().join('\n');
  return OBSERVED_ORDER.find((o) => [...o].sort().join('\n') === key) ?? values;
}

function errorFor(model: ServiceModel, wire: Wire, found: Violation[]): AwsError {
  if (wire === 'ec2') return ec2Error(found[0]);
  const first = found[0];
  // REST-JSON services (EFS) answer a bad request as BadRequest, naming the first problem.
  if (wire === 'rest-json') {
    const name = first.path.filter((p) => p !== 'member').join('.');
    return wireErrors.badRequest(first.kind === 'required' ? `${name} is required.` : `${name}: ${first.constraint}`);
  }
  // CloudWatch (an awsQuery service also spoken as JSON) answers a missing member over JSON in its own words.
  if (wire === 'json' && model.metadata.protocol !== 'json' && first.kind === 'required') {
    return wireErrors.parameterRequired(first.path.join('.'));
  }
  const parts = found.map((v) => `Value ${shown(v.value)} at '${coralPath(v.path)}' failed to satisfy constraint: ${v.constraint}`);
  const count = found.length === 1 ? '1 validation error detected' : `${found.length} validation errors detected`;
  const message = `${count}: ${parts.join('; ')}`;
  return model.metadata.protocol === 'json' ? wireErrors.validationException(message) : wireErrors.validationError(message);
}

/** Coral names members in lower camel case: `tags.1.member.key`. */
function coralPath(path: string[]): string {
  return path.map((p) => p.charAt(0).toLowerCase() + p.slice(1)).join('.');
}

/** A value as Coral prints it: strings and numbers quoted, lists as [a, b], null bare. */
function shown(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  return `'${javaString(value)}'`;
}

function javaString(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(javaString).join(', ')}]`;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `java.nio.HeapByteBuffer[pos=0 lim=${value.length} cap=${value.length}]`;
  if (value && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}=${javaString(v)}`)
      .join(', ')}}`;
  return String(value);
}

/** EC2 reports the first problem, in its own codes and words, naming the parameter as it travels on the wire. */
function ec2Error(v: Violation): AwsError {
  const name = v.path.filter((p) => p !== 'member').join('.');
  if (v.kind === 'required') return wireErrors.ec2ParameterRequired(name);
  const param = ec2ParamName(v.path[v.path.length - 1]);
  if (v.kind === 'range') {
    // EC2's own words (observed for maxResults 3 with a floor of 5: "Expecting a value greater than 5.").
    const expecting = v.constraint.includes('greater') ? `greater than ${v.limit}` : `less than or equal to ${v.limit}`;
    return wireErrors.invalidParameterValue(
      `Value ( ${String(v.value)} ) for parameter ${param} is invalid. Expecting a value ${expecting}.`,
    );
  }
  if (v.kind === 'length' && Array.isArray(v.value)) {
    const most = v.constraint.includes('greater') ? `at least ${v.limit}` : `at most ${v.limit}`;
    return wireErrors.invalidParameterValue(`The parameter ${name} must contain ${most} value(s).`);
  }
  if (v.kind === 'length') {
    const detail = v.constraint.includes('greater')
      ? `Length is less than minimum of ${v.limit}.`
      : `Length exceeds maximum of ${v.limit}.`;
    return wireErrors.invalidParameterValue(`Value (${javaString(v.value)}) for parameter ${param} is invalid. ${detail}`);
  }
  if (v.kind === 'enum')
    return wireErrors.invalidParameterValue(`Invalid value '${javaString(v.value)}' for ${v.path[v.path.length - 1]}.`);
  return wireErrors.invalidParameterValue(`Value (${javaString(v.value)}) for parameter ${param} is invalid.`);
}

const ec2ParamName = (member: string) => member.charAt(0).toLowerCase() + member.slice(1);
