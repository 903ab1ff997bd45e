import type { VpcRules } from '../../../runtime/firewall.js';
import type { Store } from '../../../store/db.js';
import { containsCidr, parseCidr } from './cidr.js';
import { publicPool } from './public-ips.js';
import { internetGateways, networkAcls, routeTableOfSubnet, securityGroups } from './state.js';

// What the runtime reads of the VPCs, handed to it through its hooks (compute/index.ts): it never reads these tables.

/**
 * Whether traffic of a subnet to public addresses can go through an internet gateway, as on AWS: the VPC has a
 * gateway attached and the subnet's route table has an active route to it that covers the whole public pool
 * (0.0.0.0/0 in practice). A route covering only part of the pool does not count.
 */
export function subnetOnInternetPath(store: Store, region: string, vpcId: string, subnetId: string): boolean {
  const gateways = new Set(
    internetGateways(store)
      .list(region)
      .filter((g) => g.Attachments.some((a) => a.VpcId === vpcId && a.State === 'available'))
      .map((g) => g.InternetGatewayId),
  );
  if (!gateways.size) return false;
  const pool = publicPool();
  return (routeTableOfSubnet(store, region, subnetId)?.Routes ?? []).some((r) => {
    const dest = parseCidr(r.DestinationCidrBlock, false);
    return r.State === 'active' && !!r.GatewayId && gateways.has(r.GatewayId) && !!dest && containsCidr(dest, pool);
  });
}

/** The rules the runtime's firewall enforces in a VPC: its security groups' rules and its subnets' network ACL entries. */
export function vpcRules(store: Store, region: string, vpcId: string): VpcRules {
  const rules: VpcRules = { groups: new Map(), acls: new Map() };
  for (const g of securityGroups(store).list(region)) if (g.VpcId === vpcId) rules.groups.set(g.GroupId, g.Rules ?? []);
  for (const acl of networkAcls(store).list(region)) {
    if (acl.VpcId !== vpcId) continue;
    for (const a of acl.Associations ?? []) rules.acls.set(a.SubnetId, acl.Entries ?? []);
  }
  return rules;
}
