import { declareErrors } from '../../protocol/errors.js';

/**
 * EC2's errors, declared once (codes and messages as EC2 sends them). Older EC2 code still raises some of these
 * inline; new code raises them by name from here.
 */
export const ec2Errors = declareErrors({
  dryRun: { code: 'DryRunOperation', status: 412, message: () => 'Request would have succeeded, but DryRun flag is set.' },
  notConfiguredForHibernation: {
    code: 'UnsupportedHibernationConfiguration',
    message: (instanceId: string) =>
      `The instance can't be hibernated because it was not configured at launch for hibernation: ${instanceId}`,
  },
  missingParameter: { code: 'MissingParameter', message: (what: string) => `The request must contain the parameter ${what}` },
  invalidParameterValue: { code: 'InvalidParameterValue', message: (message: string) => message },
  invalidParameterCombination: { code: 'InvalidParameterCombination', message: (message: string) => message },
  invalidNextToken: { code: 'InvalidParameterValue', message: (token: string) => `Unable to parse pagination token: ${token}` },
  invalidMaxResults: {
    code: 'InvalidParameterValue',
    message: (max: number, low: number, high: number) =>
      `Value (${max}) for parameter maxResults is invalid. Expecting a value between ${low} and ${high}.`,
  },
  idempotentParameterMismatch: {
    code: 'IdempotentParameterMismatch',
    message: (token: string) => `Client token '${token}' was used before with different parameters.`,
  },
  launchTemplateNameMalformed: {
    code: 'InvalidLaunchTemplateName.MalformedException',
    message: () =>
      'A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.',
  },
  launchTemplateNameInUse: {
    code: 'InvalidLaunchTemplateName.AlreadyExistsException',
    message: () => 'Launch template name already in use.',
  },
  launchTemplateNameNotFound: {
    code: 'InvalidLaunchTemplateName.NotFoundException',
    message: (name: string) => `The specified launch template, with template name ${name}, does not exist.`,
  },
  launchTemplateIdNotFound: {
    code: 'InvalidLaunchTemplateId.NotFound',
    message: (id: string) => `The specified launch template, with template ID ${id}, does not exist.`,
  },
  launchTemplateIdMalformed: {
    code: 'InvalidLaunchTemplateId.Malformed',
    message: (id: string) => `The specified ID for the launch template, ${id}, is malformed.`,
  },
  launchTemplateVersionNotFound: {
    code: 'InvalidLaunchTemplateId.VersionNotFound',
    message: (version: string, id: string) => `Could not find the specified version ${version} for the launch template with ID ${id}.`,
  },
  launchTemplateVersionMalformed: {
    code: 'InvalidLaunchTemplateId.VersionNotFound',
    message: (version: string) => `The version '${version}' is not valid: give a version number, $Latest or $Default.`,
  },
  launchTemplateNameOrId: {
    code: 'MissingParameter',
    message: () => 'The request must include either the launch template ID or the launch template name, but not both.',
  },
  launchTemplateVersionLimit: {
    code: 'VersionLimitExceeded',
    message: (id: string, limit: number) => `The launch template ${id} already has the maximum of ${limit} versions.`,
  },
});
