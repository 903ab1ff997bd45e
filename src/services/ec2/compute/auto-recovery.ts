import type { Cloud } from '../../../cloud.js';
import { autoRecoveryOf, simplifiedRecoverySupported } from './maintenance.js';
import { recoverInstance, recoveryInProgress } from './recovery.js';
import { instancesTable } from './state.js';
import { zoneHasServiceEvent } from './zone-events.js';

/**
 * Simplified automatic recovery: EC2 recovers, without any alarm, a running instance of a supported type whose
 * system status check keeps failing, unless its AutoRecovery is `disabled`, it belongs to an Auto Scaling group
 * (Auto Scaling replaces it instead), or a service event covers its zone.
 *
 * AWS gives no delay; it says CloudWatch action based recovery allows faster, to-the-minute recovery than the
 * simplified one. halo therefore waits for this many consecutive failed system checks (one a minute), longer than
 * the alarms of the seed (5 periods) and of AWS's examples (2 periods), which thus act first when both exist.
 */
export const SIMPLIFIED_RECOVERY_FAILED_CHECKS = 10;

/** One run of failed system checks of an instance, and whether it was already acted upon (one attempt per run). */
interface Episode {
  since: number;
  failed: number;
  attempted: boolean;
}

interface StatusChecked {
  region: string;
  instanceId: string;
  system: 'ok' | 'impaired';
  instance: 'ok' | 'impaired';
  timestamp: number;
}

export function startSimplifiedRecovery(cloud: Cloud): () => void {
  const episodes = new Map<string, Episode>();
  const onCheck = (c: StatusChecked) => {
    if (c.system === 'ok') {
      episodes.delete(c.instanceId);
      return;
    }
    const ep = episodes.get(c.instanceId) ?? { since: c.timestamp, failed: 0, attempted: false };
    ep.failed++;
    episodes.set(c.instanceId, ep);
    // As many checks, spanning as many check periods: on a loaded machine a late check and the next on time can be
    // closer than one period, and the wait must not shrink with them.
    const spanned = c.timestamp - ep.since >= (SIMPLIFIED_RECOVERY_FAILED_CHECKS - 1) * cloud.profile.steps.statusCheckInterval;
    if (ep.attempted || ep.failed < SIMPLIFIED_RECOVERY_FAILED_CHECKS || !spanned || recoveryInProgress(cloud, c.instanceId)) return;
    const r = instancesTable(cloud.store).get(c.region, c.instanceId);
    if (!r || r.State.Name !== 'running') return;
    if (autoRecoveryOf(cloud, c.region, r.InstanceId) === 'disabled' || !simplifiedRecoverySupported(r.InstanceType)) return;
    if (r.Tags.some((t) => t.Key === 'aws:autoscaling:groupName')) return;
    // During a service event EC2 neither recovers nor reports a failure; the attempt waits for the event to end.
    if (zoneHasServiceEvent(cloud, r.AvailabilityZone)) return;
    ep.attempted = true;
    void recoverInstance(cloud, c.region, r.InstanceId, { kind: 'simplified', impairedSince: ep.since }).catch((err: unknown) =>
      console.error(`[halo] simplified recovery of ${r.InstanceId}: ${(err as Error).stack ?? String(err)}`),
    );
  };
  cloud.events.on('ec2.statusChecked', onCheck);
  return () => cloud.events.off('ec2.statusChecked', onCheck);
}
