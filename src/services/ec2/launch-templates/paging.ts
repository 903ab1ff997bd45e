import { paginate, withoutPaging, type Page } from '../../../protocol/paginate.js';
import { ec2Errors } from '../errors.js';

/**
 * One page of a launch-template listing through the shared paginator: MaxResults 1..200 as EC2 accepts it, every
 * item when no MaxResults is given, tokens bound to the request's other parameters.
 */
export function pageOf<T>(all: readonly T[], input: { MaxResults?: number; NextToken?: string }): Page<T> {
  const max = input.MaxResults;
  if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 200)) throw ec2Errors.invalidMaxResults(max, 1, 200);
  return paginate(all, {
    token: input.NextToken,
    max,
    defaultMax: Math.max(all.length, 1),
    bind: withoutPaging(input, 'NextToken', 'MaxResults'),
    badToken: (token) => ec2Errors.invalidNextToken(token),
  });
}
