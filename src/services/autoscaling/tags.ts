import type { RequestContext } from '../types.js';
import { errors } from './errors.js';
import { autoScalingPage } from './paging.js';
import { groups, updateGroup, type GroupTag } from './state.js';

const TAG_LIMIT = 50;

interface TagInput {
  Key: string;
  Value?: string;
  PropagateAtLaunch?: boolean;
  ResourceId?: string;
  ResourceType?: string;
}

/**
 * A group's tags as given: keys 1–128 characters, not `aws:`, values up to 256, at most 50. At creation the
 * `aws:cloudformation:*` tags CloudFormation adds are let through (`atCreation`), as EC2 lets them through
 * RunInstances' TagSpecifications.
 */
export function checkTags(tags: TagInput[], group: string, atCreation = false): TagInput[] {
  for (const t of tags) {
    if (!t.Key || t.Key.length > 128) throw errors.validation(`Tag key must be between 1 and 128 characters (group ${group}).`);
    if (t.Key.toLowerCase().startsWith('aws:') && !(atCreation && t.Key.startsWith('aws:cloudformation:')))
      throw errors.validation("Tag keys starting with 'aws:' are reserved for internal use");
    if ((t.Value ?? '').length > 256) throw errors.validation(`The value of tag ${t.Key} must be at most 256 characters.`);
    if (t.ResourceType !== undefined && t.ResourceType !== 'auto-scaling-group')
      throw errors.validation(`Resource type ${t.ResourceType} is not valid; use auto-scaling-group.`);
  }
  if (new Set(tags.map((t) => t.Key)).size > TAG_LIMIT) throw errors.limitExceeded('tags per Auto Scaling group', TAG_LIMIT);
  return tags;
}

export const presentTag = (group: string, t: GroupTag) => ({
  ResourceId: group,
  ResourceType: 'auto-scaling-group',
  Key: t.Key,
  Value: t.Value,
  PropagateAtLaunch: t.PropagateAtLaunch,
});

function byGroup(tags: TagInput[]): Map<string, TagInput[]> {
  const map = new Map<string, TagInput[]>();
  for (const t of tags) {
    if (!t.ResourceId)
      throw errors.validation(
        "1 validation error detected: Value null at 'tags.member.resourceId' failed to satisfy constraint: Member must not be null",
      );
    map.set(t.ResourceId, [...(map.get(t.ResourceId) ?? []), t]);
  }
  return map;
}

export function createOrUpdateTags(input: { Tags: TagInput[] }, ctx: RequestContext) {
  const { cloud, region } = ctx;
  cloud.store.tx(() => {
    for (const [name, tags] of byGroup(input.Tags)) {
      checkTags(tags, name);
      const g = updateGroup(cloud, region, name, (x) => {
        for (const t of tags) {
          const tag = { Key: t.Key, Value: t.Value ?? '', PropagateAtLaunch: t.PropagateAtLaunch ?? false };
          const i = x.Tags.findIndex((y) => y.Key === t.Key);
          if (i >= 0) x.Tags[i] = tag;
          else x.Tags.push(tag);
        }
        if (x.Tags.length > TAG_LIMIT) throw errors.limitExceeded('tags per Auto Scaling group', TAG_LIMIT);
      });
      if (!g) throw errors.groupNotFound(name);
    }
  });
  return {};
}

export function deleteTags(input: { Tags: TagInput[] }, ctx: RequestContext) {
  const { cloud, region } = ctx;
  cloud.store.tx(() => {
    for (const [name, tags] of byGroup(input.Tags)) {
      // As AWS: a tag is removed by its key; a value, when given, must match.
      const g = updateGroup(cloud, region, name, (x) => {
        x.Tags = x.Tags.filter((y) => !tags.some((t) => t.Key === y.Key && (t.Value === undefined || t.Value === y.Value)));
      });
      if (!g) throw errors.groupNotFound(name);
    }
  });
  return {};
}

const FILTERS: Record<string, (group: string, t: GroupTag) => string> = {
  'auto-scaling-group': (group) => group,
  key: (_g, t) => t.Key,
  value: (_g, t) => t.Value,
  'propagate-at-launch': (_g, t) => String(t.PropagateAtLaunch),
};

export function describeTags(
  input: { Filters?: Array<{ Name?: string; Values?: string[] }>; MaxRecords?: number; NextToken?: string },
  ctx: RequestContext,
) {
  for (const f of input.Filters ?? [])
    if (!FILTERS[f.Name ?? ''])
      throw errors.validation(
        `Filter type ${f.Name ?? ''} is not correct. Allowed Filter types are: auto-scaling-group key value propagate-at-launch`,
      );
  const all = groups(ctx.cloud)
    .list(ctx.region)
    .sort((a, b) => a.AutoScalingGroupName.localeCompare(b.AutoScalingGroupName))
    .flatMap((g) => g.Tags.map((t) => ({ group: g.AutoScalingGroupName, t })))
    .filter(({ group, t }) => (input.Filters ?? []).every((f) => (f.Values ?? []).includes(FILTERS[f.Name ?? ''](group, t))));
  const page = autoScalingPage(all, input);
  return { Tags: page.items.map(({ group, t }) => presentTag(group, t)), NextToken: page.next };
}
