import { randomId } from '../../auth/credentials.js';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** IAM unique ids: a four-letter prefix naming the kind (AROA role, AIPA instance profile, ANPA policy) + 17 characters. */
export const newUniqueId = (prefix: 'AROA' | 'AIPA' | 'ANPA') => `${prefix}${randomId(ID_ALPHABET, 17)}`;

export const iamArn = (accountId: string, kind: 'role' | 'instance-profile' | 'policy', path: string, name: string) =>
  `arn:aws:iam::${accountId}:${kind}${path}${name}`;

/** IAM returns policy documents URL-encoded (RFC 3986), as the aws CLI expects to decode them. */
export const encodeDocument = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** IAM and STS give times to the second. */
export const wholeSeconds = (ms: number) => Math.floor(ms / 1000) * 1000;

export const iamNow = (clock: { now(): number }) => new Date(wholeSeconds(clock.now())).toISOString();
