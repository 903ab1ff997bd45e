import { iamErrors } from './errors.js';
import type { Cloud } from '../../cloud.js';
import type { RequestContext } from '../types.js';
import { awsManagedPolicies, awsManagedPolicy, AWS_MANAGED_PREFIX } from './aws-managed.js';
import { encodeDocument, iamArn, iamNow, newUniqueId } from './ids.js';
import { paginate, type PageInput } from './paging.js';
import { requireRole, saveRole } from './roles.js';
import { GLOBAL, keyOf, managedPolicies, roles, type ManagedPolicyRecord, type Tag } from './state.js';
import { checkDocument, checkTags, mergeTags, withoutTags } from './validation.js';

const POLICY_SIZE_QUOTA = { name: 'PolicySize', max: 6144 };
const MAX_VERSIONS = 5;
const MAX_ATTACHED_PER_ROLE = 10;

const policyNameOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/** A customer managed policy of this account, or one of the AWS managed policies halo knows. */
export function findPolicy(cloud: Cloud, arn: string): ManagedPolicyRecord | undefined {
  if (arn.startsWith(AWS_MANAGED_PREFIX)) return awsManagedPolicy(arn);
  const found = managedPolicies(cloud).get(GLOBAL, keyOf(policyNameOf(arn)));
  return found && found.Arn === arn ? found : undefined;
}

function checkArn(arn: string): void {
  if (arn.length < 20 || !arn.startsWith('arn:'))
    throw iamErrors.constraint(arn, 'policyArn', 'Member must have length greater than or equal to 20');
}

function requirePolicy(cloud: Cloud, arn: string): ManagedPolicyRecord {
  checkArn(arn);
  const policy = findPolicy(cloud, arn);
  if (!policy) throw iamErrors.policyNotFound(arn);
  return policy;
}

function requireCustomer(cloud: Cloud, arn: string): ManagedPolicyRecord {
  const policy = requirePolicy(cloud, arn);
  if (arn.startsWith(AWS_MANAGED_PREFIX)) throw iamErrors.awsManagedPolicy(arn);
  return policy;
}

/** The default version's document of a managed policy, for policy evaluation. */
export function defaultDocument(policy: ManagedPolicyRecord): string {
  return (policy.Versions.find((v) => v.VersionId === policy.DefaultVersionId) ?? policy.Versions[0]).Document;
}

const attachmentCount = (cloud: Cloud, arn: string) =>
  roles(cloud)
    .list(GLOBAL)
    .filter((r) => r.AttachedPolicyArns.includes(arn)).length;

function policyView(cloud: Cloud, p: ManagedPolicyRecord, withDescription: boolean) {
  return {
    PolicyName: p.PolicyName,
    PolicyId: p.PolicyId,
    Arn: p.Arn,
    Path: p.Path,
    DefaultVersionId: p.DefaultVersionId,
    AttachmentCount: attachmentCount(cloud, p.Arn),
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: withDescription ? p.Description : undefined,
    CreateDate: p.CreateDate,
    UpdateDate: p.UpdateDate,
    Tags: p.Tags.length ? p.Tags : undefined,
  };
}

const versionView = (p: ManagedPolicyRecord, v: { VersionId: string; Document: string; CreateDate: string }, withDocument = true) => ({
  Document: withDocument ? encodeDocument(v.Document) : undefined,
  VersionId: v.VersionId,
  IsDefaultVersion: v.VersionId === p.DefaultVersionId,
  CreateDate: v.CreateDate,
});

interface CreatePolicyInput {
  PolicyName: string;
  Path?: string;
  PolicyDocument: string;
  Description?: string;
  Tags?: Tag[];
}

export function createPolicy(input: CreatePolicyInput, ctx: RequestContext) {
  const path = input.Path ?? '/';
  checkDocument(input.PolicyDocument, 'identity', POLICY_SIZE_QUOTA);
  const now = iamNow(ctx.cloud.clock);
  const policy: ManagedPolicyRecord = {
    PolicyName: input.PolicyName,
    PolicyId: newUniqueId('ANPA'),
    Arn: iamArn(ctx.accountId, 'policy', path, input.PolicyName),
    Path: path,
    Description: input.Description,
    CreateDate: now,
    UpdateDate: now,
    DefaultVersionId: 'v1',
    Versions: [{ VersionId: 'v1', Document: input.PolicyDocument, CreateDate: now }],
    NextVersion: 2,
    Tags: checkTags(input.Tags),
  };
  if (!managedPolicies(ctx.cloud).insert(GLOBAL, keyOf(input.PolicyName), policy)) {
    throw iamErrors.policyExists(input.PolicyName);
  }
  return { Policy: policyView(ctx.cloud, policy, false) };
}

export function getPolicy(input: { PolicyArn: string }, ctx: RequestContext) {
  return { Policy: policyView(ctx.cloud, requirePolicy(ctx.cloud, input.PolicyArn), true) };
}

export function listPolicies(input: PageInput & { Scope?: string; OnlyAttached?: boolean; PathPrefix?: string }, ctx: RequestContext) {
  const prefix = input.PathPrefix ?? '/';
  const scope = input.Scope ?? 'All';
  const local = scope === 'AWS' ? [] : managedPolicies(ctx.cloud).list(GLOBAL);
  const aws = scope === 'Local' ? [] : awsManagedPolicies();
  const all = [...aws, ...local]
    .filter((p) => p.Path.startsWith(prefix))
    .filter((p) => !input.OnlyAttached || attachmentCount(ctx.cloud, p.Arn) > 0)
    .sort((a, b) => a.PolicyName.localeCompare(b.PolicyName));
  const { page, IsTruncated, Marker } = paginate(all, input);
  return { Policies: page.map((p) => policyView(ctx.cloud, p, false)), IsTruncated, Marker };
}

export function deletePolicy(input: { PolicyArn: string }, ctx: RequestContext) {
  const policy = requireCustomer(ctx.cloud, input.PolicyArn);
  if (attachmentCount(ctx.cloud, policy.Arn) > 0) throw iamErrors.policyAttached();
  if (policy.Versions.length > 1) {
    throw iamErrors.policyHasVersions();
  }
  managedPolicies(ctx.cloud).delete(GLOBAL, keyOf(policy.PolicyName));
  return {};
}

function requireVersion(policy: ManagedPolicyRecord, versionId: string) {
  const version = policy.Versions.find((v) => v.VersionId === versionId);
  if (!version) throw iamErrors.policyVersionNotFound(policy.Arn, versionId);
  return version;
}

export function getPolicyVersion(input: { PolicyArn: string; VersionId: string }, ctx: RequestContext) {
  const policy = requirePolicy(ctx.cloud, input.PolicyArn);
  return { PolicyVersion: versionView(policy, requireVersion(policy, input.VersionId)) };
}

export function listPolicyVersions(input: PageInput & { PolicyArn: string }, ctx: RequestContext) {
  const policy = requirePolicy(ctx.cloud, input.PolicyArn);
  const newestFirst = [...policy.Versions].reverse();
  const { page, IsTruncated, Marker } = paginate(newestFirst, input);
  return { Versions: page.map((v) => versionView(policy, v, false)), IsTruncated, Marker };
}

export function createPolicyVersion(input: { PolicyArn: string; PolicyDocument: string; SetAsDefault?: boolean }, ctx: RequestContext) {
  const policy = requireCustomer(ctx.cloud, input.PolicyArn);
  checkDocument(input.PolicyDocument, 'identity', POLICY_SIZE_QUOTA);
  if (policy.Versions.length >= MAX_VERSIONS) {
    throw iamErrors.tooManyPolicyVersions(MAX_VERSIONS);
  }
  const now = iamNow(ctx.cloud.clock);
  const version = { VersionId: `v${policy.NextVersion}`, Document: input.PolicyDocument, CreateDate: now };
  const updated: ManagedPolicyRecord = {
    ...policy,
    Versions: [...policy.Versions, version],
    NextVersion: policy.NextVersion + 1,
    DefaultVersionId: input.SetAsDefault ? version.VersionId : policy.DefaultVersionId,
    UpdateDate: input.SetAsDefault ? now : policy.UpdateDate,
  };
  managedPolicies(ctx.cloud).put(GLOBAL, keyOf(policy.PolicyName), updated);
  return { PolicyVersion: versionView(updated, version, false) };
}

export function setDefaultPolicyVersion(input: { PolicyArn: string; VersionId: string }, ctx: RequestContext) {
  const policy = requireCustomer(ctx.cloud, input.PolicyArn);
  requireVersion(policy, input.VersionId);
  const now = iamNow(ctx.cloud.clock);
  managedPolicies(ctx.cloud).put(GLOBAL, keyOf(policy.PolicyName), { ...policy, DefaultVersionId: input.VersionId, UpdateDate: now });
  return {};
}

export function deletePolicyVersion(input: { PolicyArn: string; VersionId: string }, ctx: RequestContext) {
  const policy = requireCustomer(ctx.cloud, input.PolicyArn);
  requireVersion(policy, input.VersionId);
  if (input.VersionId === policy.DefaultVersionId) throw iamErrors.deleteDefaultVersion();
  const versions = policy.Versions.filter((v) => v.VersionId !== input.VersionId);
  managedPolicies(ctx.cloud).put(GLOBAL, keyOf(policy.PolicyName), { ...policy, Versions: versions });
  return {};
}

export function attachRolePolicy(input: { RoleName: string; PolicyArn: string }, ctx: RequestContext) {
  checkArn(input.PolicyArn);
  const role = requireRole(ctx.cloud, input.RoleName);
  if (!findPolicy(ctx.cloud, input.PolicyArn)) throw iamErrors.policyNotAttachable(input.PolicyArn);
  if (role.AttachedPolicyArns.includes(input.PolicyArn)) return {};
  if (role.AttachedPolicyArns.length >= MAX_ATTACHED_PER_ROLE) {
    throw iamErrors.quotaExceeded('PoliciesPerRole', MAX_ATTACHED_PER_ROLE);
  }
  saveRole(ctx.cloud, { ...role, AttachedPolicyArns: [...role.AttachedPolicyArns, input.PolicyArn] });
  return {};
}

export function detachRolePolicy(input: { RoleName: string; PolicyArn: string }, ctx: RequestContext) {
  checkArn(input.PolicyArn);
  const role = requireRole(ctx.cloud, input.RoleName);
  if (!role.AttachedPolicyArns.includes(input.PolicyArn)) throw iamErrors.policyNotFound(input.PolicyArn);
  saveRole(ctx.cloud, { ...role, AttachedPolicyArns: role.AttachedPolicyArns.filter((a) => a !== input.PolicyArn) });
  return {};
}

export function listAttachedRolePolicies(input: PageInput & { RoleName: string; PathPrefix?: string }, ctx: RequestContext) {
  const role = requireRole(ctx.cloud, input.RoleName);
  const prefix = input.PathPrefix ?? '/';
  const attached = role.AttachedPolicyArns.map((arn) => findPolicy(ctx.cloud, arn))
    .filter((p): p is ManagedPolicyRecord => p !== undefined && p.Path.startsWith(prefix))
    .map((p) => ({ PolicyName: p.PolicyName, PolicyArn: p.Arn }));
  const { page, IsTruncated, Marker } = paginate(attached, input);
  return { AttachedPolicies: page, IsTruncated, Marker };
}

export function listEntitiesForPolicy(
  input: PageInput & { PolicyArn: string; EntityFilter?: string; PathPrefix?: string },
  ctx: RequestContext,
) {
  const policy = requirePolicy(ctx.cloud, input.PolicyArn);
  const prefix = input.PathPrefix ?? '/';
  const wantRoles = input.EntityFilter === undefined || input.EntityFilter === 'Role';
  const attached = wantRoles
    ? roles(ctx.cloud)
        .list(GLOBAL)
        .filter((r) => r.AttachedPolicyArns.includes(policy.Arn) && r.Path.startsWith(prefix))
    : [];
  const { page, IsTruncated, Marker } = paginate(attached, input);
  return {
    PolicyGroups: [],
    PolicyUsers: [],
    PolicyRoles: page.map((r) => ({ RoleName: r.RoleName, RoleId: r.RoleId })),
    IsTruncated,
    Marker,
  };
}

export function tagPolicy(input: { PolicyArn: string; Tags: Tag[] }, ctx: RequestContext) {
  const policy = requireCustomer(ctx.cloud, input.PolicyArn);
  managedPolicies(ctx.cloud).put(GLOBAL, keyOf(policy.PolicyName), { ...policy, Tags: mergeTags(policy.Tags, input.Tags) });
  return {};
}

export function untagPolicy(input: { PolicyArn: string; TagKeys: string[] }, ctx: RequestContext) {
  const policy = requireCustomer(ctx.cloud, input.PolicyArn);
  managedPolicies(ctx.cloud).put(GLOBAL, keyOf(policy.PolicyName), { ...policy, Tags: withoutTags(policy.Tags, input.TagKeys) });
  return {};
}

export function listPolicyTags(input: PageInput & { PolicyArn: string }, ctx: RequestContext) {
  const { page, IsTruncated, Marker } = paginate(requirePolicy(ctx.cloud, input.PolicyArn).Tags, input);
  return { Tags: page, IsTruncated, Marker };
}
