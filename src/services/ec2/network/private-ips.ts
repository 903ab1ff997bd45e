import { ec2Errors } from '../errors.js';
import { containsIp, formatIp, parseCidr, parseIp } from './cidr.js';
import type { Scope } from './common.js';
import { findSubnet } from './lookup.js';
import { subnets } from './state.js';

/**
 * Takes a private IPv4 address of a subnet for `holder` (an instance or network interface id): the requested one,
 * or the lowest free one. As AWS, the first four addresses and the last one are reserved.
 */
export function allocatePrivateIp(s: Scope, subnetId: string, requested?: string, holder = 'unknown'): string {
  return allocatePrivateIps(s, subnetId, [holder], requested)[0];
}

/**
 * Takes one address per holder in one transaction (RunInstances of many): the requested one for the first, the lowest
 * free ones for the others; none when the subnet has not enough.
 */
export function allocatePrivateIps(s: Scope, subnetId: string, holders: string[], requested?: string): string[] {
  const store = s.cloud.store;
  return store.tx(() => {
    const subnet = findSubnet(s, subnetId);
    const cidr = parseCidr(subnet.CidrBlock);
    if (!cidr) throw new Error(`subnet ${subnetId} has an invalid CIDR ${subnet.CidrBlock}`);
    const first = cidr.base + 4;
    const last = cidr.base + cidr.size - 2;
    const held = { ...subnet.PrivateIps };
    const taken: string[] = [];
    if (requested !== undefined && holders.length) {
      const wanted = parseIp(requested);
      if (wanted === undefined) throw ec2Errors.invalidPrivateIp(requested);
      if (!containsIp(cidr, wanted)) throw ec2Errors.addressOutsideSubnet(requested);
      if (wanted < first || wanted > last) throw ec2Errors.addressReservedInSubnet(requested);
      if (held[formatIp(wanted)]) throw ec2Errors.addressInUse(requested);
      held[formatIp(wanted)] = holders[0];
      taken.push(formatIp(wanted));
    }
    for (let candidate = first; taken.length < holders.length && candidate <= last; candidate++) {
      const address = formatIp(candidate);
      if (held[address]) continue;
      held[address] = holders[taken.length];
      taken.push(address);
    }
    if (taken.length < holders.length) throw ec2Errors.subnetFull(subnetId);
    subnets(store).put(s.region, subnetId, { ...subnet, PrivateIps: held });
    return taken;
  });
}

/** Gives a private address back to its subnet; releasing an address that is not held does nothing. */
export function releasePrivateIp(s: Scope, subnetId: string, ip: string): void {
  const store = s.cloud.store;
  store.tx(() => {
    const subnet = subnets(store).get(s.region, subnetId);
    if (!subnet || !(ip in subnet.PrivateIps)) return;
    const rest = { ...subnet.PrivateIps };
    delete rest[ip];
    subnets(store).put(s.region, subnetId, { ...subnet, PrivateIps: rest });
  });
}
