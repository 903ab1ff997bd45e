import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AwsError } from '../protocol/errors.js';

/**
 * AWS Signature Version 4 verification, for header (Authorization) and query-string (presigned) signatures.
 * The verifier rebuilds the canonical request from exactly the headers the client said it signed.
 */
export interface IncomingRequest {
  method: string;
  /** Path and query as on the request line, still percent-encoded. */
  url: string;
  /** Raw header list as received: name, value, name, value ... */
  rawHeaders: string[];
  body: Buffer;
}

export interface SignatureInfo {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  sessionToken?: string;
  presigned: boolean;
  expiresSeconds?: number;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** How far a request's date may be from the server's, as AWS allows. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

export function headerValue(rawHeaders: string[], name: string): string | undefined {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === name) values.push(rawHeaders[i + 1]);
  }
  return values.length ? values.join(',') : undefined;
}

/** Reads the signature's parts from the request; undefined if the request carries no signature at all. */
export function readSignature(req: IncomingRequest, query: URLSearchParams): SignatureInfo | undefined {
  const auth = headerValue(req.rawHeaders, 'authorization');
  if (auth !== undefined) {
    if (!auth.startsWith(`${ALGORITHM} `)) {
      throw new AwsError('IncompleteSignature', `Authorization header requires the ${ALGORITHM} algorithm.`, 400);
    }
    const parts = new Map<string, string>();
    for (const piece of auth.slice(ALGORITHM.length + 1).split(',')) {
      const eq = piece.indexOf('=');
      if (eq > 0) parts.set(piece.slice(0, eq).trim(), piece.slice(eq + 1).trim());
    }
    const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((k) => !parts.get(k));
    if (missing.length) {
      throw new AwsError('IncompleteSignature', `Authorization header requires ${missing.map((m) => `'${m}'`).join(', ')} parameter(s). Authorization=${auth}`, 400);
    }
    const amzDate = headerValue(req.rawHeaders, 'x-amz-date') ?? headerValue(req.rawHeaders, 'date');
    if (!amzDate) throw new AwsError('IncompleteSignature', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.", 400);
    return {
      ...credentialScope(parts.get('Credential') as string),
      signedHeaders: (parts.get('SignedHeaders') as string).split(';'),
      signature: parts.get('Signature') as string,
      amzDate,
      sessionToken: headerValue(req.rawHeaders, 'x-amz-security-token'),
      presigned: false,
    };
  }
  if (query.get('X-Amz-Algorithm') === null && query.get('X-Amz-Signature') === null) return undefined;
  const needed = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'];
  const missing = needed.filter((k) => !query.get(k));
  if (missing.length || query.get('X-Amz-Algorithm') !== ALGORITHM) {
    throw new AwsError('IncompleteSignature', `AWS query-string parameters must include ${needed.map((k) => `'${k}'`).join(', ')} with algorithm ${ALGORITHM}.`, 400);
  }
  const expires = query.get('X-Amz-Expires');
  return {
    ...credentialScope(query.get('X-Amz-Credential') as string),
    signedHeaders: (query.get('X-Amz-SignedHeaders') as string).split(';'),
    signature: query.get('X-Amz-Signature') as string,
    amzDate: query.get('X-Amz-Date') as string,
    sessionToken: query.get('X-Amz-Security-Token') ?? undefined,
    presigned: true,
    expiresSeconds: expires === null ? undefined : Number(expires),
  };
}

function credentialScope(credential: string) {
  const [accessKeyId, date, region, service, terminator] = credential.split('/');
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request') {
    throw new AwsError('IncompleteSignature', `Credential should be scoped to a valid region, service and the terminator 'aws4_request': ${credential}`, 400);
  }
  return { accessKeyId, date, region, service };
}

export function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m) return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Date.parse(value);
}

/** Throws RequestExpired if the signature is too old (or too far in the future). `now` is wall time. */
export function checkFreshness(sig: SignatureInfo, now: number): void {
  const signedAt = parseAmzDate(sig.amzDate);
  if (Number.isNaN(signedAt)) throw new AwsError('IncompleteSignature', `Date must be in ISO-8601 'basic format'. Got '${sig.amzDate}'.`, 400);
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  if (sig.presigned) {
    const expires = sig.expiresSeconds ?? 15 * 60;
    if (now > signedAt + expires * 1000) {
      throw new AwsError('RequestExpired', `Request has expired. Signed at ${sig.amzDate}, expires after ${expires} s, now ${stamp}.`, 400);
    }
  } else if (Math.abs(now - signedAt) > MAX_SKEW_MS) {
    throw new AwsError('RequestExpired', `Request has expired: signature date ${sig.amzDate} is more than 15 minutes from the server time ${stamp}.`, 400);
  }
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(query: URLSearchParams, presigned: boolean): string {
  const pairs: Array<[string, string]> = [];
  for (const [k, v] of query) {
    if (presigned && k === 'X-Amz-Signature') continue;
    pairs.push([encodeRfc3986(k), encodeRfc3986(v)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function canonicalPath(rawPath: string): string {
  // Every service but S3 normalizes the path and encodes the (already encoded) segments once more.
  const segments: string[] = [];
  for (const seg of rawPath.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const trailing = rawPath.endsWith('/') && segments.length ? '/' : '';
  return `/${segments.map((s) => encodeRfc3986(s)).join('/')}${trailing}`;
}

function canonicalRequest(req: IncomingRequest, sig: SignatureInfo, query: URLSearchParams, payloadHash: string): string {
  const rawPath = req.url.split('?')[0] || '/';
  const headers = sig.signedHeaders.map((name) => {
    const value = headerValue(req.rawHeaders, name) ?? '';
    return `${name}:${value.trim().replace(/\s+/g, ' ')}\n`;
  });
  return [req.method, canonicalPath(rawPath), canonicalQuery(query, sig.presigned), headers.join(''), sig.signedHeaders.join(';'), payloadHash].join('\n');
}

/** Signing keys change once a day per credential scope; kept so a request costs one HMAC, not five. */
const signingKeys = new Map<string, Buffer>();

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${secret}/${date}/${region}/${service}`;
  let key = signingKeys.get(id);
  if (!key) {
    if (signingKeys.size > 1000) signingKeys.clear();
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    signingKeys.set(id, key);
  }
  return key;
}

/** True when the request's signature is the one `secret` makes. */
export function signatureMatches(req: IncomingRequest, sig: SignatureInfo, query: URLSearchParams, secret: string): boolean {
  const declared = headerValue(req.rawHeaders, 'x-amz-content-sha256');
  const candidates = declared ? [declared] : sig.presigned ? [sha256(req.body), 'UNSIGNED-PAYLOAD'] : [sha256(req.body)];
  const key = signingKey(secret, sig.date, sig.region, sig.service);
  const scope = `${sig.date}/${sig.region}/${sig.service}/aws4_request`;
  const given = Buffer.from(sig.signature, 'utf8');
  return candidates.some((payloadHash) => {
    const stringToSign = [ALGORITHM, sig.amzDate, scope, sha256(canonicalRequest(req, sig, query, payloadHash))].join('\n');
    const expected = Buffer.from(createHmac('sha256', key).update(stringToSign).digest('hex'), 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}
