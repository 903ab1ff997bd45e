import type { RequestContext } from '../types.js';
import { errors } from './errors.js';
import { requireSecret, saveSecret } from './state.js';

/** True when an Allow statement lets anyone in (Principal `*` or AWS `*`) without a condition. */
function grantsPublicAccess(doc: { Statement?: unknown }): boolean {
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  return statements.some((st: any) => {
    if (st?.Effect !== 'Allow' || st.Condition) return false;
    const p = st.Principal;
    const aws = p && typeof p === 'object' ? p.AWS : undefined;
    return p === '*' || aws === '*' || (Array.isArray(aws) && aws.includes('*'));
  });
}

/** Resource policies are kept and returned; halo does not evaluate them (see LIMITATIONS.md). */
export function putResourcePolicy(input: { SecretId: string; ResourcePolicy: string; BlockPublicPolicy?: boolean }, ctx: RequestContext) {
  const s = requireSecret(ctx, input.SecretId);
  let doc: unknown;
  try {
    doc = JSON.parse(input.ResourcePolicy);
  } catch {
    throw errors.malformedPolicy('it is not valid JSON.');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc) || !('Statement' in doc)) throw errors.malformedPolicy('it has no Statement.');
  if (input.BlockPublicPolicy && grantsPublicAccess(doc)) throw errors.publicPolicy();
  s.ResourcePolicy = input.ResourcePolicy;
  saveSecret(ctx, s);
  return { ARN: s.ARN, Name: s.Name };
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
