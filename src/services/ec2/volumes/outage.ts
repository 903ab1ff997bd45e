import type { Cloud } from '../../../cloud.js';
import { ec2Errors } from '../errors.js';
import { zoneIsDark } from '../compute/zone-events.js';

/**
 * EBS volumes live in their Availability Zone, not on an instance's host: a single host failure leaves them
 * reachable, but while every host of the zone is down (az-outage) their data is out of reach. The control plane
 * keeps the requests it accepted (an attachment stays `attaching`, a snapshot `pending`, a deletion `deleting`) and
 * carries them out once a host of the zone is back; new volumes in the zone are refused.
 */

/** How often (cloud time) work waiting on a dark zone looks again. */
export const ZONE_RECHECK_MS = 2_000;

/** Resolves once the zone has a host up again (at once when it has one). */
export async function untilZoneReachable(cloud: Cloud, zoneName: string): Promise<void> {
  while (zoneIsDark(cloud, zoneName)) await cloud.clock.sleep(ZONE_RECHECK_MS);
}

/** CreateVolume in a dark zone: the server error EC2 documents for a zone that cannot provision EBS volumes now. */
export function refuseDarkZone(cloud: Cloud, zoneName: string): void {
  if (!zoneIsDark(cloud, zoneName)) return;
  throw ec2Errors.insufficientVolumeCapacity(zoneName);
}

export { zoneIsDark };
