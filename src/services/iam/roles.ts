import { iamErrors } from './errors.js';
import type { Cloud } from '../../cloud.js';
import type { RequestContext } from '../types.js';
import type { CreateRoleInput } from './generated/types.js';
import { encodeDocument, iamArn, iamNow, newUniqueId } from './ids.js';
import { paginate, type PageInput } from './paging.js';
import { checkBoundary } from './role-boundary.js';
import { GLOBAL, instanceProfiles, keyOf, roles, type RoleRecord, type Tag } from './state.js';
import { checkDocument, checkTags, mergeTags, withoutTags } from './validation.js';

const TRUST_POLICY_QUOTA = { name: 'ACLSizePerRole', max: 2048 };

export function findRole(cloud: Cloud, name: string): RoleRecord | undefined {
  return roles(cloud).get(GLOBAL, keyOf(name));
}

export function requireRole(cloud: Cloud, name: string): RoleRecord {
  const role = findRole(cloud, name);
  if (!role) throw iamErrors.roleNotFound(name);
  return role;
}

export const saveRole = (cloud: Cloud, role: RoleRecord) => roles(cloud).put(GLOBAL, keyOf(role.RoleName), role);

/** The Role shape of IAM's responses. ListRoles leaves out tags, the boundary and last use. */
export function roleView(role: RoleRecord, detail = true): Record<string, unknown> {
  return {
    Path: role.Path,
    RoleName: role.RoleName,
    RoleId: role.RoleId,
    Arn: role.Arn,
    CreateDate: role.CreateDate,
    AssumeRolePolicyDocument: encodeDocument(role.AssumeRolePolicyDocument),
    Description: role.Description,
    MaxSessionDuration: role.MaxSessionDuration,
    PermissionsBoundary:
      detail && role.PermissionsBoundaryArn
        ? { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: role.PermissionsBoundaryArn }
        : undefined,
    Tags: detail && role.Tags.length ? role.Tags : undefined,
    RoleLastUsed: detail ? { LastUsedDate: role.LastUsedDate, Region: role.LastUsedRegion } : undefined,
  };
}

function checkMaxSession(value: number | undefined): number {
  const v = value ?? 3600;
  return v;
}

export function createRole(input: CreateRoleInput, ctx: RequestContext) {
  const path = input.Path ?? '/';
  checkDocument(input.AssumeRolePolicyDocument, 'trust', TRUST_POLICY_QUOTA);
  checkBoundary(ctx, input.PermissionsBoundary);
  const role: RoleRecord = {
    RoleName: input.RoleName,
    RoleId: newUniqueId('AROA'),
    Arn: iamArn(ctx.accountId, 'role', path, input.RoleName),
    Path: path,
    CreateDate: iamNow(ctx.cloud.clock),
    AssumeRolePolicyDocument: input.AssumeRolePolicyDocument,
    Description: input.Description,
    MaxSessionDuration: checkMaxSession(input.MaxSessionDuration),
    PermissionsBoundaryArn: input.PermissionsBoundary,
    Tags: checkTags(input.Tags),
    InlinePolicies: {},
    AttachedPolicyArns: [],
  };
  if (!roles(ctx.cloud).insert(GLOBAL, keyOf(role.RoleName), role)) {
    throw iamErrors.roleExists(input.RoleName);
  }
  const view = roleView(role);
  delete view.RoleLastUsed;
  return { Role: view };
}

export function getRole(input: { RoleName: string }, ctx: RequestContext) {
  return { Role: roleView(requireRole(ctx.cloud, input.RoleName)) };
}

export function listRoles(input: PageInput & { PathPrefix?: string }, ctx: RequestContext) {
  const prefix = input.PathPrefix ?? '/';
  const all = roles(ctx.cloud)
    .list(GLOBAL)
    .filter((r) => r.Path.startsWith(prefix))
    .sort((a, b) => keyOf(a.RoleName).localeCompare(keyOf(b.RoleName)));
  const { page, IsTruncated, Marker } = paginate(all, input);
  return { Roles: page.map((r) => roleView(r, false)), IsTruncated, Marker };
}

export function deleteRole(input: { RoleName: string }, ctx: RequestContext) {
  const role = requireRole(ctx.cloud, input.RoleName);
  const inProfile = instanceProfiles(ctx.cloud)
    .list(GLOBAL)
    .some((p) => p.RoleNames.some((n) => keyOf(n) === keyOf(role.RoleName)));
  if (inProfile) throw iamErrors.roleInInstanceProfile();
  if (role.AttachedPolicyArns.length) throw iamErrors.roleHasAttachedPolicies();
  if (Object.keys(role.InlinePolicies).length) throw iamErrors.roleHasInlinePolicies();
  roles(ctx.cloud).delete(GLOBAL, keyOf(role.RoleName));
  return {};
}

export function updateAssumeRolePolicy(input: { RoleName: string; PolicyDocument: string }, ctx: RequestContext) {
  const role = requireRole(ctx.cloud, input.RoleName);
  checkDocument(input.PolicyDocument, 'trust', TRUST_POLICY_QUOTA);
  saveRole(ctx.cloud, { ...role, AssumeRolePolicyDocument: input.PolicyDocument });
  return {};
}

export function updateRole(input: { RoleName: string; Description?: string; MaxSessionDuration?: number }, ctx: RequestContext) {
  const role = requireRole(ctx.cloud, input.RoleName);
  saveRole(ctx.cloud, {
    ...role,
    Description: input.Description ?? role.Description,
    MaxSessionDuration: input.MaxSessionDuration !== undefined ? checkMaxSession(input.MaxSessionDuration) : role.MaxSessionDuration,
  });
  return {};
}

export function updateRoleDescription(input: { RoleName: string; Description: string }, ctx: RequestContext) {
  const role = requireRole(ctx.cloud, input.RoleName);
  const updated = saveRole(ctx.cloud, { ...role, Description: input.Description });
  return { Role: roleView(updated) };
}

export function tagRole(input: { RoleName: string; Tags: Tag[] }, ctx: RequestContext) {
  const role = requireRole(ctx.cloud, input.RoleName);
  saveRole(ctx.cloud, { ...role, Tags: mergeTags(role.Tags, input.Tags) });
  return {};
}

export function untagRole(input: { RoleName: string; TagKeys: string[] }, ctx: RequestContext) {
  const role = requireRole(ctx.cloud, input.RoleName);
  saveRole(ctx.cloud, { ...role, Tags: withoutTags(role.Tags, input.TagKeys) });
  return {};
}

export function listRoleTags(input: PageInput & { RoleName: string }, ctx: RequestContext) {
  const { page, IsTruncated, Marker } = paginate(requireRole(ctx.cloud, input.RoleName).Tags, input);
  return { Tags: page, IsTruncated, Marker };
}
