import { registerProvider } from '../../../cloudformation/providers/registry.js';
import { creationTags, ignoreNotFound, updateTags } from './common.js';
import type { ProviderContext, Props, ResourceProvider } from '../../../cloudformation/providers/types.js';
import { propsOf, type PropsReader } from '../../../cloudformation/providers/props.js';
import { given } from '../../../cloudformation/providers/values.js';

/** A template rule (SecurityGroupIngress/Egress item, or the standalone resources' properties) as an EC2 IpPermission. */
export function ipPermission(rule: PropsReader, egress: boolean) {
  const protocol = rule.requiredStr('IpProtocol');
  const allPorts = protocol === '-1' || protocol === 'all';
  const peerGroup = rule.str(egress ? 'DestinationSecurityGroupId' : 'SourceSecurityGroupId');
  const prefixList = rule.str(egress ? 'DestinationPrefixListId' : 'SourcePrefixListId');
  const cidr = rule.str('CidrIp');
  const cidrV6 = rule.str('CidrIpv6');
  const peerName = rule.str('SourceSecurityGroupName');
  const Description = rule.str('Description');
  return {
    IpProtocol: protocol,
    FromPort: allPorts ? undefined : rule.num('FromPort'),
    ToPort: allPorts ? undefined : rule.num('ToPort'),
    IpRanges: cidr ? [{ CidrIp: cidr, Description }] : undefined,
    Ipv6Ranges: cidrV6 ? [{ CidrIpv6: cidrV6, Description }] : undefined,
    PrefixListIds: prefixList ? [{ PrefixListId: prefixList, Description }] : undefined,
    UserIdGroupPairs:
      peerGroup || peerName
        ? [{ GroupId: peerGroup, GroupName: peerName, UserId: rule.str('SourceSecurityGroupOwnerId'), Description }]
        : undefined,
  };
}

const ALL_EGRESS = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };

async function setRules(groupId: string, props: Props, previous: Props | undefined, ctx: ProviderContext): Promise<void> {
  const rules = (p: Props | undefined, key: 'SecurityGroupIngress' | 'SecurityGroupEgress') =>
    ((p && propsOf(p, ctx.logicalId).objList(key)) ?? []).map((r) => ipPermission(r, key === 'SecurityGroupEgress'));
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  // Ingress
  const oldIn = rules(previous, 'SecurityGroupIngress');
  const newIn = rules(props, 'SecurityGroupIngress');
  if (!same(oldIn, newIn)) {
    if (oldIn.length) await ctx.invoke('ec2', 'RevokeSecurityGroupIngress', { GroupId: groupId, IpPermissions: oldIn });
    if (newIn.length) await ctx.invoke('ec2', 'AuthorizeSecurityGroupIngress', { GroupId: groupId, IpPermissions: newIn });
  }
  // Egress: a group allows all outbound traffic until the template lists its own egress rules.
  const givesEgress = (p: Props | undefined) => Boolean(p && propsOf(p, ctx.logicalId).raw('SecurityGroupEgress'));
  const oldOut = givesEgress(previous) ? rules(previous, 'SecurityGroupEgress') : [ALL_EGRESS];
  const newOut = givesEgress(props) ? rules(props, 'SecurityGroupEgress') : [ALL_EGRESS];
  if (!same(oldOut, newOut)) {
    await ctx.invoke('ec2', 'RevokeSecurityGroupEgress', { GroupId: groupId, IpPermissions: oldOut });
    if (newOut.length) await ctx.invoke('ec2', 'AuthorizeSecurityGroupEgress', { GroupId: groupId, IpPermissions: newOut });
  }
}

export const securityGroupProvider: ResourceProvider = {
  type: 'AWS::EC2::SecurityGroup',
  required: ['GroupDescription'],
  replaceOn: ['GroupDescription', 'GroupName', 'VpcId'],
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    const created = await ctx.invoke('ec2', 'CreateSecurityGroup', {
      GroupName: p.str('GroupName') ?? ctx.physicalName(255),
      Description: p.requiredStr('GroupDescription'),
      VpcId: p.str('VpcId'),
      TagSpecifications: creationTags('security-group', props, ctx),
    });
    const GroupId = given(created.GroupId, 'GroupId');
    await setRules(GroupId, props, undefined, ctx);
    return { physicalId: GroupId, attributes: { GroupId, VpcId: p.str('VpcId') } };
  },
  async update(id, props, previous, ctx) {
    await setRules(id, props, previous, ctx);
    await updateTags(id, props, previous, ctx);
    return { physicalId: id, attributes: { GroupId: id, VpcId: propsOf(props, ctx.logicalId).str('VpcId') } };
  },
  async delete(id, _props, ctx) {
    await ignoreNotFound(() => ctx.invoke('ec2', 'DeleteSecurityGroup', { GroupId: id }));
  },
};

function standaloneRule(egress: boolean): ResourceProvider {
  const side = egress ? 'Egress' : 'Ingress';
  return {
    type: `AWS::EC2::SecurityGroup${side}`,
    required: egress ? ['GroupId', 'IpProtocol'] : ['IpProtocol'],
    replaceOn: [
      'GroupId',
      'GroupName',
      'IpProtocol',
      'FromPort',
      'ToPort',
      'CidrIp',
      'CidrIpv6',
      'SourceSecurityGroupId',
      'SourceSecurityGroupName',
      'SourceSecurityGroupOwnerId',
      'SourcePrefixListId',
      'DestinationSecurityGroupId',
      'DestinationPrefixListId',
      'Description',
    ],
    async create(props, ctx) {
      const p = propsOf(props, ctx.logicalId);
      const groupId = p.str('GroupId') ?? (await groupIdByName(p.requiredStr('GroupName'), ctx));
      const r = await ctx.invoke('ec2', `AuthorizeSecurityGroup${side}`, {
        GroupId: groupId,
        IpPermissions: [ipPermission(p, egress)],
      });
      const ruleId = r.SecurityGroupRules?.[0]?.SecurityGroupRuleId;
      if (!ruleId) throw new Error(`AuthorizeSecurityGroup${side} returned no rule id`);
      return { physicalId: ruleId, attributes: { Id: ruleId } };
    },
    async delete(id, props, ctx) {
      const p = propsOf(props, ctx.logicalId);
      const groupId = p.str('GroupId') ?? (await groupIdByName(p.requiredStr('GroupName'), ctx).catch(() => undefined));
      if (!groupId) return;
      await ignoreNotFound(() => ctx.invoke('ec2', `RevokeSecurityGroup${side}`, { GroupId: groupId, SecurityGroupRuleIds: [id] }));
    },
  };
}

async function groupIdByName(name: string, ctx: ProviderContext): Promise<string> {
  const { SecurityGroups } = await ctx.invoke('ec2', 'DescribeSecurityGroups', { GroupNames: [name] });
  return given(SecurityGroups?.[0]?.GroupId, `GroupId of security group ${name}`);
}

for (const p of [securityGroupProvider, standaloneRule(false), standaloneRule(true)]) registerProvider(p);
