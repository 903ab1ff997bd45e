import type { RequestContext } from '../../services/types.js';
import { findRole } from '../../services/iam/roles.js';
import { findInstanceProfile } from '../../services/iam/instance-profiles.js';

/** IAM's action prefix for a SigV4 signing name, where they differ. */
const ACTION_PREFIX: Record<string, string> = { monitoring: 'cloudwatch' };

export const actionPrefix = (signingName: string) => ACTION_PREFIX[signingName] ?? signingName;

/** The ARN of an SSM parameter; names without a leading slash get one in the ARN. */
export const parameterArn = (region: string, accountId: string, name: string) =>
  `arn:aws:ssm:${region}:${accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;

/**
 * The resources a request acts on, as ARNs, where halo knows how to name them; `*` otherwise (EC2's resource-level
 * permissions are not modelled: EC2 requests are checked against `*`).
 */
export function resourcesOf(ctx: RequestContext, input: Record<string, unknown>): string[] {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const { accountId, region, cloud } = ctx;
  switch (ctx.service) {
    case 'iam': {
      // For a name not taken yet (Create*), the ARN the new entity will have.
      const path = str(input.Path) ?? '/';
      const roleName = str(input.RoleName);
      if (roleName) return [findRole(cloud, roleName)?.Arn ?? `arn:aws:iam::${accountId}:role${path}${roleName}`];
      const profileName = str(input.InstanceProfileName);
      if (profileName) return [findInstanceProfile(cloud, profileName)?.Arn ?? `arn:aws:iam::${accountId}:instance-profile${path}${profileName}`];
      const policyArn = str(input.PolicyArn);
      if (policyArn) return [policyArn];
      const policyName = str(input.PolicyName);
      if (ctx.operation === 'CreatePolicy' && policyName) return [`arn:aws:iam::${accountId}:policy${path}${policyName}`];
      return ['*'];
    }
    case 'sts':
      return [str(input.RoleArn) ?? '*'];
    case 'ssm': {
      const withoutSelector = (n: string) => n.replace(/:[^/:]*$/, '');
      const names = [str(input.Name), str(input.ResourceId), ...(Array.isArray(input.Names) ? input.Names.map(str) : [])]
        .filter((n): n is string => n !== undefined)
        .map(withoutSelector);
      const path = str(input.Path);
      if (path) names.push(path);
      return names.length ? names.map((n) => parameterArn(region, accountId, n)) : ['*'];
    }
    default:
      return ['*'];
  }
}
