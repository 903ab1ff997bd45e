import { registerProvider } from '../cloudformation/providers/registry.js';
import type { ProviderContext, Props, ResourceProvider } from '../cloudformation/providers/types.js';
import { propsOf, type PropsReader } from '../cloudformation/providers/props.js';
import { given } from '../cloudformation/providers/values.js';
import { isAwsError } from '../../protocol/errors.js';

/** IAM takes policy documents as JSON text; templates give them as objects (or text). */
const doc = (p: PropsReader, key: string) => p.requiredJson(key);
const names = (p: PropsReader, key: string): string[] => p.strList(key) ?? [];
const notFound = (err: unknown) => isAwsError(err, 'NoSuchEntity');

async function ignoreMissing(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (!notFound(err)) throw err;
  }
}

function tags(p: PropsReader) {
  const list = p.tags();
  return list.length ? list : undefined;
}

const iamCapability = (nameProp: string) => (props: Props) =>
  props[nameProp] !== undefined ? ('CAPABILITY_NAMED_IAM' as const) : ('CAPABILITY_IAM' as const);

async function syncRoleInline(role: string, props: Props, previous: Props | undefined, ctx: ProviderContext) {
  const inline = (p: Props | undefined) => (p && propsOf(p, ctx.logicalId).objList('Policies')) ?? [];
  const next = inline(props);
  for (const p of inline(previous)) {
    const name = p.requiredStr('PolicyName');
    if (!next.some((n) => n.requiredStr('PolicyName') === name))
      await ignoreMissing(() => ctx.invoke('iam', 'DeleteRolePolicy', { RoleName: role, PolicyName: name }));
  }
  for (const p of next)
    await ctx.invoke('iam', 'PutRolePolicy', {
      RoleName: role,
      PolicyName: p.requiredStr('PolicyName'),
      PolicyDocument: doc(p, 'PolicyDocument'),
    });
}

async function syncRoleManaged(role: string, props: Props, previous: Props | undefined, ctx: ProviderContext) {
  const next = names(propsOf(props, ctx.logicalId), 'ManagedPolicyArns');
  for (const arn of previous ? names(propsOf(previous, ctx.logicalId), 'ManagedPolicyArns') : []) {
    if (!next.includes(arn)) await ignoreMissing(() => ctx.invoke('iam', 'DetachRolePolicy', { RoleName: role, PolicyArn: arn }));
  }
  for (const arn of next) await ctx.invoke('iam', 'AttachRolePolicy', { RoleName: role, PolicyArn: arn });
}

async function roleAttributes(role: string, ctx: ProviderContext) {
  const { Role } = await ctx.invoke('iam', 'GetRole', { RoleName: role });
  return { Arn: Role?.Arn, RoleId: Role?.RoleId };
}

/** Ref is the role name; GetAtt Arn and RoleId. */
export const roleProvider: ResourceProvider = {
  type: 'AWS::IAM::Role',
  required: ['AssumeRolePolicyDocument'],
  replaceOn: ['RoleName', 'Path'],
  capability: iamCapability('RoleName'),
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    const name = p.str('RoleName') ?? ctx.physicalName(64);
    await ctx.invoke('iam', 'CreateRole', {
      RoleName: name,
      Path: p.str('Path'),
      AssumeRolePolicyDocument: doc(p, 'AssumeRolePolicyDocument'),
      Description: p.str('Description'),
      MaxSessionDuration: p.num('MaxSessionDuration'),
      PermissionsBoundary: p.str('PermissionsBoundary'),
      Tags: tags(p),
    });
    try {
      await syncRoleInline(name, props, undefined, ctx);
      await syncRoleManaged(name, props, undefined, ctx);
    } catch (err) {
      await roleProvider.delete(name, props, ctx).catch(() => undefined);
      throw err;
    }
    return { physicalId: name, attributes: await roleAttributes(name, ctx) };
  },
  async update(name, props, previous, ctx) {
    const [p, before] = [propsOf(props, ctx.logicalId), propsOf(previous, ctx.logicalId)];
    if (doc(p, 'AssumeRolePolicyDocument') !== doc(before, 'AssumeRolePolicyDocument')) {
      await ctx.invoke('iam', 'UpdateAssumeRolePolicy', { RoleName: name, PolicyDocument: doc(p, 'AssumeRolePolicyDocument') });
    }
    if (p.str('Description') !== before.str('Description') || p.num('MaxSessionDuration') !== before.num('MaxSessionDuration')) {
      await ctx.invoke('iam', 'UpdateRole', {
        RoleName: name,
        Description: p.str('Description') ?? '',
        MaxSessionDuration: p.num('MaxSessionDuration'),
      });
    }
    await syncRoleInline(name, props, previous, ctx);
    await syncRoleManaged(name, props, previous, ctx);
    return { physicalId: name, attributes: await roleAttributes(name, ctx) };
  },
  async delete(name, _props, ctx) {
    // A role must have no policies left before DeleteRole, so remove what is attached to it (even by others).
    await ignoreMissing(async () => {
      const inline = await ctx.invoke('iam', 'ListRolePolicies', { RoleName: name });
      for (const p of inline.PolicyNames ?? []) await ctx.invoke('iam', 'DeleteRolePolicy', { RoleName: name, PolicyName: p });
      const attached = await ctx.invoke('iam', 'ListAttachedRolePolicies', { RoleName: name });
      for (const p of attached.AttachedPolicies ?? [])
        await ctx.invoke('iam', 'DetachRolePolicy', { RoleName: name, PolicyArn: given(p.PolicyArn, 'PolicyArn') });
      await ctx.invoke('iam', 'DeleteRole', { RoleName: name });
    });
  },
};

/** Ref is the profile name; GetAtt Arn. */
export const instanceProfileProvider: ResourceProvider = {
  type: 'AWS::IAM::InstanceProfile',
  required: ['Roles'],
  replaceOn: ['InstanceProfileName', 'Path'],
  capability: iamCapability('InstanceProfileName'),
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    const name = p.str('InstanceProfileName') ?? ctx.physicalName(128);
    const { InstanceProfile } = await ctx.invoke('iam', 'CreateInstanceProfile', { InstanceProfileName: name, Path: p.str('Path') });
    try {
      for (const role of names(p, 'Roles'))
        await ctx.invoke('iam', 'AddRoleToInstanceProfile', { InstanceProfileName: name, RoleName: role });
    } catch (err) {
      await ctx.invoke('iam', 'DeleteInstanceProfile', { InstanceProfileName: name }).catch(() => undefined);
      throw err;
    }
    return { physicalId: name, attributes: { Arn: InstanceProfile?.Arn } };
  },
  async update(name, props, previous, ctx) {
    const next = names(propsOf(props, ctx.logicalId), 'Roles');
    const before = names(propsOf(previous, ctx.logicalId), 'Roles');
    for (const role of before) {
      if (!next.includes(role))
        await ignoreMissing(() => ctx.invoke('iam', 'RemoveRoleFromInstanceProfile', { InstanceProfileName: name, RoleName: role }));
    }
    for (const role of next) {
      if (!before.includes(role)) await ctx.invoke('iam', 'AddRoleToInstanceProfile', { InstanceProfileName: name, RoleName: role });
    }
    const { InstanceProfile } = await ctx.invoke('iam', 'GetInstanceProfile', { InstanceProfileName: name });
    return { physicalId: name, attributes: { Arn: InstanceProfile?.Arn } };
  },
  async delete(name, _props, ctx) {
    await ignoreMissing(async () => {
      const { InstanceProfile } = await ctx.invoke('iam', 'GetInstanceProfile', { InstanceProfileName: name });
      for (const role of InstanceProfile?.Roles ?? []) {
        await ctx.invoke('iam', 'RemoveRoleFromInstanceProfile', { InstanceProfileName: name, RoleName: given(role.RoleName, 'RoleName') });
      }
      await ctx.invoke('iam', 'DeleteInstanceProfile', { InstanceProfileName: name });
    });
  },
};

function refuseUsersAndGroups(p: PropsReader): void {
  if (names(p, 'Users').length || names(p, 'Groups').length)
    throw new Error('halo supports IAM policies for Roles only (not Users or Groups) yet');
}

/** An inline policy put into each of its roles. Ref is a generated id (as CloudFormation's). */
export const policyProvider: ResourceProvider = {
  type: 'AWS::IAM::Policy',
  required: ['PolicyName', 'PolicyDocument'],
  replaceOn: ['PolicyName'],
  capability: () => 'CAPABILITY_IAM',
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    refuseUsersAndGroups(p);
    for (const role of names(p, 'Roles')) {
      await ctx.invoke('iam', 'PutRolePolicy', {
        RoleName: role,
        PolicyName: p.requiredStr('PolicyName'),
        PolicyDocument: doc(p, 'PolicyDocument'),
      });
    }
    const id = ctx.physicalName(64);
    return { physicalId: id, attributes: { Id: id } };
  },
  async update(id, props, previous, ctx) {
    const [p, before] = [propsOf(props, ctx.logicalId), propsOf(previous, ctx.logicalId)];
    refuseUsersAndGroups(p);
    for (const role of names(before, 'Roles')) {
      if (!names(p, 'Roles').includes(role))
        await ignoreMissing(() => ctx.invoke('iam', 'DeleteRolePolicy', { RoleName: role, PolicyName: before.requiredStr('PolicyName') }));
    }
    for (const role of names(p, 'Roles')) {
      await ctx.invoke('iam', 'PutRolePolicy', {
        RoleName: role,
        PolicyName: p.requiredStr('PolicyName'),
        PolicyDocument: doc(p, 'PolicyDocument'),
      });
    }
    return { physicalId: id, attributes: { Id: id } };
  },
  async delete(_id, props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    for (const role of names(p, 'Roles'))
      await ignoreMissing(() => ctx.invoke('iam', 'DeleteRolePolicy', { RoleName: role, PolicyName: p.requiredStr('PolicyName') }));
  },
};

/** Ref is the policy ARN; GetAtt PolicyArn, PolicyId, DefaultVersionId. */
export const managedPolicyProvider: ResourceProvider = {
  type: 'AWS::IAM::ManagedPolicy',
  required: ['PolicyDocument'],
  replaceOn: ['ManagedPolicyName', 'Path', 'Description'],
  capability: iamCapability('ManagedPolicyName'),
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    refuseUsersAndGroups(p);
    const { Policy } = await ctx.invoke('iam', 'CreatePolicy', {
      PolicyName: p.str('ManagedPolicyName') ?? ctx.physicalName(128),
      Path: p.str('Path'),
      Description: p.str('Description'),
      PolicyDocument: doc(p, 'PolicyDocument'),
    });
    const arn = given(Policy?.Arn, 'policy Arn');
    for (const role of names(p, 'Roles')) await ctx.invoke('iam', 'AttachRolePolicy', { RoleName: role, PolicyArn: arn });
    return {
      physicalId: arn,
      attributes: { PolicyArn: arn, PolicyId: Policy?.PolicyId, DefaultVersionId: Policy?.DefaultVersionId },
    };
  },
  async update(arn, props, previous, ctx) {
    const [p, before] = [propsOf(props, ctx.logicalId), propsOf(previous, ctx.logicalId)];
    refuseUsersAndGroups(p);
    if (doc(p, 'PolicyDocument') !== doc(before, 'PolicyDocument')) {
      const { Versions } = await ctx.invoke('iam', 'ListPolicyVersions', { PolicyArn: arn });
      const old = (Versions ?? []).filter((v) => !v.IsDefaultVersion);
      // IAM keeps at most five versions: drop the oldest non-default one first, as CloudFormation does.
      const oldest = old[old.length - 1]?.VersionId;
      if ((Versions ?? []).length >= 5 && oldest) await ctx.invoke('iam', 'DeletePolicyVersion', { PolicyArn: arn, VersionId: oldest });
      await ctx.invoke('iam', 'CreatePolicyVersion', { PolicyArn: arn, PolicyDocument: doc(p, 'PolicyDocument'), SetAsDefault: true });
    }
    for (const role of names(before, 'Roles')) {
      if (!names(p, 'Roles').includes(role))
        await ignoreMissing(() => ctx.invoke('iam', 'DetachRolePolicy', { RoleName: role, PolicyArn: arn }));
    }
    for (const role of names(p, 'Roles')) await ctx.invoke('iam', 'AttachRolePolicy', { RoleName: role, PolicyArn: arn });
    const { Policy } = await ctx.invoke('iam', 'GetPolicy', { PolicyArn: arn });
    return { physicalId: arn, attributes: { PolicyArn: arn, PolicyId: Policy?.PolicyId, DefaultVersionId: Policy?.DefaultVersionId } };
  },
  async delete(arn, _props, ctx) {
    await ignoreMissing(async () => {
      const { PolicyRoles } = await ctx.invoke('iam', 'ListEntitiesForPolicy', { PolicyArn: arn });
      for (const r of PolicyRoles ?? [])
        await ignoreMissing(() => ctx.invoke('iam', 'DetachRolePolicy', { RoleName: given(r.RoleName, 'RoleName'), PolicyArn: arn }));
      const { Versions } = await ctx.invoke('iam', 'ListPolicyVersions', { PolicyArn: arn });
      for (const v of Versions ?? [])
        if (!v.IsDefaultVersion && v.VersionId) await ctx.invoke('iam', 'DeletePolicyVersion', { PolicyArn: arn, VersionId: v.VersionId });
      await ctx.invoke('iam', 'DeletePolicy', { PolicyArn: arn });
    });
  },
};

for (const p of [roleProvider, instanceProfileProvider, policyProvider, managedPolicyProvider]) registerProvider(p);
