import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { Props, ProviderContext, ResourceProvider } from '../../cloudformation/providers/types.js';
import { propsOf } from '../../cloudformation/providers/props.js';
import { given } from '../../cloudformation/providers/values.js';
import { fileSystemArn } from '../state.js';
import { deleteIgnoringMissing, syncTags, tagsOf, untilAvailable } from './common.js';

const EFS = 'elasticfilesystem';
const TRANSITIONS = ['TransitionToIA', 'TransitionToPrimaryStorageClass', 'TransitionToArchive'] as const;

async function applySettings(id: string, props: Props, previous: Props | undefined, ctx: ProviderContext) {
  const p = propsOf(props, ctx.logicalId);
  const before = previous && propsOf(previous, ctx.logicalId);
  const lifecycle = p.objList('LifecyclePolicies') ?? [];
  if (lifecycle.length || before?.has('LifecyclePolicies')) {
    await ctx.invoke(EFS, 'PutLifecycleConfiguration', {
      FileSystemId: id,
      // Each policy holds only the one transition it gives (PutLifecycleConfiguration counts the members).
      LifecyclePolicies: lifecycle.map((l) => Object.fromEntries(TRANSITIONS.flatMap((k) => (l.has(k) ? [[k, l.requiredStr(k)]] : [])))),
    });
  }
  const backup = p.obj('BackupPolicy')?.str('Status');
  if (backup) await ctx.invoke(EFS, 'PutBackupPolicy', { FileSystemId: id, BackupPolicy: { Status: backup } });
  const policy = p.json('FileSystemPolicy');
  if (policy !== undefined) {
    await ctx.invoke(EFS, 'PutFileSystemPolicy', {
      FileSystemId: id,
      Policy: policy,
      BypassPolicyLockoutSafetyCheck: p.bool('BypassPolicyLockoutSafetyCheck'),
    });
  } else if (before?.has('FileSystemPolicy')) {
    await ctx.invoke(EFS, 'DeleteFileSystemPolicy', { FileSystemId: id });
  }
}

const attributes = (ctx: ProviderContext, id: string) => ({ FileSystemId: id, Arn: fileSystemArn(ctx.region, ctx.accountId, id) });

/** AWS::EFS::FileSystem: Ref is the file system id; GetAtt FileSystemId and Arn. */
export const fileSystemProvider: ResourceProvider = {
  type: 'AWS::EFS::FileSystem',
  replaceOn: ['Encrypted', 'KmsKeyId', 'PerformanceMode', 'AvailabilityZoneName'],
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    const fs = await ctx.invoke(EFS, 'CreateFileSystem', {
      CreationToken: `${ctx.stackName}-${ctx.logicalId}-${ctx.physicalName(64).slice(-12)}`.slice(0, 64),
      PerformanceMode: p.str('PerformanceMode'),
      Encrypted: p.bool('Encrypted'),
      KmsKeyId: p.str('KmsKeyId'),
      ThroughputMode: p.str('ThroughputMode'),
      ProvisionedThroughputInMibps: p.num('ProvisionedThroughputInMibps'),
      AvailabilityZoneName: p.str('AvailabilityZoneName'),
      Backup: p.obj('BackupPolicy')?.str('Status') === 'ENABLED' ? true : undefined,
      Tags: tagsOf(p, 'FileSystemTags'),
    });
    const id = given(fs.FileSystemId, 'FileSystemId');
    return { physicalId: id, attributes: attributes(ctx, id) };
  },
  async stabilize(id, p, ctx) {
    await untilAvailable(
      ctx,
      async () => (await ctx.invoke(EFS, 'DescribeFileSystems', { FileSystemId: id })).FileSystems?.[0]?.LifeCycleState,
      `File system ${id}`,
    );
    await applySettings(id, p, undefined, ctx);
  },
  async update(id, props, previous, ctx) {
    const p = propsOf(props, ctx.logicalId);
    await ctx.invoke(EFS, 'UpdateFileSystem', {
      FileSystemId: id,
      ThroughputMode: p.str('ThroughputMode') ?? 'bursting',
      ProvisionedThroughputInMibps: p.num('ProvisionedThroughputInMibps'),
    });
    await applySettings(id, props, previous, ctx);
    await syncTags(ctx, id, tagsOf(p, 'FileSystemTags'), tagsOf(propsOf(previous, ctx.logicalId), 'FileSystemTags'));
    return { physicalId: id, attributes: attributes(ctx, id) };
  },
  async delete(id, _p, ctx) {
    await deleteIgnoringMissing(() => ctx.invoke(EFS, 'DeleteFileSystem', { FileSystemId: id }), 'FileSystemNotFound');
  },
};

registerProvider(fileSystemProvider);
