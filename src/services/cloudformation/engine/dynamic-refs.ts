import { AwsError } from '../../../protocol/errors.js';

type Invoke = <T = any>(service: string, operation: string, input: unknown) => Promise<T>;

const PATTERN = /\{\{resolve:([a-z-]+):([^}]*)\}\}/g;

/** Replaces dynamic references ({{resolve:ssm:name[:version]}}) in every string of a resolved value. */
export async function resolveDynamicRefs(value: unknown, invoke: Invoke): Promise<unknown> {
  if (typeof value === 'string') {
    if (!value.includes('{{resolve:')) return value;
    let out = value;
    for (const m of [...value.matchAll(PATTERN)]) out = out.replace(m[0], await resolveOne(m[1], m[2], invoke));
    return out;
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolveDynamicRefs(v, invoke)));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveDynamicRefs(v, invoke);
    return out;
  }
  return value;
}

async function resolveOne(service: string, ref: string, invoke: Invoke): Promise<string> {
  if (service !== 'ssm') {
    throw new AwsError('ValidationError', `halo does not support {{resolve:${service}:...}} dynamic references yet; only {{resolve:ssm:...}}.`);
  }
  // name, or name:version
  const m = /^([a-zA-Z0-9_.\-/]+)(?::(\d+))?$/.exec(ref);
  if (!m) throw new AwsError('ValidationError', `Incorrect format is used in the following SSM reference: [{{resolve:ssm:${ref}}}]`);
  try {
    const r = await invoke<{ Parameter?: { Value?: string; Type?: string } }>('ssm', 'GetParameter', { Name: m[2] ? `${m[1]}:${m[2]}` : m[1] });
    if (r.Parameter?.Type === 'SecureString') throw new AwsError('ValidationError', `SSM Secure reference is not supported in: [{{resolve:ssm:${ref}}}]`);
    return r.Parameter?.Value ?? '';
  } catch (err) {
    if (err instanceof AwsError && err.code === 'ParameterNotFound') {
      throw new AwsError('ValidationError', `Unable to fetch parameters [${m[1]}] from parameter store for this account.`);
    }
    throw err;
  }
}
