/** IAM's wildcards: `*` any run of characters (also none), `?` exactly one. */
export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  // Iterative matching with backtracking to the last `*`: linear in practice, no regular expressions to escape.
  let pi = 0;
  let vi = 0;
  let star = -1;
  let mark = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === v[vi])) {
      pi++;
      vi++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = vi;
    } else if (star >= 0) {
      pi = star + 1;
      vi = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** Splits an ARN into its six parts; the resource part keeps its colons. */
function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/**
 * Matches a Resource element or an Arn* condition value against an ARN: each of the six colon-separated parts
 * on its own, so a wildcard never spans a part. `*` alone matches everything; an ARN pattern with fewer than six
 * parts matches nothing.
 */
export function arnMatch(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const p = arnParts(pattern);
  const a = arnParts(arn);
  if (!p && !a) return globMatch(pattern, arn);
  if (!p || !a) return false;
  return p.every((part, i) => globMatch(part, a[i]));
}
