import type { Cloud } from '../cloud.js';
import type { Principal } from './credentials.js';

/**
 * What is known of a request once it is authenticated: who asks (the principal, of which account), what (service
 * and operation), where (region), in which cloud. Authorization judges it; operations receive it (the services'
 * RequestContext is this type).
 */
export interface RequestContext {
  requestId: string;
  region: string;
  accountId: string;
  principal: Principal;
  service: string;
  operation: string;
  cloud: Cloud;
}
