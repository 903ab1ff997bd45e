import type { RequestContext } from '../../types.js';
import type { ResourceState, StackRecord } from './state.js';

/** A stack's record without its template text and its resources: what DescribeStacks, ListStacks and exports read. */
export type StackSummary = Omit<StackRecord, 'templateBody' | 'resources'>;

type Ctx = Pick<RequestContext, 'cloud'>;

/**
 * A stack's record is kept in three rows (scope: its region, id: its stack id): the summary, the template text and
 * the resources. Every save writes the summary; the template and the resources are written only when they differ
 * from what the record object was read or last saved with (a stack status change does not write the resources
 * again, a deletion never its template), and DescribeStacks reads the summary alone. A record written whole (before
 * this split) still reads, and is split at its next save.
 */
const summaryTable = (ctx: Ctx) => ctx.cloud.store.table<StackSummary | StackRecord>('cloudformation.stack');
const templateTable = (ctx: Ctx) => ctx.cloud.store.table<string>('cloudformation.stackTemplate');
const resourcesTable = (ctx: Ctx) => ctx.cloud.store.table<Record<string, ResourceState>>('cloudformation.stackResources');

/** The template text and resources' JSON a record object holds as stored, kept on the object (not enumerable, not copied). */
const STORED = Symbol('stored parts');
interface StoredParts {
  templateBody: string;
  resources: string;
}

function remember(stack: StackRecord, parts: StoredParts): void {
  Object.defineProperty(stack, STORED, { value: parts, configurable: true, writable: true, enumerable: false });
}

const storedParts = (stack: StackRecord) => (stack as StackRecord & { [STORED]?: StoredParts })[STORED];

/**
 * Writes a stack's record (call inside a transaction when events go with it). `resourcesAsRead`: the caller knows
 * its resources are as the record was read or last saved, which spares their comparison.
 */
export function saveStack(ctx: Ctx, stack: StackRecord, resourcesAsRead = false): void {
  const { templateBody, resources, ...summary } = stack;
  const known = storedParts(stack);
  const resourcesText = resourcesAsRead && known ? known.resources : JSON.stringify(resources);
  summaryTable(ctx).put(stack.region, stack.StackId, summary);
  if (known?.templateBody !== templateBody) templateTable(ctx).put(stack.region, stack.StackId, templateBody);
  if (known?.resources !== resourcesText) resourcesTable(ctx).putText(stack.region, stack.StackId, resourcesText);
  remember(stack, { templateBody, resources: resourcesText });
}

function whole(ctx: Ctx, row: StackSummary | StackRecord): StackRecord {
  if ('resources' in row) return row;
  const templateBody = templateTable(ctx).get(row.region, row.StackId) ?? '';
  const resources = resourcesTable(ctx).getText(row.region, row.StackId) ?? '{}';
  const stack: StackRecord = { ...row, templateBody, resources: JSON.parse(resources) as Record<string, ResourceState> };
  remember(stack, { templateBody, resources });
  return stack;
}

/** A stack's whole record by its id. */
export function readStack(ctx: Ctx, region: string, stackId: string): StackRecord | undefined {
  const row = summaryTable(ctx).get(region, stackId);
  return row && whole(ctx, row);
}

export function readSummary(ctx: Ctx, region: string, stackId: string): StackSummary | undefined {
  return summaryTable(ctx).get(region, stackId);
}

/** The summaries of a region's stacks (deleted ones too), oldest first. */
export function stackSummaries(ctx: Ctx, region: string): StackSummary[] {
  return summaryTable(ctx).list(region);
}

/** The summaries of a region's stacks whose id starts with `prefix` (read through the key). */
export function summariesByIdPrefix(ctx: Ctx, region: string, prefix: string): StackSummary[] {
  return summaryTable(ctx).listByIdPrefix(region, prefix);
}

/** Whole records of a region's stacks, or of every region's. */
export function wholeStacks(ctx: Ctx, region?: string): StackRecord[] {
  const rows =
    region === undefined
      ? summaryTable(ctx)
          .listAll()
          .map((r) => r.value)
      : summaryTable(ctx).list(region);
  return rows.map((row) => whole(ctx, row));
}
