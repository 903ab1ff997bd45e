import { ssmErrors } from './errors.js';
import type { RequestContext } from '../types.js';
import { parameterArn } from './names.js';
import { page } from './paging.js';
import { parameterView } from './parameters.js';
import { isPublicName, publicNames, publicParameters } from './public-parameters.js';
import { current, parameters, type ParameterRecord } from './state.js';

interface ParameterFilter {
  Key: string;
  Option?: string;
  Values?: string[];
}

/** Whether `name` lies under `path`: directly (one level) or at any depth (recursive). */
function under(name: string, path: string, recursive: boolean): boolean {
  const prefix = path === '/' ? '/' : `${path.replace(/\/$/, '')}/`;
  if (!name.startsWith(prefix) || name.length === prefix.length) return false;
  return recursive || !name.slice(prefix.length).includes('/');
}

function checkPath(path: string): void {
  if (!path.startsWith('/') || path.includes('//') || !/^[a-zA-Z0-9_.\-/]+$/.test(path)) {
    throw ssmErrors.validation(
      'The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/".',
    );
  }
}

/** ParameterFilters of DescribeParameters and GetParametersByPath, on the current version. */
function matchesFilter(p: ParameterRecord, f: ParameterFilter): boolean {
  const v = current(p);
  const values = f.Values ?? [];
  const option = f.Option ?? 'Equals';
  const equalsAny = (actual: string | undefined) => actual !== undefined && values.includes(actual);
  if (f.Key.startsWith('tag:')) {
    const tag = p.Tags.find((t) => t.Key === f.Key.slice(4));
    return tag !== undefined && (values.length === 0 || values.includes(tag.Value));
  }
  switch (f.Key) {
    case 'Name':
      if (option === 'BeginsWith')
        return values.some((x) => p.Name.startsWith(x) || p.Name.replace(/^\//, '').startsWith(x.replace(/^\//, '')));
      if (option === 'Contains') return values.some((x) => p.Name.includes(x));
      return values.some((x) => x === p.Name || x.replace(/^\//, '') === p.Name.replace(/^\//, ''));
    case 'Path':
      return values.some((x) => under(p.Name, x, option === 'Recursive'));
    case 'Type':
      return equalsAny(v.Type);
    case 'KeyId':
      return equalsAny(v.KeyId);
    case 'Tier':
      return equalsAny(v.Tier);
    case 'DataType':
      return equalsAny(v.DataType);
    case 'Label':
      return p.Versions.some((x) => x.Labels.some((l) => values.includes(l)));
    default:
      throw ssmErrors.validation(
        `The following filter key is not valid: ${f.Key}. Valid filter keys include: [Path, Name, Type, KeyId, Tier, DataType, Label, tag:<key>].`,
      );
  }
}

const byName = (a: { Name: string }, b: { Name: string }) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0);

export async function getParametersByPath(
  input: {
    Path: string;
    Recursive?: boolean;
    ParameterFilters?: ParameterFilter[];
    WithDecryption?: boolean;
    MaxResults?: number;
    NextToken?: string;
  },
  ctx: RequestContext,
) {
  checkPath(input.Path);
  for (const f of input.ParameterFilters ?? []) {
    if (f.Key === 'Name' || f.Key === 'Path')
      throw ssmErrors.validation(
        `The following filter key is not valid: ${f.Key}. Valid filter keys include: [Type, KeyId, Label, Tier, DataType].`,
      );
  }
  const recursive = input.Recursive ?? false;
  if (isPublicName(input.Path)) {
    const names = publicNames().filter((n) => under(n, input.Path, recursive));
    const { items, NextToken } = page((await publicParameters(ctx, names)).sort(byName), input, 10);
    return { Parameters: items, NextToken };
  }
  const all = parameters(ctx.cloud)
    .list(ctx.region)
    .filter((p) => under(p.Name, input.Path, recursive))
    .filter((p) => (input.ParameterFilters ?? []).every((f) => matchesFilter(p, f)))
    .sort(byName);
  const { items, NextToken } = page(all, input, 10);
  return { Parameters: items.map((p) => parameterView(ctx, p, current(p), input.WithDecryption)), NextToken };
}

export function describeParameters(
  input: {
    Filters?: Array<{ Key: string; Values: string[] }>;
    ParameterFilters?: ParameterFilter[];
    MaxResults?: number;
    NextToken?: string;
  },
  ctx: RequestContext,
) {
  if (input.Filters?.length && input.ParameterFilters?.length) {
    throw ssmErrors.validation('You can use either Filters or ParameterFilters in a single request.');
  }
  const filters: ParameterFilter[] = [
    ...(input.Filters ?? []).map((f) => ({ Key: f.Key, Option: f.Key === 'Name' ? 'BeginsWith' : 'Equals', Values: f.Values })),
    ...(input.ParameterFilters ?? []),
  ];
  const all = parameters(ctx.cloud)
    .list(ctx.region)
    .filter((p) => filters.every((f) => matchesFilter(p, f)))
    .sort(byName);
  const { items, NextToken } = page(all, input, 50);
  return {
    Parameters: items.map((p) => {
      const v = current(p);
      return {
        Name: p.Name,
        ARN: parameterArn(ctx.region, ctx.accountId, p.Name),
        Type: v.Type,
        KeyId: v.KeyId,
        LastModifiedDate: v.LastModifiedDate,
        LastModifiedUser: v.LastModifiedUser,
        Description: v.Description,
        AllowedPattern: v.AllowedPattern,
        Version: v.Version,
        Tier: v.Tier,
        Policies: [],
        DataType: v.DataType,
      };
    }),
    NextToken,
  };
}
