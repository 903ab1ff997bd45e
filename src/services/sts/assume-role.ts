import { stsErrors } from './errors.js';
import type { AssumeRoleInput } from './generated/types.js';
import { roleSessionPrincipal, type Principal } from '../../auth/credentials.js';
import { decide, denial, requestConditionContext } from '../../auth/policy/authorize.js';
import type { ConditionContext } from '../../auth/policy/conditions.js';
import { parsePolicy, PolicySyntaxError, policySize, type PolicyDocument } from '../../auth/policy/document.js';
import { evaluate, type RequestPrincipal } from '../../auth/policy/evaluate.js';
import type { SessionPrincipal } from '../../auth/policy/session-policies.js';
import { defaultDocument, findPolicy } from '../iam/managed-policies.js';
import { findRole, saveRole } from '../iam/roles.js';
import type { RoleRecord } from '../iam/state.js';
import type { RequestContext } from '../types.js';
import { issueSessionCredentials } from './issue.js';

const CHAINED_MAX_SECONDS = 3600;

/** Everything a caller is known by in a trust policy's Principal element. */
function identitiesOf(principal: Principal): string[] {
  const root = `arn:aws:iam::${principal.accountId}:root`;
  return [...new Set([principal.arn, ...(principal.roleArn ? [principal.roleArn] : []), principal.accountId, root])];
}

/** Whether a role's trust policy lets this principal (or service) assume it. */
export function trustAllows(role: RoleRecord, who: RequestPrincipal, context: Record<string, string | string[]> = {}): boolean {
  const trust = JSON.parse(role.AssumeRolePolicyDocument) as PolicyDocument;
  return evaluate([trust], { action: 'sts:AssumeRole', resource: role.Arn, principal: who, context }) === 'Allow';
}

function roleNamed(ctx: RequestContext, arn: string): RoleRecord | undefined {
  const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(arn);
  if (!m || m[1] !== ctx.accountId) return undefined;
  const role = findRole(ctx.cloud, m[2]);
  return role && role.Arn === arn ? role : undefined;
}

function sessionPolicies(input: AssumeRoleInput, ctx: RequestContext): PolicyDocument[] | undefined {
  if (input.Policy === undefined && !input.PolicyArns?.length) return undefined;
  const docs: PolicyDocument[] = [];
  if (input.Policy !== undefined) {
    if (policySize(input.Policy) > 2048) throw stsErrors.packedPolicyTooLarge();
    try {
      docs.push(parsePolicy(input.Policy, 'identity'));
    } catch (err) {
      if (err instanceof PolicySyntaxError) throw stsErrors.malformedPolicyDocument(err.message);
      throw err;
    }
  }
  for (const { arn } of input.PolicyArns ?? []) {
    const policy = arn ? findPolicy(ctx.cloud, arn) : undefined;
    if (!policy) throw stsErrors.policyNotAttachable(arn);
    docs.push(JSON.parse(defaultDocument(policy)) as PolicyDocument);
  }
  return docs;
}

export function assumeRole(input: AssumeRoleInput, ctx: RequestContext) {
  const action = 'sts:AssumeRole';
  const role = roleNamed(ctx, input.RoleArn);
  if (!role) throw denial(ctx, action, input.RoleArn, 'ImplicitDeny', false);

  const context: ConditionContext = { ...requestConditionContext(ctx), 'sts:RoleSessionName': input.RoleSessionName };
  if (input.ExternalId !== undefined) context['sts:ExternalId'] = input.ExternalId;
  if (!trustAllows(role, { aws: identitiesOf(ctx.principal) }, context)) throw denial(ctx, action, role.Arn, 'ImplicitDeny', false);
  if (ctx.principal.type !== 'admin') {
    // Within one account, a trust policy that names the caller itself suffices; one that names the account needs
    // the caller's own policies to allow sts:AssumeRole too.
    const own = decide(ctx, action, role.Arn, context);
    if (own === 'ExplicitDeny') throw denial(ctx, action, role.Arn, own, false);
    const namedDirectly = trustAllows(
      role,
      { aws: [ctx.principal.arn, ...(ctx.principal.roleArn ? [ctx.principal.roleArn] : [])] },
      context,
    );
    if (own !== 'Allow' && !namedDirectly) throw denial(ctx, action, role.Arn, own, false);
  }

  const chained = ctx.principal.type === 'assumed-role';
  const duration = input.DurationSeconds ?? 3600;
  if (chained && duration > CHAINED_MAX_SECONDS) {
    throw stsErrors.chainedDurationTooLong();
  }
  if (duration > role.MaxSessionDuration) {
    throw stsErrors.durationOverRoleMax();
  }

  const policies = sessionPolicies(input, ctx);
  const principal: SessionPrincipal = {
    ...roleSessionPrincipal(ctx.accountId, role, input.RoleSessionName),
    ...(policies ? { sessionPolicies: policies } : {}),
  };
  const sessionArn = principal.arn;
  const { now, Credentials } = issueSessionCredentials(ctx, principal, duration);
  saveRole(ctx.cloud, { ...role, LastUsedDate: new Date(now).toISOString(), LastUsedRegion: ctx.region });
  return {
    Credentials,
    AssumedRoleUser: { AssumedRoleId: principal.userId, Arn: sessionArn },
    PackedPolicySize: input.Policy !== undefined ? Math.ceil((policySize(input.Policy) / 2048) * 100) : undefined,
    SourceIdentity: input.SourceIdentity,
  };
}
