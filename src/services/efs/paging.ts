import { paginate, withoutPaging } from '../../protocol/paginate.js';
import { efsErrors } from './errors.js';

/**
 * EFS's two paginations over the one paginator, 100 a page unless asked and at most 100: the first API's
 * Marker / MaxItems (DescribeFileSystems, DescribeTags) and the newer NextToken / MaxResults (DescribeAccessPoints,
 * ListTagsForResource). A token is bound to the request's other parameters.
 */
export function markerPage<T>(items: T[], input: { Marker?: string; MaxItems?: number }): { items: T[]; next: string | undefined } {
  return paginate(items, {
    token: input.Marker,
    max: input.MaxItems,
    defaultMax: 100,
    limit: 100,
    bind: withoutPaging(input, 'Marker', 'MaxItems'),
    badToken: () => efsErrors.badRequest('The Marker is not valid.'),
    badSize: () => efsErrors.badRequest('MaxItems must be between 1 and 100.'),
  });
}

export function nextTokenPage<T>(items: T[], input: { NextToken?: string; MaxResults?: number }): { items: T[]; next: string | undefined } {
  return paginate(items, {
    token: input.NextToken,
    max: input.MaxResults,
    defaultMax: 100,
    limit: 100,
    bind: withoutPaging(input, 'NextToken', 'MaxResults'),
    badToken: () => efsErrors.badRequest('The NextToken is not valid.'),
    badSize: () => efsErrors.badRequest('MaxResults must be between 1 and 100.'),
  });
}
