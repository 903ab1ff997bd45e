import { declareErrors } from '../../protocol/errors.js';

/** SNS's errors, in AWS's words. */
export const snsErrors = declareErrors({
  /** AWS names the parameter and why after "Invalid parameter: ", in words that vary per check. */
  invalidParameter: { code: 'InvalidParameter', message: (detail: string) => `Invalid parameter: ${detail}` },
  topicNotFound: { code: 'NotFound', status: 404, message: () => 'Topic does not exist' },
  subscriptionNotFound: { code: 'NotFound', status: 404, message: () => 'Subscription does not exist' },
});
