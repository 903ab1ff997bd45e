import { declareErrors } from '../../protocol/errors.js';

/** IAM's errors, in AWS's words. */
export const iamErrors = declareErrors({
  /** A failed model constraint, worded as AWS words it. */
  constraint: {
    code: 'ValidationError',
    message: (value: unknown, member: string, constraint: string) =>
      `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
  },
  invalidMarker: { code: 'ValidationError', message: () => 'Invalid Marker.' },
  duplicateTagKeys: {
    code: 'InvalidInput',
    message: () => 'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
  },
  tooManyTags: { code: 'LimitExceeded', status: 409, message: () => 'The number of tags has reached the maximum limit.' },
  quotaExceeded: {
    code: 'LimitExceeded',
    status: 409,
    message: (quota: string, max: number) => `Cannot exceed quota for ${quota}: ${max}`,
  },
  malformedPolicyDocument: { code: 'MalformedPolicyDocument', message: (why: string) => why },
  roleNotFound: { code: 'NoSuchEntity', status: 404, message: (name: string) => `The role with name ${name} cannot be found.` },
  roleExists: { code: 'EntityAlreadyExists', status: 409, message: (name: string) => `Role with name ${name} already exists.` },
  roleInInstanceProfile: {
    code: 'DeleteConflict',
    status: 409,
    message: () => 'Cannot delete entity, must remove roles from instance profile first.',
  },
  roleHasAttachedPolicies: { code: 'DeleteConflict', status: 409, message: () => 'Cannot delete entity, must detach all policies first.' },
  roleHasInlinePolicies: { code: 'DeleteConflict', status: 409, message: () => 'Cannot delete entity, must delete policies first.' },
  noPermissionsBoundary: {
    code: 'NoSuchEntity',
    status: 404,
    message: (roleName: string) => `The role with name ${roleName} does not have a permissions boundary.`,
  },
  boundaryNotAttachable: {
    code: 'NoSuchEntity',
    status: 404,
    message: (arn: string) => `Scope ARN: ${arn} does not exist or is not attachable.`,
  },
  instanceProfileNotFound: { code: 'NoSuchEntity', status: 404, message: (name: string) => `Instance Profile ${name} cannot be found.` },
  instanceProfileExists: {
    code: 'EntityAlreadyExists',
    status: 409,
    message: (name: string) => `Instance Profile ${name} already exists.`,
  },
  policySourceNotFound: { code: 'NoSuchEntity', status: 404, message: (arn: string) => `PolicySourceArn ${arn} cannot be found.` },
  rolePolicyNotFound: {
    code: 'NoSuchEntity',
    status: 404,
    message: (name: string) => `The role policy with name ${name} cannot be found.`,
  },
  inlinePoliciesTooLarge: {
    code: 'LimitExceeded',
    status: 409,
    message: (quota: number, roleName: string) => `Maximum policy size of ${quota} bytes exceeded for role ${roleName}`,
  },
  policyNotFound: { code: 'NoSuchEntity', status: 404, message: (arn: string) => `Policy ${arn} was not found.` },
  policyNotAttachable: {
    code: 'NoSuchEntity',
    status: 404,
    message: (arn: string) => `Policy ${arn} does not exist or is not attachable.`,
  },
  policyVersionNotFound: {
    code: 'NoSuchEntity',
    status: 404,
    message: (arn: string, versionId: string) => `Policy ${arn} version ${versionId} does not exist or is not attachable.`,
  },
  awsManagedPolicy: { code: 'InvalidInput', message: (arn: string) => `${arn} is an AWS managed policy; it cannot be changed.` },
  policyExists: {
    code: 'EntityAlreadyExists',
    status: 409,
    message: (name: string) => `A policy called ${name} already exists. Duplicate names are not allowed.`,
  },
  policyAttached: { code: 'DeleteConflict', status: 409, message: () => 'Cannot delete a policy attached to entities.' },
  policyHasVersions: {
    code: 'DeleteConflict',
    status: 409,
    message: () =>
      "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
  },
  tooManyPolicyVersions: {
    code: 'LimitExceeded',
    status: 409,
    message: (max: number) =>
      `A managed policy can have up to ${max} versions. Before you create a new version, you must delete an existing version.`,
  },
  deleteDefaultVersion: { code: 'DeleteConflict', status: 409, message: () => 'Cannot delete the default version of a policy.' },
});
