import { ec2Page, type Ec2PageInput } from '../paging.js';
import { ec2Errors } from '../errors.js';
import type { RequestContext } from '../../types.js';
import { applyFilters, tagsFor, type Filter } from '../filters.js';
import { newId } from '../ids.js';
import { formatCidr, parseCidr } from './cidr.js';
import { requireAll, tagsOrNone, type TagSpecifications } from './common.js';
import { findVpc } from './lookup.js';
import { newDefaultNetworkAcl } from './network-acls.js';
import { newMainRouteTable } from './route-tables.js';
import { newDefaultSecurityGroup } from './security-groups.js';
import { emitNetwork, internetGateways, networkAcls, routeTables, securityGroups, subnets, vpcs, type VpcRecord } from './state.js';

/** The DHCP options id a VPC shows: halo has no DHCP option sets, so every VPC uses AWS's `default`. */
const DHCP_OPTIONS_ID = 'default';

export function vpcOutput(vpc: VpcRecord, state = vpc.State) {
  return {
    CidrBlock: vpc.CidrBlock,
    DhcpOptionsId: vpc.DhcpOptionsId,
    State: state,
    VpcId: vpc.VpcId,
    OwnerId: vpc.OwnerId,
    InstanceTenancy: vpc.InstanceTenancy,
    CidrBlockAssociationSet: [
      { AssociationId: vpc.CidrBlockAssociationId, CidrBlock: vpc.CidrBlock, CidrBlockState: { State: 'associated' } },
    ],
    IsDefault: vpc.IsDefault,
    Tags: tagsOrNone(vpc.Tags),
  };
}

/** A VPC's IPv4 block: a canonical CIDR from /16 to /28. */
export function checkVpcCidr(text: string): string {
  const cidr = parseCidr(text);
  if (!cidr) throw ec2Errors.invalidCidrBlock(text);
  if (cidr.prefix < 16 || cidr.prefix > 28) throw ec2Errors.vpcRangeInvalid(text);
  return formatCidr(cidr);
}

/** Stores a VPC with its main route table, default network ACL and default security group, and announces them. */
export function makeVpc(
  ctx: RequestContext,
  spec: { cidrBlock: string; tenancy: 'default' | 'dedicated'; tags: VpcRecord['Tags']; isDefault: boolean },
): VpcRecord {
  const vpcId = newId('vpc');
  const owner = ctx.accountId;
  const table = newMainRouteTable(vpcId, spec.cidrBlock, owner);
  const acl = newDefaultNetworkAcl(vpcId, owner);
  const group = newDefaultSecurityGroup(vpcId, owner);
  const vpc: VpcRecord = {
    VpcId: vpcId,
    OwnerId: owner,
    CidrBlock: spec.cidrBlock,
    CidrBlockAssociationId: newId('vpc-cidr-assoc'),
    State: 'available',
    DhcpOptionsId: DHCP_OPTIONS_ID,
    InstanceTenancy: spec.tenancy,
    IsDefault: spec.isDefault,
    EnableDnsSupport: true,
    // AWS turns DNS hostnames on for the default VPC only.
    EnableDnsHostnames: spec.isDefault,
    MainRouteTableId: table.RouteTableId,
    DefaultNetworkAclId: acl.NetworkAclId,
    DefaultSecurityGroupId: group.GroupId,
    Tags: spec.tags,
  };
  const store = ctx.cloud.store;
  store.tx(() => {
    vpcs(store).insert(ctx.region, vpcId, vpc);
    routeTables(store).insert(ctx.region, table.RouteTableId, table);
    networkAcls(store).insert(ctx.region, acl.NetworkAclId, acl);
    securityGroups(store).insert(ctx.region, group.GroupId, group);
  });
  emitNetwork(ctx.cloud, 'ec2.vpcCreated', { region: ctx.region, vpcId, cidrBlock: spec.cidrBlock });
  emitNetwork(ctx.cloud, 'ec2.routeTableChanged', { region: ctx.region, routeTableId: table.RouteTableId, vpcId });
  emitNetwork(ctx.cloud, 'ec2.networkAclChanged', { region: ctx.region, aclId: acl.NetworkAclId, vpcId });
  emitNetwork(ctx.cloud, 'ec2.securityGroupChanged', { region: ctx.region, groupId: group.GroupId, vpcId });
  return vpc;
}

export function createVpc(
  input: {
    CidrBlock?: string;
    InstanceTenancy?: string;
    AmazonProvidedIpv6CidrBlock?: boolean;
    Ipv6CidrBlock?: string;
    Ipv4IpamPoolId?: string;
    TagSpecifications?: TagSpecifications;
  },
  ctx: RequestContext,
) {
  if (input.AmazonProvidedIpv6CidrBlock || input.Ipv6CidrBlock) throw ec2Errors.ipv6VpcCidrUnsupported();
  if (input.Ipv4IpamPoolId) throw ec2Errors.vpcIpamUnsupported();
  if (!input.CidrBlock) throw ec2Errors.missingCidrBlockOrIpamPool();
  const cidrBlock = checkVpcCidr(input.CidrBlock);
  const tenancy = input.InstanceTenancy ?? 'default';
  if (tenancy !== 'default' && tenancy !== 'dedicated') {
    throw ec2Errors.invalidTenancy(tenancy);
  }
  const vpc = makeVpc(ctx, { cidrBlock, tenancy, tags: tagsFor('vpc', input.TagSpecifications), isDefault: false });
  // AWS answers CreateVpc while the VPC is still pending; it is available at once here.
  return { Vpc: vpcOutput(vpc, 'pending') };
}

export function describeVpcs(input: { VpcIds?: string[]; Filters?: Filter[] } & Ec2PageInput, ctx: RequestContext) {
  let items = requireAll(
    vpcs(ctx.cloud.store).list(ctx.region),
    input.VpcIds,
    (v) => v.VpcId,
    (id) => ec2Errors.vpcNotFound(id),
  );
  items = applyFilters(
    items,
    input.Filters,
    {
      'vpc-id': (v) => v.VpcId,
      cidr: (v) => v.CidrBlock,
      'cidr-block-association.cidr-block': (v) => v.CidrBlock,
      'cidr-block-association.association-id': (v) => v.CidrBlockAssociationId,
      'cidr-block-association.state': () => 'associated',
      'dhcp-options-id': (v) => v.DhcpOptionsId,
      'is-default': (v) => String(v.IsDefault),
      'owner-id': (v) => v.OwnerId,
      state: (v) => v.State,
    },
    (v) => v.Tags,
  );
  const page = ec2Page(items, input, 'VpcIds');
  return { Vpcs: page.items.map((v) => vpcOutput(v)), NextToken: page.NextToken };
}

export function deleteVpc(input: { VpcId: string }, ctx: RequestContext) {
  const vpc = findVpc(ctx, input.VpcId);
  const store = ctx.cloud.store;
  const inVpc = <T extends { VpcId: string }>(items: T[]) => items.filter((i) => i.VpcId === vpc.VpcId);
  const hasDependents =
    inVpc(subnets(store).list(ctx.region)).length > 0 ||
    internetGateways(store)
      .list(ctx.region)
      .some((g) => g.Attachments.some((a) => a.VpcId === vpc.VpcId)) ||
    inVpc(securityGroups(store).list(ctx.region)).some((g) => !g.IsDefault) ||
    inVpc(routeTables(store).list(ctx.region)).some((t) => t.RouteTableId !== vpc.MainRouteTableId) ||
    inVpc(networkAcls(store).list(ctx.region)).some((a) => !a.IsDefault);
  if (hasDependents) throw ec2Errors.hasDependencies('vpc', vpc.VpcId);
  store.tx(() => {
    routeTables(store).delete(ctx.region, vpc.MainRouteTableId);
    networkAcls(store).delete(ctx.region, vpc.DefaultNetworkAclId);
    securityGroups(store).delete(ctx.region, vpc.DefaultSecurityGroupId);
    vpcs(store).delete(ctx.region, vpc.VpcId);
  });
  emitNetwork(ctx.cloud, 'ec2.securityGroupDeleted', { region: ctx.region, groupId: vpc.DefaultSecurityGroupId, vpcId: vpc.VpcId });
  emitNetwork(ctx.cloud, 'ec2.vpcDeleted', { region: ctx.region, vpcId: vpc.VpcId, cidrBlock: vpc.CidrBlock });
  return {};
}

type BooleanValue = { Value?: boolean } | undefined;

export function modifyVpcAttribute(
  input: {
    VpcId: string;
    EnableDnsSupport?: BooleanValue;
    EnableDnsHostnames?: BooleanValue;
    EnableNetworkAddressUsageMetrics?: BooleanValue;
  },
  ctx: RequestContext,
) {
  const vpc = findVpc(ctx, input.VpcId);
  const given = (['EnableDnsSupport', 'EnableDnsHostnames', 'EnableNetworkAddressUsageMetrics'] as const).filter(
    (k) => input[k] !== undefined,
  );
  if (given.length === 0) throw ec2Errors.missingParameter('EnableDnsSupport or EnableDnsHostnames');
  if (given.length > 1) {
    const names = given.map((k) => k[0].toLowerCase() + k.slice(1)).join(', ');
    throw ec2Errors.multipleAttributes(names);
  }
  const key = given[0];
  const value = input[key]?.Value;
  if (value === undefined) throw ec2Errors.missingParameter(`${key}.Value`);
  if (key === 'EnableNetworkAddressUsageMetrics') throw ec2Errors.addressUsageMetricsUnsupported();
  // AWS: "You can only enable DNS hostnames if you've enabled DNS support."
  if (key === 'EnableDnsHostnames' && value && !vpc.EnableDnsSupport) {
    throw ec2Errors.dnsHostnamesNeedDnsSupport();
  }
  vpcs(ctx.cloud.store).put(ctx.region, vpc.VpcId, { ...vpc, [key]: value });
  return {};
}

export function describeVpcAttribute(input: { VpcId: string; Attribute: string }, ctx: RequestContext) {
  const vpc = findVpc(ctx, input.VpcId);
  switch (input.Attribute) {
    case 'enableDnsSupport':
      return { VpcId: vpc.VpcId, EnableDnsSupport: { Value: vpc.EnableDnsSupport } };
    case 'enableDnsHostnames':
      return { VpcId: vpc.VpcId, EnableDnsHostnames: { Value: vpc.EnableDnsHostnames } };
    case 'enableNetworkAddressUsageMetrics':
      return { VpcId: vpc.VpcId, EnableNetworkAddressUsageMetrics: { Value: false } };
    default:
      throw ec2Errors.unknownVpcAttribute(input.Attribute);
  }
}
