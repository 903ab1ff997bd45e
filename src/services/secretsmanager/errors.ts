import { declareErrors } from '../../protocol/errors.js';

/** Secrets Manager's errors, in AWS's words. */
export const errors = declareErrors({
  secretNotFound: { code: 'ResourceNotFoundException', message: () => "Secrets Manager can't find the specified secret." },
  versionNotFound: {
    code: 'ResourceNotFoundException',
    message: (by: 'VersionId' | 'staging label', value: string) =>
      `Secrets Manager can't find the specified secret value for ${by}: ${value}`,
  },
  markedForDeletion: {
    code: 'InvalidRequestException',
    message: () => "You can't perform this operation on the secret because it was marked for deletion.",
  },
  nameScheduledForDeletion: {
    code: 'InvalidRequestException',
    message: () => "You can't create this secret because a secret with this name is already scheduled for deletion.",
  },
  noValue: { code: 'InvalidRequestException', message: () => 'You must provide either SecretString or SecretBinary.' },
  secretExists: {
    code: 'ResourceExistsException',
    message: (name: string) => `The operation failed because the secret ${name} already exists.`,
  },
  versionExists: {
    code: 'ResourceExistsException',
    message: () => "You can't modify an existing version, you can only create a new version.",
  },
  bothValues: {
    code: 'InvalidParameterException',
    message: () => "You can't specify both a binary secret value and a string secret value in the same secret.",
  },
  invalidName: {
    code: 'InvalidParameterException',
    message: () => 'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
  },
  forceWithWindow: {
    code: 'InvalidParameterException',
    message: () => "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
  },
  recoveryWindow: {
    code: 'InvalidParameterException',
    message: () => 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).',
  },
  passwordTooShort: { code: 'InvalidParameterException', message: () => 'Password length is too short based on the required types.' },
  noCharacters: {
    code: 'InvalidParameterException',
    message: () => "The password can't be generated: every character was excluded by the Exclude* options and ExcludeCharacters.",
  },
  badNextToken: { code: 'InvalidNextTokenException', message: () => 'The NextToken value is invalid.' },
  malformedPolicy: { code: 'MalformedPolicyDocumentException', message: (why: string) => `The resource policy is not valid: ${why}` },
  publicPolicy: {
    code: 'PublicPolicyException',
    message: () => 'The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.',
  },
  validation: {
    code: 'ValidationException',
    message: (value: unknown, member: string, constraint: string) =>
      `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
  },
});
