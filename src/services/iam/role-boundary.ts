import { iamErrors } from './errors.js';
import type { RequestContext } from '../types.js';
import { findPolicy } from './managed-policies.js';
import { requireRole, saveRole } from './roles.js';

/** A permissions boundary must be an existing managed policy (customer or AWS managed). */
export function checkBoundary(ctx: RequestContext, arn: string | undefined): void {
  if (arn !== undefined && !findPolicy(ctx.cloud, arn)) {
    throw iamErrors.boundaryNotAttachable(arn);
  }
}

export function putRolePermissionsBoundary(input: { RoleName: string; PermissionsBoundary: string }, ctx: RequestContext) {
  const role = requireRole(ctx.cloud, input.RoleName);
  checkBoundary(ctx, input.PermissionsBoundary);
  saveRole(ctx.cloud, { ...role, PermissionsBoundaryArn: input.PermissionsBoundary });
  return {};
}

export function deleteRolePermissionsBoundary(input: { RoleName: string }, ctx: RequestContext) {
  const role = requireRole(ctx.cloud, input.RoleName);
  if (!role.PermissionsBoundaryArn) throw iamErrors.noPermissionsBoundary(role.RoleName);
  saveRole(ctx.cloud, { ...role, PermissionsBoundaryArn: undefined });
  return {};
}
