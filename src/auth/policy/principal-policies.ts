import type { Cloud } from '../../cloud.js';
import { liveKey } from '../../store/live.js';
import type { Principal } from '../credentials.js';
import type { PolicyDocument } from './document.js';

/** What policy evaluation weighs for a principal. */
export interface PrincipalPolicies {
  /** Its identity-based policies (for an assumed role: the role's inline and attached managed policies). */
  policies: PolicyDocument[];
  /** The permissions boundary that caps what those policies allow. */
  boundary?: PolicyDocument;
  /** Its tags, for `aws:PrincipalTag/<key>`. */
  tags: Array<{ Key: string; Value: string }>;
}

/**
 * Where policy evaluation gets the policies of principals. IAM implements it and registers it with each cloud it
 * serves (registerPolicySource), so evaluation never reads IAM's records itself.
 */
export interface PolicySource {
  /** The principal's policies; undefined when it has none (its role was deleted: everything is denied). */
  forPrincipal(principal: Principal): PrincipalPolicies | undefined;
}

const SOURCE = liveKey('auth.policySource', () => ({ source: undefined as PolicySource | undefined }));

export function registerPolicySource(cloud: Cloud, source: PolicySource): void {
  cloud.live.get(SOURCE).source = source;
}

/** A principal's policies, boundary and tags; a cloud without IAM knows none (a non-admin is denied everything). */
export function principalPolicies(cloud: Cloud, principal: Principal): PrincipalPolicies | undefined {
  return cloud.live.get(SOURCE).source?.forPrincipal(principal);
}

/** The identity-based policies of a principal (none for a session whose role is gone). */
export function policiesForPrincipal(cloud: Cloud, principal: Principal): PolicyDocument[] {
  return principalPolicies(cloud, principal)?.policies ?? [];
}
