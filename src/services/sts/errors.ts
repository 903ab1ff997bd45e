import { declareErrors } from '../../protocol/errors.js';

/** STS's errors, in AWS's words. */
export const stsErrors = declareErrors({
  packedPolicyTooLarge: {
    code: 'PackedPolicyTooLarge',
    message: () => 'Packed policy consumes more than 100% of allotted space, please use smaller policy.',
  },
  malformedPolicyDocument: { code: 'MalformedPolicyDocument', message: (why: string) => why },
  policyNotAttachable: {
    code: 'InvalidParameterValue',
    message: (arn: string | undefined) => `Policy ${String(arn)} does not exist or is not attachable.`,
  },
  chainedDurationTooLong: {
    code: 'ValidationError',
    message: () => 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
  },
  durationOverRoleMax: {
    code: 'ValidationError',
    message: () => 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
  },
  sessionTokenFromSession: {
    code: 'AccessDenied',
    status: 403,
    message: () => 'Cannot call GetSessionToken with session credentials',
  },
  durationOutOfRange: {
    code: 'ValidationError',
    message: (duration: number, min: number, max: number) =>
      `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between ${min} and ${max}`,
  },
  instanceProfileNotFound: {
    code: 'NoSuchEntity',
    status: 404,
    message: (nameOrArn: string) => `Instance Profile ${nameOrArn} cannot be found.`,
  },
  instanceProfileWithoutRole: {
    code: 'NoSuchEntity',
    status: 404,
    message: (profileName: string) => `Instance Profile ${profileName} has no role.`,
  },
  roleDoesNotTrustEc2: {
    code: 'AccessDenied',
    status: 403,
    message: (roleArn: string) => `The role ${roleArn} does not trust ec2.amazonaws.com to assume it.`,
  },
});
