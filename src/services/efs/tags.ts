import type { RequestContext } from '../types.js';
import { findAccessPoint } from './access-points.js';
import { efsErrors } from './errors.js';
import { findFileSystem } from './file-systems.js';
import { markerPage, nextTokenPage } from './paging.js';
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
    const ap = findAccessPoint(ctx, id);
    return { tags: ap.Tags, save: (tags) => accessPoints(ctx.cloud).put(ctx.region, id, { ...ap, Tags: tags }) };
  }
  const fs = findFileSystem(ctx, id);
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
  const page = nextTokenPage(taggable(ctx, input.ResourceId).tags, input);
  return { Tags: page.items, NextToken: page.next };
}

/** The file-system-only tag operations of the first EFS API (CreateTags, DeleteTags, DescribeTags). */
export const createTags = (input: { FileSystemId: string; Tags: Tag[] }, ctx: RequestContext) =>
  tagResource({ ResourceId: input.FileSystemId, Tags: input.Tags }, ctx);
export const deleteTags = (input: { FileSystemId: string; TagKeys: string[] }, ctx: RequestContext) =>
  untagResource({ ResourceId: input.FileSystemId, TagKeys: input.TagKeys }, ctx);

export function describeTags(input: { FileSystemId: string; MaxItems?: number; Marker?: string }, ctx: RequestContext) {
  const page = markerPage(findFileSystem(ctx, input.FileSystemId).Tags, input);
  return { Marker: input.Marker, Tags: page.items, NextMarker: page.next };
}
