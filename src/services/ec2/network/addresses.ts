import { ec2Errors } from '../errors.js';
import type { RequestContext } from '../../types.js';
import { applyFilters, tagsFor, type Filter } from '../filters.js';
import { newId } from '../ids.js';
import { requireAll, tagsOrNone, type Scope, type TagSpecifications } from './common.js';
import { findAddress } from './lookup.js';
import { claimPublicIp, releasePublicIp } from './public-ips.js';
import { addresses, emitNetwork, instances, internetGateways, type AddressEvent, type AddressRecord, type InstanceView } from './state.js';

function addressOutput(a: AddressRecord, accountId: string) {
  return {
    InstanceId: a.InstanceId,
    PublicIp: a.PublicIp,
    AllocationId: a.AllocationId,
    AssociationId: a.AssociationId,
    Domain: a.Domain,
    NetworkInterfaceId: a.NetworkInterfaceId,
    NetworkInterfaceOwnerId: a.NetworkInterfaceId ? accountId : undefined,
    PrivateIpAddress: a.PrivateIpAddress,
    Tags: tagsOrNone(a.Tags),
    PublicIpv4Pool: a.PublicIpv4Pool,
    NetworkBorderGroup: a.NetworkBorderGroup,
  };
}

const eventOf = (region: string, a: AddressRecord): AddressEvent => ({
  region,
  allocationId: a.AllocationId,
  publicIp: a.PublicIp,
  associationId: a.AssociationId ?? '',
  instanceId: a.InstanceId,
  privateIp: a.PrivateIpAddress,
  networkInterfaceId: a.NetworkInterfaceId,
});

const unassociated = (a: AddressRecord): AddressRecord => ({
  ...a,
  AssociationId: undefined,
  InstanceId: undefined,
  NetworkInterfaceId: undefined,
  PrivateIpAddress: undefined,
});

function byPublicIp(s: Scope, ip: string): AddressRecord {
  const address = addresses(s.cloud.store)
    .list(s.region)
    .find((a) => a.PublicIp === ip);
  if (!address) throw ec2Errors.addressNotFound(ip);
  return address;
}

function addressOf(s: Scope, input: { AllocationId?: string; PublicIp?: string }): AddressRecord {
  if (input.AllocationId) return findAddress(s, input.AllocationId);
  if (input.PublicIp) return byPublicIp(s, input.PublicIp);
  throw ec2Errors.missingPublicIpOrAllocationId();
}

export function allocateAddress(
  input: {
    Domain?: string;
    Address?: string;
    PublicIpv4Pool?: string;
    NetworkBorderGroup?: string;
    CustomerOwnedIpv4Pool?: string;
    IpamPoolId?: string;
    TagSpecifications?: TagSpecifications;
  },
  ctx: RequestContext,
) {
  if (input.Domain !== undefined && input.Domain !== 'vpc') {
    throw ec2Errors.invalidAddressDomain(input.Domain);
  }
  if ((input.PublicIpv4Pool && input.PublicIpv4Pool !== 'amazon') || input.CustomerOwnedIpv4Pool || input.IpamPoolId) {
    throw ec2Errors.addressPoolUnsupported();
  }
  if (input.NetworkBorderGroup && input.NetworkBorderGroup !== ctx.region) {
    throw ec2Errors.invalidNetworkBorderGroup(input.NetworkBorderGroup, ctx.region);
  }
  const allocationId = newId('eipalloc');
  const store = ctx.cloud.store;
  const address = store.tx(() => {
    const publicIp = claimPublicIp(store, ctx.region, allocationId, input.Address);
    const record: AddressRecord = {
      AllocationId: allocationId,
      PublicIp: publicIp,
      Domain: 'vpc',
      NetworkBorderGroup: ctx.region,
      PublicIpv4Pool: 'amazon',
      Tags: tagsFor('elastic-ip', input.TagSpecifications),
    };
    addresses(store).insert(ctx.region, allocationId, record);
    return record;
  });
  return {
    PublicIp: address.PublicIp,
    AllocationId: address.AllocationId,
    PublicIpv4Pool: address.PublicIpv4Pool,
    NetworkBorderGroup: address.NetworkBorderGroup,
    Domain: address.Domain,
  };
}

export function describeAddresses(input: { PublicIps?: string[]; AllocationIds?: string[]; Filters?: Filter[] }, ctx: RequestContext) {
  let items = addresses(ctx.cloud.store).list(ctx.region);
  items = requireAll(
    items,
    input.PublicIps,
    (a) => a.PublicIp,
    (ip) => ec2Errors.addressNotFound(ip),
  );
  items = requireAll(
    items,
    input.AllocationIds,
    (a) => a.AllocationId,
    (id) => ec2Errors.allocationNotFound(id),
  );
  items = applyFilters(
    items,
    input.Filters,
    {
      'allocation-id': (a) => a.AllocationId,
      'association-id': (a) => a.AssociationId,
      domain: (a) => a.Domain,
      'instance-id': (a) => a.InstanceId,
      'network-border-group': (a) => a.NetworkBorderGroup,
      'network-interface-id': (a) => a.NetworkInterfaceId,
      'network-interface-owner-id': (a) => (a.NetworkInterfaceId ? ctx.accountId : undefined),
      'private-ip-address': (a) => a.PrivateIpAddress,
      'public-ip': (a) => a.PublicIp,
    },
    (a) => a.Tags,
  );
  return { Addresses: items.map((a) => addressOutput(a, ctx.accountId)) };
}

function targetInstance(ctx: RequestContext, input: { InstanceId?: string; NetworkInterfaceId?: string }): InstanceView {
  const all = instances(ctx.cloud.store).list(ctx.region);
  if (input.InstanceId) {
    const instance = all.find((i) => i.InstanceId === input.InstanceId);
    if (!instance || instance.State?.Name === 'terminated') throw ec2Errors.instanceNotFound(input.InstanceId);
    if (input.NetworkInterfaceId && instance.NetworkInterfaceId !== input.NetworkInterfaceId) {
      throw ec2Errors.networkInterfaceNotOnInstance(input.NetworkInterfaceId, input.InstanceId);
    }
    return instance;
  }
  if (input.NetworkInterfaceId) {
    const instance = all.find((i) => i.NetworkInterfaceId === input.NetworkInterfaceId && i.State?.Name !== 'terminated');
    if (!instance) throw ec2Errors.targetNetworkInterfaceNotFound(input.NetworkInterfaceId);
    return instance;
  }
  throw ec2Errors.missingInstanceOrNetworkInterface();
}

export function associateAddress(
  input: {
    AllocationId?: string;
    PublicIp?: string;
    InstanceId?: string;
    NetworkInterfaceId?: string;
    PrivateIpAddress?: string;
    AllowReassociation?: boolean;
  },
  ctx: RequestContext,
) {
  const address = addressOf(ctx, input);
  const instance = targetInstance(ctx, input);
  if (instance.State?.Name === 'shutting-down') {
    throw ec2Errors.instanceStateInvalidForOperation(instance.InstanceId);
  }
  if (!instance.PrivateIpAddress || !instance.NetworkInterfaceId) {
    throw ec2Errors.instanceHasNoNetworkInterface(instance.InstanceId);
  }
  if (input.PrivateIpAddress && input.PrivateIpAddress !== instance.PrivateIpAddress) {
    throw ec2Errors.privateIpNotOnInterface(input.PrivateIpAddress, instance.NetworkInterfaceId);
  }
  const store = ctx.cloud.store;
  if (
    !internetGateways(store)
      .list(ctx.region)
      .some((g) => g.Attachments.some((a) => a.VpcId === instance.VpcId))
  ) {
    throw ec2Errors.networkHasNoInternetGateway(String(instance.VpcId));
  }
  const privateIp = instance.PrivateIpAddress;
  const sameTarget = (a: AddressRecord) =>
    a.AssociationId !== undefined && a.NetworkInterfaceId === instance.NetworkInterfaceId && a.PrivateIpAddress === privateIp;
  // Idempotent: associating an address with the target it already has changes nothing.
  if (sameTarget(address)) return { AssociationId: address.AssociationId };
  if (address.AssociationId && input.AllowReassociation !== true) {
    throw ec2Errors.addressAlreadyAssociated(address.AllocationId, address.AssociationId);
  }
  // The target's previous Elastic IP, if any, is disassociated and stays allocated.
  const displaced = addresses(store)
    .list(ctx.region)
    .filter((a) => a.AllocationId !== address.AllocationId && sameTarget(a));
  const associated: AddressRecord = {
    ...address,
    AssociationId: newId('eipassoc'),
    InstanceId: instance.InstanceId,
    NetworkInterfaceId: instance.NetworkInterfaceId,
    PrivateIpAddress: privateIp,
  };
  store.tx(() => {
    for (const a of displaced) addresses(store).put(ctx.region, a.AllocationId, unassociated(a));
    addresses(store).put(ctx.region, address.AllocationId, associated);
  });
  const ended = [...displaced, ...(address.AssociationId ? [address] : [])];
  for (const a of ended) emitNetwork(ctx.cloud, 'ec2.addressDisassociated', eventOf(ctx.region, a));
  emitNetwork(ctx.cloud, 'ec2.addressAssociated', eventOf(ctx.region, associated));
  return { AssociationId: associated.AssociationId };
}

function disassociate(s: Scope, address: AddressRecord): void {
  addresses(s.cloud.store).put(s.region, address.AllocationId, unassociated(address));
  emitNetwork(s.cloud, 'ec2.addressDisassociated', eventOf(s.region, address));
}

export function disassociateAddress(input: { AssociationId?: string; PublicIp?: string }, ctx: RequestContext) {
  let address: AddressRecord | undefined;
  if (input.AssociationId) {
    address = addresses(ctx.cloud.store)
      .list(ctx.region)
      .find((a) => a.AssociationId === input.AssociationId);
    if (!address) throw ec2Errors.associationNotFound(input.AssociationId);
  } else if (input.PublicIp) {
    address = byPublicIp(ctx, input.PublicIp);
  } else {
    throw ec2Errors.missingPublicIpOrAssociationId();
  }
  if (address.AssociationId) disassociate(ctx, address);
  return {};
}

export function releaseAddress(input: { AllocationId?: string; PublicIp?: string; NetworkBorderGroup?: string }, ctx: RequestContext) {
  const address = addressOf(ctx, input);
  if (address.AssociationId) throw ec2Errors.addressInUse(address.AllocationId);
  const store = ctx.cloud.store;
  store.tx(() => {
    addresses(store).delete(ctx.region, address.AllocationId);
    releasePublicIp(store, address.PublicIp);
  });
  return {};
}

/** The Elastic IP on an instance's primary private address, for DescribeInstances and the metadata service. */
export function publicIpFor(s: Scope, instanceId: string): string | undefined {
  return addresses(s.cloud.store)
    .list(s.region)
    .find((a) => a.InstanceId === instanceId && a.AssociationId)?.PublicIp;
}

/** Ends every Elastic IP association of an instance (call when it terminates); the addresses stay allocated. */
export function disassociateInstanceAddresses(s: Scope, instanceId: string): void {
  for (const a of addresses(s.cloud.store).list(s.region)) {
    if (a.InstanceId === instanceId && a.AssociationId) disassociate(s, a);
  }
}
