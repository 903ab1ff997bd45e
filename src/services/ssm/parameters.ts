import { ssmErrors } from './errors.js';
import type { RequestContext } from '../types.js';
import type { GetParametersOutput, PutParameterInput } from './generated/types.js';
import { checkName, parameterArn, splitSelector } from './names.js';
import { page } from './paging.js';
import { isPublicName, publicParameters } from './public-parameters.js';
import { decrypt, encrypt } from './secure-string.js';
import { current, parameters, type ParameterRecord, type ParameterType, type ParameterVersion } from './state.js';

const DATA_TYPES = ['text', 'aws:ec2:image', 'aws:ssm:integration'];
const MAX_VERSIONS = 100;
const MAX_LABELS_PER_VERSION = 10;
const TIER_LIMITS: Record<string, number> = { Standard: 4096, Advanced: 8192 };
export const DEFAULT_KEY_ID = 'alias/aws/ssm';

export function findParameter(ctx: RequestContext, name: string): ParameterRecord | undefined {
  return parameters(ctx.cloud).get(ctx.region, name);
}

/** The value as a caller sees it: SecureStrings decrypted only when asked. */
export function shownValue(ctx: RequestContext, v: ParameterVersion, withDecryption: boolean | undefined): string {
  return v.Type === 'SecureString' && withDecryption ? decrypt(ctx.cloud, v.Value) : v.Value;
}

/** The Parameter shape of GetParameter(s) and GetParametersByPath. */
export function parameterView(ctx: RequestContext, p: ParameterRecord, v: ParameterVersion, withDecryption?: boolean, selector?: string) {
  return {
    Name: p.Name,
    Type: v.Type,
    Value: shownValue(ctx, v, withDecryption),
    Version: v.Version,
    Selector: selector !== undefined ? `:${selector}` : undefined,
    LastModifiedDate: v.LastModifiedDate,
    ARN: parameterArn(ctx.region, ctx.accountId, p.Name),
    DataType: v.DataType,
  };
}

function pickTier(requested: string | undefined, previous: string | undefined, value: string): string {
  const tier = requested ?? previous ?? 'Standard';
  if (tier === 'Intelligent-Tiering') return value.length > TIER_LIMITS.Standard ? 'Advanced' : 'Standard';
  if (tier === 'Standard' && previous === 'Advanced') {
    throw ssmErrors.validation(
      "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier.",
    );
  }
  if (value.length > TIER_LIMITS[tier]) {
    throw ssmErrors.validation(
      `${tier} tier parameters support a maximum parameter value of ${TIER_LIMITS[tier]} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.`,
    );
  }
  return tier;
}

function checkPattern(pattern: string | undefined, value: string): void {
  if (pattern === undefined) return;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`, 'u');
  } catch {
    throw ssmErrors.validation(`The allowed pattern ${pattern} is not a valid regular expression.`);
  }
  if (!re.test(value)) throw ssmErrors.patternMismatch(pattern);
}

export function putParameter(input: PutParameterInput, ctx: RequestContext) {
  checkName(input.Name);
  const existing = findParameter(ctx, input.Name);
  if (existing && !input.Overwrite) {
    throw ssmErrors.parameterAlreadyExists();
  }
  if (existing && input.Tags?.length) {
    throw ssmErrors.validation(
      "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags on an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
    );
  }
  const previous = existing ? current(existing) : undefined;
  const type = (input.Type ?? previous?.Type) as ParameterType | undefined;
  if (!type) throw ssmErrors.validation('A parameter type is required when you create a parameter.');
  if (input.KeyId !== undefined && type !== 'SecureString')
    throw ssmErrors.validation('KeyId is required for SecureString type parameter only.');
  if (input.Value.length === 0) {
    throw ssmErrors.validation(
      "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  const dataType = input.DataType ?? previous?.DataType ?? 'text';
  if (!DATA_TYPES.includes(dataType))
    throw ssmErrors.validation(`The following data type is not supported: ${dataType} (Data type names are all lowercase.)`);
  if (dataType === 'aws:ec2:image' && !/^ami-[0-9a-z]{8,17}$/.test(input.Value)) {
    throw ssmErrors.validation(`Parameter value, ${input.Value}, is not a valid AMI ID for data type aws:ec2:image.`);
  }
  const allowedPattern = input.AllowedPattern ?? previous?.AllowedPattern;
  checkPattern(allowedPattern, input.Value);
  const tier = pickTier(input.Tier, previous?.Tier, input.Value);

  const version: ParameterVersion = {
    Version: (previous?.Version ?? 0) + 1,
    Type: type,
    Value: type === 'SecureString' ? encrypt(ctx.cloud, input.Value) : input.Value,
    Description: input.Description ?? previous?.Description,
    KeyId: type === 'SecureString' ? (input.KeyId ?? previous?.KeyId ?? DEFAULT_KEY_ID) : undefined,
    AllowedPattern: allowedPattern,
    DataType: dataType,
    Tier: tier,
    LastModifiedDate: new Date(ctx.cloud.clock.now()).toISOString(),
    LastModifiedUser: ctx.principal.arn,
    Labels: [],
  };
  let versions = [...(existing?.Versions ?? []), version];
  if (versions.length > MAX_VERSIONS) {
    if (versions[0].Labels.length) {
      throw ssmErrors.oldestVersionLabelled(input.Name, versions[0].Version);
    }
    versions = versions.slice(1);
  }
  parameters(ctx.cloud).put(ctx.region, input.Name, { Name: input.Name, Versions: versions, Tags: existing?.Tags ?? input.Tags ?? [] });
  return { Version: version.Version, Tier: tier };
}

/** Resolves `name`, `name:version` or `name:label` to a parameter and one of its versions. */
function resolve(
  ctx: RequestContext,
  nameWithSelector: string,
): { p: ParameterRecord; v: ParameterVersion; selector?: string } | undefined {
  const { name, selector } = splitSelector(nameWithSelector);
  const p = findParameter(ctx, name);
  if (!p) return undefined;
  if (selector === undefined) return { p, v: current(p) };
  if (/^\d+$/.test(selector)) {
    const v = p.Versions.find((x) => x.Version === Number(selector));
    if (!v) throw ssmErrors.versionNotFound(selector, name);
    return { p, v, selector };
  }
  const v = p.Versions.find((x) => x.Labels.includes(selector));
  return v ? { p, v, selector } : undefined;
}

export async function getParameter(input: { Name: string; WithDecryption?: boolean }, ctx: RequestContext) {
  if (isPublicName(input.Name)) {
    const [found] = await publicParameters(ctx, [input.Name]);
    if (!found) throw ssmErrors.parameterNotFound();
    return { Parameter: found };
  }
  const found = resolve(ctx, input.Name);
  if (!found) throw ssmErrors.parameterNotFound();
  return { Parameter: parameterView(ctx, found.p, found.v, input.WithDecryption, found.selector) };
}

export async function getParameters(input: { Names: string[]; WithDecryption?: boolean }, ctx: RequestContext) {
  const names = [...new Set(input.Names)];
  const publics = await publicParameters(ctx, names.filter(isPublicName));
  const found: NonNullable<GetParametersOutput['Parameters']> = [];
  const invalid: string[] = [];
  for (const name of names) {
    if (isPublicName(name)) {
      const p = publics.find((x) => x.Name === name);
      if (p) found.push(p);
      else invalid.push(name);
      continue;
    }
    let r: ReturnType<typeof resolve>;
    try {
      r = resolve(ctx, name);
    } catch {
      r = undefined;
    }
    if (r) found.push(parameterView(ctx, r.p, r.v, input.WithDecryption, r.selector));
    else invalid.push(name);
  }
  return { Parameters: found, InvalidParameters: invalid };
}

export function deleteParameter(input: { Name: string }, ctx: RequestContext) {
  if (!parameters(ctx.cloud).delete(ctx.region, input.Name)) throw ssmErrors.parameterNotFound();
  return {};
}

export function deleteParameters(input: { Names: string[] }, ctx: RequestContext) {
  const deleted: string[] = [];
  const invalid: string[] = [];
  for (const name of new Set(input.Names)) (parameters(ctx.cloud).delete(ctx.region, name) ? deleted : invalid).push(name);
  return { DeletedParameters: deleted, InvalidParameters: invalid };
}

export function getParameterHistory(
  input: { Name: string; WithDecryption?: boolean; MaxResults?: number; NextToken?: string },
  ctx: RequestContext,
) {
  const p = findParameter(ctx, input.Name);
  if (!p) throw ssmErrors.parameterNotFound();
  const { items, NextToken } = page(p.Versions, input, 50);
  return {
    Parameters: items.map((v) => ({
      Name: p.Name,
      Type: v.Type,
      KeyId: v.KeyId,
      LastModifiedDate: v.LastModifiedDate,
      LastModifiedUser: v.LastModifiedUser,
      Description: v.Description,
      Value: shownValue(ctx, v, input.WithDecryption),
      AllowedPattern: v.AllowedPattern,
      Version: v.Version,
      Labels: v.Labels,
      Tier: v.Tier,
      Policies: [],
      DataType: v.DataType,
    })),
    NextToken,
  };
}

const validLabel = (label: string) =>
  label.length >= 1 && label.length <= 100 && /^[a-zA-Z0-9_.-]+$/.test(label) && !/^\d/.test(label) && !/^(aws|ssm)/i.test(label);

export function labelParameterVersion(input: { Name: string; ParameterVersion?: number; Labels: string[] }, ctx: RequestContext) {
  const p = findParameter(ctx, input.Name);
  if (!p) throw ssmErrors.parameterNotFound();
  const target = input.ParameterVersion === undefined ? current(p) : p.Versions.find((v) => v.Version === input.ParameterVersion);
  if (!target) {
    throw ssmErrors.versionNotFound(input.ParameterVersion, input.Name);
  }
  const invalid = input.Labels.filter((l) => !validLabel(l));
  const labels = input.Labels.filter(validLabel);
  const versions = p.Versions.map((v) => ({ ...v, Labels: v.Labels.filter((l) => !labels.includes(l)) }));
  const t = versions.find((v) => v.Version === target.Version) as ParameterVersion;
  t.Labels = [...new Set([...t.Labels, ...labels])];
  if (t.Labels.length > MAX_LABELS_PER_VERSION) {
    throw ssmErrors.labelLimitExceeded(t.Version, p.Name, MAX_LABELS_PER_VERSION);
  }
  parameters(ctx.cloud).put(ctx.region, p.Name, { ...p, Versions: versions });
  return { InvalidLabels: invalid, ParameterVersion: t.Version };
}

export function unlabelParameterVersion(input: { Name: string; ParameterVersion: number; Labels: string[] }, ctx: RequestContext) {
  const p = findParameter(ctx, input.Name);
  if (!p) throw ssmErrors.parameterNotFound();
  const target = p.Versions.find((v) => v.Version === input.ParameterVersion);
  if (!target) {
    throw ssmErrors.versionNotFound(input.ParameterVersion, input.Name);
  }
  const removed = input.Labels.filter((l) => target.Labels.includes(l));
  const invalid = input.Labels.filter((l) => !target.Labels.includes(l));
  const versions = p.Versions.map((v) =>
    v.Version === target.Version ? { ...v, Labels: v.Labels.filter((l) => !removed.includes(l)) } : v,
  );
  parameters(ctx.cloud).put(ctx.region, p.Name, { ...p, Versions: versions });
  return { RemovedLabels: removed, InvalidLabels: invalid };
}
