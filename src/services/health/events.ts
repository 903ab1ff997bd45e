import { randomBytes } from 'node:crypto';
import type { Cloud } from '../../cloud.js';
import type { Table } from '../../store/db.js';

/**
 * AWS Health events of this cloud's one account. Other services record what AWS would post to the account's
 * Health Dashboard (EC2 recoveries, zone outages); the Health API (operations.ts) reads them. Kept in table
 * `health.event`, scope `account`, id the event ARN.
 */
export type EventStatus = 'open' | 'closed' | 'upcoming';
export type EntityStatus = 'IMPAIRED' | 'UNIMPAIRED' | 'UNKNOWN' | 'PENDING' | 'RESOLVED';

export interface HealthEventRecord {
  arn: string;
  service: string;
  eventTypeCode: string;
  eventTypeCategory: 'issue' | 'accountNotification' | 'scheduledChange' | 'investigation';
  region: string;
  availabilityZone?: string;
  startTime: number;
  endTime?: number;
  lastUpdatedTime: number;
  statusCode: EventStatus;
  eventScopeCode: 'PUBLIC' | 'ACCOUNT_SPECIFIC' | 'NONE';
  description: string;
  metadata?: Record<string, string>;
  entities: Array<{ entityArn: string; entityValue: string; statusCode: EntityStatus; lastUpdatedTime: number }>;
}

const SCOPE = 'account';
export const healthEvents = (cloud: Cloud): Table<HealthEventRecord> => cloud.store.table<HealthEventRecord>('health.event');

export interface NewHealthEvent {
  service: string;
  eventTypeCode: string;
  eventTypeCategory: HealthEventRecord['eventTypeCategory'];
  region: string;
  availabilityZone?: string;
  statusCode: EventStatus;
  eventScopeCode: HealthEventRecord['eventScopeCode'];
  description: string;
  metadata?: Record<string, string>;
  entities?: Array<{ entityArn: string; entityValue: string; statusCode: EntityStatus }>;
  startTime?: number;
}

/** Records an event now (cloud time) and returns it. ARNs take AWS's form `arn:aws:health:REGION::event/SERVICE/CODE/CODE_ID`. */
export function recordHealthEvent(cloud: Cloud, e: NewHealthEvent): HealthEventRecord {
  const now = cloud.clock.now();
  const suffix = randomBytes(6).toString('hex').toUpperCase();
  const record: HealthEventRecord = {
    arn: `arn:aws:health:${e.region}::event/${e.service}/${e.eventTypeCode}/${e.eventTypeCode}_${suffix}`,
    service: e.service,
    eventTypeCode: e.eventTypeCode,
    eventTypeCategory: e.eventTypeCategory,
    region: e.region,
    availabilityZone: e.availabilityZone,
    startTime: e.startTime ?? now,
    endTime: e.statusCode === 'closed' ? now : undefined,
    lastUpdatedTime: now,
    statusCode: e.statusCode,
    eventScopeCode: e.eventScopeCode,
    description: e.description,
    metadata: e.metadata,
    entities: (e.entities ?? []).map((x) => ({ ...x, lastUpdatedTime: now })),
  };
  healthEvents(cloud).put(SCOPE, record.arn, record);
  return record;
}

/** Closes an open event (an outage that ended): statusCode closed, endTime now, its entities resolved. */
export function closeHealthEvent(cloud: Cloud, arn: string, description?: string): void {
  const e = healthEvents(cloud).get(SCOPE, arn);
  if (!e || e.statusCode === 'closed') return;
  const now = cloud.clock.now();
  healthEvents(cloud).put(SCOPE, arn, {
    ...e,
    statusCode: 'closed',
    endTime: now,
    lastUpdatedTime: now,
    description: description ?? e.description,
    entities: e.entities.map((x) => ({ ...x, statusCode: 'RESOLVED', lastUpdatedTime: now })),
  });
}

export function listHealthEvents(cloud: Cloud): HealthEventRecord[] {
  return healthEvents(cloud).list(SCOPE);
}

export function findHealthEvent(cloud: Cloud, arn: string): HealthEventRecord | undefined {
  return healthEvents(cloud).get(SCOPE, arn);
}
