import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ec2Errors } from './errors.js';
import type { RequestContext } from '../types.js';
import { applyFilters, tagsFor, type Filter, type Tag, type TagSpecs as ModelTagSpecs } from './filters.js';
import { newId } from './ids.js';

export interface KeyPair {
  KeyPairId: string;
  KeyName: string;
  KeyType: 'rsa' | 'ed25519';
  KeyFingerprint: string;
  /** OpenSSH public key line. */
  PublicKey: string;
  CreateTime: string;
  Tags: Tag[];
}

const table = (ctx: RequestContext) => ctx.cloud.store.table<KeyPair>('ec2.keyPair');

function checkName(name: string): void {
  if (!name || name.length > 255 || !/^[\x20-\x7e]+$/.test(name)) {
    throw ec2Errors.invalidKeyName(name);
  }
}

function sshWire(...parts: Buffer[]): Buffer {
  return Buffer.concat(
    parts.flatMap((p) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(p.length);
      return [len, p];
    }),
  );
}

/** An unsigned big-endian integer as SSH's mpint: a leading zero byte when the top bit is set. */
const mpint = (b: Buffer) => (b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);

function openSshLine(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'OKP') {
    return `ssh-ed25519 ${sshWire(Buffer.from('ssh-ed25519'), Buffer.from(jwk.x as string, 'base64url')).toString('base64')}`;
  }
  const e = mpint(Buffer.from(jwk.e as string, 'base64url'));
  const n = mpint(Buffer.from(jwk.n as string, 'base64url'));
  return `ssh-rsa ${sshWire(Buffer.from('ssh-rsa'), e, n).toString('base64')}`;
}

function parseOpenSsh(text: string): KeyObject {
  const [type, b64] = text.trim().split(/\s+/);
  const blob = Buffer.from(b64 ?? '', 'base64');
  const fields: Buffer[] = [];
  for (let off = 0; off + 4 <= blob.length;) {
    const len = blob.readUInt32BE(off);
    fields.push(blob.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  const strip = (b: Buffer) => (b[0] === 0 ? b.subarray(1) : b);
  if (type === 'ssh-rsa' && fields[0]?.toString() === 'ssh-rsa' && fields.length === 3) {
    return createPublicKey({
      key: { kty: 'RSA', e: strip(fields[1]).toString('base64url'), n: strip(fields[2]).toString('base64url') },
      format: 'jwk',
    });
  }
  if (type === 'ssh-ed25519' && fields[0]?.toString() === 'ssh-ed25519' && fields.length === 2) {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: fields[1].toString('base64url') }, format: 'jwk' });
  }
  throw new Error('not an OpenSSH public key');
}

const colonHex = (digest: Buffer) => digest.toString('hex').match(/../g)?.join(':') ?? '';

function sshSha256(line: string): string {
  return `${createHash('sha256')
    .update(Buffer.from(line.split(' ')[1], 'base64'))
    .digest('base64')
    .replace(/=+$/, '')}`;
}

function store(ctx: RequestContext, pair: KeyPair): void {
  if (!table(ctx).insert(ctx.region, pair.KeyName, pair)) {
    throw ec2Errors.keyPairDuplicate(pair.KeyName);
  }
}

export function createKeyPair(
  input: { KeyName: string; KeyType?: string; KeyFormat?: string; TagSpecifications?: ModelTagSpecs },
  ctx: RequestContext,
) {
  checkName(input.KeyName);
  const keyType = input.KeyType ?? 'rsa';
  if (keyType !== 'rsa' && keyType !== 'ed25519') throw ec2Errors.invalidKeyType(keyType);
  const format = input.KeyFormat ?? 'pem';
  if (format !== 'pem' && format !== 'ppk') throw ec2Errors.invalidKeyFormat(format);
  if (format === 'ppk') throw ec2Errors.ppkKeyFormatUnsupported();
  if (table(ctx).get(ctx.region, input.KeyName)) throw ec2Errors.keyPairDuplicate(input.KeyName);
  const { privateKey, publicKey } =
    keyType === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  const material =
    keyType === 'rsa'
      ? (privateKey.export({ format: 'pem', type: 'pkcs1' }) as string)
      : (privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
  const publicLine = openSshLine(publicKey);
  const fingerprint =
    keyType === 'rsa'
      ? colonHex(
          createHash('sha1')
            .update(privateKey.export({ format: 'der', type: 'pkcs8' }))
            .digest(),
        )
      : sshSha256(publicLine);
  const { KeyFingerprint, ...rest } = keepKeyPair(ctx, input, keyType, fingerprint, publicLine);
  return { KeyFingerprint, KeyMaterial: material.trimEnd(), ...rest };
}

export function importKeyPair(
  input: { KeyName: string; PublicKeyMaterial: Buffer; TagSpecifications?: ModelTagSpecs },
  ctx: RequestContext,
) {
  checkName(input.KeyName);
  let key: KeyObject;
  try {
    key = parseOpenSsh(input.PublicKeyMaterial.toString('utf8'));
  } catch {
    throw ec2Errors.keyFormatInvalid();
  }
  const publicLine = openSshLine(key);
  const keyType = key.asymmetricKeyType === 'ed25519' ? 'ed25519' : 'rsa';
  const fingerprint =
    keyType === 'rsa'
      ? colonHex(
          createHash('md5')
            .update(key.export({ format: 'der', type: 'spki' }))
            .digest(),
        )
      : sshSha256(publicLine);
  return keepKeyPair(ctx, input, keyType, fingerprint, publicLine);
}

/** Stores a created or imported key pair and answers with what both operations return of it. */
function keepKeyPair(
  ctx: RequestContext,
  input: { KeyName: string; TagSpecifications?: ModelTagSpecs },
  keyType: KeyPair['KeyType'],
  fingerprint: string,
  publicLine: string,
) {
  const pair: KeyPair = {
    KeyPairId: newId('key'),
    KeyName: input.KeyName,
    KeyType: keyType,
    KeyFingerprint: fingerprint,
    PublicKey: publicLine,
    CreateTime: new Date(ctx.cloud.clock.now()).toISOString(),
    Tags: tagsFor('key-pair', input.TagSpecifications),
  };
  store(ctx, pair);
  return {
    KeyFingerprint: pair.KeyFingerprint,
    KeyName: pair.KeyName,
    KeyPairId: pair.KeyPairId,
    Tags: pair.Tags.length ? pair.Tags : undefined,
  };
}

export function findKeyPair(ctx: RequestContext, name: string): KeyPair | undefined {
  return table(ctx).get(ctx.region, name);
}

export function describeKeyPairs(
  input: { KeyNames?: string[]; KeyPairIds?: string[]; Filters?: Filter[]; IncludePublicKey?: boolean },
  ctx: RequestContext,
) {
  let pairs = table(ctx).list(ctx.region);
  for (const name of input.KeyNames ?? []) {
    if (!pairs.some((p) => p.KeyName === name)) throw ec2Errors.keyPairNotFound(name);
  }
  for (const id of input.KeyPairIds ?? []) {
    if (!pairs.some((p) => p.KeyPairId === id)) throw ec2Errors.keyPairIdNotFound(id);
  }
  if (input.KeyNames?.length) pairs = pairs.filter((p) => input.KeyNames?.includes(p.KeyName));
  if (input.KeyPairIds?.length) pairs = pairs.filter((p) => input.KeyPairIds?.includes(p.KeyPairId));
  pairs = applyFilters(
    pairs,
    input.Filters,
    {
      'key-pair-id': (p) => p.KeyPairId,
      'key-name': (p) => p.KeyName,
      fingerprint: (p) => p.KeyFingerprint,
      'key-type': (p) => p.KeyType,
    },
    (p) => p.Tags,
  );
  return {
    KeyPairs: pairs.map((p) => ({
      KeyPairId: p.KeyPairId,
      KeyFingerprint: p.KeyFingerprint,
      KeyName: p.KeyName,
      KeyType: p.KeyType,
      Tags: p.Tags,
      PublicKey: input.IncludePublicKey ? p.PublicKey : undefined,
      CreateTime: p.CreateTime,
    })),
  };
}

/** As AWS: deleting a key pair that does not exist succeeds. */
export function deleteKeyPair(input: { KeyName?: string; KeyPairId?: string }, ctx: RequestContext) {
  if (!input.KeyName && !input.KeyPairId) throw ec2Errors.missingParameter('KeyName or KeyPairId');
  const pair = input.KeyName
    ? findKeyPair(ctx, input.KeyName)
    : table(ctx)
        .list(ctx.region)
        .find((p) => p.KeyPairId === input.KeyPairId);
  if (pair) table(ctx).delete(ctx.region, pair.KeyName);
  return { Return: true, KeyPairId: pair?.KeyPairId };
}
