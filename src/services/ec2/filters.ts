import { ec2Errors } from './errors.js';

export interface Filter {
  Name?: string;
  Values?: string[];
}

export interface Tag {
  Key: string;
  Value: string;
}

/** How each filter name reads a resource; `tag:` and `tag-key`/`tag-value` come from `tags` when given. */
export type FilterFields<T> = Record<string, (item: T) => unknown>;

/** EC2 filter semantics: AND across filters, OR across a filter's values, `*` and `?` wildcards. */
export function applyFilters<T>(
  items: T[],
  filters: Filter[] | undefined,
  fields: FilterFields<T>,
  tags?: (item: T) => Tag[] | undefined,
): T[] {
  if (!filters?.length) return items;
  const checks = filters.map((f) => {
    const name = f.Name ?? '';
    const patterns = (f.Values ?? []).map(wildcard);
    let read: ((item: T) => unknown) | undefined = fields[name];
    if (!read && tags) {
      if (name.startsWith('tag:')) {
        const key = name.slice(4);
        read = (item) => (tags(item) ?? []).filter((t) => t.Key === key).map((t) => t.Value);
      } else if (name === 'tag-key') read = (item) => (tags(item) ?? []).map((t) => t.Key);
      else if (name === 'tag-value') read = (item) => (tags(item) ?? []).map((t) => t.Value);
    }
    if (!read) throw ec2Errors.invalidFilter(name);
    const reader = read;
    return (item: T) => {
      const raw = reader(item);
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v) => v !== undefined && v !== null).map(String);
      return values.some((v) => patterns.some((p) => p.test(v)));
    };
  });
  return items.filter((item) => checks.every((check) => check(item)));
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 's');
}

/** TagSpecifications as the model has them (a tag's Key and Value optional). */
export type TagSpecs = Array<{ ResourceType?: string; Tags?: Array<{ Key?: string; Value?: string }> }>;

/** Tags given at creation for one resource type, from TagSpecifications. */
export function tagsFor(resourceType: string, specs: TagSpecs | undefined): Tag[] {
  // The model leaves a tag's Key and Value optional; they are kept as given (EC2 checks keys where it creates tags).
  return (specs ?? []).filter((s) => s.ResourceType === resourceType).flatMap((s) => (s.Tags ?? []) as Tag[]);
}
