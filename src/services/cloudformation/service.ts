import type { ServiceFactory } from '../types.js';

export const cloudformationService: ServiceFactory = () => ({
  signingName: 'cloudformation',
  modelId: 'cloudformation-2010-05-15',
  operations: {},
});
