import { paginate, withoutPaging } from '../../protocol/paginate.js';
import { efsErrors } from './errors.js';

/**
 * EFS's two paginations over the one paginator, at most 100 a page: the first API's Marker / MaxItems
 * (DescribeFileSystems, DescribeMountTargets, DescribeTags) and the newer NextToken / MaxResults (DescribeAccessPoints,
 * ListTagsForResource). A token is bound to the request's other parameters.
 */
function efsPage<T, I extends object>(items: T[], input: I, tokenName: keyof I & string, sizeName: keyof I & string, defaultMax: number) {
  return paginate(items, {
    token: input[tokenName] as string | undefined,
    max: input[sizeName] as number | undefined,
    defaultMax,
    limit: 100,
    bind: withoutPaging(input, tokenName, sizeName),
    badToken: () => efsErrors.badRequest(`The ${tokenName} is not valid.`),
    badSize: () => efsErrors.badRequest(`${sizeName} must be between 1 and 100.`),
  });
}

/** Marker / MaxItems pages: 100 unless asked (DescribeMountTargets: 10). */
export function markerPage<T>(
  items: T[],
  input: { Marker?: string; MaxItems?: number },
  defaultMax = 100,
): { items: T[]; next: string | undefined } {
  return efsPage(items, input, 'Marker', 'MaxItems', defaultMax);
}

export function nextTokenPage<T>(items: T[], input: { NextToken?: string; MaxResults?: number }): { items: T[]; next: string | undefined } {
  return efsPage(items, input, 'NextToken', 'MaxResults', 100);
}
