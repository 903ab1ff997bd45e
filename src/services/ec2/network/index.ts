import { ec2Errors } from '../errors.js';
// Registers the CloudFormation providers of the network's resources.
import './cfn/index.js';
import type { Handler, OperationsTable } from '../../types.js';
import type { Ec2Operations } from '../generated/types.js';
import { registerTaggable, registerTaggableKind, tagOperations } from '../tags.js';
import { createDefaultVpc } from './default-vpc.js';
import { allocateAddress, associateAddress, describeAddresses, disassociateAddress, releaseAddress } from './addresses.js';
import {
  attachInternetGateway,
  createInternetGateway,
  deleteInternetGateway,
  describeInternetGateways,
  detachInternetGateway,
} from './internet-gateways.js';
import {
  createNetworkAcl,
  createNetworkAclEntry,
  deleteNetworkAcl,
  deleteNetworkAclEntry,
  describeNetworkAcls,
  replaceNetworkAclAssociation,
  replaceNetworkAclEntry,
} from './network-acls.js';
import {
  associateRouteTable,
  createRoute,
  createRouteTable,
  deleteRoute,
  deleteRouteTable,
  describeRouteTables,
  disassociateRouteTable,
  replaceRoute,
  replaceRouteTableAssociation,
} from './route-tables.js';
import {
  authorizeSecurityGroupEgress,
  authorizeSecurityGroupIngress,
  createSecurityGroup,
  deleteSecurityGroup,
  describeSecurityGroupRules,
  describeSecurityGroups,
  revokeSecurityGroupEgress,
  revokeSecurityGroupIngress,
} from './security-groups.js';
import {
  createNetworkInterface,
  deleteNetworkInterface,
  describeNetworkInterfaces,
  modifyNetworkInterfaceAttribute,
} from './network-interfaces.js';
import { securityGroups, TABLES } from './state.js';
import { createSubnet, deleteSubnet, describeSubnets, modifySubnetAttribute } from './subnets.js';
import { createVpc, deleteVpc, describeVpcAttribute, describeVpcs, modifyVpcAttribute } from './vpcs.js';

export { allocatePrivateIp, allocatePrivateIps, releasePrivateIp } from './private-ips.js';
export { disassociateInstanceAddresses, publicIpFor } from './addresses.js';
export { claimPublicIp, releasePublicIp } from './public-ips.js';

registerTaggable('vpc', 'vpc', TABLES.vpc, 'VpcId', { notFound: ec2Errors.vpcNotFound });
registerTaggable('subnet', 'subnet', TABLES.subnet, 'SubnetId', { notFound: ec2Errors.subnetIdNotFound });
registerTaggable('igw', 'internet-gateway', TABLES.internetGateway, 'InternetGatewayId', {
  notFound: ec2Errors.internetGatewayNotFound,
});
registerTaggable('rtb', 'route-table', TABLES.routeTable, 'RouteTableId', {
  notFound: ec2Errors.routeTableNotFound,
});
registerTaggable('acl', 'network-acl', TABLES.networkAcl, 'NetworkAclId', {
  notFound: ec2Errors.networkAclNotFound,
});
registerTaggable('sg', 'security-group', TABLES.securityGroup, 'GroupId', {
  notFound: ec2Errors.groupIdNotFound,
});
registerTaggable('eipalloc', 'elastic-ip', TABLES.address, 'AllocationId', {
  notFound: ec2Errors.allocationNotFound,
});

// Security group rules live inside their group's record.
registerTaggableKind({
  prefix: 'sgr',
  resourceType: 'security-group-rule',
  notFound: (id) => ec2Errors.groupRuleIdNotFound(id),
  getTags: (store, region, id) =>
    securityGroups(store)
      .list(region)
      .flatMap((g) => g.Rules)
      .find((r) => r.SecurityGroupRuleId === id)?.Tags,
  setTags: (store, region, id, tags) => {
    const group = securityGroups(store)
      .list(region)
      .find((g) => g.Rules.some((r) => r.SecurityGroupRuleId === id));
    if (!group) return;
    securityGroups(store).put(region, group.GroupId, {
      ...group,
      Rules: group.Rules.map((r) => (r.SecurityGroupRuleId === id ? { ...r, Tags: tags } : r)),
    });
  },
  list: (store, region) =>
    securityGroups(store)
      .list(region)
      .flatMap((g) => g.Rules.map((r) => ({ id: r.SecurityGroupRuleId, tags: r.Tags }))),
});

/** DryRun: the API front has already authorized the call, so the answer is AWS's "would have succeeded". */
function honourDryRun(handler: Handler): Handler {
  return (input, ctx) => {
    if ((input as { DryRun?: unknown } | undefined)?.DryRun === true) throw ec2Errors.dryRun();
    return handler(input, ctx);
  };
}

const operations = {
  CreateVpc: createVpc,
  CreateDefaultVpc: createDefaultVpc,
  DescribeVpcs: describeVpcs,
  DeleteVpc: deleteVpc,
  ModifyVpcAttribute: modifyVpcAttribute,
  DescribeVpcAttribute: describeVpcAttribute,
  CreateSubnet: createSubnet,
  DescribeSubnets: describeSubnets,
  DeleteSubnet: deleteSubnet,
  ModifySubnetAttribute: modifySubnetAttribute,
  CreateInternetGateway: createInternetGateway,
  DescribeInternetGateways: describeInternetGateways,
  AttachInternetGateway: attachInternetGateway,
  DetachInternetGateway: detachInternetGateway,
  DeleteInternetGateway: deleteInternetGateway,
  CreateRouteTable: createRouteTable,
  DescribeRouteTables: describeRouteTables,
  DeleteRouteTable: deleteRouteTable,
  CreateRoute: createRoute,
  ReplaceRoute: replaceRoute,
  DeleteRoute: deleteRoute,
  AssociateRouteTable: associateRouteTable,
  DisassociateRouteTable: disassociateRouteTable,
  ReplaceRouteTableAssociation: replaceRouteTableAssociation,
  CreateNetworkAcl: createNetworkAcl,
  DescribeNetworkAcls: describeNetworkAcls,
  DeleteNetworkAcl: deleteNetworkAcl,
  CreateNetworkAclEntry: createNetworkAclEntry,
  ReplaceNetworkAclEntry: replaceNetworkAclEntry,
  DeleteNetworkAclEntry: deleteNetworkAclEntry,
  ReplaceNetworkAclAssociation: replaceNetworkAclAssociation,
  CreateSecurityGroup: createSecurityGroup,
  DescribeSecurityGroups: describeSecurityGroups,
  CreateNetworkInterface: createNetworkInterface,
  DeleteNetworkInterface: deleteNetworkInterface,
  DescribeNetworkInterfaces: describeNetworkInterfaces,
  ModifyNetworkInterfaceAttribute: modifyNetworkInterfaceAttribute,
  DeleteSecurityGroup: deleteSecurityGroup,
  AuthorizeSecurityGroupIngress: authorizeSecurityGroupIngress,
  AuthorizeSecurityGroupEgress: authorizeSecurityGroupEgress,
  RevokeSecurityGroupIngress: revokeSecurityGroupIngress,
  RevokeSecurityGroupEgress: revokeSecurityGroupEgress,
  DescribeSecurityGroupRules: describeSecurityGroupRules,
  AllocateAddress: allocateAddress,
  AssociateAddress: associateAddress,
  DisassociateAddress: disassociateAddress,
  ReleaseAddress: releaseAddress,
  DescribeAddresses: describeAddresses,
  ...tagOperations,
} satisfies OperationsTable<Ec2Operations>;

/** VPCs, subnets, gateways, route tables, network ACLs, security groups and addresses; and tags of every kind. */
export const networkOperations = Object.fromEntries(
  Object.entries(operations).map(([name, h]) => [name, honourDryRun(h)]),
) as typeof operations;
