import { ssmErrors } from './errors.js';
import { paginate, withoutPaging } from '../../protocol/paginate.js';

/**
 * SSM's MaxResults / NextToken pagination over the one paginator (the model bounds MaxResults per operation);
 * `input` is the whole request, so a token only continues the listing it came from.
 */
export function page<T>(items: T[], input: { MaxResults?: number; NextToken?: string }, limit: number): { items: T[]; NextToken?: string } {
  const { items: slice, next } = paginate(items, {
    token: input.NextToken,
    max: input.MaxResults,
    defaultMax: limit,
    limit,
    bind: withoutPaging(input, 'MaxResults', 'NextToken'),
    badToken: () => ssmErrors.invalidNextToken(),
  });
  return { items: slice, NextToken: next };
}
