import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { ResourceProvider } from '../../cloudformation/providers/types.js';
import { num, str } from '../../cloudformation/providers/values.js';
import { accessPointArn } from '../state.js';
import { deleteIgnoringMissing, syncTags, tagsOf } from './common.js';

const EFS = 'elasticfilesystem';

/** AWS::EFS::AccessPoint: Ref is the access point id; GetAtt AccessPointId and Arn. Only tags change in place. */
export const accessPointProvider: ResourceProvider = {
  type: 'AWS::EFS::AccessPoint',
  required: ['FileSystemId'],
  replaceOn: ['FileSystemId', 'PosixUser', 'RootDirectory', 'ClientToken'],
  async create(p, ctx) {
    const posix = p.PosixUser && {
      Uid: num(p.PosixUser.Uid),
      Gid: num(p.PosixUser.Gid),
      SecondaryGids: Array.isArray(p.PosixUser.SecondaryGids) ? p.PosixUser.SecondaryGids.map((g: unknown) => num(g)) : undefined,
    };
    const info = p.RootDirectory?.CreationInfo;
    const ap = await ctx.invoke(EFS, 'CreateAccessPoint', {
      ClientToken: str(p.ClientToken) ?? ctx.physicalName(64),
      FileSystemId: str(p.FileSystemId),
      PosixUser: posix,
      RootDirectory: p.RootDirectory && {
        Path: str(p.RootDirectory.Path),
        CreationInfo: info && { OwnerUid: num(info.OwnerUid), OwnerGid: num(info.OwnerGid), Permissions: str(info.Permissions) },
      },
      Tags: tagsOf(p.AccessPointTags),
    });
    return {
      physicalId: ap.AccessPointId,
      attributes: { AccessPointId: ap.AccessPointId, Arn: accessPointArn(ctx.region, ctx.accountId, ap.AccessPointId) },
    };
  },
  async update(id, p, previous, ctx) {
    await syncTags(ctx, id, tagsOf(p.AccessPointTags), tagsOf(previous.AccessPointTags));
    return { physicalId: id, attributes: { AccessPointId: id, Arn: accessPointArn(ctx.region, ctx.accountId, id) } };
  },
  async delete(id, _p, ctx) {
    await deleteIgnoringMissing(() => ctx.invoke(EFS, 'DeleteAccessPoint', { AccessPointId: id }), 'AccessPointNotFound');
  },
};

registerProvider(accessPointProvider);
