import { registerProvider } from '../../../cloudformation/providers/registry.js';
import { creationTags, ignoreNotFound, updateTags } from './common.js';
import type { ProviderContext, Props, ResourceProvider } from '../../../cloudformation/providers/types.js';
import { propsOf } from '../../../cloudformation/providers/props.js';
import { given } from '../../../cloudformation/providers/values.js';

export const networkAclProvider: ResourceProvider = {
  type: 'AWS::EC2::NetworkAcl',
  required: ['VpcId'],
  replaceOn: ['VpcId'],
  async create(props, ctx) {
    const { NetworkAcl } = await ctx.invoke('ec2', 'CreateNetworkAcl', {
      VpcId: propsOf(props, ctx.logicalId).requiredStr('VpcId'),
      TagSpecifications: creationTags('network-acl', props, ctx),
    });
    const id = given(NetworkAcl?.NetworkAclId, 'NetworkAclId');
    return { physicalId: id, attributes: { Id: id } };
  },
  async update(id, props, previous, ctx) {
    await updateTags(id, props, previous, ctx);
    return { physicalId: id, attributes: { Id: id } };
  },
  async delete(id, _props, ctx) {
    await ignoreNotFound(() => ctx.invoke('ec2', 'DeleteNetworkAcl', { NetworkAclId: id }));
  },
};

function entryInput(props: Props, logicalId: string) {
  const p = propsOf(props, logicalId);
  const ports = p.obj('PortRange');
  const icmp = p.obj('Icmp');
  return {
    NetworkAclId: p.requiredStr('NetworkAclId'),
    RuleNumber: p.requiredNum('RuleNumber'),
    Egress: p.bool('Egress') ?? false,
    Protocol: p.requiredStr('Protocol'),
    RuleAction: p.requiredStr('RuleAction'),
    CidrBlock: p.str('CidrBlock'),
    Ipv6CidrBlock: p.str('Ipv6CidrBlock'),
    PortRange: ports ? { From: ports.num('From'), To: ports.num('To') } : undefined,
    IcmpTypeCode: icmp ? { Type: icmp.num('Type'), Code: icmp.num('Code') } : undefined,
  };
}

/** Physical id: <acl id>|<egress>|<rule number>. */
export const networkAclEntryProvider: ResourceProvider = {
  type: 'AWS::EC2::NetworkAclEntry',
  required: ['NetworkAclId', 'Protocol', 'RuleAction', 'RuleNumber'],
  replaceOn: ['NetworkAclId', 'RuleNumber', 'Egress'],
  async create(props, ctx) {
    const input = entryInput(props, ctx.logicalId);
    await ctx.invoke('ec2', 'CreateNetworkAclEntry', input);
    return {
      physicalId: `${input.NetworkAclId}|${input.Egress}|${input.RuleNumber}`,
      attributes: { Id: `${input.NetworkAclId}|${input.Egress}|${input.RuleNumber}` },
    };
  },
  async update(id, props, _previous, ctx) {
    await ctx.invoke('ec2', 'ReplaceNetworkAclEntry', entryInput(props, ctx.logicalId));
    return { physicalId: id };
  },
  async delete(_id, props, ctx) {
    const input = entryInput(props, ctx.logicalId);
    await ignoreNotFound(() =>
      ctx.invoke('ec2', 'DeleteNetworkAclEntry', { NetworkAclId: input.NetworkAclId, RuleNumber: input.RuleNumber, Egress: input.Egress }),
    );
  },
};

async function aclAssociationOfSubnet(subnetId: string, ctx: ProviderContext): Promise<{ associationId: string; vpcId: string }> {
  const { NetworkAcls } = await ctx.invoke('ec2', 'DescribeNetworkAcls', {
    Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }],
  });
  const acl = NetworkAcls?.[0];
  const assoc = acl?.Associations?.find((a) => a.SubnetId === subnetId);
  if (!acl || !assoc) throw new Error(`The subnet ID '${subnetId}' has no network ACL association (does the subnet exist?)`);
  return { associationId: given(assoc.NetworkAclAssociationId, 'NetworkAclAssociationId'), vpcId: given(acl.VpcId, 'VpcId') };
}

/** Moves the subnet to the template's ACL; deleting it moves the subnet back to its VPC's default ACL, as AWS does. */
export const subnetNetworkAclAssociationProvider: ResourceProvider = {
  type: 'AWS::EC2::SubnetNetworkAclAssociation',
  required: ['NetworkAclId', 'SubnetId'],
  replaceOn: ['NetworkAclId', 'SubnetId'],
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    const { associationId } = await aclAssociationOfSubnet(p.requiredStr('SubnetId'), ctx);
    const r = await ctx.invoke('ec2', 'ReplaceNetworkAclAssociation', {
      AssociationId: associationId,
      NetworkAclId: p.requiredStr('NetworkAclId'),
    });
    const id = given(r.NewAssociationId, 'NewAssociationId');
    return { physicalId: id, attributes: { AssociationId: id } };
  },
  async delete(id, props, ctx) {
    let current;
    try {
      current = await aclAssociationOfSubnet(propsOf(props, ctx.logicalId).requiredStr('SubnetId'), ctx);
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
    const defaultAcl = NetworkAcls?.[0]?.NetworkAclId;
    if (!defaultAcl) return;
    await ctx.invoke('ec2', 'ReplaceNetworkAclAssociation', { AssociationId: current.associationId, NetworkAclId: defaultAcl });
  },
};

for (const p of [networkAclProvider, networkAclEntryProvider, subnetNetworkAclAssociationProvider]) registerProvider(p);
