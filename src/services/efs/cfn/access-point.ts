import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { ResourceProvider } from '../../cloudformation/providers/types.js';
import { propsOf } from '../../cloudformation/providers/props.js';
import { given } from '../../cloudformation/providers/values.js';
import { accessPointArn } from '../state.js';
import { deleteIgnoringMissing, syncTags, tagsOf } from './common.js';

const EFS = 'elasticfilesystem';

/** AWS::EFS::AccessPoint: Ref is the access point id; GetAtt AccessPointId and Arn. Only tags change in place. */
export const accessPointProvider: ResourceProvider = {
  type: 'AWS::EFS::AccessPoint',
  required: ['FileSystemId'],
  replaceOn: ['FileSystemId', 'PosixUser', 'RootDirectory', 'ClientToken'],
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    const user = p.obj('PosixUser');
    const root = p.obj('RootDirectory');
    const info = root?.obj('CreationInfo');
    const ap = await ctx.invoke(EFS, 'CreateAccessPoint', {
      ClientToken: p.str('ClientToken') ?? ctx.physicalName(64),
      FileSystemId: p.requiredStr('FileSystemId'),
      PosixUser: user && {
        Uid: user.requiredNum('Uid'),
        Gid: user.requiredNum('Gid'),
        SecondaryGids: user.numList('SecondaryGids'),
      },
      RootDirectory: root && {
        Path: root.str('Path'),
        CreationInfo: info && {
          OwnerUid: info.requiredNum('OwnerUid'),
          OwnerGid: info.requiredNum('OwnerGid'),
          Permissions: info.requiredStr('Permissions'),
        },
      },
      Tags: tagsOf(p, 'AccessPointTags'),
    });
    const id = given(ap.AccessPointId, 'AccessPointId');
    return { physicalId: id, attributes: { AccessPointId: id, Arn: accessPointArn(ctx.region, ctx.accountId, id) } };
  },
  async update(id, props, previous, ctx) {
    const tags = (p: typeof props) => tagsOf(propsOf(p, ctx.logicalId), 'AccessPointTags');
    await syncTags(ctx, id, tags(props), tags(previous));
    return { physicalId: id, attributes: { AccessPointId: id, Arn: accessPointArn(ctx.region, ctx.accountId, id) } };
  },
  async delete(id, _p, ctx) {
    await deleteIgnoringMissing(() => ctx.invoke(EFS, 'DeleteAccessPoint', { AccessPointId: id }), 'AccessPointNotFound');
  },
};

registerProvider(accessPointProvider);
