/** Readers for template property values, which may come as strings ("true", "10") or as JSON booleans and numbers. */
export function bool(v: unknown): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new Error(`Value '${String(v)}' is not a boolean (true or false)`);
}

export function num(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new Error(`Value '${String(v)}' is not a number`);
  return n;
}

export function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Template tags ([{Key, Value}]) as EC2 TagSpecifications for one resource type. */
export function tagSpecs(resourceType: string, tags: Array<{ Key: string; Value: string }> | undefined) {
  const list = (tags ?? []).map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? '') }));
  return list.length ? [{ ResourceType: resourceType, Tags: list }] : undefined;
}

/**
 * A member of an operation's answer the provider relies on: the models make every output member optional, but the
 * operation called always gives this one.
 */
export function given<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`The service's answer has no ${what}`);
  return value;
}
