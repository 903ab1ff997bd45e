import { wireErrors } from './wire-errors.js';
import { resolve, type ServiceModel, type Shape } from './model.js';

/**
 * Reads a flat query parameter map (Action=...&Foo.1.Bar=...) into the operation's input shape, for both the
 * `ec2` and the `query` (awsQuery) protocols, which name and nest members differently.
 */
export type Flavor = 'ec2' | 'query';

export function parseQueryInput(
  model: ServiceModel,
  shape: Shape | undefined,
  params: Map<string, string>,
  flavor: Flavor,
): Record<string, unknown> {
  if (!shape) return {};
  const index = new PrefixIndex(params);
  return readStructure(model, resolve(model, shape), '', index, flavor) ?? {};
}

/** Keys grouped by prefix, so lists and nested structures find their entries without scanning every key. */
class PrefixIndex {
  private readonly keys: string[];
  constructor(readonly params: Map<string, string>) {
    this.keys = [...params.keys()].sort();
  }

  has(prefix: string): boolean {
    if (this.params.has(prefix)) return true;
    const dotted = `${prefix}.`;
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.keys[mid] < dotted) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.keys.length && this.keys[lo].startsWith(dotted);
  }

  /** The distinct positive integers N for which `${prefix}.N` begins some key, ascending. */
  indices(prefix: string): number[] {
    const dotted = `${prefix}.`;
    const found = new Set<number>();
    for (const key of this.keys) {
      if (!key.startsWith(dotted)) continue;
      const rest = key.slice(dotted.length);
      const n = Number.parseInt(rest, 10);
      if (String(n) === rest.split('.')[0] && n > 0) found.add(n);
    }
    return [...found].sort((a, b) => a - b);
  }
}

function memberKey(name: string, member: Shape, flavor: Flavor): string {
  if (flavor === 'ec2') {
    if (member.queryName) return member.queryName;
    if (member.locationName) return member.locationName[0].toUpperCase() + member.locationName.slice(1);
    return name;
  }
  return member.locationName ?? name;
}

const join = (prefix: string, key: string) => (prefix ? `${prefix}.${key}` : key);

function readStructure(
  model: ServiceModel,
  shape: Shape,
  prefix: string,
  index: PrefixIndex,
  flavor: Flavor,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let any = false;
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    const member = resolve(model, ref);
    const key = join(prefix, memberKey(name, ref, flavor));
    const value = readValue(model, member, key, index, flavor);
    if (value !== undefined) {
      out[name] = value;
      any = true;
    }
  }
  return any || !prefix ? out : undefined;
}

function readValue(model: ServiceModel, shape: Shape, key: string, index: PrefixIndex, flavor: Flavor): unknown {
  switch (shape.type) {
    case 'structure':
      return index.has(key) ? (readStructure(model, shape, key, index, flavor) ?? {}) : undefined;
    case 'list':
      return readList(model, shape, key, index, flavor);
    case 'map':
      return readMap(model, shape, key, index, flavor);
    default: {
      const raw = index.params.get(key);
      return raw === undefined ? undefined : scalar(shape, raw, key);
    }
  }
}

function readList(model: ServiceModel, shape: Shape, key: string, index: PrefixIndex, flavor: Flavor): unknown[] | undefined {
  const member = resolve(model, shape.member ?? { type: 'string' });
  let base = key;
  if (flavor === 'query' && !shape.flattened) {
    base = `${key}.${shape.member?.locationName ?? 'member'}`;
    // An empty list is sent as the bare key with an empty value.
    if (index.params.get(key) === '' && !index.has(base)) return [];
  }
  const ns = index.indices(base);
  if (ns.length === 0) return undefined;
  return ns.map((n) => readValue(model, member, `${base}.${n}`, index, flavor) ?? (member.type === 'structure' ? {} : ''));
}

function readMap(model: ServiceModel, shape: Shape, key: string, index: PrefixIndex, flavor: Flavor): Record<string, unknown> | undefined {
  const base = shape.flattened ? key : `${key}.entry`;
  const ns = index.indices(base);
  if (ns.length === 0) return undefined;
  const keyName = shape.key?.locationName ?? 'key';
  const valueName = shape.value?.locationName ?? 'value';
  const valueShape = resolve(model, shape.value ?? { type: 'string' });
  const out: Record<string, unknown> = {};
  for (const n of ns) {
    const k = index.params.get(`${base}.${n}.${keyName}`);
    if (k === undefined) continue;
    out[k] = readValue(model, valueShape, `${base}.${n}.${valueName}`, index, flavor);
  }
  return out;
}

function scalar(shape: Shape, raw: string, key: string): unknown {
  switch (shape.type) {
    case 'integer':
    case 'long': {
      if (!/^-?\d+$/.test(raw.trim()))
        throw wireErrors.invalidParameterValue(`Value (${raw}) for parameter ${key} is invalid. Expected an integer.`);
      return Number.parseInt(raw, 10);
    }
    case 'float':
    case 'double': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n))
        throw wireErrors.invalidParameterValue(`Value (${raw}) for parameter ${key} is invalid. Expected a number.`);
      return n;
    }
    case 'boolean': {
      const v = raw.toLowerCase();
      if (v !== 'true' && v !== 'false')
        throw wireErrors.invalidParameterValue(`Value (${raw}) for parameter ${key} is invalid. Expected 'true' or 'false'.`);
      return v === 'true';
    }
    case 'timestamp': {
      const d = /^\d+(\.\d+)?$/.test(raw) ? new Date(Number(raw) * 1000) : new Date(raw);
      if (Number.isNaN(d.getTime()))
        throw wireErrors.invalidParameterValue(`Value (${raw}) for parameter ${key} is invalid. Expected a timestamp.`);
      return d;
    }
    case 'blob':
      return Buffer.from(raw, 'base64');
    default:
      return raw;
  }
}
