import type Database from 'better-sqlite3';
import type { Cloud } from '../../cloud.js';
import { unreachable } from './endpoints.js';
import type { Subscription } from './model.js';

/** The JSON document SNS posts to HTTP(S) subscribers (without Signature fields: see LIMITATIONS.md). */
export interface SnsHttpMessage {
  Type: 'Notification' | 'SubscriptionConfirmation';
  MessageId: string;
  TopicArn: string;
  Message: string;
  Subject?: string;
  Token?: string;
}

export interface DeliveryRecord {
  messageId: string;
  type: string;
  topicArn: string;
  subscriptionArn: string;
  endpoint: string;
  attempt: number;
  /** HTTP status, or 0 when the request failed without one. */
  status: number;
  error?: string;
  /** AWS time of the attempt, epoch ms. */
  ts: number;
}

/** Attempts per message: the first, then retries 20 s (AWS time) apart, like SNS's immediate-retry phase. */
const ATTEMPTS = 3;
const RETRY_DELAY_MS = 20_000;
const TIMEOUT_MS = 15_000;

function logTable(db: Database.Database) {
  db.exec(`CREATE TABLE IF NOT EXISTS sns_delivery (
    id INTEGER PRIMARY KEY, region TEXT NOT NULL, message_id TEXT NOT NULL, type TEXT NOT NULL, topic_arn TEXT NOT NULL,
    subscription_arn TEXT NOT NULL, endpoint TEXT NOT NULL, attempt INTEGER NOT NULL, status INTEGER NOT NULL, error TEXT, ts INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS sns_delivery_topic ON sns_delivery (topic_arn, ts);`);
}

function record(cloud: Cloud, r: DeliveryRecord): void {
  // A delivery still retrying when the daemon stops has nowhere left to log.
  if (!cloud.store.db.open) return;
  logTable(cloud.store.db);
  cloud.store.db
    .prepare(
      'INSERT INTO sns_delivery (region, message_id, type, topic_arn, subscription_arn, endpoint, attempt, status, error, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    .run(
      r.topicArn.split(':')[3],
      r.messageId,
      r.type,
      r.topicArn,
      r.subscriptionArn,
      r.endpoint,
      r.attempt,
      r.status,
      r.error ?? null,
      r.ts,
    );
}

/** The delivery log of a topic (every attempt, oldest first). */
export function deliveryLog(cloud: Cloud, topicArn: string): DeliveryRecord[] {
  logTable(cloud.store.db);
  const rows = cloud.store.db
    .prepare<
      [string],
      {
        message_id: string;
        type: string;
        topic_arn: string;
        subscription_arn: string;
        endpoint: string;
        attempt: number;
        status: number;
        error: string | null;
        ts: number;
      }
    >('SELECT * FROM sns_delivery WHERE topic_arn = ? ORDER BY ts, id')
    .all(topicArn);
  return rows.map((r) => ({
    messageId: r.message_id,
    type: r.type,
    topicArn: r.topic_arn,
    subscriptionArn: r.subscription_arn,
    endpoint: r.endpoint,
    attempt: r.attempt,
    status: r.status,
    error: r.error ?? undefined,
    ts: r.ts,
  }));
}

/** POSTs one message to one subscriber, retrying on the cloud clock; resolves true once delivered (2xx). */
export async function deliver(cloud: Cloud, sub: Subscription, msg: SnsHttpMessage): Promise<boolean> {
  const body = JSON.stringify({ ...msg, Timestamp: new Date(cloud.clock.now()).toISOString(), SignatureVersion: '1' });
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=UTF-8',
    'user-agent': 'Amazon Simple Notification Service Agent',
    'x-amz-sns-message-type': msg.Type,
    'x-amz-sns-message-id': msg.MessageId,
    'x-amz-sns-topic-arn': msg.TopicArn,
  };
  if (msg.Type === 'Notification') headers['x-amz-sns-subscription-arn'] = sub.SubscriptionArn;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const base = {
      messageId: msg.MessageId,
      type: msg.Type,
      topicArn: msg.TopicArn,
      subscriptionArn: sub.SubscriptionArn,
      endpoint: sub.Endpoint,
      attempt,
      ts: cloud.clock.now(),
    };
    const blocked = await unreachable(cloud, sub.Endpoint, msg.TopicArn.split(':')[3]);
    if (blocked) {
      record(cloud, { ...base, status: 0, error: blocked });
      if (attempt < ATTEMPTS) await cloud.clock.sleep(RETRY_DELAY_MS);
      continue;
    }
    try {
      const res = await fetch(sub.Endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
      await res.arrayBuffer().catch(() => undefined);
      record(cloud, { ...base, status: res.status, error: res.ok ? undefined : `HTTP ${res.status}` });
      if (res.ok) return true;
    } catch (err) {
      record(cloud, { ...base, status: 0, error: (err as Error).cause ? String((err as Error & { cause: unknown }).cause) : String(err) });
    }
    if (attempt < ATTEMPTS) await cloud.clock.sleep(RETRY_DELAY_MS);
  }
  return false;
}
