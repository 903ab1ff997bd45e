import { ssmErrors } from './errors.js';

const MAX_NAME = 1011;
const MAX_DEPTH = 15;

/** Checks a parameter name as SSM does: allowed characters, reserved prefixes, hierarchy depth. */
export function checkName(name: string): void {
  if (name.length < 1 || name.length > MAX_NAME) {
    throw ssmErrors.validation(
      `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to ${MAX_NAME}`,
    );
  }
  if (!/^[a-zA-Z0-9_.\-/]+$/.test(name)) {
    throw ssmErrors.validation('Parameter name must contain only the following characters: a-zA-Z0-9_.-/');
  }
  if (name.includes('/') && !name.startsWith('/')) throw ssmErrors.validation('Parameter name must be a fully qualified name.');
  if (name.endsWith('/') || name.includes('//')) throw ssmErrors.validation('Parameter name must be a fully qualified name.');
  const first = name.replace(/^\//, '').split('/')[0].toLowerCase();
  if (first.startsWith('aws') || first.startsWith('ssm')) {
    throw ssmErrors.validation(
      'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_',
    );
  }
  if (name.split('/').length - 1 > MAX_DEPTH) {
    throw ssmErrors.hierarchyTooDeep(MAX_DEPTH);
  }
}

/** A name with an optional selector: `name:3` (a version) or `name:label`. */
export function splitSelector(nameWithSelector: string): { name: string; selector?: string } {
  const colon = nameWithSelector.lastIndexOf(':');
  if (colon <= 0) return { name: nameWithSelector };
  return { name: nameWithSelector.slice(0, colon), selector: nameWithSelector.slice(colon + 1) };
}

export function parameterArn(region: string, accountId: string, name: string): string {
  return `arn:aws:ssm:${region}:${accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
}
