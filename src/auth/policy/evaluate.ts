import { conditionsHold, contextLookup, type ConditionContext, type ContextValue } from './conditions.js';
import { listOf, statementsOf, type PolicyDocument, type PrincipalBlock, type Statement } from './document.js';
import { substitute } from './variables.js';
import { arnMatch, globMatch } from './wildcard.js';

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

/** Who asks, for resource-based policies (trust policies) that name principals. */
export interface RequestPrincipal {
  /** Every identifier the caller is known by: its ARN, its role's ARN, its account id and account root ARN. */
  aws?: string[];
  /** A service principal such as `ec2.amazonaws.com`. */
  service?: string;
}

export interface AuthorizationRequest {
  /** `<service prefix>:<Operation>`, e.g. `ec2:AssociateAddress`. */
  action: string;
  /** The resource's ARN, or `*` when the action has no resource. */
  resource: string;
  context?: ConditionContext;
  principal?: RequestPrincipal;
}

/**
 * IAM's evaluation of one set of policies for one request: an explicit Deny in any statement wins; otherwise an
 * Allow is needed; without one the request is implicitly denied.
 */
export function evaluate(policies: PolicyDocument[], request: AuthorizationRequest): Decision {
  const lookup = contextLookup(request.context ?? {});
  let allowed = false;
  for (const policy of policies) {
    // Policy variables exist from language version 2012-10-17 on; in older documents `${...}` is literal text.
    const variables = policy.Version === '2012-10-17';
    for (const statement of statementsOf(policy)) {
      if (!applies(statement, request, lookup, variables)) continue;
      if (statement.Effect === 'Deny') return 'ExplicitDeny';
      allowed = true;
    }
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}

function applies(
  s: Statement,
  request: AuthorizationRequest,
  lookup: (key: string) => ContextValue | undefined,
  variables: boolean,
): boolean {
  const actionMatches = (pattern: string) => globMatch(pattern, request.action, true);
  if (s.Action !== undefined && !listOf(s.Action).some(actionMatches)) return false;
  if (s.NotAction !== undefined && listOf(s.NotAction).some(actionMatches)) return false;

  const resourceMatches = (pattern: string) => {
    const resolved = variables ? substitute(pattern, lookup) : pattern;
    return resolved !== undefined && arnMatch(resolved, request.resource);
  };
  if (s.Resource !== undefined && !listOf(s.Resource).some(resourceMatches)) return false;
  if (s.NotResource !== undefined && listOf(s.NotResource).some(resourceMatches)) return false;

  if (s.Principal !== undefined && !principalMatches(s.Principal, request.principal)) return false;
  if (s.NotPrincipal !== undefined && principalMatches(s.NotPrincipal, request.principal)) return false;

  return conditionsHold(s.Condition, lookup, variables);
}

function principalMatches(block: PrincipalBlock, who: RequestPrincipal | undefined): boolean {
  if (block === '*') return true;
  if (!who) return false;
  for (const [type, value] of Object.entries(block)) {
    const names = listOf(value);
    if (type === 'AWS' && who.aws?.length && names.some((n) => n === '*' || who.aws?.includes(n))) return true;
    if (type === 'Service' && who.service && names.some((n) => n === '*' || n === who.service)) return true;
  }
  return false;
}
