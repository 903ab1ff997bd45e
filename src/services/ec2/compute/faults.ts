import type { Cloud } from '../../../cloud.js';
import { runtimeOf } from '../../../runtime/runtime.js';
import { findZone, hostsOf } from '../../../topology/regions.js';
import { recoverInstance } from './recovery.js';
import { instancesTable, type InstanceRecord } from './state.js';
import { syncZoneEvent } from './zone-events.js';

/**
 * Real failures, for `halo fault ...`, the drills and the dashboard. Each returns what it did, in words, and
 * throws an Error with what to do when the target does not exist.
 */
export type FaultKind =
  'instance-crash' | 'host-failure' | 'host-restore' | 'az-outage' | 'az-restore' | 'network-partition' | 'network-heal';

export const FAULT_KINDS: FaultKind[] = [
  'instance-crash',
  'host-failure',
  'host-restore',
  'az-outage',
  'az-restore',
  'network-partition',
  'network-heal',
];

function instance(cloud: Cloud, id: string): { region: string; r: InstanceRecord } {
  const found = instancesTable(cloud.store)
    .listAll()
    .find((x) => x.value.InstanceId === id);
  if (!found) throw new Error(`no instance ${id} in this cloud (see aws ec2 describe-instances)`);
  return { region: found.scope, r: found.value };
}

function zoneHosts(cloud: Cloud, zoneName: string): string[] {
  const zone = findZone(zoneName);
  if (!zone) throw new Error(`no zone ${zoneName} (see aws ec2 describe-availability-zones)`);
  return hostsOf(zone, cloud.config.hostsPerZone).map((h) => h.hostId);
}

function checkHost(cloud: Cloud, hostId: string): void {
  const m = /^h-(.+)-(\d+)$/.exec(hostId);
  const zone = m ? findZone(m[1]) : undefined;
  if (!zone || !hostsOf(zone, cloud.config.hostsPerZone).some((h) => h.hostId === hostId)) {
    throw new Error(`no host ${hostId}: hosts are h-<zone id>-<n>, n from 1 to ${cloud.config.hostsPerZone} (e.g. h-use1-az2-1)`);
  }
}

const zoneOfHost = (hostId: string) => (/^h-(.+)-\d+$/.exec(hostId) as RegExpExecArray)[1];

export async function injectFault(
  cloud: Cloud,
  kind: FaultKind,
  target: { instanceId?: string; hostId?: string; zone?: string },
): Promise<string> {
  const rt = runtimeOf(cloud);
  rt.requireEnabled();
  switch (kind) {
    case 'instance-crash': {
      const { r } = instance(cloud, need(target.instanceId, 'an instance id'));
      rt.crashInstance(r.InstanceId);
      return `instance ${r.InstanceId} crashed: its processes were killed; host ${r.HostId} is fine`;
    }
    case 'host-failure': {
      const hostId = target.hostId ?? instance(cloud, need(target.instanceId, 'a host id or --instance ID')).r.HostId;
      checkHost(cloud, hostId);
      const hit = await rt.failHosts([hostId]);
      syncZoneEvent(cloud, zoneOfHost(hostId));
      return `host ${hostId} failed (down until host-restore); instances lost: ${hit.join(', ') || 'none'}`;
    }
    case 'host-restore': {
      const hostId = need(target.hostId, 'a host id');
      checkHost(cloud, hostId);
      await rt.restoreHosts([hostId]);
      syncZoneEvent(cloud, zoneOfHost(hostId));
      return `host ${hostId} restored; its former instances stay down until recovered, rebooted or stopped and started`;
    }
    case 'az-outage': {
      const hosts = zoneHosts(cloud, need(target.zone, 'a zone name'));
      const hit = await rt.failHosts(hosts);
      syncZoneEvent(cloud, need(target.zone, 'a zone name'));
      return `zone ${target.zone} is dark (${hosts.join(', ')}); instances lost: ${hit.join(', ') || 'none'}`;
    }
    case 'az-restore': {
      const hosts = zoneHosts(cloud, need(target.zone, 'a zone name'));
      await rt.restoreHosts(hosts);
      syncZoneEvent(cloud, need(target.zone, 'a zone name'));
      return `zone ${target.zone} is back (${hosts.join(', ')})`;
    }
    case 'network-partition': {
      const { r } = instance(cloud, need(target.instanceId, 'an instance id'));
      if (r.State.Name !== 'running' && r.State.Name !== 'pending')
        throw new Error(`instance ${r.InstanceId} is ${r.State.Name}: only a pending or running instance can be cut off the network`);
      await rt.partition(r.InstanceId, true);
      return `instance ${r.InstanceId} is cut off the network (it keeps running; its status checks fail from the next one)`;
    }
    case 'network-heal': {
      const { r } = instance(cloud, need(target.instanceId, 'an instance id'));
      if (!(await rt.partition(r.InstanceId, false)))
        return `instance ${r.InstanceId} is not cut off the network (any more: a recovery, stop or termination ends a partition)`;
      return `instance ${r.InstanceId} is back on the network`;
    }
    default:
      throw new Error(`unknown fault ${String(kind)}; one of ${FAULT_KINDS.join(', ')}`);
  }
}

function need(v: string | undefined, what: string): string {
  if (!v) throw new Error(`this fault needs ${what}`);
  return v;
}

interface RecoverRequest {
  requestId: string;
  region: string;
  instanceId: string;
  alarmName: string;
  actionArn: string;
}

/** CloudWatch's `recover` action: the instance moves to a healthy host of its zone, keeping id, IPs and volume. */
export function listenForRecovery(cloud: Cloud): void {
  cloud.events.on('ec2.recoverRequested', (req: RecoverRequest) => {
    const answer = (succeeded: boolean, message: string) =>
      cloud.events.emit('cloudwatch.actionResult', {
        requestId: req.requestId,
        region: req.region,
        alarmName: req.alarmName,
        actionArn: req.actionArn,
        succeeded,
        message,
      });
    recoverInstance(cloud, req.region, req.instanceId, { kind: 'alarm', alarmName: req.alarmName })
      .then((result) => answer(result.succeeded, result.message))
      .catch((err: unknown) => answer(false, (err as Error).message));
  });
}
