import type { AwsError } from './errors.js';
import { wireErrors } from './wire-errors.js';
import { resolve, type ServiceModel, type Shape } from './model.js';

/**
 * Brings an in-process input (Cloud.invoke) to the types the wire parsers produce, as if it had travelled: a
 * number or boolean given as text becomes one (CloudFormation templates carry numbers as strings), a scalar where
 * a string is expected becomes its text, a timestamp becomes a Date. A value that no wire could carry as the model
 * says is refused with the protocol's type error.
 */
export function conformInput(model: ServiceModel, shape: Shape | undefined, input: unknown): unknown {
  if (!shape) return input;
  return conform(model, resolve(model, shape), input, '');
}

function conform(model: ServiceModel, shape: Shape, value: unknown, path: string): unknown {
  if (value === undefined || value === null) return value;
  const bad = (expected: string) => typeError(model, path, value, expected);
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) throw bad('structure');
      const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      for (const [name, ref] of Object.entries(shape.members ?? {})) {
        if (out[name] !== undefined) out[name] = conform(model, resolve(model, ref), out[name], path ? `${path}.${name}` : name);
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(value)) throw bad('list');
      const member = resolve(model, shape.member ?? { type: 'string' });
      return value.map((v, i) => conform(model, member, v, `${path}.${i + 1}`));
    }
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) throw bad('map');
      const valueShape = resolve(model, shape.value ?? { type: 'string' });
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, conform(model, valueShape, v, `${path}.${k}`)]),
      );
    }
    case 'integer':
    case 'long': {
      const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number.parseInt(value, 10) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) throw bad('integer');
      return n;
    }
    case 'float':
    case 'double': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || Number.isNaN(n)) throw bad('number');
      return n;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw bad('boolean');
    }
    case 'timestamp': {
      if (value instanceof Date) return value;
      const d = typeof value === 'number' ? new Date(value * 1000) : typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
      if (Number.isNaN(d.getTime())) throw bad('timestamp');
      return d;
    }
    case 'blob':
      return value;
    default:
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      throw bad('string');
  }
}

/** The type error of the service's protocol: JSON services say it as Coral's deserializer does. */
function typeError(model: ServiceModel, path: string, value: unknown, expected: string): AwsError {
  if (model.metadata.protocol === 'json') return jsonTypeError(value, expected);
  return wireErrors.invalidParameterValue(
    `Value (${String(value)}) for parameter ${path} is invalid. Expected ${ARTICLE[expected] ?? 'a'} ${expected}.`,
  );
}

const ARTICLE: Record<string, string> = { integer: 'an' };

/** Coral's JSON deserializer: "STRING_VALUE can not be converted to an Integer", "Start of list found where not expected". */
export function jsonTypeError(value: unknown, expected: string): AwsError {
  if (Array.isArray(value)) return wireErrors.serialization('Start of list found where not expected');
  if (value !== null && typeof value === 'object') return wireErrors.serialization('Start of structure or map found where not expected.');
  const kind =
    typeof value === 'string'
      ? 'STRING_VALUE'
      : typeof value === 'number'
        ? 'NUMBER_VALUE'
        : typeof value === 'boolean'
          ? 'BOOLEAN_VALUE'
          : 'VALUE';
  const target = JAVA_TYPE[expected] ?? 'a String';
  return wireErrors.serialization(`${kind} can not be converted to ${target}`);
}

const JAVA_TYPE: Record<string, string> = {
  integer: 'an Integer',
  long: 'a Long',
  number: 'a Double',
  float: 'a Float',
  double: 'a Double',
  boolean: 'a Boolean',
  timestamp: 'a Timestamp',
  string: 'a String',
  structure: 'a Structure',
  list: 'a List',
  map: 'a Map',
};
