import type { OperationsTable, ServiceFactory } from '../types.js';
import type { HealthOperations } from './generated/types.js';
import { describeAffectedEntities, describeEventDetails, describeEvents, describeEventTypes } from './operations.js';

/** AWS Health (JSON 1.1, X-Amz-Target `AWSHealth_20160804.<Operation>`): one global endpoint for the account's events. */
export const healthService: ServiceFactory = () => ({
  signingName: 'health',
  modelId: 'health-2016-08-04',
  jsonTargetPrefix: 'AWSHealth_20160804',
  global: true,
  operations: {
    DescribeEvents: describeEvents,
    DescribeEventDetails: describeEventDetails,
    DescribeAffectedEntities: describeAffectedEntities,
    DescribeEventTypes: describeEventTypes,
  } satisfies OperationsTable<HealthOperations>,
});
