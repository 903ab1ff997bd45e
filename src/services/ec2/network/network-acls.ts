import { ec2Errors } from '../errors.js';
import type { Store } from '../../../store/db.js';
import type { RequestContext } from '../../types.js';
import { applyFilters, tagsFor, type Filter } from '../filters.js';
import { newId } from '../ids.js';
import { formatCidr, parseCidr } from './cidr.js';
import { requireAll, type TagSpecifications } from './common.js';
import { findNetworkAcl, findVpc } from './lookup.js';
import { protocolNumber } from './protocols.js';
import { emitNetwork, networkAcls, type NetworkAclEntryRecord, type NetworkAclRecord, type VpcRecord } from './state.js';
import { ec2Page, type Ec2PageInput } from '../paging.js';

const LAST_RULE = 32767;
const denyAll = (egress: boolean): NetworkAclEntryRecord => ({
  RuleNumber: LAST_RULE,
  Egress: egress,
  Protocol: '-1',
  RuleAction: 'deny',
  CidrBlock: '0.0.0.0/0',
});
const allowAll = (egress: boolean): NetworkAclEntryRecord => ({
  RuleNumber: 100,
  Egress: egress,
  Protocol: '-1',
  RuleAction: 'allow',
  CidrBlock: '0.0.0.0/0',
});

/** A VPC's default ACL allows everything in and out (rule 100) before the final deny. */
export function newDefaultNetworkAcl(vpcId: string, owner: string): NetworkAclRecord {
  return {
    NetworkAclId: newId('acl'),
    OwnerId: owner,
    VpcId: vpcId,
    IsDefault: true,
    Entries: [allowAll(true), denyAll(true), allowAll(false), denyAll(false)],
    Associations: [],
    Tags: [],
  };
}

const byDirectionAndNumber = (a: NetworkAclEntryRecord, b: NetworkAclEntryRecord) =>
  Number(b.Egress) - Number(a.Egress) || a.RuleNumber - b.RuleNumber;

function aclOutput(acl: NetworkAclRecord) {
  return {
    Associations: acl.Associations.map((a) => ({
      NetworkAclAssociationId: a.NetworkAclAssociationId,
      NetworkAclId: acl.NetworkAclId,
      SubnetId: a.SubnetId,
    })),
    Entries: [...acl.Entries].sort(byDirectionAndNumber),
    IsDefault: acl.IsDefault,
    NetworkAclId: acl.NetworkAclId,
    Tags: acl.Tags,
    VpcId: acl.VpcId,
    OwnerId: acl.OwnerId,
  };
}

function save(ctx: RequestContext, acl: NetworkAclRecord): void {
  networkAcls(ctx.cloud.store).put(ctx.region, acl.NetworkAclId, acl);
  emitNetwork(ctx.cloud, 'ec2.networkAclChanged', { region: ctx.region, aclId: acl.NetworkAclId, vpcId: acl.VpcId });
}

export function createNetworkAcl(
  input: { VpcId: string; TagSpecifications?: TagSpecifications; ClientToken?: string },
  ctx: RequestContext,
) {
  const vpc = findVpc(ctx, input.VpcId);
  const acl: NetworkAclRecord = {
    NetworkAclId: newId('acl'),
    OwnerId: ctx.accountId,
    VpcId: vpc.VpcId,
    IsDefault: false,
    Entries: [denyAll(true), denyAll(false)],
    Associations: [],
    Tags: tagsFor('network-acl', input.TagSpecifications),
  };
  save(ctx, acl);
  return { NetworkAcl: aclOutput(acl), ClientToken: input.ClientToken };
}

export function describeNetworkAcls(input: { NetworkAclIds?: string[]; Filters?: Filter[] } & Ec2PageInput, ctx: RequestContext) {
  let items = requireAll(
    networkAcls(ctx.cloud.store).list(ctx.region),
    input.NetworkAclIds,
    (a) => a.NetworkAclId,
    (id) => ec2Errors.networkAclNotFound(id),
  );
  items = applyFilters(
    items,
    input.Filters,
    {
      'network-acl-id': (a) => a.NetworkAclId,
      'vpc-id': (a) => a.VpcId,
      'owner-id': (a) => a.OwnerId,
      default: (a) => String(a.IsDefault),
      'association.association-id': (a) => a.Associations.map((x) => x.NetworkAclAssociationId),
      'association.network-acl-id': (a) => (a.Associations.length ? a.NetworkAclId : undefined),
      'association.subnet-id': (a) => a.Associations.map((x) => x.SubnetId),
      'entry.cidr': (a) => a.Entries.map((e) => e.CidrBlock),
      'entry.egress': (a) => a.Entries.map((e) => String(e.Egress)),
      'entry.protocol': (a) => a.Entries.map((e) => e.Protocol),
      'entry.rule-action': (a) => a.Entries.map((e) => e.RuleAction),
      'entry.rule-number': (a) => a.Entries.map((e) => String(e.RuleNumber)),
      'entry.port-range.from': (a) => a.Entries.map((e) => e.PortRange?.From),
      'entry.port-range.to': (a) => a.Entries.map((e) => e.PortRange?.To),
      'entry.icmp.type': (a) => a.Entries.map((e) => e.IcmpTypeCode?.Type),
      'entry.icmp.code': (a) => a.Entries.map((e) => e.IcmpTypeCode?.Code),
    },
    (a) => a.Tags,
  );
  const page = ec2Page(items, input, 'NetworkAclIds');
  return { NetworkAcls: page.items.map(aclOutput), NextToken: page.NextToken };
}

export function deleteNetworkAcl(input: { NetworkAclId: string }, ctx: RequestContext) {
  const acl = findNetworkAcl(ctx, input.NetworkAclId);
  if (acl.IsDefault) throw ec2Errors.defaultNetworkAclNotDeletable(acl.NetworkAclId);
  if (acl.Associations.length) throw ec2Errors.hasDependencies('networkAcl', acl.NetworkAclId);
  networkAcls(ctx.cloud.store).delete(ctx.region, acl.NetworkAclId);
  emitNetwork(ctx.cloud, 'ec2.networkAclChanged', { region: ctx.region, aclId: acl.NetworkAclId, vpcId: acl.VpcId });
  return {};
}

interface EntryInput {
  NetworkAclId: string;
  RuleNumber: number;
  Egress: boolean;
  Protocol: string;
  RuleAction: string;
  CidrBlock?: string;
  Ipv6CidrBlock?: string;
  PortRange?: { From?: number; To?: number };
  IcmpTypeCode?: { Type?: number; Code?: number };
}

function entryOf(input: EntryInput): NetworkAclEntryRecord {
  if (!Number.isInteger(input.RuleNumber) || input.RuleNumber < 1 || input.RuleNumber > 32766) {
    throw ec2Errors.invalidRuleNumber(input.RuleNumber);
  }
  if (input.RuleAction !== 'allow' && input.RuleAction !== 'deny') {
    throw ec2Errors.invalidRuleAction(input.RuleAction);
  }
  if (input.Ipv6CidrBlock) throw ec2Errors.ipv6AclEntriesUnsupported();
  if (!input.CidrBlock) throw ec2Errors.missingParameter('cidrBlock or ipv6CidrBlock');
  const cidr = parseCidr(input.CidrBlock, false);
  if (!cidr) throw ec2Errors.invalidCidrBlock(input.CidrBlock);
  const protocol = protocolNumber(input.Protocol, 'protocol');
  const entry: NetworkAclEntryRecord = {
    RuleNumber: input.RuleNumber,
    Egress: input.Egress,
    Protocol: protocol,
    RuleAction: input.RuleAction,
    CidrBlock: formatCidr(cidr),
  };
  if (protocol === '6' || protocol === '17') {
    const { From, To } = input.PortRange ?? {};
    if (From === undefined || To === undefined) throw ec2Errors.missingParameter('portRange (From and To) for TCP and UDP');
    if (From < 0 || To > 65535 || From > To) throw ec2Errors.invalidAclPortRange(From, To);
    entry.PortRange = { From, To };
  } else if (protocol === '1') {
    const { Type, Code } = input.IcmpTypeCode ?? {};
    if (Type === undefined || Code === undefined) throw ec2Errors.missingParameter('icmpTypeCode (Type and Code) for ICMP');
    entry.IcmpTypeCode = { Type, Code };
  }
  return entry;
}

export function createNetworkAclEntry(input: EntryInput, ctx: RequestContext) {
  const acl = findNetworkAcl(ctx, input.NetworkAclId);
  const entry = entryOf(input);
  if (acl.Entries.some((e) => e.Egress === entry.Egress && e.RuleNumber === entry.RuleNumber)) {
    throw ec2Errors.networkAclEntryExists(entry.RuleNumber);
  }
  save(ctx, { ...acl, Entries: [...acl.Entries, entry] });
  return {};
}

export function replaceNetworkAclEntry(input: EntryInput, ctx: RequestContext) {
  const acl = findNetworkAcl(ctx, input.NetworkAclId);
  const entry = entryOf(input);
  const index = acl.Entries.findIndex((e) => e.Egress === entry.Egress && e.RuleNumber === entry.RuleNumber);
  if (index < 0) throw ec2Errors.networkAclEntryNotFound(entry.RuleNumber);
  const entries = [...acl.Entries];
  entries[index] = entry;
  save(ctx, { ...acl, Entries: entries });
  return {};
}

export function deleteNetworkAclEntry(input: { NetworkAclId: string; RuleNumber: number; Egress: boolean }, ctx: RequestContext) {
  const acl = findNetworkAcl(ctx, input.NetworkAclId);
  if (input.RuleNumber === LAST_RULE) throw ec2Errors.defaultAclRuleNotDeletable(LAST_RULE);
  const entry = acl.Entries.find((e) => e.Egress === input.Egress && e.RuleNumber === input.RuleNumber);
  if (!entry) throw ec2Errors.networkAclEntryNotFound(input.RuleNumber);
  save(ctx, { ...acl, Entries: acl.Entries.filter((e) => e !== entry) });
  return {};
}

/** Moves a subnet's association (found by its id) to another ACL of the same VPC. */
export function replaceNetworkAclAssociation(input: { AssociationId: string; NetworkAclId: string }, ctx: RequestContext) {
  const store = ctx.cloud.store;
  const from = networkAcls(store)
    .list(ctx.region)
    .find((a) => a.Associations.some((x) => x.NetworkAclAssociationId === input.AssociationId));
  if (!from) throw ec2Errors.associationNotFound(input.AssociationId);
  const to = findNetworkAcl(ctx, input.NetworkAclId);
  if (to.VpcId !== from.VpcId) throw ec2Errors.networkAclInOtherNetwork(to.NetworkAclId, input.AssociationId);
  const old = from.Associations.find((x) => x.NetworkAclAssociationId === input.AssociationId);
  if (!old) throw ec2Errors.associationNotFound(input.AssociationId);
  const moved = { NetworkAclAssociationId: newId('aclassoc'), SubnetId: old.SubnetId };
  store.tx(() => {
    networkAcls(store).put(ctx.region, from.NetworkAclId, { ...from, Associations: from.Associations.filter((x) => x !== old) });
    const target = networkAcls(store).get(ctx.region, to.NetworkAclId) ?? to;
    networkAcls(store).put(ctx.region, to.NetworkAclId, { ...target, Associations: [...target.Associations, moved] });
  });
  for (const id of new Set([from.NetworkAclId, to.NetworkAclId])) {
    emitNetwork(ctx.cloud, 'ec2.networkAclChanged', { region: ctx.region, aclId: id, vpcId: from.VpcId });
  }
  return { NewAssociationId: moved.NetworkAclAssociationId };
}

/** A new subnet starts associated with its VPC's default ACL. Call inside the subnet's transaction. */
export function associateWithDefaultAcl(store: Store, region: string, vpc: VpcRecord, subnetId: string): NetworkAclRecord {
  const acl = networkAcls(store).get(region, vpc.DefaultNetworkAclId);
  if (!acl) throw new Error(`VPC ${vpc.VpcId} has lost its default network ACL ${vpc.DefaultNetworkAclId}`);
  const updated = { ...acl, Associations: [...acl.Associations, { NetworkAclAssociationId: newId('aclassoc'), SubnetId: subnetId }] };
  networkAcls(store).put(region, acl.NetworkAclId, updated);
  return updated;
}

/** Removes a deleted subnet's association. */
export function dropSubnetAclAssociation(store: Store, region: string, subnetId: string): NetworkAclRecord | undefined {
  const acl = networkAcls(store)
    .list(region)
    .find((a) => a.Associations.some((x) => x.SubnetId === subnetId));
  if (acl)
    networkAcls(store).put(region, acl.NetworkAclId, { ...acl, Associations: acl.Associations.filter((x) => x.SubnetId !== subnetId) });
  return acl;
}
