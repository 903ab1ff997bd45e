import { AwsError } from '../../../protocol/errors.js';

type Invoke = <T = any>(service: string, operation: string, input: unknown) => Promise<T>;

const PATTERN = /\{\{resolve:([a-z-]+):([^}]*)\}\}/g;

/** Replaces dynamic references ({{resolve:ssm:name[:version]}}, {{resolve:secretsmanager:...}}) in every string of a resolved value. */
export async function resolveDynamicRefs(value: unknown, invoke: Invoke): Promise<unknown> {
  // Most values hold none: they are given back as they are, without a walk that waits at every member.
  return hasDynamicRef(value) ? resolveAll(value, invoke) : value;
}

function hasDynamicRef(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{resolve:');
  if (value && typeof value === 'object') return Object.values(value).some(hasDynamicRef);
  return false;
}

async function resolveAll(value: unknown, invoke: Invoke): Promise<unknown> {
  if (typeof value === 'string') {
    if (!value.includes('{{resolve:')) return value;
    let out = value;
    for (const m of [...value.matchAll(PATTERN)]) {
      const resolved = await resolveOne(m[1], m[2], invoke);
      // A function replacer: a resolved value's own `$&`, `$1`... (passwords have them) must stay as they are.
      out = out.replace(m[0], () => resolved);
    }
    return out;
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolveAll(v, invoke)));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveAll(v, invoke);
    return out;
  }
  return value;
}

async function resolveOne(service: string, ref: string, invoke: Invoke): Promise<string> {
  if (service === 'secretsmanager') return resolveSecret(ref, invoke);
  if (service !== 'ssm') {
    throw new AwsError(
      'ValidationError',
      `halo does not support {{resolve:${service}:...}} dynamic references yet; only ssm and secretsmanager.`,
    );
  }
  // name, or name:version
  const m = /^([a-zA-Z0-9_.\-/]+)(?::(\d+))?$/.exec(ref);
  if (!m) throw new AwsError('ValidationError', `Incorrect format is used in the following SSM reference: [{{resolve:ssm:${ref}}}]`);
  try {
    const r = await invoke<{ Parameter?: { Value?: string; Type?: string } }>('ssm', 'GetParameter', {
      Name: m[2] ? `${m[1]}:${m[2]}` : m[1],
    });
    if (r.Parameter?.Type === 'SecureString')
      throw new AwsError('ValidationError', `SSM Secure reference is not supported in: [{{resolve:ssm:${ref}}}]`);
    return r.Parameter?.Value ?? '';
  } catch (err) {
    if (err instanceof AwsError && err.code === 'ParameterNotFound') {
      throw new AwsError('ValidationError', `Unable to fetch parameters [${m[1]}] from parameter store for this account.`);
    }
    throw err;
  }
}

/**
 * `{{resolve:secretsmanager:secret-id:SecretString:json-key:version-stage:version-id}}`: the secret-id is a name or
 * an ARN (whose own colons are part of it); every later part may be left empty; without a stage or id, AWSCURRENT.
 */
async function resolveSecret(ref: string, invoke: Invoke): Promise<string> {
  const whole = `{{resolve:secretsmanager:${ref}}}`;
  const parts = ref.split(':');
  const idParts = parts[0] === 'arn' ? 7 : 1;
  const secretId = parts.slice(0, idParts).join(':');
  const [field = 'SecretString', jsonKey = '', versionStage = '', versionId = '', ...extra] = parts.slice(idParts);
  if (!secretId || extra.length || (field !== '' && field !== 'SecretString') || (parts[0] === 'arn' && parts.length < 7)) {
    throw new AwsError('ValidationError', `Incorrect format is used in the following Secrets Manager reference: [${whole}]`);
  }
  if (versionStage && versionId) {
    throw new AwsError(
      'ValidationError',
      `You can't specify both a version stage and a version id in the following Secrets Manager reference: [${whole}]`,
    );
  }
  let value: string | undefined;
  try {
    const out = await invoke<{ SecretString?: string }>('secretsmanager', 'GetSecretValue', {
      SecretId: secretId,
      VersionId: versionId || undefined,
      VersionStage: versionStage || undefined,
    });
    value = out.SecretString;
  } catch (err) {
    if (err instanceof AwsError)
      throw new AwsError('ValidationError', `${err.message} (Service: AWSSecretsManager; Error Code: ${err.code}) in ${whole}`);
    throw err;
  }
  if (value === undefined)
    throw new AwsError('ValidationError', `The secret named in ${whole} has no SecretString (a binary secret cannot be resolved)`);
  if (!jsonKey) return value;
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    throw new AwsError('ValidationError', `Could not parse SecretString JSON for ${whole}`);
  }
  const picked = doc && typeof doc === 'object' ? (doc as Record<string, unknown>)[jsonKey] : undefined;
  if (picked === undefined)
    throw new AwsError('ValidationError', `Secrets Manager can't find the specified JSON key ${jsonKey} in ${whole}`);
  return typeof picked === 'string' ? picked : JSON.stringify(picked);
}
