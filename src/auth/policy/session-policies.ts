import type { Principal } from '../credentials.js';
import type { PolicyDocument } from './document.js';

/**
 * Session policies passed to AssumeRole (the Policy parameter and PolicyArns, resolved to documents when the
 * session begins). They ride along on the session's principal, which the credential store keeps as JSON.
 */
export type SessionPrincipal = Principal & { sessionPolicies?: PolicyDocument[] };

export const sessionPoliciesOf = (principal: Principal): PolicyDocument[] | undefined => (principal as SessionPrincipal).sessionPolicies;
