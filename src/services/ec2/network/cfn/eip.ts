import { registerProvider } from '../../../cloudformation/providers/registry.js';
import { creationTags, ignoreNotFound, updateTags } from './common.js';
import type { ProviderContext, ResourceProvider } from '../../../cloudformation/providers/types.js';
import { str } from '../../../cloudformation/providers/values.js';

async function addressOf(publicIp: string, ctx: ProviderContext) {
  const { Addresses } = await ctx.invoke('ec2', 'DescribeAddresses', { PublicIps: [publicIp] });
  return Addresses[0] as { AllocationId: string; AssociationId?: string; InstanceId?: string };
}

/** Ref is the public IP (also its physical id); GetAtt AllocationId and PublicIp. */
export const eipProvider: ResourceProvider = {
  type: 'AWS::EC2::EIP',
  replaceOn: ['Domain', 'NetworkBorderGroup', 'PublicIpv4Pool', 'TransferAddress', 'IpamPoolId', 'Address'],
  async create(props, ctx) {
    const r = await ctx.invoke('ec2', 'AllocateAddress', {
      Domain: str(props.Domain) ?? 'vpc',
      PublicIpv4Pool: str(props.PublicIpv4Pool),
      NetworkBorderGroup: str(props.NetworkBorderGroup),
      Address: str(props.Address),
      TagSpecifications: creationTags('elastic-ip', props, ctx),
    });
    if (props.InstanceId) {
      try {
        await ctx.invoke('ec2', 'AssociateAddress', { AllocationId: r.AllocationId, InstanceId: str(props.InstanceId) });
      } catch (err) {
        await ctx.invoke('ec2', 'ReleaseAddress', { AllocationId: r.AllocationId }).catch(() => undefined);
        throw err;
      }
    }
    return { physicalId: r.PublicIp, attributes: { AllocationId: r.AllocationId, PublicIp: r.PublicIp } };
  },
  async update(id, props, previous, ctx) {
    const address = await addressOf(id, ctx);
    if (str(props.InstanceId) !== str(previous.InstanceId)) {
      if (address.AssociationId) await ctx.invoke('ec2', 'DisassociateAddress', { AssociationId: address.AssociationId });
      if (props.InstanceId)
        await ctx.invoke('ec2', 'AssociateAddress', { AllocationId: address.AllocationId, InstanceId: str(props.InstanceId) });
    }
    await updateTags(address.AllocationId, props, previous, ctx);
    return { physicalId: id, attributes: { AllocationId: address.AllocationId, PublicIp: id } };
  },
  async delete(id, _props, ctx) {
    let address;
    try {
      address = await addressOf(id, ctx);
    } catch (err) {
      if (/NotFound/.test((err as Error).message)) return;
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
    const r = await ctx.invoke('ec2', 'AssociateAddress', {
      AllocationId: str(props.AllocationId),
      PublicIp: props.AllocationId ? undefined : str(props.EIP),
      InstanceId: str(props.InstanceId),
      NetworkInterfaceId: str(props.NetworkInterfaceId),
      PrivateIpAddress: str(props.PrivateIpAddress),
      AllowReassociation: true,
    });
    return { physicalId: r.AssociationId, attributes: { Id: r.AssociationId } };
  },
  async delete(id, _props, ctx) {
    await ignoreNotFound(() => ctx.invoke('ec2', 'DisassociateAddress', { AssociationId: id }));
  },
};

for (const p of [eipProvider, eipAssociationProvider]) registerProvider(p);
