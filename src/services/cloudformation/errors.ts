import { declareErrors } from '../../protocol/errors.js';

/**
 * CloudFormation's errors, in AWS's words. Most of its checks answer ValidationError with a message that varies per
 * check (`validation`); the template's own problems are "Template format error: ..." and "Template error: ...".
 */
export const cfnErrors = declareErrors({
  validation: { code: 'ValidationError', message: (message: string) => message },
  templateFormat: { code: 'ValidationError', message: (detail: string) => `Template format error: ${detail}` },
  templateError: { code: 'ValidationError', message: (detail: string) => `Template error: ${detail}` },
  invalidNextToken: { code: 'ValidationError', message: () => 'Invalid NextToken value.' },
  unresolvedDependency: {
    code: 'ValidationError',
    message: (id: string) => `Template format error: Unresolved resource dependencies [${id}] in the Resources block of the template`,
  },
  circularDependency: {
    code: 'ValidationError',
    message: (ids: string[]) => `Circular dependency between resources: [${ids.join(', ')}]`,
  },
  stackNotFound: { code: 'ValidationError', message: (nameOrId: string) => `Stack with id ${nameOrId} does not exist` },
  stackForResourceNotFound: {
    code: 'ValidationError',
    message: (physicalId: string) => `Stack for ${physicalId} does not exist`,
  },
  resourceNotFound: {
    code: 'ValidationError',
    message: (logicalId: string, stackName: string) => `Resource ${logicalId} does not exist for stack ${stackName}`,
  },
  exportNotFound: { code: 'ValidationError', message: (name: string) => `No export named ${name} found.` },
  exportNotImported: { code: 'ValidationError', message: (name: string) => `Export '${name}' is not imported by any stack.` },
  stackExists: { code: 'AlreadyExistsException', message: (name: string) => `Stack [${name}] already exists` },
  stackExistsForChangeSet: {
    code: 'AlreadyExistsException',
    message: (stackName: string, changeSetName: string) =>
      `Stack [${stackName}] already exists and cannot be created again with the changeSet [${changeSetName}].`,
  },
  changeSetExists: { code: 'AlreadyExistsException', message: (name: string) => `ChangeSet [${name}] already exists` },
  changeSetNotFound: { code: 'ChangeSetNotFound', status: 404, message: (name: string) => `ChangeSet [${name}] does not exist` },
  invalidChangeSetStatus: {
    code: 'InvalidChangeSetStatus',
    message: (id: string, status: string) => `ChangeSet [${id}] cannot be executed in its current status of [${status}]`,
  },
  insufficientCapabilities: {
    code: 'InsufficientCapabilitiesException',
    message: (capability: 'CAPABILITY_IAM' | 'CAPABILITY_NAMED_IAM') => `Requires capabilities : [${capability}]`,
  },
  /** AWS's answer for a TemplateURL it does not read (anything but an S3 URL). */
  templateUrlUnsupported: { code: 'ValidationError', message: () => 'TemplateURL must be a supported URL.' },
  /** AWS's answer for a TemplateURL it cannot read, whatever the reason (so it tells nothing of what exists). */
  templateUrlUnreadable: {
    code: 'ValidationError',
    message: () => 'TemplateURL must reference a valid S3 object to which you have access.',
  },
  templateTooLarge: { code: 'ValidationError', message: (max: number) => `Template may not exceed ${max} bytes in size.` },
  /** Dynamic references ({{resolve:...}}). */
  unsupportedDynamicReference: {
    code: 'ValidationError',
    message: (service: string) => `halo does not support {{resolve:${service}:...}} dynamic references yet; only ssm and secretsmanager.`,
  },
  badSsmReference: {
    code: 'ValidationError',
    message: (ref: string) => `Incorrect format is used in the following SSM reference: [{{resolve:ssm:${ref}}}]`,
  },
  secureSsmReference: {
    code: 'ValidationError',
    message: (ref: string) => `SSM Secure reference is not supported in: [{{resolve:ssm:${ref}}}]`,
  },
  ssmParameterUnavailable: {
    code: 'ValidationError',
    message: (name: string) => `Unable to fetch parameters [${name}] from parameter store for this account.`,
  },
  badSecretReference: {
    code: 'ValidationError',
    message: (whole: string) => `Incorrect format is used in the following Secrets Manager reference: [${whole}]`,
  },
  secretStageAndId: {
    code: 'ValidationError',
    message: (whole: string) =>
      `You can't specify both a version stage and a version id in the following Secrets Manager reference: [${whole}]`,
  },
  secretUnavailable: {
    code: 'ValidationError',
    message: (message: string, code: string, whole: string) => `${message} (Service: AWSSecretsManager; Error Code: ${code}) in ${whole}`,
  },
  binarySecret: {
    code: 'ValidationError',
    message: (whole: string) => `The secret named in ${whole} has no SecretString (a binary secret cannot be resolved)`,
  },
  secretNotJson: { code: 'ValidationError', message: (whole: string) => `Could not parse SecretString JSON for ${whole}` },
  secretJsonKeyMissing: {
    code: 'ValidationError',
    message: (jsonKey: string, whole: string) => `Secrets Manager can't find the specified JSON key ${jsonKey} in ${whole}`,
  },
});
