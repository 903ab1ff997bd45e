import { listOf, parsePolicy, PolicySyntaxError, statementsOf, type PolicyDocument, type Statement } from '../../auth/policy/document.js';
import { evaluate } from '../../auth/policy/evaluate.js';
import { principalIdentities } from '../../auth/policy/resource-policies.js';
import type { RequestContext } from '../types.js';
import { errors } from './errors.js';
import { lookupSecret, requireSecret, saveSecret } from './state.js';

/**
 * Condition keys that tie a `*` principal to known callers (an account, an organization, a network, a source), so
 * that a statement using one with a value without wildcards does not grant broad access.
 */
const NARROWING_KEYS = new Set([
  'aws:principalaccount',
  'aws:principalarn',
  'aws:principalorgid',
  'aws:principalorgpaths',
  'aws:sourceaccount',
  'aws:sourcearn',
  'aws:sourceowner',
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:sourceip',
  'aws:userid',
  'aws:username',
  'aws:calledvia',
]);

const namesEveryone = (p: Statement['Principal']) => p === '*' || (typeof p === 'object' && p !== null && listOf(p.AWS).includes('*'));

/** Whether an Allow statement's conditions pin the caller down (a narrowing key with a value without wildcards). */
function narrowed(st: Statement): boolean {
  for (const [operator, keys] of Object.entries(st.Condition ?? {})) {
    if (/IfExists$|^Null$|Not/.test(operator)) continue;
    for (const [key, value] of Object.entries(keys)) {
      const values = (Array.isArray(value) ? value : [value]).map(String);
      if (NARROWING_KEYS.has(key.toLowerCase()) && values.every((v) => !v.includes('*') && !v.includes('?'))) return true;
    }
  }
  return false;
}

/** True when the policy lets anyone (`*` principal, NotPrincipal) in without narrowing conditions: "broad access". */
export function grantsBroadAccess(doc: PolicyDocument): boolean {
  return statementsOf(doc).some(
    (st) => st.Effect === 'Allow' && (namesEveryone(st.Principal) || st.NotPrincipal !== undefined) && !narrowed(st),
  );
}

/** The policy as Secrets Manager accepts it: IAM's policy grammar for resource-based policies. */
function parseResourcePolicy(text: string): PolicyDocument {
  try {
    return parsePolicy(text, 'resource');
  } catch (err) {
    if (err instanceof PolicySyntaxError) throw errors.malformedPolicy(err.message);
    throw err;
  }
}

/** Whether the policy would keep the caller from changing it again (an explicit deny of PutResourcePolicy for it). */
function locksOut(ctx: RequestContext, doc: PolicyDocument, secretArn: string): boolean {
  const principal = { aws: principalIdentities(ctx.principal) };
  return evaluate([doc], { action: 'secretsmanager:PutResourcePolicy', resource: secretArn, principal, context: {} }) === 'ExplicitDeny';
}

/** The secret's resource policy for authorization (undefined when it has none). */
export function secretResourcePolicy(ctx: RequestContext, arn: string): PolicyDocument | undefined {
  const text = lookupSecret(ctx.cloud, ctx.region, arn)?.ResourcePolicy;
  return text ? (JSON.parse(text) as PolicyDocument) : undefined;
}

export function putResourcePolicy(input: { SecretId: string; ResourcePolicy: string; BlockPublicPolicy?: boolean }, ctx: RequestContext) {
  const s = requireSecret(ctx, input.SecretId);
  const doc = parseResourcePolicy(input.ResourcePolicy);
  if (input.BlockPublicPolicy && grantsBroadAccess(doc)) throw errors.publicPolicy();
  if (locksOut(ctx, doc, s.ARN))
    throw errors.malformedPolicy("it would prevent the caller from changing the secret's resource policy again.");
  s.ResourcePolicy = input.ResourcePolicy;
  saveSecret(ctx, s);
  return { ARN: s.ARN, Name: s.Name };
}

/**
 * The checks PutResourcePolicy makes, reported instead of refused: broad access and the caller's lockout. A policy
 * that is not valid JSON or breaks the grammar is refused (MalformedPolicyDocumentException), as AWS does.
 */
export function validateResourcePolicy(input: { SecretId?: string; ResourcePolicy: string }, ctx: RequestContext) {
  const doc = parseResourcePolicy(input.ResourcePolicy);
  const secretArn = input.SecretId === undefined ? '*' : requireSecret(ctx, input.SecretId).ARN;
  const problems: Array<{ CheckName: string; ErrorMessage: string }> = [];
  if (grantsBroadAccess(doc))
    problems.push({
      CheckName: 'BROAD_ACCESS',
      ErrorMessage: 'The resource policy grants broad access to the secret: a wildcard principal without a condition that narrows it.',
    });
  if (locksOut(ctx, doc, secretArn))
    problems.push({ CheckName: 'LOCKOUT', ErrorMessage: 'The resource policy prevents the caller from changing it again.' });
  return { PolicyValidationPassed: problems.length === 0, ValidationErrors: problems };
}

export function getResourcePolicy(input: { SecretId: string }, ctx: RequestContext) {
  const s = requireSecret(ctx, input.SecretId);
  return { ARN: s.ARN, Name: s.Name, ResourcePolicy: s.ResourcePolicy };
}

export function deleteResourcePolicy(input: { SecretId: string }, ctx: RequestContext) {
  const s = requireSecret(ctx, input.SecretId);
  delete s.ResourcePolicy;
  saveSecret(ctx, s);
  return { ARN: s.ARN, Name: s.Name };
}
