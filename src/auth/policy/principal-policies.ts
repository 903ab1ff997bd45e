import type { Principal } from '../credentials.js';
import type { Cloud } from '../../cloud.js';
import { defaultDocument, findPolicy } from '../../services/iam/managed-policies.js';
import { findRole } from '../../services/iam/roles.js';
import type { RoleRecord } from '../../services/iam/state.js';
import type { PolicyDocument } from './document.js';

/** The IAM role whose policies apply to an assumed-role session, if it still exists. */
export function roleOfPrincipal(cloud: Cloud, principal: Principal): RoleRecord | undefined {
  if (principal.type !== 'assumed-role') return undefined;
  const name = principal.roleName ?? principal.roleArn?.slice(principal.roleArn.lastIndexOf('/') + 1);
  const role = name ? findRole(cloud, name) : undefined;
  return role && (!principal.roleArn || role.Arn === principal.roleArn) ? role : undefined;
}

const parse = (text: string) => JSON.parse(text) as PolicyDocument;

/**
 * The identity-based policies of a principal: for an assumed role, the role's inline policies and the default
 * versions of its attached managed policies. A deleted role leaves its sessions with none (everything denied).
 */
export function policiesForPrincipal(cloud: Cloud, principal: Principal): PolicyDocument[] {
  const role = roleOfPrincipal(cloud, principal);
  return role ? policiesOfRole(cloud, role) : [];
}

/** A role's inline policies and the default versions of its attached managed policies. */
export function policiesOfRole(cloud: Cloud, role: RoleRecord): PolicyDocument[] {
  const inline = Object.values(role.InlinePolicies).map(parse);
  const managed = role.AttachedPolicyArns
    .map((arn) => findPolicy(cloud, arn))
    .filter((p) => p !== undefined)
    .map((p) => parse(defaultDocument(p)));
  return [...inline, ...managed];
}

/** The permissions boundary of the principal's role, which caps what its policies can allow. */
export function boundaryForPrincipal(cloud: Cloud, principal: Principal): PolicyDocument | undefined {
  const role = roleOfPrincipal(cloud, principal);
  return role ? boundaryOfRole(cloud, role) : undefined;
}

export function boundaryOfRole(cloud: Cloud, role: RoleRecord): PolicyDocument | undefined {
  const arn = role.PermissionsBoundaryArn;
  const policy = arn ? findPolicy(cloud, arn) : undefined;
  return policy ? parse(defaultDocument(policy)) : undefined;
}
