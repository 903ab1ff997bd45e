import type { OperationsTable, ServiceFactory } from '../types.js';
import type { SsmOperations } from './generated/types.js';
// Registers the AWS::SSM::Parameter CloudFormation provider.
import './cfn.js';
import * as params from './parameters.js';
import { describeParameters, getParametersByPath } from './queries.js';
import { addTagsToResource, listTagsForResource, removeTagsFromResource } from './tags.js';

/** SSM Parameter Store (JSON 1.1, X-Amz-Target `AmazonSSM.<Operation>`). */
export const ssmService: ServiceFactory = () => ({
  signingName: 'ssm',
  modelId: 'ssm-2014-11-06',
  jsonTargetPrefix: 'AmazonSSM',
  operations: {
    PutParameter: params.putParameter,
    GetParameter: params.getParameter,
    GetParameters: params.getParameters,
    DeleteParameter: params.deleteParameter,
    DeleteParameters: params.deleteParameters,
    GetParameterHistory: params.getParameterHistory,
    LabelParameterVersion: params.labelParameterVersion,
    UnlabelParameterVersion: params.unlabelParameterVersion,
    GetParametersByPath: getParametersByPath,
    DescribeParameters: describeParameters,
    AddTagsToResource: addTagsToResource,
    RemoveTagsFromResource: removeTagsFromResource,
    ListTagsForResource: listTagsForResource,
  } satisfies OperationsTable<SsmOperations>,
});
