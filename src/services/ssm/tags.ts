import { ssmErrors } from './errors.js';
import type { RequestContext } from '../types.js';
import { findParameter } from './parameters.js';
import { parameters, type ParameterRecord, type Tag } from './state.js';

const MAX_TAGS = 50;

/** Only parameters carry tags here; the other SSM resource types are not part of this cloud. */
function target(input: { ResourceType: string; ResourceId: string }, ctx: RequestContext): ParameterRecord {
  if (input.ResourceType !== 'Parameter') throw ssmErrors.unsupportedResourceType(input.ResourceType);
  const p = findParameter(ctx, input.ResourceId);
  if (!p) throw ssmErrors.invalidResourceId();
  return p;
}

export function addTagsToResource(input: { ResourceType: string; ResourceId: string; Tags: Tag[] }, ctx: RequestContext) {
  const p = target(input, ctx);
  const merged = new Map(p.Tags.map((t) => [t.Key, t]));
  for (const t of input.Tags) {
    if (t.Key.length < 1 || t.Key.length > 128 || t.Value.length > 256)
      throw ssmErrors.validation(`Tag key or value of ${t.Key} is not valid.`);
    merged.set(t.Key, t);
  }
  if (merged.size > MAX_TAGS) throw ssmErrors.tooManyTags();
  parameters(ctx.cloud).put(ctx.region, p.Name, { ...p, Tags: [...merged.values()] });
  return {};
}

export function removeTagsFromResource(input: { ResourceType: string; ResourceId: string; TagKeys: string[] }, ctx: RequestContext) {
  const p = target(input, ctx);
  parameters(ctx.cloud).put(ctx.region, p.Name, { ...p, Tags: p.Tags.filter((t) => !input.TagKeys.includes(t.Key)) });
  return {};
}

export function listTagsForResource(input: { ResourceType: string; ResourceId: string }, ctx: RequestContext) {
  return { TagList: target(input, ctx).Tags };
}
