import { createHash, createHmac } from 'node:crypto';
import type { Access } from './clients.js';

/**
 * AWS Health's DescribeEvents, signed with SigV4 by hand (the project has no Health client of the SDK): JSON 1.1,
 * target AWSHealth_20160804.DescribeEvents, service `health`, the global endpoint's region us-east-1.
 */
export interface HealthEvent {
  arn: string;
  eventTypeCode: string;
  statusCode: string;
  availabilityZone?: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s).digest();

export async function describeHealthEvents(access: Access, filter: Record<string, unknown>): Promise<HealthEvent[]> {
  const url = new URL(access.endpoint);
  const body = JSON.stringify({ filter, maxResults: 100 });
  const now = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const day = now.slice(0, 8);
  const region = 'us-east-1';
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    host: url.host,
    'x-amz-content-sha256': sha256(body),
    'x-amz-date': now,
    'x-amz-target': 'AWSHealth_20160804.DescribeEvents',
  };
  const names = Object.keys(headers).sort();
  const canonical = ['POST', '/', '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), headers['x-amz-content-sha256']].join(
    '\n',
  );
  const scope = `${day}/${region}/health/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', now, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${access.secretAccessKey}`, day), region), 'health'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const res = await fetch(`${url.origin}/`, {
    method: 'POST',
    body,
    signal: AbortSignal.timeout(10_000),
    headers: {
      ...headers,
      authorization: `AWS4-HMAC-SHA256 Credential=${access.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
    },
  });
  const answer = (await res.json()) as { events?: HealthEvent[]; message?: string; __type?: string };
  if (!res.ok) throw new Error(`AWS Health DescribeEvents: ${answer.__type ?? res.status} ${answer.message ?? ''}`);
  return answer.events ?? [];
}
