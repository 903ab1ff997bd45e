import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { Props, ProviderContext, ResourceProvider } from '../../cloudformation/providers/types.js';
import { bool, num, str } from '../../cloudformation/providers/values.js';
import { fileSystemArn } from '../state.js';
import { deleteIgnoringMissing, syncTags, tagsOf, untilAvailable } from './common.js';

const EFS = 'elasticfilesystem';

async function applySettings(id: string, p: Props, previous: Props | undefined, ctx: ProviderContext) {
  const lifecycle = Array.isArray(p.LifecyclePolicies) ? p.LifecyclePolicies : [];
  if (lifecycle.length || previous?.LifecyclePolicies) {
    await ctx.invoke(EFS, 'PutLifecycleConfiguration', {
      FileSystemId: id,
      LifecyclePolicies: lifecycle.map((l: any) => Object.fromEntries(Object.entries(l).map(([k, v]) => [k, String(v)]))),
    });
  }
  const backup = str(p.BackupPolicy?.Status);
  if (backup) await ctx.invoke(EFS, 'PutBackupPolicy', { FileSystemId: id, BackupPolicy: { Status: backup } });
  if (p.FileSystemPolicy !== undefined) {
    const policy = typeof p.FileSystemPolicy === 'string' ? p.FileSystemPolicy : JSON.stringify(p.FileSystemPolicy);
    await ctx.invoke(EFS, 'PutFileSystemPolicy', {
      FileSystemId: id,
      Policy: policy,
      BypassPolicyLockoutSafetyCheck: bool(p.BypassPolicyLockoutSafetyCheck),
    });
  } else if (previous?.FileSystemPolicy !== undefined) {
    await ctx.invoke(EFS, 'DeleteFileSystemPolicy', { FileSystemId: id });
  }
}

const attributes = (ctx: ProviderContext, id: string) => ({ FileSystemId: id, Arn: fileSystemArn(ctx.region, ctx.accountId, id) });

/** AWS::EFS::FileSystem: Ref is the file system id; GetAtt FileSystemId and Arn. */
export const fileSystemProvider: ResourceProvider = {
  type: 'AWS::EFS::FileSystem',
  replaceOn: ['Encrypted', 'KmsKeyId', 'PerformanceMode', 'AvailabilityZoneName'],
  async create(p, ctx) {
    const fs = await ctx.invoke(EFS, 'CreateFileSystem', {
      CreationToken: `${ctx.stackName}-${ctx.logicalId}-${ctx.physicalName(64).slice(-12)}`.slice(0, 64),
      PerformanceMode: str(p.PerformanceMode),
      Encrypted: bool(p.Encrypted),
      KmsKeyId: str(p.KmsKeyId),
      ThroughputMode: str(p.ThroughputMode),
      ProvisionedThroughputInMibps: num(p.ProvisionedThroughputInMibps),
      AvailabilityZoneName: str(p.AvailabilityZoneName),
      Backup: str(p.BackupPolicy?.Status) === 'ENABLED' ? true : undefined,
      Tags: tagsOf(p.FileSystemTags),
    });
    return { physicalId: fs.FileSystemId, attributes: attributes(ctx, fs.FileSystemId) };
  },
  async stabilize(id, p, ctx) {
    await untilAvailable(
      ctx,
      async () => (await ctx.invoke(EFS, 'DescribeFileSystems', { FileSystemId: id })).FileSystems[0]?.LifeCycleState,
      `File system ${id}`,
    );
    await applySettings(id, p, undefined, ctx);
  },
  async update(id, p, previous, ctx) {
    await ctx.invoke(EFS, 'UpdateFileSystem', {
      FileSystemId: id,
      ThroughputMode: str(p.ThroughputMode) ?? 'bursting',
      ProvisionedThroughputInMibps: num(p.ProvisionedThroughputInMibps),
    });
    await applySettings(id, p, previous, ctx);
    await syncTags(ctx, id, tagsOf(p.FileSystemTags), tagsOf(previous.FileSystemTags));
    return { physicalId: id, attributes: attributes(ctx, id) };
  },
  async delete(id, _p, ctx) {
    await deleteIgnoringMissing(() => ctx.invoke(EFS, 'DeleteFileSystem', { FileSystemId: id }), 'FileSystemNotFound');
  },
};

registerProvider(fileSystemProvider);
