import { declareErrors } from '../../protocol/errors.js';

/** Systems Manager's (Parameter Store's) errors, in AWS's words. */
export const ssmErrors = declareErrors({
  /** ValidationException's message varies per check; callers give AWS's words. */
  validation: { code: 'ValidationException', message: (message: string) => message },
  hierarchyTooDeep: {
    code: 'HierarchyLevelLimitExceededException',
    message: (maxDepth: number) => `A hierarchy can have a maximum of ${maxDepth} levels.`,
  },
  invalidNextToken: { code: 'InvalidNextToken', message: () => "The specified token isn't valid." },
  unsupportedResourceType: {
    code: 'InvalidResourceType',
    message: (type: string) => `The resource type ${type} is not supported by this cloud.`,
  },
  invalidResourceId: {
    code: 'InvalidResourceId',
    message: () => 'The resource ID is not valid. Verify that you entered the correct ID and try again.',
  },
  tooManyTags: {
    code: 'TooManyTagsError',
    message: () => 'The Targets parameter includes too many tags. Remove one or more tags and try the command again.',
  },
  /** AWS sends ParameterNotFound with an empty message. */
  parameterNotFound: { code: 'ParameterNotFound', message: () => '' },
  patternMismatch: {
    code: 'ParameterPatternMismatchException',
    message: (pattern: string) => `Parameter value, cannot be validated against allowedPattern: ${pattern}`,
  },
  parameterAlreadyExists: {
    code: 'ParameterAlreadyExists',
    message: () => 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
  },
  oldestVersionLabelled: {
    code: 'ParameterMaxVersionLimitExceeded',
    message: (name: string, oldest: number) =>
      `You attempted to create a new version of ${name} by calling the PutParameter API with the overwrite flag. Version ${oldest}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.`,
  },
  versionNotFound: {
    code: 'ParameterVersionNotFound',
    message: (version: string | number | undefined, name: string) =>
      `Systems Manager could not find version ${String(version)} of ${name}. Verify the version and try again.`,
  },
  labelLimitExceeded: {
    code: 'ParameterVersionLabelLimitExceeded',
    message: (version: number, name: string, max: number) =>
      `An error occurred when attaching the labels to version ${version} of ${name}. A parameter version can have a maximum of ${max} labels.`,
  },
});
