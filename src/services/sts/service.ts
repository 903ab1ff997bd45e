import type { ServiceFactory } from '../types.js';
import { assumeRole } from './assume-role.js';
import { getSessionToken } from './session-token.js';

export { instanceRoleCredentials, type InstanceRoleCredentials } from './instance-credentials.js';

export const stsService: ServiceFactory = () => ({
  signingName: 'sts',
  modelId: 'sts-2011-06-15',
  global: true,
  operations: {
    GetCallerIdentity: (_input, ctx) => ({ UserId: ctx.principal.userId, Account: ctx.principal.accountId, Arn: ctx.principal.arn }),
    AssumeRole: assumeRole,
    GetSessionToken: getSessionToken,
  },
});
