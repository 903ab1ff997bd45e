import type { ContextValue } from './conditions.js';

/**
 * Replaces policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, and the escapes `${*}`,
 * `${?}`, `${$}`) with single values from the request context. Undefined when a variable has no value and no
 * default: the element then matches nothing.
 */
export function substitute(text: string, lookup: (key: string) => ContextValue | undefined): string | undefined {
  if (!text.includes('${')) return text;
  let missing = false;
  const out = text.replace(/\$\{([^}]*)\}/g, (_m, inner: string) => {
    const body = inner.trim();
    if (body === '*' || body === '?' || body === '$') return body;
    const defaulted = /^(.*?)\s*,\s*'([^']*)'$/.exec(body);
    const key = defaulted ? defaulted[1] : body;
    const value = lookup(key);
    if (typeof value === 'string') return value;
    if (defaulted) return defaulted[2];
    missing = true;
    return '';
  });
  return missing ? undefined : out;
}
