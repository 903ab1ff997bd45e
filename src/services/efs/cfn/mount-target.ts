import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { ResourceProvider } from '../../cloudformation/providers/types.js';
import { str } from '../../cloudformation/providers/values.js';
import { deleteIgnoringMissing, strings, untilAvailable } from './common.js';

const EFS = 'elasticfilesystem';

/** AWS::EFS::MountTarget: Ref is the mount target id; GetAtt Id and IpAddress. Only the groups change in place. */
export const mountTargetProvider: ResourceProvider = {
  type: 'AWS::EFS::MountTarget',
  required: ['FileSystemId', 'SubnetId', 'SecurityGroups'],
  replaceOn: ['FileSystemId', 'SubnetId', 'IpAddress'],
  async create(p, ctx) {
    const mt = await ctx.invoke(EFS, 'CreateMountTarget', {
      FileSystemId: str(p.FileSystemId),
      SubnetId: str(p.SubnetId),
      IpAddress: str(p.IpAddress),
      SecurityGroups: strings(p.SecurityGroups),
    });
    return { physicalId: mt.MountTargetId, attributes: { Id: mt.MountTargetId, IpAddress: mt.IpAddress } };
  },
  async stabilize(id, _p, ctx) {
    await untilAvailable(
      ctx,
      async () => (await ctx.invoke(EFS, 'DescribeMountTargets', { MountTargetId: id })).MountTargets[0]?.LifeCycleState,
      `Mount target ${id}`,
    );
  },
  async update(id, p, _previous, ctx) {
    await ctx.invoke(EFS, 'ModifyMountTargetSecurityGroups', { MountTargetId: id, SecurityGroups: strings(p.SecurityGroups) });
    const mt = (await ctx.invoke(EFS, 'DescribeMountTargets', { MountTargetId: id })).MountTargets[0];
    return { physicalId: id, attributes: { Id: id, IpAddress: mt.IpAddress } };
  },
  async read(id, _p, ctx) {
    try {
      const mt = (await ctx.invoke(EFS, 'DescribeMountTargets', { MountTargetId: id })).MountTargets[0];
      return { Id: id, IpAddress: mt.IpAddress };
    } catch {
      return undefined;
    }
  },
  async delete(id, _p, ctx) {
    await deleteIgnoringMissing(() => ctx.invoke(EFS, 'DeleteMountTarget', { MountTargetId: id }), 'MountTargetNotFound');
  },
};

registerProvider(mountTargetProvider);
