import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { ResourceProvider } from '../../cloudformation/providers/types.js';
import { propsOf } from '../../cloudformation/providers/props.js';
import { given } from '../../cloudformation/providers/values.js';
import { deleteIgnoringMissing, untilAvailable } from './common.js';

const EFS = 'elasticfilesystem';

/** AWS::EFS::MountTarget: Ref is the mount target id; GetAtt Id and IpAddress. Only the groups change in place. */
export const mountTargetProvider: ResourceProvider = {
  type: 'AWS::EFS::MountTarget',
  required: ['FileSystemId', 'SubnetId', 'SecurityGroups'],
  replaceOn: ['FileSystemId', 'SubnetId', 'IpAddress'],
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    const mt = await ctx.invoke(EFS, 'CreateMountTarget', {
      FileSystemId: p.requiredStr('FileSystemId'),
      SubnetId: p.requiredStr('SubnetId'),
      IpAddress: p.str('IpAddress'),
      SecurityGroups: p.strList('SecurityGroups'),
    });
    const id = given(mt.MountTargetId, 'MountTargetId');
    return { physicalId: id, attributes: { Id: id, IpAddress: mt.IpAddress } };
  },
  async stabilize(id, _p, ctx) {
    await untilAvailable(
      ctx,
      async () => (await ctx.invoke(EFS, 'DescribeMountTargets', { MountTargetId: id })).MountTargets?.[0]?.LifeCycleState,
      `Mount target ${id}`,
    );
  },
  async update(id, props, _previous, ctx) {
    const SecurityGroups = propsOf(props, ctx.logicalId).strList('SecurityGroups');
    await ctx.invoke(EFS, 'ModifyMountTargetSecurityGroups', { MountTargetId: id, SecurityGroups });
    const mt = (await ctx.invoke(EFS, 'DescribeMountTargets', { MountTargetId: id })).MountTargets?.[0];
    return { physicalId: id, attributes: { Id: id, IpAddress: mt?.IpAddress } };
  },
  async read(id, _p, ctx) {
    try {
      const mt = (await ctx.invoke(EFS, 'DescribeMountTargets', { MountTargetId: id })).MountTargets?.[0];
      return mt && { Id: id, IpAddress: mt.IpAddress };
    } catch {
      return undefined;
    }
  },
  async delete(id, _p, ctx) {
    await deleteIgnoringMissing(() => ctx.invoke(EFS, 'DeleteMountTarget', { MountTargetId: id }), 'MountTargetNotFound');
  },
};

registerProvider(mountTargetProvider);
