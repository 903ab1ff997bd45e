import { stsErrors } from './errors.js';
import type { GetSessionTokenInput } from './generated/types.js';
import type { Principal } from '../../auth/credentials.js';
import type { RequestContext } from '../types.js';
import { issueSessionCredentials } from './issue.js';

/** Session credentials carry this mark, so that they cannot be used to get further session tokens. */
type SessionMarked = Principal & { sessionOf?: string };

/** The account root (the cloud's admin) may ask for at most one hour, IAM users for up to 36 hours. */
const LIMITS: Record<string, { min: number; max: number; fallback: number }> = {
  admin: { min: 900, max: 3600, fallback: 3600 },
  user: { min: 900, max: 129600, fallback: 43200 },
};

export function getSessionToken(input: GetSessionTokenInput, ctx: RequestContext) {
  const caller = ctx.principal as SessionMarked;
  const limits = LIMITS[caller.type];
  if (!limits || caller.sessionOf) throw stsErrors.sessionTokenFromSession();
  const duration = input.DurationSeconds ?? limits.fallback;
  if (duration < limits.min || duration > limits.max) {
    throw stsErrors.durationOutOfRange(duration, limits.min, limits.max);
  }
  const principal: SessionMarked = { ...caller, sessionOf: caller.arn };
  return { Credentials: issueSessionCredentials(ctx, principal, duration).Credentials };
}
