import { iamErrors } from './errors.js';
import type { ConditionContext } from '../../auth/policy/conditions.js';
import { listOf, statementsOf, type PolicyDocument } from '../../auth/policy/document.js';
import { evaluate, type Decision } from '../../auth/policy/evaluate.js';
import { globMatch } from '../../auth/policy/wildcard.js';
import type { RequestContext } from '../types.js';
import { paginate, type PageInput } from './paging.js';
import { boundaryOfRole, policiesOfRole } from './principal-policies.js';
import { findRole } from './roles.js';
import { checkDocument } from './validation.js';

interface ContextEntry {
  ContextKeyName?: string;
  ContextKeyValues?: string[];
  ContextKeyType?: string;
}

interface SimulateInput extends PageInput {
  PolicyInputList?: string[];
  PermissionsBoundaryPolicyInputList?: string[];
  ActionNames: string[];
  ResourceArns?: string[];
  ContextEntries?: ContextEntry[];
}

const DECISION_NAMES: Record<Decision, string> = { Allow: 'allowed', ExplicitDeny: 'explicitDeny', ImplicitDeny: 'implicitDeny' };

function contextOf(entries: ContextEntry[] | undefined): ConditionContext {
  const context: ConditionContext = {};
  for (const e of entries ?? []) {
    if (!e.ContextKeyName) continue;
    const values = e.ContextKeyValues ?? [];
    context[e.ContextKeyName] = e.ContextKeyType?.endsWith('List') || values.length !== 1 ? values : values[0];
  }
  return context;
}

/** Condition keys named by statements that concern the action, which the caller did not supply. */
function missingKeys(policies: PolicyDocument[], action: string, context: ConditionContext): string[] {
  const supplied = new Set(Object.keys(context).map((k) => k.toLowerCase()));
  const missing = new Set<string>();
  for (const s of policies.flatMap(statementsOf)) {
    const concerns =
      s.Action !== undefined
        ? listOf(s.Action).some((a) => globMatch(a, action, true))
        : !listOf(s.NotAction).some((a) => globMatch(a, action, true));
    if (!concerns) continue;
    for (const keys of Object.values(s.Condition ?? {})) {
      for (const key of Object.keys(keys)) if (!supplied.has(key.toLowerCase())) missing.add(key);
    }
  }
  return [...missing];
}

function simulate(identity: PolicyDocument[], boundary: PolicyDocument[] | undefined, input: SimulateInput) {
  const context = contextOf(input.ContextEntries);
  const resources = input.ResourceArns?.length ? input.ResourceArns : ['*'];
  const results = input.ActionNames.flatMap((action) =>
    resources.map((resource) => {
      const request = { action, resource, context };
      let decision = evaluate(identity, request);
      let boundaryAllows: boolean | undefined;
      if (boundary) {
        const capped = evaluate(boundary, request);
        boundaryAllows = capped === 'Allow';
        if (decision === 'Allow' && capped !== 'Allow') decision = capped;
      }
      return {
        EvalActionName: action,
        EvalResourceName: resource,
        EvalDecision: DECISION_NAMES[decision],
        MatchedStatements: [],
        MissingContextValues: missingKeys([...identity, ...(boundary ?? [])], action, context),
        PermissionsBoundaryDecisionDetail: boundaryAllows === undefined ? undefined : { AllowedByPermissionsBoundary: boundaryAllows },
      };
    }),
  );
  const { page, IsTruncated, Marker } = paginate(results, input);
  return { EvaluationResults: page, IsTruncated, Marker };
}

const parsed = (texts: string[] | undefined) => (texts ?? []).map((t) => checkDocument(t, 'identity'));

export function simulateCustomPolicy(input: SimulateInput, _ctx: RequestContext) {
  const boundary = input.PermissionsBoundaryPolicyInputList?.length ? parsed(input.PermissionsBoundaryPolicyInputList) : undefined;
  return simulate(parsed(input.PolicyInputList), boundary, input);
}

/** Simulates the policies of a role (halo has no IAM users or groups) plus any given ones. */
export function simulatePrincipalPolicy(input: SimulateInput & { PolicySourceArn: string }, ctx: RequestContext) {
  const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(input.PolicySourceArn);
  const role = m && m[1] === ctx.accountId ? findRole(ctx.cloud, m[2]) : undefined;
  if (!role || role.Arn !== input.PolicySourceArn) throw iamErrors.policySourceNotFound(input.PolicySourceArn);
  const given = input.PermissionsBoundaryPolicyInputList?.length ? parsed(input.PermissionsBoundaryPolicyInputList) : undefined;
  const own = boundaryOfRole(ctx.cloud, role);
  return simulate([...policiesOfRole(ctx.cloud, role), ...parsed(input.PolicyInputList)], given ?? (own ? [own] : undefined), input);
}
