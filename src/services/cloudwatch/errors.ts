import { declareErrors } from '../../protocol/errors.js';

/**
 * CloudWatch's errors, in AWS's words. Its parameter checks answer with a handful of codes whose message names
 * the parameter and the rule broken, so those take the message; the rest are worded here.
 */
export const cloudwatchErrors = declareErrors({
  invalidParameterValue: { code: 'InvalidParameterValue', message: (message: string) => message },
  invalidParameterCombination: { code: 'InvalidParameterCombination', message: (message: string) => message },
  /** GetMetricData's checks answer ValidationError. */
  validation: { code: 'ValidationError', message: (message: string) => message },
  limitExceeded: { code: 'LimitExceeded', message: (message: string) => message },
  missingParameter: { code: 'MissingParameter', message: (name: string) => `The parameter ${name} is required.` },
  emptyParameter: { code: 'MissingParameter', message: (name: string) => `The parameter ${name} must not be empty.` },
  missingMetricDataParameter: { code: 'MissingParameter', message: (message: string) => message },
  invalidNextToken: { code: 'InvalidNextToken', message: () => 'The service found that the NextToken is invalid.' },
  invalidPeriod: { code: 'ValidationError', message: () => 'Period must be 10, 20, 30 or a multiple of 60.' },
  alarmNotFound: { code: 'ResourceNotFound', status: 404, message: (name: string) => `Alarm ${name} not found` },
  alarmsNotFound: {
    code: 'ResourceNotFound',
    status: 404,
    message: (names: string[]) => `${names.length === 1 ? 'Alarm' : 'Alarms'} ${names.join(', ')} not found`,
  },
  invalidStateReasonData: { code: 'InvalidFormat', message: () => 'StateReasonData is not valid JSON.' },
  /** The tagging API (TagResource, UntagResource, ListTagsForResource) uses the -Exception codes. */
  taggedAlarmNotFound: { code: 'ResourceNotFoundException', status: 404, message: (name: string) => `Alarm ${name} not found` },
  tooManyAlarmTags: { code: 'LimitExceededException', message: () => 'An alarm can have at most 50 tags.' },
  alarmRuleInvalid: { code: 'InvalidParameterValue', message: (detail: string) => `AlarmRule is invalid: ${detail}` },
  expressionError: { code: 'ValidationError', message: (expr: string, detail: string) => `Error in expression '${expr}': ${detail}` },
});
