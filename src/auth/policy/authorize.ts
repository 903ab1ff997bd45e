import { AwsError } from '../../protocol/errors.js';
import type { RequestContext } from '../request-context.js';
import type { ConditionContext } from './conditions.js';
import { evaluate, type Decision } from './evaluate.js';
import { principalPolicies } from './principal-policies.js';
import { actionPrefix, resourcesOf } from './request-mapping.js';
import { decideWithResourcePolicy } from './resource-policies.js';
import { sessionPoliciesOf } from './session-policies.js';

/** Calls every principal may make without a policy allowing them (as on AWS). */
const ALWAYS_ALLOWED = new Set(['sts:GetCallerIdentity', 'sts:GetSessionToken']);
/**
 * STS AssumeRole weighs the role's trust policy with the caller's policies itself; CloudFormation SignalResource
 * lets the stack's own instances signal without a policy.
 */
const DECIDED_BY_HANDLER = new Set(['sts:AssumeRole', 'cloudformation:SignalResource']);

/** The global condition keys halo can fill in for a request. */
export function requestConditionContext(ctx: RequestContext): ConditionContext {
  const now = ctx.cloud.clock.now();
  const context: ConditionContext = {
    'aws:CurrentTime': new Date(now).toISOString(),
    'aws:EpochTime': String(Math.floor(now / 1000)),
    'aws:RequestedRegion': ctx.region,
    'aws:PrincipalAccount': ctx.principal.accountId,
    'aws:userid': ctx.principal.userId,
    'aws:SecureTransport': 'false',
  };
  if (ctx.principal.type === 'assumed-role') {
    context['aws:PrincipalType'] = 'AssumedRole';
    context['aws:PrincipalArn'] = ctx.principal.roleArn ?? ctx.principal.arn;
    for (const tag of principalPolicies(ctx.cloud, ctx.principal)?.tags ?? []) context[`aws:PrincipalTag/${tag.Key}`] = tag.Value;
  } else if (ctx.principal.type === 'user') {
    context['aws:PrincipalType'] = 'User';
    context['aws:PrincipalArn'] = ctx.principal.arn;
  }
  return context;
}

/** The decision for one action and resource of a non-admin principal, boundaries and session policies included. */
export function decide(ctx: RequestContext, action: string, resource: string, context = requestConditionContext(ctx)): Decision {
  const request = { action, resource, context };
  const own = principalPolicies(ctx.cloud, ctx.principal);
  const decision = evaluate(own?.policies ?? [], request);
  if (decision !== 'Allow') return decision;
  // A permissions boundary and session policies cap what the role's policies allow: each must allow too.
  const boundary = own?.boundary;
  const caps = [boundary ? [boundary] : undefined, sessionPoliciesOf(ctx.principal)].filter((c) => c !== undefined);
  for (const cap of caps) {
    const capped = evaluate(cap, request);
    if (capped !== 'Allow') return capped;
  }
  return 'Allow';
}

/** The refusal each service sends, in its own words (STS's AssumeRole refusals do not say why: `explain` false). */
export function denial(
  ctx: RequestContext,
  action: string,
  resource: string,
  decision: Decision,
  explain = true,
  deniedBy: 'identity' | 'resource' = 'identity',
): AwsError {
  const why =
    decision === 'ExplicitDeny'
      ? ` with an explicit deny in ${deniedBy === 'resource' ? 'a resource-based' : 'an identity-based'} policy`
      : ` because no identity-based policy allows the ${action} action`;
  const on = resource === '*' ? '' : ` on resource: ${resource}`;
  const text = `User: ${ctx.principal.arn} is not authorized to perform: ${action}${on}${explain ? why : ''}`;
  switch (ctx.service) {
    case 'ec2':
      return new AwsError('UnauthorizedOperation', `You are not authorized to perform this operation. ${text}`, 403);
    case 'ssm':
    case 'secretsmanager':
    case 'logs':
    case 'elasticfilesystem':
      return new AwsError('AccessDeniedException', text, 400);
    case 'sns':
      return new AwsError('AuthorizationError', text, 403);
    default:
      return new AwsError('AccessDenied', text, 403);
  }
}

/**
 * Checks a request of a non-admin principal against its IAM policies before the operation runs; throws the
 * service's access-denied error. The cloud's admin is not checked.
 */
export function authorize(ctx: RequestContext, input: Record<string, unknown>): void {
  if (ctx.principal.type === 'admin') return;
  const action = `${actionPrefix(ctx.service)}:${ctx.operation}`;
  if (ALWAYS_ALLOWED.has(action) || DECIDED_BY_HANDLER.has(action)) return;
  const context = requestConditionContext(ctx);
  const def = ctx.cloud.services.get(ctx.service);
  for (const resource of resourcesOf(ctx, input)) {
    // A resource with a resource-based policy (a secret's): both kinds of policy are weighed together.
    const resourcePolicy = resource === '*' ? undefined : def?.resourcePolicy?.(ctx, resource);
    if (resourcePolicy) {
      const combined = decideWithResourcePolicy(ctx, action, resource, resourcePolicy, context);
      if (combined.decision !== 'Allow') throw denial(ctx, action, resource, combined.decision, true, combined.deniedBy);
      continue;
    }
    const decision = decide(ctx, action, resource, context);
    if (decision !== 'Allow') throw denial(ctx, action, resource, decision);
  }
}

/**
 * A further permission an operation needs besides its own action, checked the same way: for example
 * `iam:PassRole` on a role's ARN when RunInstances is given an instance profile. The admin always has it.
 */
export function requirePermission(ctx: RequestContext, action: string, resource: string): void {
  if (ctx.principal.type === 'admin') return;
  const decision = decide(ctx, action, resource);
  if (decision !== 'Allow') throw denial(ctx, action, resource, decision);
}
