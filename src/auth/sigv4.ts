import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { headerValue } from '../protocol/headers.js';
import { authErrors } from './errors.js';

export { headerValue };

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
/** The longest a presigned URL may live: a signing key is valid for seven days. */
export const MAX_PRESIGNED_SECONDS = 7 * 24 * 3600;

/** Reads the signature's parts from the request; undefined if the request carries no signature at all. */
export function readSignature(req: IncomingRequest, query: URLSearchParams): SignatureInfo | undefined {
  const auth = headerValue(req.rawHeaders, 'authorization');
  if (auth !== undefined) {
    if (!auth.startsWith(`${ALGORITHM} `)) {
      throw authErrors.incompleteSignature(`Authorization header requires the ${ALGORITHM} algorithm.`);
    }
    const parts = new Map<string, string>();
    for (const piece of auth.slice(ALGORITHM.length + 1).split(',')) {
      const eq = piece.indexOf('=');
      if (eq > 0) parts.set(piece.slice(0, eq).trim(), piece.slice(eq + 1).trim());
    }
    const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((k) => !parts.get(k));
    if (missing.length) {
      throw authErrors.incompleteSignature(
        `Authorization header requires ${missing.map((m) => `'${m}'`).join(', ')} parameter(s). Authorization=${auth}`,
      );
    }
    const amzDate = headerValue(req.rawHeaders, 'x-amz-date') ?? headerValue(req.rawHeaders, 'date');
    if (!amzDate)
      throw authErrors.incompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
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
    throw authErrors.incompleteSignature(
      `AWS query-string parameters must include ${needed.map((k) => `'${k}'`).join(', ')} with algorithm ${ALGORITHM}.`,
    );
  }
  const expires = query.get('X-Amz-Expires');
  return {
    ...credentialScope(query.get('X-Amz-Credential') as string),
    signedHeaders: (query.get('X-Amz-SignedHeaders') as string).split(';'),
    signature: query.get('X-Amz-Signature') as string,
    amzDate: query.get('X-Amz-Date') as string,
    sessionToken: query.get('X-Amz-Security-Token') ?? undefined,
    presigned: true,
    expiresSeconds: expires === null ? undefined : presignedLifetime(expires),
  };
}

/** X-Amz-Expires: whole seconds, at most a week (AWS's messages). */
function presignedLifetime(text: string): number {
  if (!/^-?\d+$/.test(text)) throw authErrors.authorizationQueryParameters('X-Amz-Expires should be a number');
  const seconds = Number(text);
  if (seconds < 0) throw authErrors.authorizationQueryParameters('X-Amz-Expires must be non-negative');
  if (seconds > MAX_PRESIGNED_SECONDS) {
    throw authErrors.authorizationQueryParameters(
      `X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than ${MAX_PRESIGNED_SECONDS} seconds`,
    );
  }
  return seconds;
}

function credentialScope(credential: string) {
  const [accessKeyId, date, region, service, terminator] = credential.split('/');
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request') {
    throw authErrors.incompleteSignature(
      `Credential should be scoped to a valid region, service and the terminator 'aws4_request': ${credential}`,
    );
  }
  return { accessKeyId, date, region, service };
}

export function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m) return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Date.parse(value);
}

/** The signing time, from X-Amz-Date (ISO-8601 basic) or the Date header. */
function signedAt(sig: SignatureInfo): number {
  const at = parseAmzDate(sig.amzDate);
  if (Number.isNaN(at)) throw authErrors.incompleteSignature(`Date must be in ISO-8601 'basic format'. Got '${sig.amzDate}'.`);
  return at;
}

const basicFormat = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/**
 * The credential scope checked as AWS checks it before looking at the key: its date must be the request's date, its
 * region a real one, its service the one the request calls (`service`, when the request says which). AWS names
 * every wrong part in one SignatureDoesNotMatch.
 */
export function checkCredentialScope(sig: SignatureInfo, expected: { regionExists: boolean; service?: string }): void {
  const problems: string[] = [];
  if (!expected.regionExists) problems.push(`Credential should be scoped to a valid region, not '${sig.region}'.`);
  if (expected.service !== undefined && expected.service !== sig.service)
    problems.push(`Credential should be scoped to correct service: '${expected.service}'.`);
  const stamp = basicFormat(signedAt(sig));
  if (sig.date !== stamp.slice(0, 8)) {
    problems.push(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${sig.date}' != '${stamp.slice(0, 8)}', from '${stamp}'.`,
    );
  }
  if (problems.length) throw authErrors.signatureDoesNotMatch(problems.join(' '));
}

/** Throws RequestExpired if the signature is too old (or too far in the future). `now` is wall time. */
export function checkFreshness(sig: SignatureInfo, now: number): void {
  const at = signedAt(sig);
  const stamp = basicFormat(now);
  if (sig.presigned) {
    if (at - now > MAX_SKEW_MS) {
      throw authErrors.requestExpired(
        `Request is not yet valid: signed at ${sig.amzDate}, more than 15 minutes after the server time ${stamp}.`,
      );
    }
    const expires = sig.expiresSeconds ?? 15 * 60;
    if (now >= at + expires * 1000) {
      throw authErrors.requestExpired(`Request has expired. Signed at ${sig.amzDate}, expires after ${expires} s, now ${stamp}.`);
    }
  } else if (Math.abs(now - at) > MAX_SKEW_MS) {
    throw authErrors.requestExpired(
      `Request has expired: signature date ${sig.amzDate} is more than 15 minutes from the server time ${stamp}.`,
    );
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
  return [
    req.method,
    canonicalPath(rawPath),
    canonicalQuery(query, sig.presigned),
    headers.join(''),
    sig.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
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

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** A presigned URL's parameter, by case-insensitive name (signers hoist headers into the query in lower case). */
function queryValue(query: URLSearchParams, name: string): string | undefined {
  for (const [k, v] of query) if (k.toLowerCase() === name) return v;
  return undefined;
}

/**
 * Verifies the request's signature with `secret`. The payload hash signed is the one the request declares
 * (x-amz-content-sha256) or else the body's own; a declared hash must then be the body's: only S3 accepts
 * UNSIGNED-PAYLOAD, so here it is a signature that does not match, and a wrong hash is XAmzContentSHA256Mismatch.
 */
export function verifySignature(req: IncomingRequest, sig: SignatureInfo, query: URLSearchParams, secret: string): void {
  const actual = sha256(req.body);
  const declared =
    headerValue(req.rawHeaders, 'x-amz-content-sha256') ?? (sig.presigned ? queryValue(query, 'x-amz-content-sha256') : undefined);
  const key = signingKey(secret, sig.date, sig.region, sig.service);
  const scope = `${sig.date}/${sig.region}/${sig.service}/aws4_request`;
  const stringToSign = [ALGORITHM, sig.amzDate, scope, sha256(canonicalRequest(req, sig, query, declared ?? actual))].join('\n');
  const expected = Buffer.from(createHmac('sha256', key).update(stringToSign).digest('hex'), 'utf8');
  const given = Buffer.from(sig.signature, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw authErrors.signatureDoesNotMatch();
  if (declared === undefined || declared === actual) return;
  if (!HEX_SHA256.test(declared)) throw authErrors.signatureDoesNotMatch();
  throw authErrors.contentSha256Mismatch();
}
