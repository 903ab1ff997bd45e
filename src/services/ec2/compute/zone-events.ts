import type { Cloud } from '../../../cloud.js';
import { runtimeOf } from '../../../runtime/runtime.js';
import { findZone, hostsOf } from '../../../topology/regions.js';
import { closeHealthEvent, listHealthEvents, recordHealthEvent } from '../../health/events.js';

/**
 * A dark zone as AWS Health shows it: a public EC2 operational issue for that zone, open while every host of the
 * zone is down. Simplified automatic recovery does not operate while such a service event is open (EC2 User Guide).
 */
const CODE = 'AWS_EC2_OPERATIONAL_ISSUE';

const openIssue = (cloud: Cloud, zoneName: string) =>
  listHealthEvents(cloud).find((e) => e.eventTypeCode === CODE && e.availabilityZone === zoneName && e.statusCode === 'open');

export function zoneHasServiceEvent(cloud: Cloud, zoneName: string): boolean {
  return !!openIssue(cloud, zoneName);
}

/** Opens the zone's issue when all its hosts are down, closes it once one is back. Called after each host fault. */
export function syncZoneEvent(cloud: Cloud, zoneName: string): void {
  const zone = findZone(zoneName);
  if (!zone) return;
  const down = new Set(runtimeOf(cloud).downHosts());
  const dark = hostsOf(zone, cloud.config.hostsPerZone).every((h) => down.has(h.hostId));
  const open = openIssue(cloud, zone.zoneName);
  if (dark && !open) {
    recordHealthEvent(cloud, {
      service: 'EC2',
      eventTypeCode: CODE,
      eventTypeCategory: 'issue',
      region: zone.regionName,
      availabilityZone: zone.zoneName,
      statusCode: 'open',
      eventScopeCode: 'PUBLIC',
      description: `We are investigating connectivity issues and instance impairments in a single Availability Zone (${zone.zoneName}, ${zone.zoneId}) in the ${zone.regionName} Region.`,
    });
  } else if (!dark && open) {
    closeHealthEvent(
      cloud,
      open.arn,
      `Instances and connectivity in ${zone.zoneName} (${zone.zoneId}) are recovering: hosts of the Availability Zone accept instances again.`,
    );
  }
}

/** True while every host of the zone is down (az-outage, or each host failed): its EBS volumes are unreachable. */
export function zoneIsDark(cloud: Cloud, zoneName: string): boolean {
  const zone = findZone(zoneName);
  if (!zone) return false;
  const down = new Set(runtimeOf(cloud).downHosts());
  return hostsOf(zone, cloud.config.hostsPerZone).every((h) => down.has(h.hostId));
}
