import { registerProvider } from '../../../cloudformation/providers/registry.js';
import { creationTags, ignoreNotFound, updateTags } from './common.js';
import type { ProviderContext, ResourceProvider } from '../../../cloudformation/providers/types.js';
import { propsOf } from '../../../cloudformation/providers/props.js';
import { given } from '../../../cloudformation/providers/values.js';
import { isAwsError } from '../../../../protocol/errors.js';

async function addressOf(publicIp: string, ctx: ProviderContext) {
  const { Addresses } = await ctx.invoke('ec2', 'DescribeAddresses', { PublicIps: [publicIp] });
  const address = given(Addresses?.[0], `address ${publicIp}`);
  return { ...address, AllocationId: given(address.AllocationId, 'AllocationId') };
}

/** Ref is the public IP (also its physical id); GetAtt AllocationId and PublicIp. */
export const eipProvider: ResourceProvider = {
  type: 'AWS::EC2::EIP',
  replaceOn: ['Domain', 'NetworkBorderGroup', 'PublicIpv4Pool', 'TransferAddress', 'IpamPoolId', 'Address'],
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    const r = await ctx.invoke('ec2', 'AllocateAddress', {
      Domain: p.str('Domain') ?? 'vpc',
      PublicIpv4Pool: p.str('PublicIpv4Pool'),
      NetworkBorderGroup: p.str('NetworkBorderGroup'),
      Address: p.str('Address'),
      TagSpecifications: creationTags('elastic-ip', props, ctx),
    });
    const instanceId = p.str('InstanceId');
    if (instanceId) {
      try {
        await ctx.invoke('ec2', 'AssociateAddress', { AllocationId: r.AllocationId, InstanceId: instanceId });
      } catch (err) {
        await ctx.invoke('ec2', 'ReleaseAddress', { AllocationId: r.AllocationId }).catch(() => undefined);
        throw err;
      }
    }
    const publicIp = given(r.PublicIp, 'PublicIp');
    return { physicalId: publicIp, attributes: { AllocationId: r.AllocationId, PublicIp: publicIp } };
  },
  async update(id, props, previous, ctx) {
    const address = await addressOf(id, ctx);
    const instanceId = propsOf(props, ctx.logicalId).str('InstanceId');
    if (instanceId !== propsOf(previous, ctx.logicalId).str('InstanceId')) {
      if (address.AssociationId) await ctx.invoke('ec2', 'DisassociateAddress', { AssociationId: address.AssociationId });
      if (instanceId) await ctx.invoke('ec2', 'AssociateAddress', { AllocationId: address.AllocationId, InstanceId: instanceId });
    }
    await updateTags(address.AllocationId, props, previous, ctx);
    return { physicalId: id, attributes: { AllocationId: address.AllocationId, PublicIp: id } };
  },
  async delete(id, _props, ctx) {
    let address;
    try {
      address = await addressOf(id, ctx);
    } catch (err) {
      if (isAwsError(err) && err.code.endsWith('NotFound')) return;
      throw err;
    }
    if (!address) return;
    if (address.AssociationId)
      await ignoreNotFound(() => ctx.invoke('ec2', 'DisassociateAddress', { AssociationId: address.AssociationId }));
    await ignoreNotFound(() => ctx.invoke('ec2', 'ReleaseAddress', { AllocationId: address.AllocationId }));
  },
};

/** Ref is the association id. */
export const eipAssociationProvider: ResourceProvider = {
  type: 'AWS::EC2::EIPAssociation',
  replaceOn: ['AllocationId', 'EIP', 'InstanceId', 'NetworkInterfaceId', 'PrivateIpAddress'],
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    const allocationId = p.str('AllocationId');
    const r = await ctx.invoke('ec2', 'AssociateAddress', {
      AllocationId: allocationId,
      PublicIp: allocationId ? undefined : p.str('EIP'),
      InstanceId: p.str('InstanceId'),
      NetworkInterfaceId: p.str('NetworkInterfaceId'),
      PrivateIpAddress: p.str('PrivateIpAddress'),
      AllowReassociation: true,
    });
    const id = given(r.AssociationId, 'AssociationId');
    return { physicalId: id, attributes: { Id: id } };
  },
  async delete(id, _props, ctx) {
    await ignoreNotFound(() => ctx.invoke('ec2', 'DisassociateAddress', { AssociationId: id }));
  },
};

for (const p of [eipProvider, eipAssociationProvider]) registerProvider(p);
