import { ec2Errors } from '../errors.js';
import type { Tag } from '../filters.js';
import { newId } from '../ids.js';
import { parseCidr } from './cidr.js';
import { protocolName } from './protocols.js';
import type { SecurityGroupRecord, SecurityGroupRuleRecord } from './state.js';

export interface IpPermissionInput {
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: Array<{ CidrIp?: string; Description?: string }>;
  Ipv6Ranges?: Array<{ CidrIpv6?: string; Description?: string }>;
  PrefixListIds?: Array<{ PrefixListId?: string; Description?: string }>;
  UserIdGroupPairs?: Array<{ GroupId?: string; GroupName?: string; UserId?: string; VpcId?: string; Description?: string }>;
}

/** The flat, older form of a single rule (what `--protocol/--port/--cidr` and CloudFormation's CidrIp send). */
export interface FlatRuleInput {
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
  CidrIp?: string;
  SourceSecurityGroupName?: string;
  SourceSecurityGroupOwnerId?: string;
}

/** A rule without its id: what Authorize adds and Revoke matches. */
export type RuleSpec = Omit<SecurityGroupRuleRecord, 'SecurityGroupRuleId' | 'Tags'>;

/** Resolves a group named in a rule (by id, or by name within the VPC) to its id. */
export type GroupResolver = (ref: { GroupId?: string; GroupName?: string }) => SecurityGroupRecord;

function ports(protocol: string, from: number | undefined, to: number | undefined): Pick<RuleSpec, 'FromPort' | 'ToPort'> {
  if (protocol === 'tcp' || protocol === 'udp') {
    if (from === undefined || to === undefined) {
      throw ec2Errors.portRangeNeedsBothPorts();
    }
    if (from < 0 || to > 65535 || from > to) throw ec2Errors.invalidRulePortRange(from, to);
    return { FromPort: from, ToPort: to };
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') {
    const type = from ?? -1;
    const code = to ?? -1;
    if (type < -1 || type > 255 || code < -1 || code > 255) throw ec2Errors.invalidIcmpTypeCode(type, code);
    return { FromPort: type, ToPort: code };
  }
  // -1 and other protocols cover every port; EC2 keeps no range for them.
  return {};
}

/** Expands IpPermissions (or the flat form) into one spec per peer, as EC2 stores rules. */
export function ruleSpecs(
  isEgress: boolean,
  permissions: IpPermissionInput[] | undefined,
  flat: FlatRuleInput,
  resolve: GroupResolver,
): RuleSpec[] {
  let perms = permissions ?? [];
  if (!perms.length) {
    if (flat.CidrIp !== undefined) {
      perms = [{ IpProtocol: flat.IpProtocol, FromPort: flat.FromPort, ToPort: flat.ToPort, IpRanges: [{ CidrIp: flat.CidrIp }] }];
    } else if (flat.SourceSecurityGroupName !== undefined) {
      perms = [
        {
          IpProtocol: flat.IpProtocol ?? '-1',
          FromPort: flat.FromPort,
          ToPort: flat.ToPort,
          UserIdGroupPairs: [{ GroupName: flat.SourceSecurityGroupName, UserId: flat.SourceSecurityGroupOwnerId }],
        },
      ];
    } else {
      throw ec2Errors.missingParameter('ipPermissions');
    }
  }
  const specs: RuleSpec[] = [];
  for (const p of perms) {
    if (p.Ipv6Ranges?.length) throw ec2Errors.ipv6GroupRulesUnsupported();
    if (p.PrefixListIds?.length) throw ec2Errors.prefixListGroupRulesUnsupported();
    const protocol = protocolName(p.IpProtocol, 'IP protocol');
    const range = ports(protocol, p.FromPort, p.ToPort);
    for (const r of p.IpRanges ?? []) {
      if (!r.CidrIp || !parseCidr(r.CidrIp, false)) throw ec2Errors.cidrBlockMalformed(String(r.CidrIp));
      specs.push({ IsEgress: isEgress, IpProtocol: protocol, ...range, CidrIpv4: r.CidrIp, Description: r.Description });
    }
    for (const pair of p.UserIdGroupPairs ?? []) {
      const group = resolve(pair);
      specs.push({
        IsEgress: isEgress,
        IpProtocol: protocol,
        ...range,
        ReferencedGroupId: group.GroupId,
        ReferencedUserId: group.OwnerId,
        Description: pair.Description,
      });
    }
    if (!p.IpRanges?.length && !p.UserIdGroupPairs?.length) {
      throw ec2Errors.ruleNeedsPeer();
    }
  }
  return specs;
}

/** Same rule (ignoring description and tags): what makes a duplicate, and what Revoke matches. */
export const sameRule = (a: RuleSpec, b: RuleSpec) =>
  a.IsEgress === b.IsEgress &&
  a.IpProtocol === b.IpProtocol &&
  a.FromPort === b.FromPort &&
  a.ToPort === b.ToPort &&
  a.CidrIpv4 === b.CidrIpv4 &&
  a.ReferencedGroupId === b.ReferencedGroupId;

export function describeRule(r: RuleSpec): string {
  const peer = r.CidrIpv4 ?? r.ReferencedGroupId;
  const proto = r.IpProtocol === '-1' ? 'ALL' : r.IpProtocol.toUpperCase();
  const range = r.FromPort !== undefined ? `, from port: ${r.FromPort}, to port: ${r.ToPort}` : '';
  return `peer: ${peer}, ${proto}${range}, ALLOW`;
}

export const newRule = (spec: RuleSpec, tags: Tag[]): SecurityGroupRuleRecord => ({
  SecurityGroupRuleId: newId('sgr'),
  ...spec,
  Tags: tags,
});

/** IpPermissions as DescribeSecurityGroups shows them: one entry per protocol and port range, peers grouped in it. */
export function ipPermissionsOf(rules: SecurityGroupRuleRecord[]) {
  const groups = new Map<
    string,
    {
      IpProtocol: string;
      FromPort?: number;
      ToPort?: number;
      IpRanges: Array<{ CidrIp?: string; Description?: string }>;
      Ipv6Ranges: Array<{ CidrIpv6?: string; Description?: string }>;
      PrefixListIds: Array<{ PrefixListId?: string; Description?: string }>;
      UserIdGroupPairs: Array<{ GroupId?: string; UserId?: string; Description?: string }>;
    }
  >();
  for (const r of rules) {
    const key = `${r.IpProtocol}|${r.FromPort}|${r.ToPort}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        IpProtocol: r.IpProtocol,
        FromPort: r.FromPort,
        ToPort: r.ToPort,
        IpRanges: [],
        Ipv6Ranges: [],
        PrefixListIds: [],
        UserIdGroupPairs: [],
      };
      groups.set(key, g);
    }
    if (r.CidrIpv4 !== undefined) g.IpRanges.push({ CidrIp: r.CidrIpv4, Description: r.Description });
    if (r.ReferencedGroupId !== undefined)
      g.UserIdGroupPairs.push({ GroupId: r.ReferencedGroupId, UserId: r.ReferencedUserId, Description: r.Description });
  }
  return [...groups.values()];
}

/** One rule as DescribeSecurityGroupRules shows it. */
export function ruleOutput(group: SecurityGroupRecord, r: SecurityGroupRuleRecord) {
  return {
    SecurityGroupRuleId: r.SecurityGroupRuleId,
    GroupId: group.GroupId,
    GroupOwnerId: group.OwnerId,
    IsEgress: r.IsEgress,
    IpProtocol: r.IpProtocol,
    FromPort: r.FromPort ?? -1,
    ToPort: r.ToPort ?? -1,
    CidrIpv4: r.CidrIpv4,
    ReferencedGroupInfo: r.ReferencedGroupId ? { GroupId: r.ReferencedGroupId, UserId: r.ReferencedUserId } : undefined,
    Description: r.Description,
    Tags: r.Tags,
  };
}
