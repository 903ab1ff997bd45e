import type { Cloud } from '../../../cloud.js';
import { ec2Errors } from '../errors.js';
import type { RequestContext } from '../../types.js';
import { findInstances } from './instances.js';

/**
 * Detailed monitoring of an instance (1-minute AWS/EC2 metrics instead of 5-minute ones), kept beside the instance
 * record in table `ec2.monitoring` (scope region, id instance id): what was asked for last and when (cloud time). An
 * instance without a row has basic monitoring.
 *
 * A change takes effect at the next minute boundary of cloud time after it was asked for, which is when the metrics
 * publisher (instance-metrics.ts) starts its next period; until then DescribeInstances shows `pending` (turning on)
 * or `disabling` (turning off), as EC2 does while a change is in progress.
 */
export type MonitoringState = 'disabled' | 'disabling' | 'enabled' | 'pending';

interface MonitoringRecord {
  Enabled: boolean;
  /** Cloud time (epoch ms) of the request. */
  ChangedAt: number;
}

const MINUTE = 60_000;
const table = (cloud: Cloud) => cloud.store.table<MonitoringRecord>('ec2.monitoring');

/** When a change asked for at `changedAt` takes effect: the next minute boundary. */
const effectiveAt = (changedAt: number) => Math.floor(changedAt / MINUTE) * MINUTE + MINUTE;

export function monitoringStateOf(cloud: Cloud, region: string, instanceId: string, at = cloud.clock.now()): MonitoringState {
  const r = table(cloud).get(region, instanceId);
  if (!r) return 'disabled';
  const done = at >= effectiveAt(r.ChangedAt);
  if (r.Enabled) return done ? 'enabled' : 'pending';
  return done ? 'disabled' : 'disabling';
}

/** Whether the period starting at `at` (cloud time) is a 1-minute period of detailed monitoring. */
export function detailedAt(cloud: Cloud, region: string, instanceId: string, at: number): boolean {
  const state = monitoringStateOf(cloud, region, instanceId, at);
  return state === 'enabled' || state === 'disabling';
}

/** Asks for detailed monitoring on or off; a request for what is already asked for changes nothing. */
export function setMonitoring(cloud: Cloud, region: string, instanceId: string, enabled: boolean): MonitoringState {
  const current = table(cloud).get(region, instanceId);
  if ((current?.Enabled ?? false) !== enabled) table(cloud).put(region, instanceId, { Enabled: enabled, ChangedAt: cloud.clock.now() });
  return monitoringStateOf(cloud, region, instanceId);
}

function change(input: { InstanceIds?: string[] }, ctx: RequestContext, enabled: boolean) {
  if (!input.InstanceIds?.length) throw ec2Errors.missingParameter('InstanceId');
  const list = findInstances(ctx, input.InstanceIds);
  for (const r of list) {
    if (r.State.Name === 'terminated' || r.State.Name === 'shutting-down') {
      throw ec2Errors.instanceStateForbidsMonitoringChange(r.InstanceId);
    }
  }
  return {
    InstanceMonitorings: list.map((r) => ({
      InstanceId: r.InstanceId,
      Monitoring: { State: setMonitoring(ctx.cloud, ctx.region, r.InstanceId, enabled) },
    })),
  };
}

/** MonitorInstances: detailed (1-minute) monitoring from the next minute of cloud time; answers `pending`. */
export function monitorInstances(input: { InstanceIds?: string[] }, ctx: RequestContext) {
  return change(input, ctx, true);
}

/** UnmonitorInstances: back to basic (5-minute) monitoring from the next minute of cloud time; answers `disabling`. */
export function unmonitorInstances(input: { InstanceIds?: string[] }, ctx: RequestContext) {
  return change(input, ctx, false);
}
