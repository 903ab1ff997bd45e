import { isAwsError } from '../../../protocol/errors.js';
import { cfnErrors } from '../errors.js';

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
    throw cfnErrors.unsupportedDynamicReference(service);
  }
  // name, or name:version
  const m = /^([a-zA-Z0-9_.\-/]+)(?::(\d+))?$/.exec(ref);
  if (!m) throw cfnErrors.badSsmReference(ref);
  try {
    const r = await invoke<{ Parameter?: { Value?: string; Type?: string } }>('ssm', 'GetParameter', {
      Name: m[2] ? `${m[1]}:${m[2]}` : m[1],
    });
    if (r.Parameter?.Type === 'SecureString') throw cfnErrors.secureSsmReference(ref);
    return r.Parameter?.Value ?? '';
  } catch (err) {
    if (isAwsError(err, 'ParameterNotFound')) {
      throw cfnErrors.ssmParameterUnavailable(m[1]);
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
    throw cfnErrors.badSecretReference(whole);
  }
  if (versionStage && versionId) {
    throw cfnErrors.secretStageAndId(whole);
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
    if (isAwsError(err)) throw cfnErrors.secretUnavailable(err.message, err.code, whole);
    throw err;
  }
  if (value === undefined) throw cfnErrors.binarySecret(whole);
  if (!jsonKey) return value;
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    throw cfnErrors.secretNotJson(whole);
  }
  const picked = doc && typeof doc === 'object' ? (doc as Record<string, unknown>)[jsonKey] : undefined;
  if (picked === undefined) throw cfnErrors.secretJsonKeyMissing(jsonKey, whole);
  return typeof picked === 'string' ? picked : JSON.stringify(picked);
}
