import { randomInt } from 'node:crypto';
import type { Cloud } from '../../cloud.js';
import type { RequestContext } from '../types.js';
import { errors } from './errors.js';

export interface Tag {
  Key: string;
  Value: string;
}

/** One version of a secret's value; SecretBinary as base64. Dates are epoch milliseconds on the cloud's clock. */
export interface SecretVersion {
  VersionId: string;
  SecretString?: string;
  SecretBinary?: string;
  CreatedDate: number;
  LastAccessedDate?: number;
  /** Staging labels (AWSCURRENT, AWSPREVIOUS, ...); a version without any is deprecated. */
  Stages: string[];
}

export interface SecretRecord {
  ARN: string;
  Name: string;
  Description?: string;
  KmsKeyId?: string;
  Tags: Tag[];
  CreatedDate: number;
  LastChangedDate: number;
  LastAccessedDate?: number;
  /** When DeleteSecret scheduled the deletion; absent on a live secret. */
  DeletedDate?: number;
  /** When the scheduled deletion takes effect (DeletedDate + the recovery window). */
  DeletionDate?: number;
  ResourcePolicy?: string;
  /** Oldest first. */
  Versions: SecretVersion[];
}

export const secrets = (cloud: Cloud) => cloud.store.table<SecretRecord>('secretsmanager.secret');

const SUFFIX_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** `count` random letters and digits. */
export function randomChars(count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += SUFFIX_CHARS[randomInt(SUFFIX_CHARS.length)];
  return out;
}

/** A secret's ARN as AWS makes it: the name, a hyphen and six random characters. */
export const newSecretArn = (region: string, accountId: string, name: string) =>
  `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${randomChars(6)}`;

/**
 * Carries out the deletions whose recovery window has ended on the cloud's clock. Every operation reads the
 * secrets through here, so a secret is gone from the moment its DeletionDate passes, across daemon restarts too.
 */
export function purgeDue(cloud: Cloud, region: string): void {
  const now = cloud.clock.now();
  const table = secrets(cloud);
  for (const s of table.list(region)) if (s.DeletionDate !== undefined && s.DeletionDate <= now) table.delete(region, s.Name);
}

export function listSecrets(cloud: Cloud, region: string): SecretRecord[] {
  purgeDue(cloud, region);
  return secrets(cloud).list(region);
}

/**
 * The secret a SecretId names: its name, its full ARN, or its partial ARN (the ARN without the six random
 * characters), as AWS accepts. Undefined when there is none (deleted ones included: see `requireSecret`).
 */
export function lookupSecret(cloud: Cloud, region: string, secretId: string): SecretRecord | undefined {
  purgeDue(cloud, region);
  const table = secrets(cloud);
  if (!secretId.startsWith('arn:')) return table.get(region, secretId);
  const m = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)$/.exec(secretId);
  if (!m) return undefined;
  const exact = table.list(region).find((s) => s.ARN === secretId);
  if (exact) return exact;
  return table.get(region, m[1]);
}

/** The secret, or ResourceNotFoundException; a secret scheduled for deletion is refused unless `allowDeleted`. */
export function requireSecret(ctx: RequestContext, secretId: string, allowDeleted = false): SecretRecord {
  const s = lookupSecret(ctx.cloud, ctx.region, secretId);
  if (!s) throw errors.secretNotFound();
  if (s.DeletedDate !== undefined && !allowDeleted) throw errors.markedForDeletion();
  return s;
}

export const saveSecret = (ctx: RequestContext, s: SecretRecord) => secrets(ctx.cloud).put(ctx.region, s.Name, s);

/** The version a stage label is on, if any. */
export const versionWithStage = (s: SecretRecord, stage: string) => s.Versions.find((v) => v.Stages.includes(stage));

/** Version id → its staging labels, for versions that have any (DescribeSecret, ListSecrets). */
export function versionsToStages(s: SecretRecord): Record<string, string[]> | undefined {
  const staged = s.Versions.filter((v) => v.Stages.length);
  return staged.length ? Object.fromEntries(staged.map((v) => [v.VersionId, [...v.Stages]])) : undefined;
}

/** A date as the wire wants it. */
export const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

/** What DescribeSecret and ListSecrets say of a secret alike (each adds its own name for the version stages). */
export function secretDescription(s: SecretRecord) {
  return {
    ARN: s.ARN,
    Name: s.Name,
    Description: s.Description,
    KmsKeyId: s.KmsKeyId,
    LastChangedDate: date(s.LastChangedDate),
    LastAccessedDate: date(s.LastAccessedDate),
    DeletedDate: date(s.DeletedDate),
    Tags: s.Tags.length ? s.Tags : undefined,
  };
}
