import { iamErrors } from './errors.js';
import { policySize } from '../../auth/policy/document.js';
import type { RequestContext } from '../types.js';
import { encodeDocument } from './ids.js';
import { paginate, type PageInput } from './paging.js';
import { requireRole, saveRole } from './roles.js';
import type { RoleRecord } from './state.js';
import { checkDocument } from './validation.js';

/** IAM's quota on the sum of a role's inline policies, whitespace not counted. */
const INLINE_QUOTA = 10240;

function inlineName(role: RoleRecord, name: string): string | undefined {
  return Object.keys(role.InlinePolicies).find((n) => n === name);
}

function requireInline(role: RoleRecord, name: string): string {
  const found = inlineName(role, name);
  if (found === undefined) throw iamErrors.rolePolicyNotFound(name);
  return found;
}

export function putRolePolicy(input: { RoleName: string; PolicyName: string; PolicyDocument: string }, ctx: RequestContext) {
  const role = requireRole(ctx.cloud, input.RoleName);
  checkDocument(input.PolicyDocument, 'identity');
  const policies = { ...role.InlinePolicies, [input.PolicyName]: input.PolicyDocument };
  const total = Object.values(policies).reduce((sum, text) => sum + policySize(text), 0);
  if (total > INLINE_QUOTA) {
    throw iamErrors.inlinePoliciesTooLarge(INLINE_QUOTA, role.RoleName);
  }
  saveRole(ctx.cloud, { ...role, InlinePolicies: policies });
  return {};
}

export function getRolePolicy(input: { RoleName: string; PolicyName: string }, ctx: RequestContext) {
  const role = requireRole(ctx.cloud, input.RoleName);
  const name = requireInline(role, input.PolicyName);
  return { RoleName: role.RoleName, PolicyName: name, PolicyDocument: encodeDocument(role.InlinePolicies[name]) };
}

export function listRolePolicies(input: PageInput & { RoleName: string }, ctx: RequestContext) {
  const role = requireRole(ctx.cloud, input.RoleName);
  const { page, IsTruncated, Marker } = paginate(Object.keys(role.InlinePolicies).sort(), input);
  return { PolicyNames: page, IsTruncated, Marker };
}

export function deleteRolePolicy(input: { RoleName: string; PolicyName: string }, ctx: RequestContext) {
  const role = requireRole(ctx.cloud, input.RoleName);
  const name = requireInline(role, input.PolicyName);
  const policies = { ...role.InlinePolicies };
  delete policies[name];
  saveRole(ctx.cloud, { ...role, InlinePolicies: policies });
  return {};
}
