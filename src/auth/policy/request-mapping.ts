import type { RequestContext } from '../request-context.js';

/** IAM's action prefix for a SigV4 signing name, where they differ. */
const ACTION_PREFIX: Record<string, string> = { monitoring: 'cloudwatch' };

export const actionPrefix = (signingName: string) => ACTION_PREFIX[signingName] ?? signingName;

/** The ARN of an SSM parameter; names without a leading slash get one in the ARN. */
export const parameterArn = (region: string, accountId: string, name: string) =>
  `arn:aws:ssm:${region}:${accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;

/**
 * The resources a request acts on, as ARNs, where halo knows how to name them; `*` otherwise. Each one must be
 * allowed, as AWS requires for every resource a request touches.
 */
export function resourcesOf(ctx: RequestContext, input: Record<string, unknown>): string[] {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const { accountId, region, cloud } = ctx;
  const own = cloud.services.get(ctx.service)?.resourceArns?.(ctx, input);
  if (own) return own;
  switch (ctx.service) {
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
    case 'ec2':
      return ec2Resources(ctx, input);
    default:
      return ['*'];
  }
}

/** EC2 resource ids by prefix, and the ARN resource type each names. */
const EC2_ID_TYPES: Array<[RegExp, string]> = [
  [/^i-[0-9a-f]+$/, 'instance'],
  [/^eipalloc-[0-9a-f]+$/, 'elastic-ip'],
  [/^eni-[0-9a-f]+$/, 'network-interface'],
  [/^vol-[0-9a-f]+$/, 'volume'],
  [/^sg-[0-9a-f]+$/, 'security-group'],
  [/^subnet-[0-9a-f]+$/, 'subnet'],
  [/^vpc-[0-9a-f]+$/, 'vpc'],
  [/^igw-[0-9a-f]+$/, 'internet-gateway'],
  [/^rtb-[0-9a-f]+$/, 'route-table'],
  [/^acl-[0-9a-f]+$/, 'network-acl'],
  [/^snap-[0-9a-f]+$/, 'snapshot'],
  [/^lt-[0-9a-f]+$/, 'launch-template'],
  [/^ami-[0-9a-z]+$/, 'image'],
];

/**
 * The EC2 resources a request names by id (top-level members and lists of ids), as ARNs. Describe* calls have no
 * resource-level permissions on AWS and are checked against `*`, as are calls that name no resource by id.
 */
function ec2Resources(ctx: RequestContext, input: Record<string, unknown>): string[] {
  if (/^(Describe|Get)/.test(ctx.operation)) return ['*'];
  const arns = new Set<string>();
  const visit = (value: unknown) => {
    if (typeof value !== 'string') return;
    const type = EC2_ID_TYPES.find(([re]) => re.test(value))?.[1];
    if (!type) return;
    const owner = type === 'image' ? '' : ctx.accountId;
    arns.add(`arn:aws:ec2:${ctx.region}:${owner}:${type}/${value}`);
  };
  for (const value of Object.values(input)) {
    if (Array.isArray(value)) value.forEach(visit);
    else visit(value);
  }
  return arns.size ? [...arns] : ['*'];
}
