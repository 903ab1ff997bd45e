import { AwsError } from './errors.js';
import { resolve, type ServiceModel, type Shape } from './model.js';

/** Checks the model's required members, at every depth, before an operation sees its input. */
export function checkRequired(model: ServiceModel, shape: Shape | undefined, input: unknown, protocol: string, path = ''): void {
  if (!shape || input === undefined || input === null) return;
  const s = resolve(model, shape);
  if (s.type === 'structure' && typeof input === 'object') {
    const obj = input as Record<string, unknown>;
    for (const name of s.required ?? []) {
      if (obj[name] === undefined) throw missing(protocol, path ? `${path}.${name}` : name);
    }
    for (const [name, ref] of Object.entries(s.members ?? {})) {
      checkRequired(model, ref, obj[name], protocol, path ? `${path}.${name}` : name);
    }
  } else if (s.type === 'list' && Array.isArray(input)) {
    input.forEach((item, i) => checkRequired(model, s.member, item, protocol, `${path}.${i + 1}`));
  }
}

function missing(protocol: string, name: string): AwsError {
  if (protocol === 'ec2') return new AwsError('MissingParameter', `The request must contain the parameter ${name}`);
  if (protocol === 'rest-json') return new AwsError('BadRequest', `${name} is required.`);
  if (protocol === 'json') return new AwsError('MissingParameter', `The parameter ${name} is required.`);
  const lower = name.replace(/(^|\.)([A-Z])/g, (_m, dot: string, c: string) => dot + c.toLowerCase());
  return new AwsError('ValidationError', `1 validation error detected: Value null at '${lower}' failed to satisfy constraint: Member must not be null`);
}
