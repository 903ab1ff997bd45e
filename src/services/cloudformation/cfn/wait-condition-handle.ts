import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Cloud } from '../../../cloud.js';
import { API_PORT_IN_INSTANCE, IMDS_ADDRESS } from '../../../runtime/names.js';
import type { HttpRoute } from '../../types.js';
import { clearSignals, recordSignal } from '../engine/signals.js';
import { readStack } from '../engine/stack-store.js';
import { registerProvider } from '../providers/registry.js';

/**
 * AWS::CloudFormation::WaitConditionHandle: its Ref is a presigned URL that an instance PUTs a JSON signal to
 * (`{"Status":"SUCCESS|FAILURE","Reason":"...","UniqueId":"...","Data":"..."}`, as `cfn-signal URL` or `curl -T`
 * send it). On AWS the URL is an S3 object's; here it is the cloud's API as instances reach it
 * (http://169.254.169.254:4570, where their aws CLI already goes), under `PREFIX`, signed with the cloud's admin
 * secret so that only the URL the stack handed out is accepted, for 24 hours of the cloud's clock. A signal is kept
 * in the stack's signal table under the handle's logical id, where the wait condition counts it.
 */
const PREFIX = '/cloudformation-waitcondition/';
const URL_LIFETIME_MS = 24 * 3600_000;

interface HandleAddress {
  region: string;
  stackId: string;
  logicalId: string;
}

function signature(cloud: Cloud, path: string, expires: string): string {
  return createHmac('sha256', cloud.credentials.admin().secretAccessKey).update(`PUT\n${path}\n${expires}`).digest('base64url');
}

export function handleUrl(cloud: Cloud, a: HandleAddress): string {
  const path = `${PREFIX}${a.region}/${encodeURIComponent(a.stackId)}/${encodeURIComponent(a.logicalId)}`;
  const expires = String(Math.floor((cloud.clock.now() + URL_LIFETIME_MS) / 1000));
  const query = new URLSearchParams({
    AWSAccessKeyId: cloud.credentials.admin().accessKeyId,
    Expires: expires,
    Signature: signature(cloud, path, expires),
  });
  return `http://${IMDS_ADDRESS}:${API_PORT_IN_INSTANCE}${path}?${query}`;
}

/** The handle a URL of this cloud names (whatever its host: the host reaches the same path at the cloud's endpoint). */
export function parseHandleUrl(url: string): (HandleAddress & { path: string; query: URLSearchParams }) | undefined {
  let u: URL;
  try {
    u = new URL(url, 'http://localhost');
  } catch {
    return undefined;
  }
  if (!u.pathname.startsWith(PREFIX)) return undefined;
  const parts = u.pathname.slice(PREFIX.length).split('/');
  if (parts.length !== 3 || parts.some((p) => !p)) return undefined;
  const [region, stackId, logicalId] = parts.map((p) => decodeURIComponent(p));
  return { region, stackId, logicalId, path: u.pathname, query: u.searchParams };
}

const xmlError = (status: number, code: string, message: string) => ({
  status,
  contentType: 'application/xml',
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
});

/** A PUT of a signal to a handle URL (the S3 object write of AWS's presigned URL, answered as S3 answers errors). */
async function putSignal(cloud: Cloud, request: { url: string; body: Buffer }) {
  const a = parseHandleUrl(request.url);
  if (!a) return xmlError(404, 'NoSuchKey', 'The specified key does not exist.');
  const expires = a.query.get('Expires') ?? '';
  const given = Buffer.from(a.query.get('Signature') ?? '');
  const wanted = Buffer.from(signature(cloud, a.path, expires));
  if (
    a.query.get('AWSAccessKeyId') !== cloud.credentials.admin().accessKeyId ||
    given.length !== wanted.length ||
    !timingSafeEqual(given, wanted)
  )
    return xmlError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  if (Number(expires) * 1000 < cloud.clock.now()) return xmlError(403, 'AccessDenied', 'Request has expired');
  const stack = readStack({ cloud }, a.region, a.stackId);
  if (!stack?.resources[a.logicalId]) return xmlError(404, 'NoSuchKey', 'The specified key does not exist.');
  let signal: { Status?: unknown; Reason?: unknown; UniqueId?: unknown; Data?: unknown };
  try {
    signal = JSON.parse(request.body.toString('utf8')) as typeof signal;
  } catch {
    return xmlError(400, 'MalformedSignal', 'The signal must be a JSON object with Status, Reason, UniqueId and Data.');
  }
  if (signal?.Status !== 'SUCCESS' && signal?.Status !== 'FAILURE')
    return xmlError(400, 'MalformedSignal', `The signal's Status must be SUCCESS or FAILURE, not ${JSON.stringify(signal?.Status)}.`);
  if (typeof signal.UniqueId !== 'string' || !signal.UniqueId)
    return xmlError(400, 'MalformedSignal', "The signal's UniqueId must be a non-empty string.");
  recordSignal(cloud, a.stackId, a.logicalId, {
    uniqueId: signal.UniqueId,
    status: signal.Status,
    at: cloud.clock.now(),
    reason: typeof signal.Reason === 'string' ? signal.Reason : undefined,
    data: signal.Data === undefined ? undefined : typeof signal.Data === 'string' ? signal.Data : JSON.stringify(signal.Data),
  });
  return { status: 200, body: '' };
}

export const waitConditionRoute = (cloud: Cloud): HttpRoute => ({
  method: 'PUT',
  prefix: PREFIX,
  handle: (request) => putSignal(cloud, request),
});

registerProvider({
  type: 'AWS::CloudFormation::WaitConditionHandle',
  async create(_props, ctx) {
    const url = handleUrl(ctx.cloud, { region: ctx.region, stackId: ctx.stackId, logicalId: ctx.logicalId });
    // Signals left from an earlier handle of this logical id (a replaced one) must not count for the new one.
    clearSignals(ctx.cloud, ctx.stackId, ctx.logicalId);
    return { physicalId: url };
  },
  async delete(_physicalId, _props, ctx) {
    clearSignals(ctx.cloud, ctx.stackId, ctx.logicalId);
  },
});
