import { createHash } from 'node:crypto';
import type { AwsError } from './errors.js';

/**
 * The one paginator of the cloud. A page token is opaque to the client: the offset into the full result plus a
 * digest of the request's other parameters, so a token replayed with different filters, or edited, is refused
 * with the service's own error instead of silently giving a wrong page.
 */
export interface PageSpec {
  /** The token the client sent (NextToken, Marker, ...). */
  token: string | undefined;
  /** The page size the client asked for (MaxResults, MaxRecords, MaxItems, ...). */
  max: number | undefined;
  /** The size when the client gives none. */
  defaultMax: number;
  /** The largest size the service accepts; a larger one is refused with `tooLarge`, when given, else clamped. */
  limit?: number;
  /** The request's parameters other than the token and the size: the token is bound to them. */
  bind: unknown;
  /** The service's error for a token it did not issue for this request. */
  badToken(token: string): AwsError;
  /** The service's error for a size outside 1..limit (defaults to clamping). */
  badSize?(max: number): AwsError;
}

export interface Page<T> {
  items: T[];
  /** The token of the next page; undefined on the last one. */
  next: string | undefined;
}

export function paginate<T>(all: readonly T[], spec: PageSpec): Page<T> {
  const limit = spec.limit ?? Number.MAX_SAFE_INTEGER;
  let size = spec.max ?? spec.defaultMax;
  if (!Number.isInteger(size) || size < 1 || size > limit) {
    if (spec.badSize) throw spec.badSize(size);
    size = Math.min(Math.max(1, Math.trunc(size) || spec.defaultMax), limit);
  }
  // The binding is worked out only when a token is read or made: most requests fit in one page and send none.
  let digest: string | undefined;
  const binding = () => (digest ??= bindingOf(spec.bind));
  const start = spec.token === undefined || spec.token === '' ? 0 : offsetOf(spec.token, binding(), spec);
  const end = start + size;
  return { items: all.slice(start, end), next: end < all.length ? tokenOf(end, binding()) : undefined };
}

function bindingOf(params: unknown): string {
  return createHash('sha256')
    .update(stableJson(params ?? {}))
    .digest('base64url')
    .slice(0, 16);
}

function tokenOf(offset: number, digest: string): string {
  return Buffer.from(JSON.stringify({ o: offset, b: digest })).toString('base64url');
}

function offsetOf(token: string, digest: string, spec: PageSpec): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw spec.badToken(token);
  }
  const { o, b } = (parsed ?? {}) as { o?: unknown; b?: unknown };
  if (typeof o !== 'number' || !Number.isInteger(o) || o < 0 || b !== digest) throw spec.badToken(token);
  return o;
}

/** JSON with object keys sorted, so that the same parameters always bind the same way. */
function stableJson(value: unknown): string {
  // A time binds as its instant (a Date has no own keys: as an object it would bind as {}).
  if (value instanceof Date) return JSON.stringify(value.getTime());
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The request without its paging members, for `bind`. */
export function withoutPaging<T extends object>(input: T, ...paging: string[]): Partial<T> {
  const rest: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const key of paging) delete rest[key];
  return rest as Partial<T>;
}
