import { AwsError } from '../../protocol/errors.js';
import { parsePolicy, PolicySyntaxError, policySize, type PolicyDocument, type PolicyKind } from '../../auth/policy/document.js';
import type { Tag } from './state.js';

/** IAM's ValidationError, worded as AWS words a failed model constraint. */
export function constraintError(value: unknown, member: string, constraint: string): AwsError {
  return new AwsError('ValidationError', `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`);
}

const NAME = /^[\w+=,.@-]+$/;

export function checkName(value: string, member: string, max: number): void {
  if (value.length < 1 || value.length > max) throw constraintError(value, member, `Member must have length less than or equal to ${max}`);
  if (!NAME.test(value)) throw constraintError(value, member, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
}

export function checkPath(path: string | undefined, member = 'path'): string {
  const p = path ?? '/';
  if (p.length > 512) throw constraintError(p, member, 'Member must have length less than or equal to 512');
  if (!(p === '/' || /^\/[\x21-\x7e]+\/$/.test(p))) {
    throw constraintError(p, member, 'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)');
  }
  return p;
}

export function checkPathPrefix(prefix: string | undefined): string {
  const p = prefix ?? '/';
  if (!/^\/[\x21-\x7e]*$/.test(p)) {
    throw constraintError(p, 'pathPrefix', 'Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*');
  }
  return p;
}

export function checkTags(tags: Tag[] | undefined): Tag[] {
  const list = tags ?? [];
  if (list.length > 50) throw constraintError('[...]', 'tags', 'Member must have length less than or equal to 50');
  const seen = new Set<string>();
  for (const t of list) {
    if (t.Key.length < 1 || t.Key.length > 128) throw constraintError(t.Key, 'tags.member.key', 'Member must have length less than or equal to 128');
    if (t.Value.length > 256) throw constraintError(t.Value, 'tags.member.value', 'Member must have length less than or equal to 256');
    if (seen.has(t.Key.toLowerCase())) throw new AwsError('InvalidInput', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    seen.add(t.Key.toLowerCase());
  }
  return list;
}

/** TagRole/TagPolicy/TagInstanceProfile: new tags replace same keys (case-insensitive), at most 50 in all. */
export function mergeTags(existing: Tag[], added: Tag[]): Tag[] {
  checkTags(added);
  const merged = new Map(existing.map((t) => [t.Key.toLowerCase(), t]));
  for (const t of added) merged.set(t.Key.toLowerCase(), t);
  if (merged.size > 50) throw new AwsError('LimitExceeded', 'The number of tags has reached the maximum limit.', 409);
  return [...merged.values()];
}

/** The Untag* operations: keys match case-insensitively. */
export function withoutTags(existing: Tag[], keys: string[]): Tag[] {
  const drop = new Set(keys.map((k) => k.toLowerCase()));
  return existing.filter((t) => !drop.has(t.Key.toLowerCase()));
}

/** Parses a policy document as IAM does, turning syntax problems into MalformedPolicyDocument. */
export function checkDocument(text: string, kind: PolicyKind, quota?: { name: string; max: number }): PolicyDocument {
  if (quota && policySize(text) > quota.max) throw new AwsError('LimitExceeded', `Cannot exceed quota for ${quota.name}: ${quota.max}`, 409);
  try {
    return parsePolicy(text, kind);
  } catch (err) {
    if (err instanceof PolicySyntaxError) throw new AwsError('MalformedPolicyDocument', err.message);
    throw err;
  }
}
