import type { OperationsTable, ServiceFactory } from '../types.js';
import type { SecretsmanagerOperations } from './generated/types.js';
import { secretArns } from './authorization.js';
import { getRandomPassword } from './password.js';
import { deleteResourcePolicy, getResourcePolicy, putResourcePolicy, secretResourcePolicy, validateResourcePolicy } from './policy.js';
import { listSecrets } from './listing.js';
import { createSecret, deleteSecret, describeSecret, restoreSecret, tagResource, untagResource, updateSecret } from './secrets.js';
import { getSecretValue, listSecretVersionIds, putSecretValue } from './versions.js';
import './cfn/ResourcePolicy.js';
import './cfn/Secret.js';

/** AWS Secrets Manager (JSON 1.1, X-Amz-Target `secretsmanager.<Operation>`). */
export const secretsmanagerService: ServiceFactory = () => ({
  signingName: 'secretsmanager',
  modelId: 'secretsmanager-2017-10-17',
  jsonTargetPrefix: 'secretsmanager',
  resourceArns: secretArns,
  resourcePolicy: secretResourcePolicy,
  operations: {
    CreateSecret: createSecret,
    GetSecretValue: getSecretValue,
    PutSecretValue: putSecretValue,
    UpdateSecret: updateSecret,
    DescribeSecret: describeSecret,
    ListSecrets: listSecrets,
    ListSecretVersionIds: listSecretVersionIds,
    DeleteSecret: deleteSecret,
    RestoreSecret: restoreSecret,
    GetRandomPassword: getRandomPassword,
    TagResource: tagResource,
    UntagResource: untagResource,
    GetResourcePolicy: getResourcePolicy,
    PutResourcePolicy: putResourcePolicy,
    DeleteResourcePolicy: deleteResourcePolicy,
    ValidateResourcePolicy: validateResourcePolicy,
  } satisfies OperationsTable<SecretsmanagerOperations>,
});
