import type { ServiceFactory } from '../types.js';

export const stsService: ServiceFactory = () => ({
  signingName: 'sts',
  modelId: 'sts-2011-06-15',
  global: true,
  operations: {
    GetCallerIdentity: (_input, ctx) => ({ UserId: ctx.principal.userId, Account: ctx.principal.accountId, Arn: ctx.principal.arn }),
  },
});
