import type { RequestContext } from '../types.js';
import type { Tag as InputTag, TagResourceInput } from './generated/types.js';
import { errors } from './errors.js';
import {
  date,
  lookupSecret,
  newSecretArn,
  requireSecret,
  saveSecret,
  secretDescription,
  secrets,
  versionsToStages,
  type SecretRecord,
  type Tag,
} from './state.js';
import { addVersion, checkOneValue, hasValue, versionIdOf, type SecretValueInput } from './versions.js';

const NAME = /^[a-zA-Z0-9/_+=.@!-]+$/;
const DAY_MS = 86_400_000;

interface CreateSecretInput extends SecretValueInput {
  Name: string;
  Description?: string;
  KmsKeyId?: string;
  Tags?: InputTag[];
}

export function createSecret(input: CreateSecretInput, ctx: RequestContext) {
  if (input.Name.length > 512) throw errors.validation(input.Name, 'name', 'Member must have length less than or equal to 512');
  if (!NAME.test(input.Name)) throw errors.invalidName();
  checkOneValue(input);
  const versionId = versionIdOf(input.ClientRequestToken);
  const existing = lookupSecret(ctx.cloud, ctx.region, input.Name);
  if (existing) {
    if (existing.DeletedDate !== undefined) throw errors.nameScheduledForDeletion();
    // A retry of the same request (same token, same value) answers as the first did.
    const retried = input.ClientRequestToken !== undefined && existing.Versions.find((v) => v.VersionId === versionId);
    if (retried && hasValue(input)) {
      addVersion(ctx, existing, input);
      return { ARN: existing.ARN, Name: existing.Name, VersionId: retried.VersionId };
    }
    throw errors.secretExists(input.Name);
  }
  const now = ctx.cloud.clock.now();
  const secret: SecretRecord = {
    ARN: newSecretArn(ctx.region, ctx.accountId, input.Name),
    Name: input.Name,
    Description: input.Description,
    KmsKeyId: input.KmsKeyId,
    Tags: mergeTags([], input.Tags ?? []),
    CreatedDate: now,
    LastChangedDate: now,
    Versions: [],
  };
  const version = hasValue(input) ? addVersion(ctx, secret, { ...input, ClientRequestToken: versionId }) : undefined;
  if (!secrets(ctx.cloud).insert(ctx.region, secret.Name, secret)) throw errors.secretExists(input.Name);
  return { ARN: secret.ARN, Name: secret.Name, VersionId: version?.VersionId };
}

export function mergeTags(tags: Tag[], added: InputTag[]): Tag[] {
  const out = tags.filter((t) => !added.some((a) => a.Key === t.Key));
  for (const t of added) out.push({ Key: t.Key ?? '', Value: t.Value ?? '' });
  return out;
}

export function updateSecret(input: SecretValueInput & { SecretId: string; Description?: string; KmsKeyId?: string }, ctx: RequestContext) {
  const s = requireSecret(ctx, input.SecretId);
  checkOneValue(input);
  if (input.Description !== undefined) s.Description = input.Description;
  if (input.KmsKeyId !== undefined) s.KmsKeyId = input.KmsKeyId;
  s.LastChangedDate = ctx.cloud.clock.now();
  const version = hasValue(input) ? addVersion(ctx, s, input) : undefined;
  saveSecret(ctx, s);
  return { ARN: s.ARN, Name: s.Name, VersionId: version?.VersionId };
}

export function describeSecret(input: { SecretId: string }, ctx: RequestContext) {
  const s = requireSecret(ctx, input.SecretId, true);
  return { ...secretDescription(s), VersionIdsToStages: versionsToStages(s), CreatedDate: date(s.CreatedDate) };
}

export function deleteSecret(
  input: { SecretId: string; RecoveryWindowInDays?: number; ForceDeleteWithoutRecovery?: boolean },
  ctx: RequestContext,
) {
  if (input.ForceDeleteWithoutRecovery && input.RecoveryWindowInDays !== undefined) throw errors.forceWithWindow();
  const days = input.RecoveryWindowInDays ?? 30;
  if (!input.ForceDeleteWithoutRecovery && (days < 7 || days > 30)) throw errors.recoveryWindow();
  const s = requireSecret(ctx, input.SecretId, Boolean(input.ForceDeleteWithoutRecovery));
  const now = ctx.cloud.clock.now();
  if (input.ForceDeleteWithoutRecovery) {
    secrets(ctx.cloud).delete(ctx.region, s.Name);
    return { ARN: s.ARN, Name: s.Name, DeletionDate: date(now) };
  }
  s.DeletedDate = now;
  s.DeletionDate = now + days * DAY_MS;
  saveSecret(ctx, s);
  return { ARN: s.ARN, Name: s.Name, DeletionDate: date(s.DeletionDate) };
}

export function restoreSecret(input: { SecretId: string }, ctx: RequestContext) {
  const s = requireSecret(ctx, input.SecretId, true);
  if (s.DeletedDate !== undefined) {
    delete s.DeletedDate;
    delete s.DeletionDate;
    saveSecret(ctx, s);
  }
  return { ARN: s.ARN, Name: s.Name };
}

export function tagResource(input: TagResourceInput, ctx: RequestContext) {
  const s = requireSecret(ctx, input.SecretId);
  s.Tags = mergeTags(s.Tags, input.Tags);
  saveSecret(ctx, s);
  return {};
}

export function untagResource(input: { SecretId: string; TagKeys: string[] }, ctx: RequestContext) {
  const s = requireSecret(ctx, input.SecretId);
  s.Tags = s.Tags.filter((t) => !input.TagKeys.includes(t.Key));
  saveSecret(ctx, s);
  return {};
}
