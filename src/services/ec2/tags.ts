import { ec2Page } from './paging.js';
import type { AwsError } from '../../protocol/errors.js';
import { ec2Errors } from './errors.js';
import type { Store } from '../../store/db.js';
import type { RequestContext } from '../types.js';
import { applyFilters, type Filter, type Tag } from './filters.js';

/**
 * CreateTags / DeleteTags / DescribeTags over every EC2 resource kind. Each kind registers how its records are
 * found by id (from the id's prefix, e.g. `vpc-`), read and updated; records keep their tags in a `Tags` array.
 * The instances code registers its kinds the same way, e.g. `registerTaggable('i', 'instance', 'ec2.instance', 'InstanceId')`.
 */
export interface TaggableKind {
  /** Id prefix without the dash: `vpc`, `i`, `eipalloc`. */
  prefix: string;
  /** As DescribeTags shows it: `vpc`, `instance`, `elastic-ip`. */
  resourceType: string;
  /** The error for an id of this kind that does not exist. */
  notFound(id: string): AwsError;
  getTags(store: Store, region: string, id: string): Tag[] | undefined;
  setTags(store: Store, region: string, id: string, tags: Tag[]): void;
  list(store: Store, region: string): Array<{ id: string; tags: Tag[] }>;
}

const kinds = new Map<string, TaggableKind>();

export function registerTaggableKind(kind: TaggableKind): void {
  kinds.set(kind.prefix, kind);
}

/**
 * Registers a kind whose records live in one store table, each with an id field and a `Tags` array. `keyField` names
 * the field the table is keyed by when it is not the id (key pairs are keyed by KeyName).
 */
export function registerTaggable(
  prefix: string,
  resourceType: string,
  tableKind: string,
  idField: string,
  opts: { notFound?: (id: string) => AwsError; keyField?: string } = {},
): void {
  type Row = Record<string, unknown> & { Tags?: Tag[] };
  const keyField = opts.keyField ?? idField;
  const find = (store: Store, region: string, id: string): Row | undefined => {
    const table = store.table<Row>(tableKind);
    return keyField === idField ? table.get(region, id) : table.list(region).find((r) => r[idField] === id);
  };
  registerTaggableKind({
    prefix,
    resourceType,
    notFound: opts.notFound ?? ec2Errors.invalidId,
    getTags: (store, region, id) => {
      const row = find(store, region, id);
      return row ? (row.Tags ?? []) : undefined;
    },
    setTags: (store, region, id, tags) => {
      const row = find(store, region, id);
      if (row) store.table<Row>(tableKind).put(region, String(row[keyField]), { ...row, Tags: tags });
    },
    list: (store, region) =>
      store
        .table<Row>(tableKind)
        .list(region)
        .map((r) => ({ id: String(r[idField]), tags: r.Tags ?? [] })),
  });
}

registerTaggable('key', 'key-pair', 'ec2.keyPair', 'KeyPairId', {
  notFound: ec2Errors.keyPairIdNotFound,
  keyField: 'KeyName',
});

function kindOf(id: string): TaggableKind {
  const dash = id.lastIndexOf('-');
  const kind = dash > 0 ? kinds.get(id.slice(0, dash)) : undefined;
  if (!kind) throw ec2Errors.invalidId(id);
  return kind;
}

const MAX_TAGS = 50;

function checkTag(tag: { Key?: string; Value?: string }): asserts tag is Tag {
  if (!tag.Key || tag.Key.length > 128) throw ec2Errors.invalidTagKey(tag.Key ?? '');
  if (tag.Key.toLowerCase().startsWith('aws:')) throw ec2Errors.reservedTagKey();
  if ((tag.Value ?? '').length > 256) throw ec2Errors.tagValueTooLong(tag.Key);
}

export function createTags(input: { Resources: string[]; Tags: Array<{ Key?: string; Value?: string }> }, ctx: RequestContext) {
  const store = ctx.cloud.store;
  const tags = input.Tags.map((tag) => {
    checkTag(tag);
    return tag;
  });
  store.tx(() => {
    for (const id of input.Resources) {
      const kind = kindOf(id);
      const current = kind.getTags(store, ctx.region, id);
      if (!current) throw kind.notFound(id);
      const next = [...current];
      for (const tag of tags) {
        const value = tag.Value ?? '';
        const at = next.findIndex((t) => t.Key === tag.Key);
        if (at >= 0) next[at] = { Key: tag.Key, Value: value };
        else next.push({ Key: tag.Key, Value: value });
      }
      if (next.length > MAX_TAGS) throw ec2Errors.tagLimitExceeded(id, MAX_TAGS);
      kind.setTags(store, ctx.region, id, next);
    }
  });
  return {};
}

/** Without Tags, removes every tag; a tag given with a value is removed only if its value matches. */
export function deleteTags(input: { Resources: string[]; Tags?: Array<{ Key?: string; Value?: string }> }, ctx: RequestContext) {
  const store = ctx.cloud.store;
  store.tx(() => {
    for (const id of input.Resources) {
      const kind = kindOf(id);
      const current = kind.getTags(store, ctx.region, id);
      if (!current) throw kind.notFound(id);
      const next =
        input.Tags === undefined
          ? []
          : current.filter((t) => !input.Tags?.some((d) => d.Key === t.Key && (d.Value === undefined || d.Value === t.Value)));
      kind.setTags(store, ctx.region, id, next);
    }
  });
  return {};
}

interface TagRow {
  Key: string;
  Value: string;
  ResourceId: string;
  ResourceType: string;
}

export function describeTags(input: { Filters?: Filter[]; MaxResults?: number; NextToken?: string }, ctx: RequestContext) {
  let rows: TagRow[] = [];
  for (const kind of kinds.values()) {
    for (const { id, tags } of kind.list(ctx.cloud.store, ctx.region)) {
      for (const t of tags) rows.push({ Key: t.Key, Value: t.Value, ResourceId: id, ResourceType: kind.resourceType });
    }
  }
  rows = applyFilters(
    rows,
    input.Filters,
    {
      key: (r) => r.Key,
      value: (r) => r.Value,
      'resource-id': (r) => r.ResourceId,
      'resource-type': (r) => r.ResourceType,
    },
    (r) => [{ Key: r.Key, Value: r.Value }],
  );
  rows.sort((a, b) => a.ResourceId.localeCompare(b.ResourceId) || a.Key.localeCompare(b.Key));
  const page = ec2Page(rows, input);
  return { Tags: page.items, NextToken: page.NextToken };
}

export const tagOperations = { CreateTags: createTags, DeleteTags: deleteTags, DescribeTags: describeTags };
