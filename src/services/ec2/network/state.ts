/**
 * The EC2 network state of the local cloud: plain JSON records in the store, one table per resource kind,
 * scope = region, id = the resource id. The networking API (this folder) is the only writer; the runtime (the VPC's
 * namespace, routed veths, nftables) and the instances code read these records and listen to the events below.
 *
 * Events on `cloud.events` (every payload carries `region`); the runtime re-reads the records it needs:
 *
 * | event                          | payload                                   | when                                             |
 * |--------------------------------|-------------------------------------------|--------------------------------------------------|
 * | `ec2.vpcCreated`               | VpcEvent                                  | a VPC exists (with its main table, ACL, group)   |
 * | `ec2.vpcDeleted`               | VpcEvent                                  | a VPC and its default resources are gone         |
 * | `ec2.subnetCreated`            | SubnetEvent                               | a subnet exists (routed in its VPC's namespace)  |
 * | `ec2.subnetDeleted`            | SubnetEvent                               | a subnet is gone                                 |
 * | `ec2.subnetChanged`            | SubnetEvent                               | MapPublicIpOnLaunch changed                      |
 * | `ec2.internetGatewayChanged`   | InternetGatewayEvent                      | a gateway was attached to / detached from a VPC  |
 * | `ec2.routeTableChanged`        | RouteTableEvent                           | routes or subnet associations of a table changed |
 * | `ec2.networkAclChanged`        | NetworkAclEvent                           | entries or subnet associations of an ACL changed |
 * | `ec2.securityGroupChanged`     | SecurityGroupEvent                        | a group was created or its rules changed         |
 * | `ec2.securityGroupDeleted`     | SecurityGroupEvent                        | a group is gone                                  |
 * | `ec2.addressAssociated`        | AddressEvent                              | an Elastic IP now maps to a private IP           |
 * | `ec2.addressDisassociated`     | AddressEvent (the association that ended) | an Elastic IP no longer maps to it               |
 *
 * A re-association (AllowReassociation) emits `ec2.addressDisassociated` for the old target, then
 * `ec2.addressAssociated` for the new one, synchronously, after the state is committed.
 */
import type { Cloud } from '../../../cloud.js';
import type { Store, Table } from '../../../store/db.js';
import type { Tag } from '../filters.js';

export interface VpcRecord {
  VpcId: string;
  OwnerId: string;
  CidrBlock: string;
  CidrBlockAssociationId: string;
  State: 'pending' | 'available';
  DhcpOptionsId: string;
  InstanceTenancy: 'default' | 'dedicated';
  IsDefault: boolean;
  EnableDnsSupport: boolean;
  EnableDnsHostnames: boolean;
  MainRouteTableId: string;
  DefaultNetworkAclId: string;
  DefaultSecurityGroupId: string;
  Tags: Tag[];
}

export interface SubnetRecord {
  SubnetId: string;
  OwnerId: string;
  VpcId: string;
  CidrBlock: string;
  AvailabilityZone: string;
  AvailabilityZoneId: string;
  State: 'pending' | 'available';
  MapPublicIpOnLaunch: boolean;
  /** A default subnet of the default VPC (CreateDefaultVpc); absent means false. */
  DefaultForAz?: boolean;
  /** Private IPv4 addresses in use in this subnet → who holds them (an instance or network interface id). */
  PrivateIps: Record<string, string>;
  Tags: Tag[];
}

export interface InternetGatewayRecord {
  InternetGatewayId: string;
  OwnerId: string;
  /** At most one: AWS attaches a gateway to one VPC. State is `available` while attached. */
  Attachments: Array<{ VpcId: string; State: 'attaching' | 'available' | 'detaching' }>;
  Tags: Tag[];
}

export interface RouteRecord {
  DestinationCidrBlock: string;
  /** `local` for the VPC's own CIDR, else an internet gateway id. */
  GatewayId?: string;
  InstanceId?: string;
  NetworkInterfaceId?: string;
  Origin: 'CreateRouteTable' | 'CreateRoute';
  /** `blackhole` when the target is gone (e.g. the gateway was detached). */
  State: 'active' | 'blackhole';
}

export interface RouteTableAssociationRecord {
  RouteTableAssociationId: string;
  /** Absent for the main association. */
  SubnetId?: string;
  Main: boolean;
}

export interface RouteTableRecord {
  RouteTableId: string;
  OwnerId: string;
  VpcId: string;
  Routes: RouteRecord[];
  Associations: RouteTableAssociationRecord[];
  Tags: Tag[];
}

export interface NetworkAclEntryRecord {
  RuleNumber: number;
  Egress: boolean;
  /** IP protocol number as a string (`6` tcp, `17` udp, `1` icmp), or `-1` for all. */
  Protocol: string;
  RuleAction: 'allow' | 'deny';
  CidrBlock: string;
  /** Only for tcp (6) and udp (17). */
  PortRange?: { From: number; To: number };
  /** Only for icmp (1); -1 means any type / any code. */
  IcmpTypeCode?: { Type: number; Code: number };
}

export interface NetworkAclRecord {
  NetworkAclId: string;
  OwnerId: string;
  VpcId: string;
  IsDefault: boolean;
  /** Evaluated in RuleNumber order per direction; rule 32767 (`*`, deny all) is always last. */
  Entries: NetworkAclEntryRecord[];
  /** Every subnet of the VPC is associated with exactly one ACL of its VPC. */
  Associations: Array<{ NetworkAclAssociationId: string; SubnetId: string }>;
  Tags: Tag[];
}

export interface SecurityGroupRuleRecord {
  SecurityGroupRuleId: string;
  IsEgress: boolean;
  /** `tcp`, `udp`, `icmp`, `-1` (all), or another protocol number as a string. */
  IpProtocol: string;
  /** For tcp/udp the port range; for icmp the type (From) and code (To), -1 = any; absent for `-1`. */
  FromPort?: number;
  ToPort?: number;
  /** Exactly one of CidrIpv4 and ReferencedGroupId is set. */
  CidrIpv4?: string;
  /** Traffic from (ingress) / to (egress) any network interface in this group. */
  ReferencedGroupId?: string;
  ReferencedUserId?: string;
  Description?: string;
  Tags: Tag[];
}

export interface SecurityGroupRecord {
  GroupId: string;
  GroupName: string;
  Description: string;
  OwnerId: string;
  VpcId: string;
  /** The VPC's `default` group: cannot be deleted by the user. */
  IsDefault: boolean;
  Rules: SecurityGroupRuleRecord[];
  Tags: Tag[];
}

export interface AddressRecord {
  AllocationId: string;
  /** In the public pool on the loopback range (127.100.0.0/16 by default). */
  PublicIp: string;
  Domain: 'vpc';
  NetworkBorderGroup: string;
  PublicIpv4Pool: string;
  /** Set while associated. */
  AssociationId?: string;
  InstanceId?: string;
  NetworkInterfaceId?: string;
  PrivateIpAddress?: string;
  Tags: Tag[];
}

/**
 * What the networking code reads of an instance (table `ec2.instance`, written by the instances code; scope region,
 * id instance id). Only these fields are relied on.
 */
export interface InstanceView {
  InstanceId: string;
  PrivateIpAddress?: string;
  SubnetId?: string;
  VpcId?: string;
  NetworkInterfaceId?: string;
  State?: { Name?: string };
  /** Groups of the instance's network interface: a group in use by a live instance cannot be deleted. */
  SecurityGroups?: Array<{ GroupId: string; GroupName?: string }>;
}

export const TABLES = {
  vpc: 'ec2.vpc',
  subnet: 'ec2.subnet',
  internetGateway: 'ec2.internetGateway',
  routeTable: 'ec2.routeTable',
  networkAcl: 'ec2.networkAcl',
  securityGroup: 'ec2.securityGroup',
  address: 'ec2.address',
  instance: 'ec2.instance',
} as const;

/** Typed table accessors; take the Store (`cloud.store`) so the runtime can read without a request context. */
export const vpcs = (store: Store): Table<VpcRecord> => store.table<VpcRecord>(TABLES.vpc);
export const subnets = (store: Store): Table<SubnetRecord> => store.table<SubnetRecord>(TABLES.subnet);
export const internetGateways = (store: Store): Table<InternetGatewayRecord> => store.table<InternetGatewayRecord>(TABLES.internetGateway);
export const routeTables = (store: Store): Table<RouteTableRecord> => store.table<RouteTableRecord>(TABLES.routeTable);
export const networkAcls = (store: Store): Table<NetworkAclRecord> => store.table<NetworkAclRecord>(TABLES.networkAcl);
export const securityGroups = (store: Store): Table<SecurityGroupRecord> => store.table<SecurityGroupRecord>(TABLES.securityGroup);
export const addresses = (store: Store): Table<AddressRecord> => store.table<AddressRecord>(TABLES.address);
export const instances = (store: Store): Table<InstanceView> => store.table<InstanceView>(TABLES.instance);

/** The route table that applies to a subnet: its explicit association, else the VPC's main table. */
export function routeTableOfSubnet(store: Store, region: string, subnetId: string): RouteTableRecord | undefined {
  const subnet = subnets(store).get(region, subnetId);
  if (!subnet) return undefined;
  const tables = routeTables(store)
    .list(region)
    .filter((t) => t.VpcId === subnet.VpcId);
  return tables.find((t) => t.Associations.some((a) => a.SubnetId === subnetId)) ?? tables.find((t) => t.Associations.some((a) => a.Main));
}

/** The network ACL associated with a subnet (there is always exactly one). */
export function networkAclOfSubnet(store: Store, region: string, subnetId: string): NetworkAclRecord | undefined {
  return networkAcls(store)
    .list(region)
    .find((acl) => acl.Associations.some((a) => a.SubnetId === subnetId));
}

/** Entries of one direction in evaluation order (lowest rule number first). */
export function orderedEntries(acl: NetworkAclRecord, egress: boolean): NetworkAclEntryRecord[] {
  return acl.Entries.filter((e) => e.Egress === egress).sort((a, b) => a.RuleNumber - b.RuleNumber);
}

export interface VpcEvent {
  region: string;
  vpcId: string;
  cidrBlock: string;
}
export interface SubnetEvent {
  region: string;
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
}
export interface InternetGatewayEvent {
  region: string;
  internetGatewayId: string;
  vpcId: string;
  attached: boolean;
}
export interface RouteTableEvent {
  region: string;
  routeTableId: string;
  vpcId: string;
}
export interface NetworkAclEvent {
  region: string;
  aclId: string;
  vpcId: string;
}
export interface SecurityGroupEvent {
  region: string;
  groupId: string;
  vpcId: string;
}
export interface AddressEvent {
  region: string;
  allocationId: string;
  publicIp: string;
  associationId: string;
  instanceId?: string;
  privateIp?: string;
  networkInterfaceId?: string;
}

export interface NetworkEvents {
  'ec2.vpcCreated': VpcEvent;
  'ec2.vpcDeleted': VpcEvent;
  'ec2.subnetCreated': SubnetEvent;
  'ec2.subnetDeleted': SubnetEvent;
  'ec2.subnetChanged': SubnetEvent;
  'ec2.internetGatewayChanged': InternetGatewayEvent;
  'ec2.routeTableChanged': RouteTableEvent;
  'ec2.networkAclChanged': NetworkAclEvent;
  'ec2.securityGroupChanged': SecurityGroupEvent;
  'ec2.securityGroupDeleted': SecurityGroupEvent;
  'ec2.addressAssociated': AddressEvent;
  'ec2.addressDisassociated': AddressEvent;
}

/** Emits a network event; call only after the state change is committed. */
export function emitNetwork<K extends keyof NetworkEvents>(cloud: Cloud, name: K, payload: NetworkEvents[K]): void {
  cloud.events.emit(name, payload);
}
