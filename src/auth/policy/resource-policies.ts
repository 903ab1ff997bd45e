import type { Principal } from '../credentials.js';
import type { Cloud } from '../../cloud.js';
import type { ConditionContext } from './conditions.js';
import type { PolicyDocument } from './document.js';
import { evaluate, type Decision, type RequestPrincipal } from './evaluate.js';
import { principalPolicies } from './principal-policies.js';
import { sessionPoliciesOf } from './session-policies.js';

/** The result of weighing identity and resource policies together, and which kind denied explicitly. */
export interface CombinedDecision {
  decision: Decision;
  deniedBy?: 'identity' | 'resource';
}

/** A caller without credentials (an EFS mount without `iam`): only `*` principals name it. */
export const ANONYMOUS: RequestPrincipal = { aws: ['*'] };

/** Every identifier a principal is known by in a resource policy's Principal: session, role, account, account root. */
export function principalIdentities(principal: Principal): string[] {
  const root = `arn:aws:iam::${principal.accountId}:root`;
  return [...new Set([principal.arn, ...(principal.roleArn ? [principal.roleArn] : []), principal.accountId, root])];
}

/**
 * How AWS weighs an identity-based and a resource-based policy for a principal of the resource's own account: an
 * explicit Deny in any of them (identity policies, permissions boundary, session policies, the resource policy)
 * denies; otherwise an Allow in either suffices. A resource policy that names the account (its id or root) delegates
 * to the identity policies and grants nothing by itself. A grant to the role (its ARN) is capped by the role's
 * permissions boundary and the session's policies; a grant to the session itself (or to `*`) is not.
 */
export function decideWithResourcePolicy(
  ctx: { cloud: Cloud; principal: Principal },
  action: string,
  resource: string,
  resourcePolicy: PolicyDocument | undefined,
  context: ConditionContext,
): CombinedDecision {
  const { principal } = ctx;
  const base = { action, resource, context };
  if (resourcePolicy && evaluate([resourcePolicy], { ...base, principal: { aws: principalIdentities(principal) } }) === 'ExplicitDeny') {
    return { decision: 'ExplicitDeny', deniedBy: 'resource' };
  }
  const own = principalPolicies(ctx.cloud, principal);
  const identity = evaluate(own?.policies ?? [], base);
  const boundary = own?.boundary;
  const caps = [boundary ? [boundary] : undefined, sessionPoliciesOf(principal)]
    .filter((c) => c !== undefined)
    .map((c) => evaluate(c, base));
  if (identity === 'ExplicitDeny' || caps.includes('ExplicitDeny')) return { decision: 'ExplicitDeny', deniedBy: 'identity' };
  const capsAllow = caps.every((c) => c === 'Allow');
  if (identity === 'Allow' && capsAllow) return { decision: 'Allow' };
  if (resourcePolicy) {
    if (evaluate([resourcePolicy], { ...base, principal: { aws: [principal.arn] } }) === 'Allow') return { decision: 'Allow' };
    const named = [...(principal.roleArn ? [principal.roleArn] : [])];
    if (named.length && capsAllow && evaluate([resourcePolicy], { ...base, principal: { aws: named } }) === 'Allow')
      return { decision: 'Allow' };
  }
  return { decision: 'ImplicitDeny' };
}

/** A resource policy alone, for a caller with no identity (anonymous) or whose identity policies do not apply. */
export function decideResourcePolicyOnly(
  resourcePolicy: PolicyDocument,
  action: string,
  resource: string,
  who: RequestPrincipal,
  context: ConditionContext,
): Decision {
  return evaluate([resourcePolicy], { action, resource, context, principal: who });
}
