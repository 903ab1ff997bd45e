import type { Principal } from '../../auth/credentials.js';
import type { PolicyDocument } from '../../auth/policy/document.js';
import { registerPolicySource, type PolicySource } from '../../auth/policy/principal-policies.js';
import type { RequestContext } from '../../auth/request-context.js';
import type { Cloud } from '../../cloud.js';
import { findInstanceProfile } from './instance-profiles.js';
import { defaultDocument, findPolicy } from './managed-policies.js';
import { findRole } from './roles.js';
import type { RoleRecord } from './state.js';

/** The IAM role whose policies apply to an assumed-role session, if it still exists. */
export function roleOfPrincipal(cloud: Cloud, principal: Principal): RoleRecord | undefined {
  if (principal.type !== 'assumed-role') return undefined;
  const name = principal.roleName ?? principal.roleArn?.slice(principal.roleArn.lastIndexOf('/') + 1);
  const role = name ? findRole(cloud, name) : undefined;
  return role && (!principal.roleArn || role.Arn === principal.roleArn) ? role : undefined;
}

const parse = (text: string) => JSON.parse(text) as PolicyDocument;

/** A role's inline policies and the default versions of its attached managed policies. */
export function policiesOfRole(cloud: Cloud, role: RoleRecord): PolicyDocument[] {
  const inline = Object.values(role.InlinePolicies).map(parse);
  const managed = role.AttachedPolicyArns.map((arn) => findPolicy(cloud, arn))
    .filter((p) => p !== undefined)
    .map((p) => parse(defaultDocument(p)));
  return [...inline, ...managed];
}

/** The permissions boundary of a role, which caps what its policies can allow. */
export function boundaryOfRole(cloud: Cloud, role: RoleRecord): PolicyDocument | undefined {
  const arn = role.PermissionsBoundaryArn;
  const policy = arn ? findPolicy(cloud, arn) : undefined;
  return policy ? parse(defaultDocument(policy)) : undefined;
}

/** IAM as the source of policies for policy evaluation: an assumed role's policies, boundary and tags. */
export function registerIamPolicies(cloud: Cloud): void {
  const source: PolicySource = {
    forPrincipal(principal) {
      const role = roleOfPrincipal(cloud, principal);
      return role && { policies: policiesOfRole(cloud, role), boundary: boundaryOfRole(cloud, role), tags: role.Tags };
    },
  };
  registerPolicySource(cloud, source);
}

/**
 * The IAM entities a request acts on, as ARNs: a role or instance profile by its real ARN (with its path), or, for
 * a name not taken yet (Create*), the ARN the new entity will have.
 */
export function iamResourceArns(ctx: RequestContext, input: Record<string, unknown>): string[] {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const { accountId, cloud } = ctx;
  const path = str(input.Path) ?? '/';
  const roleName = str(input.RoleName);
  if (roleName) return [findRole(cloud, roleName)?.Arn ?? `arn:aws:iam::${accountId}:role${path}${roleName}`];
  const profileName = str(input.InstanceProfileName);
  if (profileName)
    return [findInstanceProfile(cloud, profileName)?.Arn ?? `arn:aws:iam::${accountId}:instance-profile${path}${profileName}`];
  const policyArn = str(input.PolicyArn);
  if (policyArn) return [policyArn];
  const policyName = str(input.PolicyName);
  if (ctx.operation === 'CreatePolicy' && policyName) return [`arn:aws:iam::${accountId}:policy${path}${policyName}`];
  return ['*'];
}
