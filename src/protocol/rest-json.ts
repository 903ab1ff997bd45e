import { headerValue } from './headers.js';
import { wireErrors } from './wire-errors.js';
import { parseJsonInput, serializeJson } from './json.js';
import { resolve, type Operation, type ServiceModel, type Shape } from './model.js';

/**
 * The REST-JSON protocol (EFS, ...), driven by the model's `http` trait: an operation is found by its method and
 * URI template, and each input member travels where its `location` says (uri, querystring, header) or in the JSON
 * body. Errors carry their code in `x-amzn-ErrorType` and in the body.
 */
interface CompiledRoute {
  action: string;
  method: string;
  pattern: RegExp;
  names: string[];
  /** Literal characters in the template: the more, the more specific (a literal segment wins over a label). */
  literal: number;
}

const routesByModel = new WeakMap<ServiceModel, CompiledRoute[]>();

function routesOf(model: ServiceModel): CompiledRoute[] {
  const cached = routesByModel.get(model);
  if (cached) return cached;
  const routes: CompiledRoute[] = [];
  for (const op of Object.values(model.operations)) {
    if (!op.http) continue;
    const template = op.http.requestUri.split('?')[0];
    const names: string[] = [];
    const source = template.replace(/\{([^}]+)\}|[^{]+/g, (part, label: string | undefined) => {
      if (label === undefined) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      const greedy = label.endsWith('+');
      names.push(greedy ? label.slice(0, -1) : label);
      return greedy ? '(.+)' : '([^/]+)';
    });
    routes.push({
      action: op.name,
      method: op.http.method ?? 'POST',
      pattern: new RegExp(`^${source}$`),
      names,
      literal: template.replace(/\{[^}]+\}/g, '').length,
    });
  }
  routes.sort((a, b) => b.literal - a.literal);
  routesByModel.set(model, routes);
  return routes;
}

export interface RestMatch {
  action: string;
  labels: Record<string, string>;
}

/** The operation a method and path call, with the URI labels decoded; undefined when none matches. */
export function matchRestOperation(model: ServiceModel, method: string, path: string): RestMatch | undefined {
  for (const route of routesOf(model)) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (!m) continue;
    const labels: Record<string, string> = {};
    route.names.forEach((name, i) => {
      labels[name] = decodeURIComponent(m[i + 1]);
    });
    return { action: route.action, labels };
  }
  return undefined;
}

const bodyMembers = (shape: Shape): Shape => ({
  ...shape,
  members: Object.fromEntries(Object.entries(shape.members ?? {}).filter(([, ref]) => !ref.location)),
});

function scalar(model: ServiceModel, ref: Shape, text: string, name: string): unknown {
  const shape = resolve(model, ref);
  const bad = () => wireErrors.serialization(`${name}: '${text}' is not a valid ${shape.type}.`);
  switch (shape.type) {
    case 'integer':
    case 'long': {
      if (!/^-?\d+$/.test(text)) throw bad();
      return Number(text);
    }
    case 'float':
    case 'double': {
      const n = Number(text);
      if (Number.isNaN(n)) throw bad();
      return n;
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw bad();
      return text === 'true';
    case 'timestamp': {
      const d = /^\d+(\.\d+)?$/.test(text) ? new Date(Number(text) * 1000) : new Date(text);
      if (Number.isNaN(d.getTime())) throw bad();
      return d;
    }
    default:
      return text;
  }
}

export interface RestRequest {
  labels: Record<string, string>;
  query: URLSearchParams;
  rawHeaders: string[];
  body: Buffer;
}

/** The operation's input from the URI labels, the query string, the headers and the JSON body. */
export function parseRestJsonInput(model: ServiceModel, op: Operation, req: RestRequest): Record<string, unknown> {
  if (!op.input) return {};
  const shape = resolve(model, op.input);
  const input = parseJsonInput(model, bodyMembers(shape), req.body);
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    const wireName = ref.locationName ?? name;
    if (ref.location === 'uri') {
      const v = req.labels[wireName];
      if (v !== undefined) input[name] = scalar(model, ref, v, name);
    } else if (ref.location === 'querystring') {
      const s = resolve(model, ref);
      if (s.type === 'list') {
        const all = req.query.getAll(wireName);
        if (all.length) input[name] = all.map((v) => scalar(model, s.member ?? { type: 'string' }, v, name));
      } else {
        const v = req.query.get(wireName);
        if (v !== null) input[name] = scalar(model, ref, v, name);
      }
    } else if (ref.location === 'header') {
      const v = headerValue(req.rawHeaders, wireName.toLowerCase());
      if (v !== undefined) input[name] = scalar(model, ref, v, name);
    }
  }
  return input;
}

export interface RestResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The success response: the model's status code, header members as headers, the rest as the JSON body. */
export function serializeRestJson(model: ServiceModel, op: Operation, output: unknown): RestResponse {
  const status = op.http?.responseCode ?? 200;
  const headers: Record<string, string> = {};
  if (!op.output || output === undefined || output === null) return { status, headers, body: status === 204 ? '' : '{}' };
  const shape = resolve(model, op.output);
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    const v = (output as Record<string, unknown>)[name];
    if (ref.location === 'header' && v !== undefined) headers[ref.locationName ?? name] = String(v);
  }
  return { status, headers, body: status === 204 ? '' : serializeJson(model, bodyMembers(shape), output) };
}

/** An error as REST-JSON services send it (EFS writes `ErrorCode` and `Message`). */
export function restJsonErrorBody(code: string, message: string): string {
  return JSON.stringify({ ErrorCode: code, Message: message });
}
