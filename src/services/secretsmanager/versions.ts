import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../types.js';
import { errors } from './errors.js';
import { secretsPage } from './listing.js';
import { date, requireSecret, saveSecret, versionWithStage, type SecretRecord, type SecretVersion } from './state.js';

export interface SecretValueInput {
  ClientRequestToken?: string;
  SecretString?: string;
  SecretBinary?: Buffer;
}

/** The ClientRequestToken (32–64 characters, as the model requires) or a new UUID: it becomes the VersionId. */
export function versionIdOf(token: string | undefined): string {
  if (token === undefined) return randomUUID();
  if (token.length < 32) throw errors.validation(token, 'clientRequestToken', 'Member must have length greater than or equal to 32');
  if (token.length > 64) throw errors.validation(token, 'clientRequestToken', 'Member must have length less than or equal to 64');
  return token;
}

export function checkOneValue(input: SecretValueInput): void {
  if (input.SecretString !== undefined && input.SecretBinary !== undefined) throw errors.bothValues();
}

export const hasValue = (input: SecretValueInput) => input.SecretString !== undefined || input.SecretBinary !== undefined;

const sameValue = (v: SecretVersion, input: SecretValueInput) =>
  v.SecretString === input.SecretString &&
  v.SecretBinary === (input.SecretBinary === undefined ? undefined : Buffer.from(input.SecretBinary).toString('base64'));

/**
 * Adds a version with `stages` (AWSCURRENT by default): each label moves from the version that had it, and when
 * AWSCURRENT moves, the version that had it becomes AWSPREVIOUS. A token that names an existing version with the
 * same value is a retry and changes nothing; with another value it is refused, as AWS does.
 * Returns the version (new or retried).
 */
export function addVersion(ctx: RequestContext, s: SecretRecord, input: SecretValueInput, stages = ['AWSCURRENT']): SecretVersion {
  const versionId = versionIdOf(input.ClientRequestToken);
  const existing = s.Versions.find((v) => v.VersionId === versionId);
  if (existing) {
    if (!sameValue(existing, input)) throw errors.versionExists();
    return existing;
  }
  const now = ctx.cloud.clock.now();
  const version: SecretVersion = {
    VersionId: versionId,
    SecretString: input.SecretString,
    SecretBinary: input.SecretBinary === undefined ? undefined : Buffer.from(input.SecretBinary).toString('base64'),
    CreatedDate: now,
    Stages: [],
  };
  const previousCurrent = versionWithStage(s, 'AWSCURRENT');
  for (const stage of new Set(stages)) {
    for (const v of s.Versions) v.Stages = v.Stages.filter((l) => l !== stage);
    version.Stages.push(stage);
  }
  if (version.Stages.includes('AWSCURRENT') && previousCurrent) {
    for (const v of s.Versions) v.Stages = v.Stages.filter((l) => l !== 'AWSPREVIOUS');
    previousCurrent.Stages.push('AWSPREVIOUS');
  }
  s.Versions.push(version);
  s.LastChangedDate = now;
  return version;
}

export function putSecretValue(input: SecretValueInput & { SecretId: string; VersionStages?: string[] }, ctx: RequestContext) {
  const s = requireSecret(ctx, input.SecretId);
  checkOneValue(input);
  if (!hasValue(input)) throw errors.noValue();
  const version = addVersion(ctx, s, input, input.VersionStages?.length ? input.VersionStages : undefined);
  saveSecret(ctx, s);
  return { ARN: s.ARN, Name: s.Name, VersionId: version.VersionId, VersionStages: [...version.Stages] };
}

export function getSecretValue(input: { SecretId: string; VersionId?: string; VersionStage?: string }, ctx: RequestContext) {
  const s = requireSecret(ctx, input.SecretId);
  let version: SecretVersion | undefined;
  if (input.VersionId !== undefined) {
    version = s.Versions.find((v) => v.VersionId === input.VersionId);
    if (!version) throw errors.versionNotFound('VersionId', input.VersionId);
    if (input.VersionStage !== undefined && !version.Stages.includes(input.VersionStage))
      throw errors.versionNotFound('staging label', input.VersionStage);
  } else {
    const stage = input.VersionStage ?? 'AWSCURRENT';
    version = versionWithStage(s, stage);
    if (!version) throw errors.versionNotFound('staging label', stage);
  }
  // AWS records the day of the last access (the date only).
  const day = Math.floor(ctx.cloud.clock.now() / 86_400_000) * 86_400_000;
  if (s.LastAccessedDate !== day || version.LastAccessedDate !== day) {
    s.LastAccessedDate = day;
    version.LastAccessedDate = day;
    saveSecret(ctx, s);
  }
  return {
    ARN: s.ARN,
    Name: s.Name,
    VersionId: version.VersionId,
    SecretString: version.SecretString,
    SecretBinary: version.SecretBinary === undefined ? undefined : Buffer.from(version.SecretBinary, 'base64'),
    VersionStages: [...version.Stages],
    CreatedDate: date(version.CreatedDate),
  };
}

export function listSecretVersionIds(
  input: { SecretId: string; MaxResults?: number; NextToken?: string; IncludeDeprecated?: boolean },
  ctx: RequestContext,
) {
  const s = requireSecret(ctx, input.SecretId, true);
  const versions = s.Versions.filter((v) => input.IncludeDeprecated || v.Stages.length).reverse();
  const page = secretsPage(versions, input);
  return {
    ARN: s.ARN,
    Name: s.Name,
    Versions: page.items.map((v) => ({
      VersionId: v.VersionId,
      VersionStages: v.Stages.length ? [...v.Stages] : undefined,
      CreatedDate: date(v.CreatedDate),
      LastAccessedDate: date(v.LastAccessedDate),
      KmsKeyIds: [s.KmsKeyId ?? 'DefaultEncryptionKey'],
    })),
    NextToken: page.next,
  };
}
