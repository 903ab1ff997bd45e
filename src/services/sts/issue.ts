import type { Principal } from '../../auth/credentials.js';
import { wholeSeconds } from '../iam/ids.js';
import type { RequestContext } from '../types.js';

/** Issues temporary credentials for principal, as STS's Credentials member (expiry on whole seconds of the cloud clock). */
export function issueSessionCredentials(ctx: RequestContext, principal: Principal, durationSeconds: number) {
  const now = wholeSeconds(ctx.cloud.clock.now());
  const key = ctx.cloud.credentials.issueTemporary(principal, durationSeconds * 1000, now);
  return {
    now,
    Credentials: {
      AccessKeyId: key.accessKeyId,
      SecretAccessKey: key.secretAccessKey,
      SessionToken: key.sessionToken,
      Expiration: new Date(key.expiration ?? now),
    },
  };
}
