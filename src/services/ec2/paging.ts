import { ec2Errors } from './errors.js';
import { paginate, withoutPaging } from '../../protocol/paginate.js';

export interface Ec2PageInput {
  MaxResults?: number;
  NextToken?: string;
}

/**
 * EC2's MaxResults / NextToken pagination over the one paginator. Without MaxResults EC2 answers everything in
 * one page; with it, 5..1000 per page, and never together with a list of ids (`idsParam`). A token is bound to the
 * request's other parameters; one EC2 did not issue for it is InvalidPaginationToken (EC2's error code list).
 */
export function ec2Page<T>(items: T[], input: Ec2PageInput, idsParam?: string): { items: T[]; NextToken?: string } {
  if (input.MaxResults === undefined && input.NextToken === undefined) return { items };
  const ids = idsParam ? (input as Record<string, unknown>)[idsParam] : undefined;
  if (input.MaxResults !== undefined && Array.isArray(ids) && ids.length) {
    throw ec2Errors.idsWithMaxResults(String(idsParam));
  }
  if (input.MaxResults !== undefined && input.MaxResults < 5) throw tooSmall(input.MaxResults);
  const { items: page, next } = paginate(items, {
    token: input.NextToken,
    max: input.MaxResults,
    defaultMax: 1000,
    limit: 1000,
    bind: withoutPaging(input, 'MaxResults', 'NextToken'),
    badToken: () => ec2Errors.invalidPaginationToken(),
    badSize: (max) => ec2Errors.maxResultsTooLarge(max),
  });
  return { items: page, NextToken: next };
}

/** EC2's floor of 5 per page holds for every Describe, though some models (DescribeInstances) do not say so. */
const tooSmall = (max: number) => ec2Errors.maxResultsTooSmall(max);
