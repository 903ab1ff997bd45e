import { declareErrors } from '../../protocol/errors.js';

/** AWS Health's errors, in AWS's words. */
export const healthErrors = declareErrors({
  unsupportedLocale: { code: 'UnsupportedLocale', message: (locale: string) => `The specified locale (${locale}) is not supported.` },
  invalidPaginationToken: { code: 'InvalidPaginationToken', message: () => 'The specified pagination token is not valid.' },
  eventArnsLength: {
    code: 'ValidationException',
    message: (member: 'eventArns' | 'filter.eventArns') =>
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length between 1 and 10`,
  },
});
