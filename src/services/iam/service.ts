import type { ServiceFactory } from '../types.js';

export const iamService: ServiceFactory = () => ({
  signingName: 'iam',
  modelId: 'iam-2010-05-08',
  global: true,
  operations: {},
});
