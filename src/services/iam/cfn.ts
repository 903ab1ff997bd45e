import { registerProvider } from '../cloudformation/providers/registry.js';
import type { ProviderContext, Props, ResourceProvider } from '../cloudformation/providers/types.js';
import { num, str } from '../cloudformation/providers/values.js';

/** IAM takes policy documents as JSON text; templates give them as objects (or text). */
const doc = (v: unknown) => (v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v));
const names = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
const notFound = (err: unknown) => /Error Code: NoSuchEntity/.test((err as Error).message);

async function ignoreMissing(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (!notFound(err)) throw err;
  }
}

function tags(props: Props) {
  const list = (props.Tags ?? []) as Array<{ Key: string; Value: string }>;
  return list.length ? list.map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? '') })) : undefined;
}

const iamCapability = (nameProp: string) => (props: Props) =>
  props[nameProp] !== undefined ? ('CAPABILITY_NAMED_IAM' as const) : ('CAPABILITY_IAM' as const);

async function syncRoleInline(role: string, props: Props, previous: Props | undefined, ctx: ProviderContext) {
  const next = (props.Policies ?? []) as Array<{ PolicyName: string; PolicyDocument: unknown }>;
  for (const p of (previous?.Policies ?? []) as Array<{ PolicyName: string }>) {
    if (!next.some((n) => n.PolicyName === p.PolicyName))
      await ignoreMissing(() => ctx.invoke('iam', 'DeleteRolePolicy', { RoleName: role, PolicyName: p.PolicyName }));
  }
  for (const p of next)
    await ctx.invoke('iam', 'PutRolePolicy', { RoleName: role, PolicyName: str(p.PolicyName), PolicyDocument: doc(p.PolicyDocument) });
}

async function syncRoleManaged(role: string, props: Props, previous: Props | undefined, ctx: ProviderContext) {
  const next = names(props.ManagedPolicyArns);
  for (const arn of names(previous?.ManagedPolicyArns)) {
    if (!next.includes(arn)) await ignoreMissing(() => ctx.invoke('iam', 'DetachRolePolicy', { RoleName: role, PolicyArn: arn }));
  }
  for (const arn of next) await ctx.invoke('iam', 'AttachRolePolicy', { RoleName: role, PolicyArn: arn });
}

async function roleAttributes(role: string, ctx: ProviderContext) {
  const { Role } = await ctx.invoke('iam', 'GetRole', { RoleName: role });
  return { Arn: Role.Arn, RoleId: Role.RoleId };
}

/** Ref is the role name; GetAtt Arn and RoleId. */
export const roleProvider: ResourceProvider = {
  type: 'AWS::IAM::Role',
  required: ['AssumeRolePolicyDocument'],
  replaceOn: ['RoleName', 'Path'],
  capability: iamCapability('RoleName'),
  async create(props, ctx) {
    const name = str(props.RoleName) ?? ctx.physicalName(64);
    await ctx.invoke('iam', 'CreateRole', {
      RoleName: name,
      Path: str(props.Path),
      AssumeRolePolicyDocument: doc(props.AssumeRolePolicyDocument),
      Description: str(props.Description),
      MaxSessionDuration: num(props.MaxSessionDuration),
      PermissionsBoundary: str(props.PermissionsBoundary),
      Tags: tags(props),
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
    if (doc(props.AssumeRolePolicyDocument) !== doc(previous.AssumeRolePolicyDocument)) {
      await ctx.invoke('iam', 'UpdateAssumeRolePolicy', { RoleName: name, PolicyDocument: doc(props.AssumeRolePolicyDocument) });
    }
    if (str(props.Description) !== str(previous.Description) || num(props.MaxSessionDuration) !== num(previous.MaxSessionDuration)) {
      await ctx.invoke('iam', 'UpdateRole', {
        RoleName: name,
        Description: str(props.Description) ?? '',
        MaxSessionDuration: num(props.MaxSessionDuration),
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
        await ctx.invoke('iam', 'DetachRolePolicy', { RoleName: name, PolicyArn: p.PolicyArn });
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
    const name = str(props.InstanceProfileName) ?? ctx.physicalName(128);
    const { InstanceProfile } = await ctx.invoke('iam', 'CreateInstanceProfile', { InstanceProfileName: name, Path: str(props.Path) });
    try {
      for (const role of names(props.Roles))
        await ctx.invoke('iam', 'AddRoleToInstanceProfile', { InstanceProfileName: name, RoleName: role });
    } catch (err) {
      await ctx.invoke('iam', 'DeleteInstanceProfile', { InstanceProfileName: name }).catch(() => undefined);
      throw err;
    }
    return { physicalId: name, attributes: { Arn: InstanceProfile.Arn } };
  },
  async update(name, props, previous, ctx) {
    const next = names(props.Roles);
    for (const role of names(previous.Roles)) {
      if (!next.includes(role))
        await ignoreMissing(() => ctx.invoke('iam', 'RemoveRoleFromInstanceProfile', { InstanceProfileName: name, RoleName: role }));
    }
    for (const role of next) {
      if (!names(previous.Roles).includes(role))
        await ctx.invoke('iam', 'AddRoleToInstanceProfile', { InstanceProfileName: name, RoleName: role });
    }
    const { InstanceProfile } = await ctx.invoke('iam', 'GetInstanceProfile', { InstanceProfileName: name });
    return { physicalId: name, attributes: { Arn: InstanceProfile.Arn } };
  },
  async delete(name, _props, ctx) {
    await ignoreMissing(async () => {
      const { InstanceProfile } = await ctx.invoke('iam', 'GetInstanceProfile', { InstanceProfileName: name });
      for (const role of InstanceProfile.Roles ?? []) {
        await ctx.invoke('iam', 'RemoveRoleFromInstanceProfile', { InstanceProfileName: name, RoleName: role.RoleName });
      }
      await ctx.invoke('iam', 'DeleteInstanceProfile', { InstanceProfileName: name });
    });
  },
};

function refuseUsersAndGroups(props: Props): void {
  if (names(props.Users).length || names(props.Groups).length)
    throw new Error('halo supports IAM policies for Roles only (not Users or Groups) yet');
}

/** An inline policy put into each of its roles. Ref is a generated id (as CloudFormation's). */
export const policyProvider: ResourceProvider = {
  type: 'AWS::IAM::Policy',
  required: ['PolicyName', 'PolicyDocument'],
  replaceOn: ['PolicyName'],
  capability: () => 'CAPABILITY_IAM',
  async create(props, ctx) {
    refuseUsersAndGroups(props);
    for (const role of names(props.Roles)) {
      await ctx.invoke('iam', 'PutRolePolicy', {
        RoleName: role,
        PolicyName: str(props.PolicyName),
        PolicyDocument: doc(props.PolicyDocument),
      });
    }
    const id = ctx.physicalName(64);
    return { physicalId: id, attributes: { Id: id } };
  },
  async update(id, props, previous, ctx) {
    refuseUsersAndGroups(props);
    for (const role of names(previous.Roles)) {
      if (!names(props.Roles).includes(role))
        await ignoreMissing(() => ctx.invoke('iam', 'DeleteRolePolicy', { RoleName: role, PolicyName: str(previous.PolicyName) }));
    }
    for (const role of names(props.Roles)) {
      await ctx.invoke('iam', 'PutRolePolicy', {
        RoleName: role,
        PolicyName: str(props.PolicyName),
        PolicyDocument: doc(props.PolicyDocument),
      });
    }
    return { physicalId: id, attributes: { Id: id } };
  },
  async delete(_id, props, ctx) {
    for (const role of names(props.Roles))
      await ignoreMissing(() => ctx.invoke('iam', 'DeleteRolePolicy', { RoleName: role, PolicyName: str(props.PolicyName) }));
  },
};

/** Ref is the policy ARN; GetAtt PolicyArn, PolicyId, DefaultVersionId. */
export const managedPolicyProvider: ResourceProvider = {
  type: 'AWS::IAM::ManagedPolicy',
  required: ['PolicyDocument'],
  replaceOn: ['ManagedPolicyName', 'Path', 'Description'],
  capability: iamCapability('ManagedPolicyName'),
  async create(props, ctx) {
    refuseUsersAndGroups(props);
    const { Policy } = await ctx.invoke('iam', 'CreatePolicy', {
      PolicyName: str(props.ManagedPolicyName) ?? ctx.physicalName(128),
      Path: str(props.Path),
      Description: str(props.Description),
      PolicyDocument: doc(props.PolicyDocument),
    });
    for (const role of names(props.Roles)) await ctx.invoke('iam', 'AttachRolePolicy', { RoleName: role, PolicyArn: Policy.Arn });
    return {
      physicalId: Policy.Arn,
      attributes: { PolicyArn: Policy.Arn, PolicyId: Policy.PolicyId, DefaultVersionId: Policy.DefaultVersionId },
    };
  },
  async update(arn, props, previous, ctx) {
    refuseUsersAndGroups(props);
    if (doc(props.PolicyDocument) !== doc(previous.PolicyDocument)) {
      const { Versions } = await ctx.invoke('iam', 'ListPolicyVersions', { PolicyArn: arn });
      const old = (Versions ?? []).filter((v: { IsDefaultVersion: boolean }) => !v.IsDefaultVersion);
      // IAM keeps at most five versions: drop the oldest non-default one first, as CloudFormation does.
      if ((Versions ?? []).length >= 5 && old.length)
        await ctx.invoke('iam', 'DeletePolicyVersion', { PolicyArn: arn, VersionId: old[old.length - 1].VersionId });
      await ctx.invoke('iam', 'CreatePolicyVersion', { PolicyArn: arn, PolicyDocument: doc(props.PolicyDocument), SetAsDefault: true });
    }
    for (const role of names(previous.Roles)) {
      if (!names(props.Roles).includes(role))
        await ignoreMissing(() => ctx.invoke('iam', 'DetachRolePolicy', { RoleName: role, PolicyArn: arn }));
    }
    for (const role of names(props.Roles)) await ctx.invoke('iam', 'AttachRolePolicy', { RoleName: role, PolicyArn: arn });
    const { Policy } = await ctx.invoke('iam', 'GetPolicy', { PolicyArn: arn });
    return { physicalId: arn, attributes: { PolicyArn: arn, PolicyId: Policy.PolicyId, DefaultVersionId: Policy.DefaultVersionId } };
  },
  async delete(arn, _props, ctx) {
    await ignoreMissing(async () => {
      const { PolicyRoles } = await ctx.invoke('iam', 'ListEntitiesForPolicy', { PolicyArn: arn });
      for (const r of PolicyRoles ?? [])
        await ignoreMissing(() => ctx.invoke('iam', 'DetachRolePolicy', { RoleName: r.RoleName, PolicyArn: arn }));
      const { Versions } = await ctx.invoke('iam', 'ListPolicyVersions', { PolicyArn: arn });
      for (const v of Versions ?? [])
        if (!v.IsDefaultVersion) await ctx.invoke('iam', 'DeletePolicyVersion', { PolicyArn: arn, VersionId: v.VersionId });
      await ctx.invoke('iam', 'DeletePolicy', { PolicyArn: arn });
    });
  },
};

for (const p of [roleProvider, instanceProfileProvider, policyProvider, managedPolicyProvider]) registerProvider(p);
