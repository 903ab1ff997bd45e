import { jsonTypeError } from './conform.js';
import { wireErrors } from './wire-errors.js';
import { resolve, type ServiceModel, type Shape } from './model.js';

/** The JSON 1.0 / 1.1 protocols: member names as in the model, timestamps as epoch seconds, blobs as base64. */
export function parseJsonInput(model: ServiceModel, shape: Shape | undefined, body: Buffer): Record<string, unknown> {
  if (!shape) return {};
  let doc: unknown = {};
  const text = body.toString('utf8').trim();
  if (text) {
    try {
      doc = JSON.parse(text);
    } catch {
      throw wireErrors.serialization('The request body is not valid JSON.');
    }
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw wireErrors.serialization('The request body must be a JSON object.');
  }
  return fromJson(model, resolve(model, shape), doc, '') as Record<string, unknown>;
}

function fromJson(model: ServiceModel, shape: Shape, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  const bad = (expected: string) => jsonTypeError(value, expected);
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) throw bad('structure');
      const out: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries(shape.members ?? {})) {
        const v = (value as Record<string, unknown>)[name];
        if (v !== undefined && v !== null) out[name] = fromJson(model, resolve(model, ref), v, path ? `${path}.${name}` : name);
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(value)) throw bad('list');
      const member = resolve(model, shape.member ?? { type: 'string' });
      return value.map((v, i) => fromJson(model, member, v, `${path}[${i}]`));
    }
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) throw bad('map');
      const valueShape = resolve(model, shape.value ?? { type: 'string' });
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, fromJson(model, valueShape, v, `${path}.${k}`)]),
      );
    }
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw bad(shape.type);
      return value;
    case 'float':
    case 'double':
      if (typeof value !== 'number') throw bad(shape.type);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw bad('boolean');
      return value;
    case 'timestamp': {
      const d = typeof value === 'number' ? new Date(value * 1000) : new Date(String(value));
      if (Number.isNaN(d.getTime())) throw bad('timestamp');
      return d;
    }
    case 'blob':
      return Buffer.from(String(value), 'base64');
    default:
      if (typeof value !== 'string') throw bad('string');
      return value;
  }
}

export function serializeJson(model: ServiceModel, shape: Shape | undefined, value: unknown): string {
  if (!shape || value === undefined) return '{}';
  return JSON.stringify(toJson(model, resolve(model, shape), value) ?? {});
}

function toJson(model: ServiceModel, shape: Shape, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries(shape.members ?? {})) {
        const v = toJson(model, resolve(model, ref), (value as Record<string, unknown>)[name]);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    case 'list': {
      const member = resolve(model, shape.member ?? { type: 'string' });
      return (value as unknown[]).map((v) => toJson(model, member, v));
    }
    case 'map': {
      const valueShape = resolve(model, shape.value ?? { type: 'string' });
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toJson(model, valueShape, v)]));
    }
    case 'timestamp':
      return toDate(value).getTime() / 1000;
    case 'blob':
      return Buffer.isBuffer(value) ? value.toString('base64') : Buffer.from(String(value)).toString('base64');
    default:
      return value;
  }
}

export function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(value as string | number);
}
