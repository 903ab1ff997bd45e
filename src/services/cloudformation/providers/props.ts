import type { Props } from './types.js';

/**
 * A resource's resolved Properties read by type: each reader takes what CloudFormation accepts for that type (a
 * template may give `"true"` or `true`, `"10"` or `10`) and fails a value of the wrong type as CloudFormation's
 * schema validation does: `Properties validation failed for resource Web with message: #/Port: expected type:
 * Integer, found: JSONObject`.
 */
export class PropsReader {
  private readonly values: Record<string, unknown>;

  constructor(
    readonly logicalId: string,
    values: Props,
    private readonly path = '#',
  ) {
    this.values = values;
  }

  /** Whether the template gives the property. */
  has(key: string): boolean {
    return this.values[key] !== undefined && this.values[key] !== null;
  }

  /** The value as the template gives it, for properties passed on whole (compared, or handed to a service as JSON). */
  raw(key: string): unknown {
    return this.values[key];
  }

  /** A String property; numbers and booleans are taken as their text, as CloudFormation does. */
  str(key: string): string | undefined {
    const v = this.values[key];
    if (v === undefined || v === null) return undefined;
    const s = text(v);
    if (s === undefined) throw this.wrongType(key, 'String', v);
    return s;
  }

  /** A String property the resource cannot do without. */
  requiredStr(key: string): string {
    return this.required(key, this.str(key));
  }

  /** A Number property the resource cannot do without. */
  requiredNum(key: string): number {
    return this.required(key, this.num(key));
  }

  /** A JSON document property the resource cannot do without. */
  requiredJson(key: string): string {
    return this.required(key, this.json(key));
  }

  /** A Number or Integer property; a string holding a number is taken as that number. */
  num(key: string): number | undefined {
    const v = this.values[key];
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw this.wrongType(key, 'Number', v);
    return n;
  }

  /** A Boolean property; the strings "true" and "false" (in any case) are taken as booleans. */
  bool(key: string): boolean | undefined {
    const v = this.values[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    const s = typeof v === 'string' ? v.toLowerCase() : undefined;
    if (s === 'true') return true;
    if (s === 'false') return false;
    throw this.wrongType(key, 'Boolean', v);
  }

  /** A list of strings. */
  strList(key: string): string[] | undefined {
    return this.list(key)?.map((v, i) => {
      const s = text(v);
      if (s === undefined) throw this.invalid(`${this.path}/${key}/${i}: expected type: String, found: ${found(v)}`);
      return s;
    });
  }

  /** A list of numbers (or strings holding numbers). */
  numList(key: string): number[] | undefined {
    return this.list(key)?.map((v, i) => {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
      if (!Number.isFinite(n)) throw this.invalid(`${this.path}/${key}/${i}: expected type: Number, found: ${found(v)}`);
      return n;
    });
  }

  /** A nested object property, read the same way. */
  obj(key: string): PropsReader | undefined {
    const v = this.values[key];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) throw this.wrongType(key, 'JSONObject', v);
    return new PropsReader(this.logicalId, v, `${this.path}/${key}`);
  }

  /** A list of objects, each read the same way. */
  objList(key: string): PropsReader[] | undefined {
    const list = this.list(key);
    return list?.map((v, i) => {
      if (!isObject(v)) throw this.invalid(`${this.path}/${key}/${i}: expected type: JSONObject, found: ${found(v)}`);
      return new PropsReader(this.logicalId, v, `${this.path}/${key}/${i}`);
    });
  }

  /** A property that is a JSON document (a policy): given as an object or as its text; returned as text. */
  json(key: string): string | undefined {
    const v = this.values[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (isObject(v)) return JSON.stringify(v);
    throw this.wrongType(key, 'JSONObject', v);
  }

  /** A Tags property ([{Key, Value}]), a missing Value being empty. */
  tags(key = 'Tags'): Array<{ Key: string; Value: string }> {
    return (this.objList(key) ?? []).map((t) => ({ Key: t.requiredStr('Key'), Value: t.str('Value') ?? '' }));
  }

  /** The keys the template gives. */
  keys(): string[] {
    return Object.keys(this.values).filter((k) => this.has(k));
  }

  private list(key: string): unknown[] | undefined {
    const v = this.values[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw this.wrongType(key, 'JSONArray', v);
    return v as unknown[];
  }

  private required<T>(key: string, value: T | undefined): T {
    if (value === undefined) throw this.invalid(`${this.path}: required key [${key}] not found`);
    return value;
  }

  private wrongType(key: string, expected: string, v: unknown): Error {
    return this.invalid(`${this.path}/${key}: expected type: ${expected}, found: ${found(v)}`);
  }

  private invalid(message: string): Error {
    return new Error(`Properties validation failed for resource ${this.logicalId} with message: ${message}`);
  }
}

/** Reads `props`, the resolved Properties of the resource `logicalId`. */
export function propsOf(props: Props, logicalId: string): PropsReader {
  return new PropsReader(logicalId, props);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A scalar as text (numbers and booleans as CloudFormation turns them into strings); undefined for anything else. */
function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** The JSON type of a value as CloudFormation's validation names it. */
function found(v: unknown): string {
  if (Array.isArray(v)) return 'JSONArray';
  if (v === null) return 'Null';
  if (typeof v === 'object') return 'JSONObject';
  if (typeof v === 'number') return Number.isInteger(v) ? 'Integer' : 'Number';
  if (typeof v === 'boolean') return 'Boolean';
  return 'String';
}
