import { paginate, withoutPaging } from '../../protocol/paginate.js';
import type { RequestContext } from '../types.js';
import { errors } from './errors.js';
import { date, listSecrets as allSecrets, secretDescription, versionsToStages, type SecretRecord } from './state.js';

interface Filter {
  Key?: string;
  Values?: string[];
}

const KEYS = ['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all'];

/** The words AWS splits a search into: at each change of case (lower to upper), letter/digit, or punctuation. */
function words(text: string): string[] {
  return text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([a-zA-Z])([0-9])|([0-9])([a-zA-Z])/g, (_m, a, b, c, d) => (a ? `${a} ${b}` : `${c} ${d}`))
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** The attribute values one filter key looks at, and whether it matches case-sensitively. */
function attributes(s: SecretRecord, key: string, region: string): { values: string[]; caseSensitive: boolean } {
  switch (key) {
    case 'name':
      return { values: [s.Name], caseSensitive: true };
    case 'description':
      return { values: s.Description ? [s.Description] : [], caseSensitive: false };
    case 'tag-key':
      return { values: s.Tags.map((t) => t.Key), caseSensitive: true };
    case 'tag-value':
      return { values: s.Tags.map((t) => t.Value), caseSensitive: true };
    case 'primary-region':
      return { values: [region], caseSensitive: true };
    case 'owning-service':
      return { values: [], caseSensitive: true };
    default:
      return { values: [s.Name, s.Description ?? '', ...s.Tags.flatMap((t) => [t.Key, t.Value])], caseSensitive: false };
  }
}

/** One filter value against a secret: a prefix match (words for `all`); `!value` negates. */
function matchesValue(s: SecretRecord, key: string, raw: string, region: string): boolean {
  const negated = raw.startsWith('!');
  const value = negated ? raw.slice(1) : raw;
  const { values, caseSensitive } = attributes(s, key, region);
  let hit: boolean;
  if (key === 'all') {
    const have = values.flatMap(words);
    hit = words(value).some((w) => have.some((h) => h.startsWith(w)));
  } else {
    const fold = (x: string) => (caseSensitive ? x : x.toLowerCase());
    hit = values.some((v) => fold(v).startsWith(fold(value)));
  }
  return negated ? !hit : hit;
}

/** Within a filter any value may match; every filter must match. */
function matches(s: SecretRecord, filters: Filter[], region: string): boolean {
  return filters.every((f) => (f.Values ?? []).some((v) => matchesValue(s, f.Key ?? 'all', v, region)));
}

export function listSecrets(
  input: { IncludePlannedDeletion?: boolean; MaxResults?: number; NextToken?: string; Filters?: Filter[]; SortOrder?: string },
  ctx: RequestContext,
) {
  const filters = input.Filters ?? [];
  for (const [i, f] of filters.entries()) {
    if (f.Key !== undefined && !KEYS.includes(f.Key)) {
      throw errors.validation(f.Key, `filters.${i + 1}.member.key`, `Member must satisfy enum value set: [${KEYS.join(', ')}]`);
    }
  }
  if (input.SortOrder !== undefined && !['asc', 'desc'].includes(input.SortOrder)) {
    throw errors.validation(input.SortOrder, 'sortOrder', 'Member must satisfy enum value set: [asc, desc]');
  }
  const found = allSecrets(ctx.cloud, ctx.region)
    .filter((s) => input.IncludePlannedDeletion || s.DeletedDate === undefined)
    .filter((s) => matches(s, filters, ctx.region))
    .sort((a, b) => a.CreatedDate - b.CreatedDate || (a.Name < b.Name ? -1 : 1));
  if (input.SortOrder !== 'asc') found.reverse();
  const page = secretsPage(found, input);
  return {
    SecretList: page.items.map((s) => ({
      ...secretDescription(s),
      SecretVersionsToStages: versionsToStages(s),
      CreatedDate: date(s.CreatedDate),
    })),
    NextToken: page.next,
  };
}

/** Secrets Manager's pages: at most 100 (MaxResults 1..100), NextToken bound to the request's other members. */
export function secretsPage<T>(items: T[], input: { NextToken?: string; MaxResults?: number }) {
  return paginate(items, {
    token: input.NextToken,
    max: input.MaxResults,
    defaultMax: 100,
    limit: 100,
    bind: withoutPaging(input, 'NextToken', 'MaxResults'),
    badToken: () => errors.badNextToken(),
    badSize: (max) =>
      errors.validation(
        max,
        'maxResults',
        max < 1 ? 'Member must have value greater than or equal to 1' : 'Member must have value less than or equal to 100',
      ),
  });
}
