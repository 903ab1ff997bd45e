/**
 * The seed's table (AWS in Action, high availability chapter: RTO and RPO of a single virtual server), quoted beside
 * each measured figure. The seed states it in Chinese; these are its claims in English.
 */
export interface SeedClaim {
  architecture: string;
  rto: string;
  rpo: string;
  availability: string;
}

export const SEED_CLAIMS: Record<'alarm' | 'autoscaling', SeedClaim> = {
  alarm: {
    architecture: 'Recovery triggered by a CloudWatch alarm',
    rto: 'about 10 min',
    rpo: 'no data lost',
    availability: 'recovers from a failed virtual server, but not from the failure of a whole availability zone',
  },
  autoscaling: {
    architecture: 'Recovery by Auto Scaling',
    rto: 'about 10 min',
    rpo: 'everything since the last snapshot is lost; snapshots every 30 min to 24 h',
    availability: 'recovers from a failed virtual server and from the failure of a whole availability zone',
  },
};

/** Which seed row a stack answers to, by its name (the CDK app's Recovery, MultiAz, MultiAzSnapshot, Resilient). */
export function claimFor(stack: string): SeedClaim | undefined {
  if (/resilient/i.test(stack)) return undefined;
  if (/multi|asg|scaling/i.test(stack)) return SEED_CLAIMS.autoscaling;
  if (/recover/i.test(stack)) return SEED_CLAIMS.alarm;
  return undefined;
}
