import { registerProvider } from '../../../cloudformation/providers/registry.js';
import { creationTags, ignoreNotFound, updateTags } from './common.js';
import type { ProviderContext, Props, ResourceProvider } from '../../../cloudformation/providers/types.js';
import { bool, num, str } from '../../../cloudformation/providers/values.js';

export const networkAclProvider: ResourceProvider = {
  type: 'AWS::EC2::NetworkAcl',
  required: ['VpcId'],
  replaceOn: ['VpcId'],
  async create(props, ctx) {
    const { NetworkAcl } = await ctx.invoke('ec2', 'CreateNetworkAcl', {
      VpcId: str(props.VpcId),
      TagSpecifications: creationTags('network-acl', props, ctx),
    });
    return { physicalId: NetworkAcl.NetworkAclId, attributes: { Id: NetworkAcl.NetworkAclId } };
  },
  async update(id, props, previous, ctx) {
    await updateTags(id, props, previous, ctx);
    return { physicalId: id, attributes: { Id: id } };
  },
  async delete(id, _props, ctx) {
    await ignoreNotFound(() => ctx.invoke('ec2', 'DeleteNetworkAcl', { NetworkAclId: id }));
  },
};

function entryInput(props: Props) {
  return {
    NetworkAclId: str(props.NetworkAclId),
    RuleNumber: num(props.RuleNumber),
    Egress: bool(props.Egress) ?? false,
    Protocol: str(props.Protocol),
    RuleAction: str(props.RuleAction),
    CidrBlock: str(props.CidrBlock),
    Ipv6CidrBlock: str(props.Ipv6CidrBlock),
    PortRange: props.PortRange ? { From: num(props.PortRange.From), To: num(props.PortRange.To) } : undefined,
    IcmpTypeCode: props.Icmp ? { Type: num(props.Icmp.Type), Code: num(props.Icmp.Code) } : undefined,
  };
}

/** Physical id: <acl id>|<egress>|<rule number>. */
export const networkAclEntryProvider: ResourceProvider = {
  type: 'AWS::EC2::NetworkAclEntry',
  required: ['NetworkAclId', 'Protocol', 'RuleAction', 'RuleNumber'],
  replaceOn: ['NetworkAclId', 'RuleNumber', 'Egress'],
  async create(props, ctx) {
    const input = entryInput(props);
    await ctx.invoke('ec2', 'CreateNetworkAclEntry', input);
    return {
      physicalId: `${input.NetworkAclId}|${input.Egress}|${input.RuleNumber}`,
      attributes: { Id: `${input.NetworkAclId}|${input.Egress}|${input.RuleNumber}` },
    };
  },
  async update(id, props, _previous, ctx) {
    await ctx.invoke('ec2', 'ReplaceNetworkAclEntry', entryInput(props));
    return { physicalId: id };
  },
  async delete(_id, props, ctx) {
    const input = entryInput(props);
    await ignoreNotFound(() =>
      ctx.invoke('ec2', 'DeleteNetworkAclEntry', { NetworkAclId: input.NetworkAclId, RuleNumber: input.RuleNumber, Egress: input.Egress }),
    );
  },
};

async function aclAssociationOfSubnet(subnetId: string, ctx: ProviderContext): Promise<{ associationId: string; vpcId: string }> {
  const { NetworkAcls } = await ctx.invoke('ec2', 'DescribeNetworkAcls', {
    Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }],
  });
  const acl = NetworkAcls[0];
  const assoc = acl?.Associations?.find((a: { SubnetId: string }) => a.SubnetId === subnetId);
  if (!assoc) throw new Error(`The subnet ID '${subnetId}' has no network ACL association (does the subnet exist?)`);
  return { associationId: assoc.NetworkAclAssociationId, vpcId: acl.VpcId };
}

/** Moves the subnet to the template's ACL; deleting it moves the subnet back to its VPC's default ACL, as AWS does. */
export const subnetNetworkAclAssociationProvider: ResourceProvider = {
  type: 'AWS::EC2::SubnetNetworkAclAssociation',
  required: ['NetworkAclId', 'SubnetId'],
  replaceOn: ['NetworkAclId', 'SubnetId'],
  async create(props, ctx) {
    const { associationId } = await aclAssociationOfSubnet(String(props.SubnetId), ctx);
    const r = await ctx.invoke('ec2', 'ReplaceNetworkAclAssociation', {
      AssociationId: associationId,
      NetworkAclId: str(props.NetworkAclId),
    });
    return { physicalId: r.NewAssociationId, attributes: { AssociationId: r.NewAssociationId } };
  },
  async delete(id, props, ctx) {
    let current;
    try {
      current = await aclAssociationOfSubnet(String(props.SubnetId), ctx);
    } catch {
      return; // the subnet is gone: nothing to restore
    }
    // Replaced by a newer association (an update moved the subnet to another ACL): leave that one alone.
    if (current.associationId !== id) return;
    const { NetworkAcls } = await ctx.invoke('ec2', 'DescribeNetworkAcls', {
      Filters: [
        { Name: 'vpc-id', Values: [current.vpcId] },
        { Name: 'default', Values: ['true'] },
      ],
    });
    const defaultAcl = NetworkAcls[0]?.NetworkAclId;
    if (!defaultAcl) return;
    await ctx.invoke('ec2', 'ReplaceNetworkAclAssociation', { AssociationId: current.associationId, NetworkAclId: defaultAcl });
  },
};

for (const p of [networkAclProvider, networkAclEntryProvider, subnetNetworkAclAssociationProvider]) registerProvider(p);
