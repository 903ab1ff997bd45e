import { iamErrors } from './errors.js';
import { parsePolicy, PolicySyntaxError, policySize, type PolicyDocument, type PolicyKind } from '../../auth/policy/document.js';
import type { Tag } from './state.js';

/** Names, paths and tag lengths are the model's constraints, checked by the protocol layer; duplicates are IAM's own rule. */
export function checkTags(tags: Tag[] | undefined): Tag[] {
  const list = tags ?? [];
  const seen = new Set<string>();
  for (const t of list) {
    if (seen.has(t.Key.toLowerCase())) throw iamErrors.duplicateTagKeys();
    seen.add(t.Key.toLowerCase());
  }
  return list;
}

/** TagRole/TagPolicy/TagInstanceProfile: new tags replace same keys (case-insensitive), at most 50 in all. */
export function mergeTags(existing: Tag[], added: Tag[]): Tag[] {
  checkTags(added);
  const merged = new Map(existing.map((t) => [t.Key.toLowerCase(), t]));
  for (const t of added) merged.set(t.Key.toLowerCase(), t);
  if (merged.size > 50) throw iamErrors.tooManyTags();
  return [...merged.values()];
}

/** The Untag* operations: keys match case-insensitively. */
export function withoutTags(existing: Tag[], keys: string[]): Tag[] {
  const drop = new Set(keys.map((k) => k.toLowerCase()));
  return existing.filter((t) => !drop.has(t.Key.toLowerCase()));
}

/** Parses a policy document as IAM does, turning syntax problems into MalformedPolicyDocument. */
export function checkDocument(text: string, kind: PolicyKind, quota?: { name: string; max: number }): PolicyDocument {
  if (quota && policySize(text) > quota.max) throw iamErrors.quotaExceeded(quota.name, quota.max);
  try {
    return parsePolicy(text, kind);
  } catch (err) {
    if (err instanceof PolicySyntaxError) throw iamErrors.malformedPolicyDocument(err.message);
    throw err;
  }
}
