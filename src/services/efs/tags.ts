import { paginate, withoutPaging } from '../../protocol/paginate.js';
import type { RequestContext } from '../types.js';
import { efsErrors } from './errors.js';
import { accessPoints, fileSystems, type Tag } from './state.js';

const MAX_TAGS = 50;

export function checkTags(tags: Tag[]): void {
  if (tags.length > MAX_TAGS) throw efsErrors.badRequest(`A resource can have at most ${MAX_TAGS} tags.`);
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > 128) throw efsErrors.badRequest(`Tag key '${t.Key}' must be 1 to 128 characters long.`);
    if (t.Value.length > 256) throw efsErrors.badRequest(`The value of tag '${t.Key}' must be at most 256 characters long.`);
    if (t.Key.toLowerCase().startsWith('aws:')) throw efsErrors.badRequest(`Tag key '${t.Key}' uses the reserved prefix aws:.`);
  }
}

/** The tags of a file system (fs-) or access point (fsap-), and how to write them back. */
function taggable(ctx: RequestContext, id: string): { tags: Tag[]; save(tags: Tag[]): void } {
  if (id.startsWith('fsap-')) {
    const ap = accessPoints(ctx.cloud).get(ctx.region, id);
    if (!ap) throw efsErrors.accessPointNotFound(id);
    return { tags: ap.Tags, save: (tags) => accessPoints(ctx.cloud).put(ctx.region, id, { ...ap, Tags: tags }) };
  }
  const fs = fileSystems(ctx.cloud).get(ctx.region, id);
  if (!fs) throw efsErrors.fileSystemNotFound(id);
  return { tags: fs.Tags, save: (tags) => fileSystems(ctx.cloud).put(ctx.region, id, { ...fs, Tags: tags }) };
}

function merge(current: Tag[], added: Tag[]): Tag[] {
  const byKey = new Map(current.map((t) => [t.Key, t.Value]));
  for (const t of added) byKey.set(t.Key, t.Value);
  return [...byKey].map(([Key, Value]) => ({ Key, Value }));
}

export function tagResource(input: { ResourceId: string; Tags: Tag[] }, ctx: RequestContext) {
  const r = taggable(ctx, input.ResourceId);
  const tags = merge(r.tags, input.Tags);
  checkTags(tags);
  r.save(tags);
  return {};
}

export function untagResource(input: { ResourceId: string; TagKeys: string[] }, ctx: RequestContext) {
  const r = taggable(ctx, input.ResourceId);
  r.save(r.tags.filter((t) => !input.TagKeys.includes(t.Key)));
  return {};
}

export function listTagsForResource(input: { ResourceId: string; MaxResults?: number; NextToken?: string }, ctx: RequestContext) {
  const page = paginate(taggable(ctx, input.ResourceId).tags, {
    token: input.NextToken,
    max: input.MaxResults,
    defaultMax: 100,
    limit: 100,
    bind: withoutPaging(input, 'NextToken', 'MaxResults'),
    badToken: () => efsErrors.badRequest('The NextToken is not valid.'),
    badSize: () => efsErrors.badRequest('MaxResults must be between 1 and 100.'),
  });
  return { Tags: page.items, NextToken: page.next };
}

/** The file-system-only tag operations of the first EFS API (CreateTags, DeleteTags, DescribeTags). */
export const createTags = (input: { FileSystemId: string; Tags: Tag[] }, ctx: RequestContext) =>
  tagResource({ ResourceId: input.FileSystemId, Tags: input.Tags }, ctx);
export const deleteTags = (input: { FileSystemId: string; TagKeys: string[] }, ctx: RequestContext) =>
  untagResource({ ResourceId: input.FileSystemId, TagKeys: input.TagKeys }, ctx);

export function describeTags(input: { FileSystemId: string; MaxItems?: number; Marker?: string }, ctx: RequestContext) {
  const fs = fileSystems(ctx.cloud).get(ctx.region, input.FileSystemId);
  if (!fs) throw efsErrors.fileSystemNotFound(input.FileSystemId);
  const page = paginate(fs.Tags, {
    token: input.Marker,
    max: input.MaxItems,
    defaultMax: 100,
    limit: 100,
    bind: withoutPaging(input, 'Marker', 'MaxItems'),
    badToken: () => efsErrors.badRequest('The Marker is not valid.'),
    badSize: () => efsErrors.badRequest('MaxItems must be between 1 and 100.'),
  });
  return { Marker: input.Marker, Tags: page.items, NextMarker: page.next };
}
