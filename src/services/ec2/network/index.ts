import type { Handler } from '../../types.js';

/** VPCs, subnets, gateways, route tables, network ACLs, security groups and addresses. */
export const networkOperations: Record<string, Handler> = {};
