import type { RequestContext } from '../types.js';
import { lookupSecret } from './state.js';

/**
 * The secret a Secrets Manager request acts on, by its full ARN even when the request names it by name or partial
 * ARN (as AWS checks it). A secret that does not exist yet (CreateSecret) or at all is checked as
 * `secret:NAME-??????`, the form its ARN will have, so `NAME-*` and `NAME-??????` policies match it.
 */
export function secretArns(ctx: RequestContext, input: Record<string, unknown>): string[] {
  const id =
    typeof input.SecretId === 'string'
      ? input.SecretId
      : typeof input.Name === 'string' && ctx.operation === 'CreateSecret'
        ? input.Name
        : undefined;
  if (id === undefined) return ['*'];
  const found = lookupSecret(ctx.cloud, ctx.region, id);
  if (found) return [found.ARN];
  if (id.startsWith('arn:')) return [id];
  return [`arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${id}-??????`];
}
