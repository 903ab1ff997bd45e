import { ec2Errors } from '../errors.js';
import type { Scope } from './common.js';
import {
  addresses,
  internetGateways,
  networkAcls,
  routeTables,
  securityGroups,
  subnets,
  vpcs,
  type AddressRecord,
  type InternetGatewayRecord,
  type NetworkAclRecord,
  type RouteTableRecord,
  type SecurityGroupRecord,
  type SubnetRecord,
  type VpcRecord,
} from './state.js';

/** Each find* returns the record or throws EC2's not-found error for that kind of id. */
export function findVpc(s: Scope, id: string): VpcRecord {
  const vpc = vpcs(s.cloud.store).get(s.region, id);
  if (!vpc) throw ec2Errors.vpcNotFound(id);
  return vpc;
}

export function findSubnet(s: Scope, id: string): SubnetRecord {
  const subnet = subnets(s.cloud.store).get(s.region, id);
  if (!subnet) throw ec2Errors.subnetIdNotFound(id);
  return subnet;
}

export function findInternetGateway(s: Scope, id: string): InternetGatewayRecord {
  const igw = internetGateways(s.cloud.store).get(s.region, id);
  if (!igw) throw ec2Errors.internetGatewayNotFound(id);
  return igw;
}

export function findRouteTable(s: Scope, id: string): RouteTableRecord {
  const table = routeTables(s.cloud.store).get(s.region, id);
  if (!table) throw ec2Errors.routeTableNotFound(id);
  return table;
}

export function findNetworkAcl(s: Scope, id: string): NetworkAclRecord {
  const acl = networkAcls(s.cloud.store).get(s.region, id);
  if (!acl) throw ec2Errors.networkAclNotFound(id);
  return acl;
}

export function findSecurityGroup(s: Scope, id: string): SecurityGroupRecord {
  const group = securityGroups(s.cloud.store).get(s.region, id);
  if (!group) throw ec2Errors.groupNotFound(id);
  return group;
}

export function findAddress(s: Scope, allocationId: string): AddressRecord {
  const address = addresses(s.cloud.store).get(s.region, allocationId);
  if (!address) throw ec2Errors.allocationNotFound(allocationId);
  return address;
}
