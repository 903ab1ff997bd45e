import { paginate, withoutPaging } from '../../protocol/paginate.js';
import { errors } from './errors.js';

export interface AutoScalingPageInput {
  MaxRecords?: number;
  NextToken?: string;
}

/**
 * Auto Scaling's MaxRecords / NextToken pagination over the one paginator: 50 a page unless asked, at most `limit`
 * (100 for most Describe calls, 50 for DescribeWarmPool); a token is bound to the request's other parameters.
 */
export function autoScalingPage<T>(items: T[], input: AutoScalingPageInput, limit = 100): { items: T[]; next: string | undefined } {
  return paginate(items, {
    token: input.NextToken,
    max: input.MaxRecords,
    defaultMax: 50,
    limit,
    bind: withoutPaging(input, 'NextToken', 'MaxRecords'),
    badToken: () => errors.invalidNextToken(),
    badSize: (n) => errors.validation(`MaxRecords must be between 1 and ${limit}, got ${n}.`),
  });
}
