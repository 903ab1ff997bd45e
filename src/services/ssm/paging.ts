import { AwsError } from '../../protocol/errors.js';
import { validation } from './names.js';

/** SSM's MaxResults / NextToken pagination. */
export function page<T>(items: T[], input: { MaxResults?: number; NextToken?: string }, limit: number): { items: T[]; NextToken?: string } {
  const max = input.MaxResults ?? limit;
  if (max < 1 || max > limit) {
    throw validation(`1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${limit}`);
  }
  let start = 0;
  if (input.NextToken !== undefined) {
    start = Number.parseInt(Buffer.from(input.NextToken, 'base64url').toString('utf8'), 10);
    if (!Number.isInteger(start) || start < 0) throw new AwsError('InvalidNextToken', 'The specified token isn\'t valid.');
  }
  const slice = items.slice(start, start + max);
  return { items: slice, NextToken: start + max < items.length ? Buffer.from(String(start + max)).toString('base64url') : undefined };
}
