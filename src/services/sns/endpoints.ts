import type { Principal } from '../../auth/credentials.js';
import type { Cloud } from '../../cloud.js';
import { containsIp, formatCidr, parseIp } from '../ec2/network/cidr.js';
import { publicPool } from '../ec2/network/public-ips.js';
import { snsErrors } from './errors.js';

/**
 * Where SNS may POST. AWS's SNS reaches endpoints on the Internet; this cloud's Internet is its public address pool
 * (instances' public and Elastic IPs, 127.100.0.0/16 by default), so that is what any principal may subscribe. The
 * host's other loopback addresses and ports (the daemon's API, the metadata and DNS responders, the host's own
 * services) are not the cloud's to offer: only the admin, who owns the host already, may subscribe them (an operator's
 * webhook on this machine), as only the admin may name a host location as a TemplateURL. A public address that no
 * running instance holds is unreachable, as on AWS: the attempt fails without a connection (an unheld address of
 * 127/8 would be the host's own loopback).
 */

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

function inPublicPool(host: string): boolean {
  const ip = parseIp(host);
  return ip !== undefined && containsIp(publicPool(), ip);
}

/** Subscribe's check of an HTTP(S) endpoint for the principal subscribing it. */
export function checkEndpoint(protocol: string, endpoint: string | undefined, principal: Principal): void {
  if (protocol !== 'http' && protocol !== 'https') {
    throw snsErrors.invalidParameter(`Protocol Reason: ${protocol} is not supported by this cloud; use http or https.`);
  }
  let url: URL;
  try {
    url = new URL(endpoint ?? '');
  } catch {
    throw snsErrors.invalidParameter('Endpoint Reason: must be an absolute URL');
  }
  if (url.protocol !== `${protocol}:`)
    throw snsErrors.invalidParameter(`Endpoint Reason: must be an ${protocol} URL for protocol ${protocol}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (inPublicPool(host)) return;
  if (principal.type === 'admin') {
    if (isLoopback(host)) return;
    throw snsErrors.invalidParameter(
      `Endpoint Reason: ${host} is not reachable from this cloud; it delivers to its public addresses (${publicPoolText()}) and, for the admin, to this machine's loopback.`,
    );
  }
  throw snsErrors.invalidParameter(
    `Endpoint Reason: ${host} is not reachable from this cloud; it delivers to its public addresses (${publicPoolText()}).`,
  );
}

const publicPoolText = () => formatCidr(publicPool());

/**
 * Why a delivery to this endpoint cannot be attempted now, or undefined when it can: an endpoint in the public pool
 * must be the public or Elastic IP of a running instance at the time of the attempt.
 */
export async function unreachable(cloud: Cloud, endpoint: string, region: string): Promise<string | undefined> {
  const host = new URL(endpoint).hostname;
  if (!inPublicPool(host)) return undefined;
  try {
    const out = await cloud.invoke<{ Reservations?: Array<{ Instances?: unknown[] }> }>(
      'ec2',
      'DescribeInstances',
      {
        Filters: [
          { Name: 'ip-address', Values: [host] },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      },
      { region },
    );
    if (out.Reservations?.some((r) => r.Instances?.length)) return undefined;
  } catch {
    // no EC2 in this cloud: no instance holds it
  }
  return `connect EHOSTUNREACH ${host}: no running instance has this public address`;
}
