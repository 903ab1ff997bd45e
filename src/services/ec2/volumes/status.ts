import type { RequestContext } from '../../types.js';
import { applyFilters, type Filter } from '../filters.js';
import { zoneIsDark } from './outage.js';
import { volumesTable, type VolumeRecord } from './state.js';
import { pickVolumes, syncVolumes } from './volumes.js';
import { ec2Page } from '../paging.js';

type Status = 'ok' | 'impaired' | 'warning' | 'insufficient-data';

interface VolumeHealth {
  v: VolumeRecord;
  status: Status;
  details: Array<{ Name: string; Status: string }>;
}

/** io-performance is reported for the provisioned-performance types only (EBS User Guide, volume status checks). */
const PERFORMANCE_TYPES = new Set(['io1', 'io2', 'gp3']);

/**
 * The volume status checks, worked out when asked: io-enabled fails while the volume's zone is dark (every host down),
 * which makes the volume `impaired`; a volume still being created has no check yet (`insufficient-data`). The status
 * is separate from the volume's State, which stays in-use or available meanwhile.
 */
function health(cloud: RequestContext['cloud'], v: VolumeRecord): VolumeHealth {
  const performance = PERFORMANCE_TYPES.has(v.VolumeType);
  if (v.State === 'creating') {
    return {
      v,
      status: 'insufficient-data',
      details: [
        { Name: 'io-enabled', Status: 'insufficient-data' },
        { Name: 'io-performance', Status: performance ? 'insufficient-data' : 'not-applicable' },
      ],
    };
  }
  const dark = zoneIsDark(cloud, v.AvailabilityZone);
  return {
    v,
    status: dark ? 'impaired' : 'ok',
    details: [
      { Name: 'io-enabled', Status: dark ? 'failed' : 'passed' },
      { Name: 'io-performance', Status: !performance ? 'not-applicable' : dark ? 'stalled' : 'normal' },
    ],
  };
}

const statusFilters = {
  'volume-id': (h: VolumeHealth) => h.v.VolumeId,
  'availability-zone': (h: VolumeHealth) => h.v.AvailabilityZone,
  'volume-status.status': (h: VolumeHealth) => h.status,
  'volume-status.details-name': (h: VolumeHealth) => h.details.map((d) => d.Name),
  'volume-status.details-status': (h: VolumeHealth) => h.details.map((d) => d.Status),
  // No volume events or actions are raised: these filters match nothing.
  'event.event-type': () => [],
  'event.event-id': () => [],
  'event.description': () => [],
  'event.not-after': () => [],
  'event.not-before': () => [],
  'action.code': () => [],
  'action.description': () => [],
  'action.event-id': () => [],
};

export function describeVolumeStatus(
  input: { VolumeIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string },
  ctx: RequestContext,
) {
  syncVolumes(ctx.cloud, ctx.region);
  const list = pickVolumes(
    volumesTable(ctx.cloud.store)
      .list(ctx.region)
      .filter((v) => v.State !== 'deleted'),
    input.VolumeIds,
  );
  const page = ec2Page(
    applyFilters(
      list.map((v) => health(ctx.cloud, v)),
      input.Filters,
      statusFilters,
    ),
    input,
    'VolumeIds',
  );
  return {
    NextToken: page.NextToken,
    VolumeStatuses: page.items.map((h) => ({
      VolumeId: h.v.VolumeId,
      AvailabilityZone: h.v.AvailabilityZone,
      VolumeStatus: { Status: h.status, Details: h.details },
      Events: [],
      Actions: [],
      AttachmentStatuses: PERFORMANCE_TYPES.has(h.v.VolumeType)
        ? h.v.Attachments.map((a) => ({ InstanceId: a.InstanceId, IoPerformance: h.details[1].Status }))
        : undefined,
    })),
  };
}
