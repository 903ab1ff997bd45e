import type { OperationsTable, ServiceFactory } from '../types.js';
import type { CloudformationOperations } from './generated/types.js';
import './cfn/wait-condition.js';
import { waitConditionRoute } from './cfn/wait-condition-handle.js';
import { drain } from './engine/queue.js';
import { recoverInterruptedStacks } from './engine/recover.js';
import {
  describeStackEvents,
  describeStackResource,
  describeStackResources,
  describeStacks,
  getTemplate,
  listExports,
  listImports,
  listStackResources,
  listStacks,
} from './operations/describe.js';
import { createChangeSet, deleteChangeSet, describeChangeSet, executeChangeSet, listChangeSets } from './operations/change-sets.js';
import { signalResource } from './operations/signal.js';
import { createStack, deleteStack, updateStack, validateTemplateOp } from './operations/stacks.js';

export const cloudformationService: ServiceFactory = (cloud) => {
  recoverInterruptedStacks(cloud);
  cloud.onShutdown(() => drain(cloud));
  return {
    signingName: 'cloudformation',
    modelId: 'cloudformation-2010-05-15',
    httpRoutes: [waitConditionRoute(cloud)],
    operations: {
      CreateStack: createStack,
      UpdateStack: updateStack,
      DeleteStack: deleteStack,
      DescribeStacks: describeStacks,
      ListStacks: listStacks,
      DescribeStackEvents: describeStackEvents,
      DescribeStackResource: describeStackResource,
      DescribeStackResources: describeStackResources,
      ListStackResources: listStackResources,
      GetTemplate: getTemplate,
      ValidateTemplate: validateTemplateOp,
      ListExports: listExports,
      ListImports: listImports,
      CreateChangeSet: createChangeSet,
      DescribeChangeSet: describeChangeSet,
      ExecuteChangeSet: executeChangeSet,
      DeleteChangeSet: deleteChangeSet,
      ListChangeSets: listChangeSets,
      SignalResource: signalResource,
    } satisfies OperationsTable<CloudformationOperations>,
  };
};
