import type { ServiceFactory } from '../types.js';

/** CloudWatch speaks awsQuery (aws CLI 2.9) and JSON 1.0 (AWS SDK v3) from the same model. */
export const cloudwatchService: ServiceFactory = () => ({
  signingName: 'monitoring',
  modelId: 'monitoring-2010-08-01',
  jsonTargetPrefix: 'GraniteServiceVersion20100801',
  operations: {},
});
