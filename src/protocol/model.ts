import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * AWS's official service models, as shipped (minified) in the npm aws-sdk v2 package. They drive parsing,
 * validation and serialization of every request and response: no operation has hand-written wire code.
 */
export interface Shape {
  type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'float' | 'double' | 'boolean' | 'timestamp' | 'blob';
  members?: Record<string, Shape>;
  member?: Shape;
  key?: Shape;
  value?: Shape;
  required?: string[];
  locationName?: string;
  /** REST protocols: where a member travels (uri, querystring, header, headers, statusCode); the body otherwise. */
  location?: string;
  queryName?: string;
  flattened?: boolean;
  enum?: string[];
  min?: number;
  max?: number;
  timestampFormat?: string;
  xmlNamespace?: unknown;
  shape?: string;
  exception?: boolean;
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
}

export interface Operation {
  name: string;
  input?: Shape;
  output?: Shape;
  resultWrapper?: string;
  errors?: Shape[];
  /** REST protocols: the method (POST unless given), the URI template and the success status. */
  http?: { method?: string; requestUri: string; responseCode?: number };
}

export interface ServiceModel {
  metadata: {
    apiVersion: string;
    endpointPrefix: string;
    protocol: string;
    xmlNamespace?: string;
    targetPrefix?: string;
    jsonVersion?: string;
    signingName?: string;
    serviceId: string;
  };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

const require = createRequire(import.meta.url);
const apisDir = path.dirname(require.resolve('aws-sdk/apis/metadata.json'));
const cache = new Map<string, ServiceModel>();

/** Loads e.g. `ec2-2016-11-15`, resolving shape references so callers walk plain trees. */
export function loadModel(id: string): ServiceModel {
  const cached = cache.get(id);
  if (cached) return cached;
  const raw = JSON.parse(readFileSync(path.join(apisDir, `${id}.min.json`), 'utf8')) as {
    metadata: ServiceModel['metadata'];
    operations: Record<string, { input?: Shape; output?: Shape & { resultWrapper?: string }; errors?: Shape[]; http?: Operation['http'] }>;
    shapes: Record<string, Shape>;
  };
  const operations: Record<string, Operation> = {};
  for (const [name, op] of Object.entries(raw.operations)) {
    operations[name] = {
      name,
      input: op.input,
      output: op.output,
      resultWrapper: op.output?.resultWrapper,
      errors: op.errors,
      http: op.http,
    };
  }
  const model: ServiceModel = { metadata: raw.metadata, operations, shapes: raw.shapes };
  cache.set(id, model);
  return model;
}

/** Resolved shapes by their reference: a reference belongs to one model, and models never change once loaded. */
const resolved = new WeakMap<Shape, Shape>();

/** The shape a member points at, with the member's own traits (locationName, ...) laid over it. */
export function resolve(model: ServiceModel, ref: Shape): Shape {
  const cached = resolved.get(ref);
  if (cached) return cached;
  let out: Shape;
  if (!ref.shape) out = ref.type ? ref : { ...ref, type: 'string' };
  else {
    const target = model.shapes[ref.shape];
    if (!target) throw new Error(`model ${model.metadata.serviceId} has no shape ${ref.shape}`);
    const { shape: _ignored, ...traits } = ref;
    const base = resolve(model, target);
    out = { ...base, ...traits, type: base.type };
  }
  resolved.set(ref, out);
  return out;
}
