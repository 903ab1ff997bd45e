import { iamErrors } from './errors.js';
import type { Cloud } from '../../cloud.js';
import type { RequestContext } from '../types.js';
import { iamArn, iamNow, newUniqueId } from './ids.js';
import { paginate, type PageInput } from './paging.js';
import { findRole, requireRole, roleView } from './roles.js';
import { GLOBAL, instanceProfiles, keyOf, type InstanceProfileRecord, type RoleRecord, type Tag } from './state.js';
import { checkTags, mergeTags, withoutTags } from './validation.js';

/** Finds an instance profile by name or by ARN (as EC2's IamInstanceProfile accepts either). */
export function findInstanceProfile(cloud: Cloud, nameOrArn: string): InstanceProfileRecord | undefined {
  const isArn = nameOrArn.startsWith('arn:');
  const name = isArn ? nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1) : nameOrArn;
  const found = instanceProfiles(cloud).get(GLOBAL, keyOf(name));
  return found && (!isArn || found.Arn === nameOrArn) ? found : undefined;
}

function requireProfile(cloud: Cloud, name: string): InstanceProfileRecord {
  const profile = findInstanceProfile(cloud, name);
  if (!profile) throw iamErrors.instanceProfileNotFound(name);
  return profile;
}

const save = (cloud: Cloud, p: InstanceProfileRecord) => instanceProfiles(cloud).put(GLOBAL, keyOf(p.InstanceProfileName), p);

function profileView(cloud: Cloud, p: InstanceProfileRecord) {
  const members = p.RoleNames.map((n) => findRole(cloud, n)).filter((r): r is RoleRecord => r !== undefined);
  return {
    Path: p.Path,
    InstanceProfileName: p.InstanceProfileName,
    InstanceProfileId: p.InstanceProfileId,
    Arn: p.Arn,
    CreateDate: p.CreateDate,
    Roles: members.map((r) => roleView(r, false)),
    Tags: p.Tags.length ? p.Tags : undefined,
  };
}

export function createInstanceProfile(input: { InstanceProfileName: string; Path?: string; Tags?: Tag[] }, ctx: RequestContext) {
  const path = input.Path ?? '/';
  const profile: InstanceProfileRecord = {
    InstanceProfileName: input.InstanceProfileName,
    InstanceProfileId: newUniqueId('AIPA'),
    Arn: iamArn(ctx.accountId, 'instance-profile', path, input.InstanceProfileName),
    Path: path,
    CreateDate: iamNow(ctx.cloud.clock),
    RoleNames: [],
    Tags: checkTags(input.Tags),
  };
  if (!instanceProfiles(ctx.cloud).insert(GLOBAL, keyOf(profile.InstanceProfileName), profile)) {
    throw iamErrors.instanceProfileExists(input.InstanceProfileName);
  }
  return { InstanceProfile: profileView(ctx.cloud, profile) };
}

export function getInstanceProfile(input: { InstanceProfileName: string }, ctx: RequestContext) {
  return { InstanceProfile: profileView(ctx.cloud, requireProfile(ctx.cloud, input.InstanceProfileName)) };
}

export function addRoleToInstanceProfile(input: { InstanceProfileName: string; RoleName: string }, ctx: RequestContext) {
  const profile = requireProfile(ctx.cloud, input.InstanceProfileName);
  const role = requireRole(ctx.cloud, input.RoleName);
  if (profile.RoleNames.length >= 1) throw iamErrors.quotaExceeded('InstanceSessionsPerInstanceProfile', 1);
  save(ctx.cloud, { ...profile, RoleNames: [role.RoleName] });
  return {};
}

export function removeRoleFromInstanceProfile(input: { InstanceProfileName: string; RoleName: string }, ctx: RequestContext) {
  const profile = requireProfile(ctx.cloud, input.InstanceProfileName);
  requireRole(ctx.cloud, input.RoleName);
  const remaining = profile.RoleNames.filter((n) => keyOf(n) !== keyOf(input.RoleName));
  if (remaining.length === profile.RoleNames.length) throw iamErrors.roleNotFound(input.RoleName);
  save(ctx.cloud, { ...profile, RoleNames: remaining });
  return {};
}

export function deleteInstanceProfile(input: { InstanceProfileName: string }, ctx: RequestContext) {
  const profile = requireProfile(ctx.cloud, input.InstanceProfileName);
  if (profile.RoleNames.length) throw iamErrors.roleInInstanceProfile();
  instanceProfiles(ctx.cloud).delete(GLOBAL, keyOf(profile.InstanceProfileName));
  return {};
}

const byName = (a: InstanceProfileRecord, b: InstanceProfileRecord) =>
  keyOf(a.InstanceProfileName).localeCompare(keyOf(b.InstanceProfileName));

export function listInstanceProfiles(input: PageInput & { PathPrefix?: string }, ctx: RequestContext) {
  const prefix = input.PathPrefix ?? '/';
  const all = instanceProfiles(ctx.cloud)
    .list(GLOBAL)
    .filter((p) => p.Path.startsWith(prefix))
    .sort(byName);
  const { page, IsTruncated, Marker } = paginate(all, input);
  return { InstanceProfiles: page.map((p) => profileView(ctx.cloud, p)), IsTruncated, Marker };
}

export function listInstanceProfilesForRole(input: PageInput & { RoleName: string }, ctx: RequestContext) {
  const role = requireRole(ctx.cloud, input.RoleName);
  const all = instanceProfiles(ctx.cloud)
    .list(GLOBAL)
    .filter((p) => p.RoleNames.some((n) => keyOf(n) === keyOf(role.RoleName)))
    .sort(byName);
  const { page, IsTruncated, Marker } = paginate(all, input);
  return { InstanceProfiles: page.map((p) => profileView(ctx.cloud, p)), IsTruncated, Marker };
}

export function tagInstanceProfile(input: { InstanceProfileName: string; Tags: Tag[] }, ctx: RequestContext) {
  const profile = requireProfile(ctx.cloud, input.InstanceProfileName);
  save(ctx.cloud, { ...profile, Tags: mergeTags(profile.Tags, input.Tags) });
  return {};
}

export function untagInstanceProfile(input: { InstanceProfileName: string; TagKeys: string[] }, ctx: RequestContext) {
  const profile = requireProfile(ctx.cloud, input.InstanceProfileName);
  save(ctx.cloud, { ...profile, Tags: withoutTags(profile.Tags, input.TagKeys) });
  return {};
}

export function listInstanceProfileTags(input: PageInput & { InstanceProfileName: string }, ctx: RequestContext) {
  const { page, IsTruncated, Marker } = paginate(requireProfile(ctx.cloud, input.InstanceProfileName).Tags, input);
  return { Tags: page, IsTruncated, Marker };
}
