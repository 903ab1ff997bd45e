import { AwsError } from '../../protocol/errors.js';
import { parsePolicy, PolicySyntaxError, policySize, type PolicyDocument, type PolicyKind } from '../../auth/policy/document.js';
import type { Tag } from './state.js';

/** IAM's ValidationError, worded as AWS words a failed model constraint. */
export function constraintError(value: unknown, member: string, constraint: string): AwsError {
  return new AwsError(
    'ValidationError',
    `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

/** Names, paths and tag lengths are the model's constraints, checked by the protocol layer; duplicates are IAM's own rule. */
export function checkTags(tags: Tag[] | undefined): Tag[] {
  const list = tags ?? [];
  const seen = new Set<string>();
  for (const t of list) {
    if (seen.has(t.Key.toLowerCase()))
      throw new AwsError('InvalidInput', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.');
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
  if (quota && policySize(text) > quota.max)
    throw new AwsError('LimitExceeded', `Cannot exceed quota for ${quota.name}: ${quota.max}`, 409);
  try {
    return parsePolicy(text, kind);
  } catch (err) {
    if (err instanceof PolicySyntaxError) throw new AwsError('MalformedPolicyDocument', err.message);
    throw err;
  }
}
