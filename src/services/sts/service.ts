import { registerInstanceCredentials } from '../../auth/instance-credentials.js';
import type { OperationsTable, ServiceFactory } from '../types.js';
import type { StsOperations } from './generated/types.js';
import { assumeRole } from './assume-role.js';
import { instanceRoleCredentials } from './instance-credentials.js';
import { getSessionToken } from './session-token.js';

export { instanceRoleCredentials, type InstanceRoleCredentials } from './instance-credentials.js';

export const stsService: ServiceFactory = (cloud) => {
  // The metadata service's role credentials (EC2 asks through auth/instance-credentials.ts).
  registerInstanceCredentials(cloud, (profile, instanceId) => instanceRoleCredentials(cloud, profile, instanceId));
  return {
    signingName: 'sts',
    modelId: 'sts-2011-06-15',
    global: true,
    operations: {
      GetCallerIdentity: (_input, ctx) => ({ UserId: ctx.principal.userId, Account: ctx.principal.accountId, Arn: ctx.principal.arn }),
      AssumeRole: assumeRole,
      GetSessionToken: getSessionToken,
    } satisfies OperationsTable<StsOperations>,
  };
};
