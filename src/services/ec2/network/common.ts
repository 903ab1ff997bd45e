import type { AwsError } from '../../../protocol/errors.js';
import type { RequestContext } from '../../types.js';
import type { Tag, TagSpecs as ModelTagSpecs } from '../filters.js';

/** What network helpers need of a request: the cloud and the region (the runtime can build one without a request). */
export type Scope = Pick<RequestContext, 'cloud' | 'region'>;

export type TagSpecifications = ModelTagSpecs | undefined;

/** Describe* outputs of VPCs, subnets, groups and addresses leave out an empty tag set, as EC2 does. */
export const tagsOrNone = (tags: Tag[]) => (tags.length ? tags : undefined);

/** Ids asked for by a Describe call must all exist, else the first missing one is the error. */
export function requireAll<T>(items: T[], ids: string[] | undefined, idOf: (item: T) => string, missing: (id: string) => AwsError): T[] {
  if (!ids?.length) return items;
  for (const id of ids) if (!items.some((i) => idOf(i) === id)) throw missing(id);
  return items.filter((i) => ids.includes(idOf(i)));
}
