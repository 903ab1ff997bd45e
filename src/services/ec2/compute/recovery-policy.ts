import type { Cloud } from '../../../cloud.js';
import type { InstanceRecord } from './state.js';

/**
 * When EC2 refuses a recovery: instance types with instance store volumes (their data lives on the failed
 * host), and more than three recoveries of one instance within 24 hours.
 */
const INSTANCE_STORE_TYPE = /^([a-z]+\d+[a-z]*d[a-z]*|i\d[a-z]*|d\d[a-z]*|h1)\./;
export const RECOVERIES_PER_DAY = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

const log = (cloud: Cloud) => cloud.store.table<number[]>('ec2.recoveryLog');

export function recoveryRefusal(cloud: Cloud, region: string, instance: InstanceRecord): string | undefined {
  if (INSTANCE_STORE_TYPE.test(instance.InstanceType)) {
    return `Recovery is not supported for instance type ${instance.InstanceType}: it has instance store volumes`;
  }
  const recent = (log(cloud).get(region, instance.InstanceId) ?? []).filter((t) => cloud.clock.now() - t < DAY_MS);
  if (recent.length >= RECOVERIES_PER_DAY) {
    return `Instance ${instance.InstanceId} was already recovered ${recent.length} times in the last 24 hours; EC2 recovers an instance at most ${RECOVERIES_PER_DAY} times a day`;
  }
  return undefined;
}

export function recordRecovery(cloud: Cloud, region: string, instanceId: string): void {
  const now = cloud.clock.now();
  const recent = (log(cloud).get(region, instanceId) ?? []).filter((t) => now - t < DAY_MS);
  log(cloud).put(region, instanceId, [...recent, now]);
}
