import { iamErrors } from './errors.js';
import { paginate as pageOf, withoutPaging } from '../../protocol/paginate.js';

export interface PageInput {
  Marker?: string;
  MaxItems?: number;
}

/**
 * IAM's Marker / MaxItems pagination over the one paginator (default page 100; the model bounds MaxItems to
 * 1..1000); `input` is the whole request, so a marker only continues the listing it came from.
 */
export function paginate<T>(items: T[], input: PageInput): { page: T[]; IsTruncated: boolean; Marker?: string } {
  const { items: page, next } = pageOf(items, {
    token: input.Marker,
    max: input.MaxItems,
    defaultMax: 100,
    limit: 1000,
    bind: withoutPaging(input, 'Marker', 'MaxItems'),
    badToken: () => iamErrors.invalidMarker(),
  });
  return { page, IsTruncated: next !== undefined, Marker: next };
}
