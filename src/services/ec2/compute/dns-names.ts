import type { Cloud } from '../../../cloud.js';
import { addressOfReverse, type NameAnswer, type NameProvider, type NameQuestion } from '../../../runtime/dns.js';
import { vpcs } from '../network/state.js';
import { publicIpOf } from './instances.js';
import { instancesTable, privateDnsOf, privateDomainOf, publicDomainOf } from './state.js';

/** What the EC2 names need of an instance. */
export interface NamedInstance {
  vpcId: string;
  privateIp: string;
  publicIp?: string;
}

const dashedIp = (text: string): string | undefined => {
  const parts = text.split('-');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255) ? parts.map(Number).join('.') : undefined;
};

/**
 * EC2's names in a VPC's Amazon-provided DNS:
 * - `ip-10-0-1-20.ec2.internal` (us-east-1) / `ip-….REGION.compute.internal`: the private IP of an instance of the
 *   asker's VPC, and the reverse (PTR) of that private IP;
 * - `ec2-127-100-0-5.compute-1.amazonaws.com` / `ec2-….REGION.compute.amazonaws.com`: a public or Elastic IP of an
 *   instance whose VPC has DNS hostnames on; from inside that VPC it resolves to the instance's private IP, from
 *   elsewhere to the public IP (as AWS does).
 */
export function ec2Name(
  q: NameQuestion,
  instances: readonly NamedInstance[],
  hostnames: (vpcId: string) => boolean,
): NameAnswer | undefined {
  const inVpc = instances.filter((i) => i.vpcId === q.vpcId);
  const reverse = addressOfReverse(q.name);
  if (reverse) {
    const owner = inVpc.find((i) => i.privateIp === reverse);
    return owner ? { ptr: [privateDnsOf(owner.privateIp, q.region)] } : undefined;
  }
  const dot = q.name.indexOf('.');
  if (dot < 0) return undefined;
  const label = q.name.slice(0, dot);
  const domain = q.name.slice(dot + 1);
  if (label.startsWith('ip-') && domain === privateDomainOf(q.region)) {
    const ip = dashedIp(label.slice(3));
    return ip && inVpc.some((i) => i.privateIp === ip) ? { a: [ip] } : undefined;
  }
  if (label.startsWith('ec2-') && domain === publicDomainOf(q.region)) {
    const ip = dashedIp(label.slice(4));
    const owner = ip ? instances.find((i) => i.publicIp === ip) : undefined;
    if (!owner || !hostnames(owner.vpcId)) return undefined;
    return { a: [owner.vpcId === q.vpcId ? owner.privateIp : (ip as string)] };
  }
  return undefined;
}

/** The EC2 name provider of a cloud, over its stored instances and VPCs. */
export function ec2NameProvider(cloud: Cloud): NameProvider {
  return (q) => {
    const scope = { cloud, region: q.region };
    const instances = instancesTable(cloud.store)
      .list(q.region)
      .filter((r) => r.State.Name !== 'terminated')
      .map((r) => ({ vpcId: r.VpcId, privateIp: r.PrivateIpAddress, publicIp: publicIpOf(scope, r) }));
    return ec2Name(q, instances, (vpcId) => vpcs(cloud.store).get(q.region, vpcId)?.EnableDnsHostnames ?? false);
  };
}

/** The VPC's enableDnsSupport (a VPC that is gone has no DNS). */
export function vpcDnsSupport(cloud: Cloud, region: string, vpcId: string): boolean {
  return vpcs(cloud.store).get(region, vpcId)?.EnableDnsSupport ?? false;
}

/** DescribeInstances and the metadata service show a public DNS name only where the VPC has DNS hostnames on. */
export function publicNameShown(cloud: Cloud, region: string, vpcId: string): boolean {
  return vpcs(cloud.store).get(region, vpcId)?.EnableDnsHostnames ?? false;
}
