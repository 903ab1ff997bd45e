import { registerProvider } from '../../../cloudformation/providers/registry.js';
import { creationTags, ignoreNotFound, updateTags } from './common.js';
import type { ProviderContext, Props, ResourceProvider } from '../../../cloudformation/providers/types.js';
import { num, str } from '../../../cloudformation/providers/values.js';

/** A template rule (SecurityGroupIngress/Egress item, or the standalone resources' properties) as an EC2 IpPermission. */
export function ipPermission(rule: Props, egress: boolean) {
  const protocol = String(rule.IpProtocol);
  const allPorts = protocol === '-1' || protocol === 'all';
  const peerGroup = egress ? rule.DestinationSecurityGroupId : rule.SourceSecurityGroupId;
  const prefixList = egress ? rule.DestinationPrefixListId : rule.SourcePrefixListId;
  return {
    IpProtocol: protocol,
    FromPort: allPorts ? undefined : num(rule.FromPort),
    ToPort: allPorts ? undefined : num(rule.ToPort),
    IpRanges: rule.CidrIp ? [{ CidrIp: String(rule.CidrIp), Description: str(rule.Description) }] : undefined,
    Ipv6Ranges: rule.CidrIpv6 ? [{ CidrIpv6: String(rule.CidrIpv6), Description: str(rule.Description) }] : undefined,
    PrefixListIds: prefixList ? [{ PrefixListId: String(prefixList), Description: str(rule.Description) }] : undefined,
    UserIdGroupPairs:
      peerGroup || rule.SourceSecurityGroupName
        ? [
            {
              GroupId: str(peerGroup),
              GroupName: str(rule.SourceSecurityGroupName),
              UserId: str(rule.SourceSecurityGroupOwnerId),
              Description: str(rule.Description),
            },
          ]
        : undefined,
  };
}

const ALL_EGRESS = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };

async function setRules(groupId: string, props: Props, previous: Props | undefined, ctx: ProviderContext): Promise<void> {
  const rules = (p: Props | undefined, key: string) =>
    ((p?.[key] ?? []) as Props[]).map((r) => ipPermission(r, key === 'SecurityGroupEgress'));
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  // Ingress
  const oldIn = rules(previous, 'SecurityGroupIngress');
  const newIn = rules(props, 'SecurityGroupIngress');
  if (!same(oldIn, newIn)) {
    if (oldIn.length) await ctx.invoke('ec2', 'RevokeSecurityGroupIngress', { GroupId: groupId, IpPermissions: oldIn });
    if (newIn.length) await ctx.invoke('ec2', 'AuthorizeSecurityGroupIngress', { GroupId: groupId, IpPermissions: newIn });
  }
  // Egress: a group allows all outbound traffic until the template lists its own egress rules.
  const oldOut = previous?.SecurityGroupEgress ? rules(previous, 'SecurityGroupEgress') : [ALL_EGRESS];
  const newOut = props.SecurityGroupEgress ? rules(props, 'SecurityGroupEgress') : [ALL_EGRESS];
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
    const { GroupId } = await ctx.invoke('ec2', 'CreateSecurityGroup', {
      GroupName: str(props.GroupName) ?? ctx.physicalName(255),
      Description: str(props.GroupDescription),
      VpcId: str(props.VpcId),
      TagSpecifications: creationTags('security-group', props, ctx),
    });
    await setRules(GroupId, props, undefined, ctx);
    return { physicalId: GroupId, attributes: { GroupId, VpcId: props.VpcId } };
  },
  async update(id, props, previous, ctx) {
    await setRules(id, props, previous, ctx);
    await updateTags(id, props, previous, ctx);
    return { physicalId: id, attributes: { GroupId: id, VpcId: props.VpcId } };
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
      const groupId = str(props.GroupId) ?? (await groupIdByName(String(props.GroupName), ctx));
      const r = await ctx.invoke('ec2', `AuthorizeSecurityGroup${side}`, {
        GroupId: groupId,
        IpPermissions: [ipPermission(props, egress)],
      });
      const ruleId = r.SecurityGroupRules?.[0]?.SecurityGroupRuleId;
      if (!ruleId) throw new Error(`AuthorizeSecurityGroup${side} returned no rule id`);
      return { physicalId: ruleId, attributes: { Id: ruleId } };
    },
    async delete(id, props, ctx) {
      const groupId = str(props.GroupId) ?? (await groupIdByName(String(props.GroupName), ctx).catch(() => undefined));
      if (!groupId) return;
      await ignoreNotFound(() => ctx.invoke('ec2', `RevokeSecurityGroup${side}`, { GroupId: groupId, SecurityGroupRuleIds: [id] }));
    },
  };
}

async function groupIdByName(name: string, ctx: ProviderContext): Promise<string> {
  const { SecurityGroups } = await ctx.invoke('ec2', 'DescribeSecurityGroups', { GroupNames: [name] });
  return SecurityGroups[0].GroupId;
}

for (const p of [securityGroupProvider, standaloneRule(false), standaloneRule(true)]) registerProvider(p);
