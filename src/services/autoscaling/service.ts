import type { ServiceFactory } from '../types.js';

export const autoscalingService: ServiceFactory = () => ({
  signingName: 'autoscaling',
  modelId: 'autoscaling-2011-01-01',
  operations: {},
});
