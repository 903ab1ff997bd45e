import { ec2Page, type Ec2PageInput } from '../paging.js';
import { ec2Errors } from '../errors.js';
import type { RequestContext } from '../../types.js';
import { applyFilters, tagsFor, type Filter } from '../filters.js';
import { newId } from '../ids.js';
import { requireAll, tagsOrNone, type TagSpecifications } from './common.js';
import { findSecurityGroup, findVpc } from './lookup.js';
import {
  describeRule,
  ipPermissionsOf,
  newRule,
  ruleOutput,
  ruleSpecs,
  sameRule,
  type FlatRuleInput,
  type GroupResolver,
  type IpPermissionInput,
} from './security-group-rules.js';
import { emitNetwork, instances, securityGroups, vpcs, type SecurityGroupRecord, type SecurityGroupRuleRecord } from './state.js';

/** AWS's default quota of rules per direction of a group. */
const RULES_PER_DIRECTION = 60;

const allowAllOut = (): SecurityGroupRuleRecord => ({
  SecurityGroupRuleId: newId('sgr'),
  IsEgress: true,
  IpProtocol: '-1',
  CidrIpv4: '0.0.0.0/0',
  Tags: [],
});

/** A VPC's `default` group: traffic from its own members in, everything out. */
export function newDefaultSecurityGroup(vpcId: string, owner: string): SecurityGroupRecord {
  const groupId = newId('sg');
  return {
    GroupId: groupId,
    GroupName: 'default',
    Description: 'default VPC security group',
    OwnerId: owner,
    VpcId: vpcId,
    IsDefault: true,
    Rules: [
      {
        SecurityGroupRuleId: newId('sgr'),
        IsEgress: false,
        IpProtocol: '-1',
        ReferencedGroupId: groupId,
        ReferencedUserId: owner,
        Tags: [],
      },
      allowAllOut(),
    ],
    Tags: [],
  };
}

function groupOutput(g: SecurityGroupRecord) {
  return {
    Description: g.Description,
    GroupName: g.GroupName,
    IpPermissions: ipPermissionsOf(g.Rules.filter((r) => !r.IsEgress)),
    OwnerId: g.OwnerId,
    GroupId: g.GroupId,
    IpPermissionsEgress: ipPermissionsOf(g.Rules.filter((r) => r.IsEgress)),
    Tags: tagsOrNone(g.Tags),
    VpcId: g.VpcId,
  };
}

const defaultVpcId = (ctx: RequestContext) =>
  vpcs(ctx.cloud.store)
    .list(ctx.region)
    .find((v) => v.IsDefault)?.VpcId;

/** A group named alone (without its id) is looked up in the default VPC, as AWS does. */
function groupInDefaultVpc(ctx: RequestContext, name: string): SecurityGroupRecord {
  const vpcId = defaultVpcId(ctx);
  const group = vpcId
    ? securityGroups(ctx.cloud.store)
        .list(ctx.region)
        .find((g) => g.VpcId === vpcId && g.GroupName === name)
    : undefined;
  if (!group) throw ec2Errors.groupNotFoundInDefaultVpc(name, vpcId ?? 'none');
  return group;
}

function groupOf(ctx: RequestContext, input: { GroupId?: string; GroupName?: string }): SecurityGroupRecord {
  if (input.GroupId) return findSecurityGroup(ctx, input.GroupId);
  if (input.GroupName) return groupInDefaultVpc(ctx, input.GroupName);
  throw ec2Errors.missingParameter('groupName or groupId');
}

function checkName(name: string, field: string): void {
  if (!name || name.length > 255 || !/^[\x20-\x7e]+$/.test(name)) {
    throw ec2Errors.invalidGroupText(name, field);
  }
}

export function createSecurityGroup(
  input: { GroupName: string; Description: string; VpcId?: string; TagSpecifications?: TagSpecifications },
  ctx: RequestContext,
) {
  checkName(input.GroupName, 'groupName');
  checkName(input.Description, 'GroupDescription');
  const vpcId = input.VpcId ?? defaultVpcId(ctx);
  if (!vpcId) throw ec2Errors.noDefaultVpc();
  const vpc = findVpc(ctx, vpcId);
  if (input.GroupName === 'default') throw ec2Errors.reservedGroupName();
  if (/^sg-/i.test(input.GroupName)) throw ec2Errors.groupNameLooksLikeId();
  const existing = securityGroups(ctx.cloud.store).list(ctx.region);
  if (existing.some((g) => g.VpcId === vpc.VpcId && g.GroupName === input.GroupName)) {
    throw ec2Errors.groupDuplicate(input.GroupName, vpc.VpcId);
  }
  const group: SecurityGroupRecord = {
    GroupId: newId('sg'),
    GroupName: input.GroupName,
    Description: input.Description,
    OwnerId: ctx.accountId,
    VpcId: vpc.VpcId,
    IsDefault: false,
    Rules: [allowAllOut()],
    Tags: tagsFor('security-group', input.TagSpecifications),
  };
  securityGroups(ctx.cloud.store).insert(ctx.region, group.GroupId, group);
  emitNetwork(ctx.cloud, 'ec2.securityGroupChanged', { region: ctx.region, groupId: group.GroupId, vpcId: group.VpcId });
  return { GroupId: group.GroupId, Tags: tagsOrNone(group.Tags) };
}

export function describeSecurityGroups(
  input: { GroupIds?: string[]; GroupNames?: string[]; Filters?: Filter[] } & Ec2PageInput,
  ctx: RequestContext,
) {
  let items = requireAll(
    securityGroups(ctx.cloud.store).list(ctx.region),
    input.GroupIds,
    (g) => g.GroupId,
    (id) => ec2Errors.groupNotFound(id),
  );
  if (input.GroupNames?.length) {
    const named = input.GroupNames.map((name) => groupInDefaultVpc(ctx, name).GroupId);
    items = items.filter((g) => named.includes(g.GroupId));
  }
  const rules = (egress: boolean, read: (r: SecurityGroupRuleRecord) => unknown) => (g: SecurityGroupRecord) =>
    g.Rules.filter((r) => r.IsEgress === egress).map(read);
  const names = new Map(items.map((g) => [g.GroupId, g.GroupName]));
  items = applyFilters(
    items,
    input.Filters,
    {
      'group-id': (g) => g.GroupId,
      'group-name': (g) => g.GroupName,
      description: (g) => g.Description,
      'owner-id': (g) => g.OwnerId,
      'vpc-id': (g) => g.VpcId,
      'ip-permission.cidr': rules(false, (r) => r.CidrIpv4),
      'ip-permission.protocol': rules(false, (r) => r.IpProtocol),
      'ip-permission.from-port': rules(false, (r) => r.FromPort),
      'ip-permission.to-port': rules(false, (r) => r.ToPort),
      'ip-permission.group-id': rules(false, (r) => r.ReferencedGroupId),
      'ip-permission.group-name': rules(false, (r) => (r.ReferencedGroupId ? names.get(r.ReferencedGroupId) : undefined)),
      'ip-permission.user-id': rules(false, (r) => r.ReferencedUserId),
      'egress.ip-permission.cidr': rules(true, (r) => r.CidrIpv4),
      'egress.ip-permission.protocol': rules(true, (r) => r.IpProtocol),
      'egress.ip-permission.from-port': rules(true, (r) => r.FromPort),
      'egress.ip-permission.to-port': rules(true, (r) => r.ToPort),
      'egress.ip-permission.group-id': rules(true, (r) => r.ReferencedGroupId),
    },
    (g) => g.Tags,
  );
  const page = ec2Page(items, input, 'GroupIds');
  return { SecurityGroups: page.items.map(groupOutput), NextToken: page.NextToken };
}

export function deleteSecurityGroup(input: { GroupId?: string; GroupName?: string }, ctx: RequestContext) {
  const group = groupOf(ctx, input);
  if (group.IsDefault) {
    throw ec2Errors.defaultGroupNotDeletable(group.GroupId);
  }
  const store = ctx.cloud.store;
  const referenced = securityGroups(store)
    .list(ctx.region)
    .some((g) => g.GroupId !== group.GroupId && g.Rules.some((r) => r.ReferencedGroupId === group.GroupId));
  const inUse = instances(store)
    .list(ctx.region)
    .some((i) => i.State?.Name !== 'terminated' && (i.SecurityGroups ?? []).some((s) => s.GroupId === group.GroupId));
  if (referenced || inUse) throw ec2Errors.hasDependentObject(group.GroupId);
  securityGroups(store).delete(ctx.region, group.GroupId);
  emitNetwork(ctx.cloud, 'ec2.securityGroupDeleted', { region: ctx.region, groupId: group.GroupId, vpcId: group.VpcId });
  return {};
}

function resolverFor(ctx: RequestContext, group: SecurityGroupRecord): GroupResolver {
  return (ref) => {
    if (ref.GroupId) {
      const peer = findSecurityGroup(ctx, ref.GroupId);
      if (peer.VpcId !== group.VpcId) throw ec2Errors.groupNotFoundInVpc(ref.GroupId, group.VpcId);
      return peer;
    }
    const peer = securityGroups(ctx.cloud.store)
      .list(ctx.region)
      .find((g) => g.VpcId === group.VpcId && g.GroupName === ref.GroupName);
    if (!peer) throw ec2Errors.groupNotFoundInVpc(String(ref.GroupName), group.VpcId);
    return peer;
  };
}

type AuthorizeInput = FlatRuleInput & {
  GroupId?: string;
  GroupName?: string;
  IpPermissions?: IpPermissionInput[];
  TagSpecifications?: TagSpecifications;
};

function authorize(isEgress: boolean, input: AuthorizeInput, ctx: RequestContext) {
  const group = groupOf(ctx, input);
  const specs = ruleSpecs(isEgress, input.IpPermissions, input, resolverFor(ctx, group));
  const tags = tagsFor('security-group-rule', input.TagSpecifications);
  const added: SecurityGroupRuleRecord[] = [];
  for (const spec of specs) {
    if (group.Rules.some((r) => sameRule(r, spec)) || added.some((r) => sameRule(r, spec))) {
      throw ec2Errors.permissionDuplicate(describeRule(spec));
    }
    added.push(newRule(spec, tags));
  }
  if (group.Rules.filter((r) => r.IsEgress === isEgress).length + added.length > RULES_PER_DIRECTION) {
    throw ec2Errors.rulesPerGroupLimitExceeded();
  }
  const updated = { ...group, Rules: [...group.Rules, ...added] };
  securityGroups(ctx.cloud.store).put(ctx.region, group.GroupId, updated);
  emitNetwork(ctx.cloud, 'ec2.securityGroupChanged', { region: ctx.region, groupId: group.GroupId, vpcId: group.VpcId });
  return { Return: true, SecurityGroupRules: added.map((r) => ruleOutput(updated, r)) };
}

type RevokeInput = AuthorizeInput & { SecurityGroupRuleIds?: string[] };

function revoke(isEgress: boolean, input: RevokeInput, ctx: RequestContext) {
  const group = groupOf(ctx, input);
  let removed: SecurityGroupRuleRecord[];
  if (input.SecurityGroupRuleIds?.length) {
    removed = input.SecurityGroupRuleIds.map((id) => {
      const rule = group.Rules.find((r) => r.SecurityGroupRuleId === id && r.IsEgress === isEgress);
      if (!rule) throw ec2Errors.groupRuleIdNotFound(id);
      return rule;
    });
  } else {
    // In a non-default VPC a rule that does not match makes the whole call fail, and nothing is revoked.
    removed = ruleSpecs(isEgress, input.IpPermissions, input, resolverFor(ctx, group)).map((spec) => {
      const rule = group.Rules.find((r) => sameRule(r, spec));
      if (!rule) throw ec2Errors.permissionNotFound();
      return rule;
    });
  }
  const updated = { ...group, Rules: group.Rules.filter((r) => !removed.includes(r)) };
  securityGroups(ctx.cloud.store).put(ctx.region, group.GroupId, updated);
  emitNetwork(ctx.cloud, 'ec2.securityGroupChanged', { region: ctx.region, groupId: group.GroupId, vpcId: group.VpcId });
  return { Return: true };
}

export const authorizeSecurityGroupIngress = (input: AuthorizeInput, ctx: RequestContext) => authorize(false, input, ctx);
export const authorizeSecurityGroupEgress = (input: AuthorizeInput, ctx: RequestContext) => authorize(true, input, ctx);
export const revokeSecurityGroupIngress = (input: RevokeInput, ctx: RequestContext) => revoke(false, input, ctx);
export const revokeSecurityGroupEgress = (input: RevokeInput, ctx: RequestContext) => revoke(true, input, ctx);

export function describeSecurityGroupRules(
  input: { SecurityGroupRuleIds?: string[]; Filters?: Filter[] } & Ec2PageInput,
  ctx: RequestContext,
) {
  const all = securityGroups(ctx.cloud.store)
    .list(ctx.region)
    .flatMap((g) => g.Rules.map((r) => ({ g, r })));
  let items = requireAll(
    all,
    input.SecurityGroupRuleIds,
    (x) => x.r.SecurityGroupRuleId,
    (id) => ec2Errors.groupRuleIdNotFound(id),
  );
  items = applyFilters(
    items,
    input.Filters,
    {
      'group-id': (x) => x.g.GroupId,
      'security-group-rule-id': (x) => x.r.SecurityGroupRuleId,
    },
    (x) => x.r.Tags,
  );
  const page = ec2Page(items, input, 'SecurityGroupRuleIds');
  return { SecurityGroupRules: page.items.map((x) => ruleOutput(x.g, x.r)), NextToken: page.NextToken };
}
