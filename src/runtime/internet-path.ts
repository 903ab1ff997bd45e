import { containsCidr, formatCidr, parseCidr } from '../services/ec2/network/cidr.js';
import { publicPool } from '../services/ec2/network/public-ips.js';
import { internetGateways, routeTableOfSubnet } from '../services/ec2/network/state.js';
import type { Store } from '../store/db.js';

/** The cloud's public pool as a CIDR text (HALO_PUBLIC_IP_POOL, or the default). */
export function publicPoolCidr(): string {
  return formatCidr(publicPool());
}

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
