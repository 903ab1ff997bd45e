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

/** The texts of the rows a record object was read or last saved as, kept on the object (not enumerable, not copied). */
const STORED = Symbol('stored parts');
interface StoredParts {
  /** The summary row's text, when known (a record read from a list of summaries does not keep it). */
  summary?: string;
  templateBody: string;
  /** The template row's text (the body as a JSON string). */
  template: string;
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
  const summaryText = JSON.stringify(summary);
  summaryTable(ctx).putText(stack.region, stack.StackId, summaryText);
  let template = known?.template;
  if (known?.templateBody !== templateBody) {
    template = JSON.stringify(templateBody);
    templateTable(ctx).putText(stack.region, stack.StackId, template);
  }
  if (known?.resources !== resourcesText) resourcesTable(ctx).putText(stack.region, stack.StackId, resourcesText);
  remember(stack, { summary: summaryText, templateBody, template: template ?? JSON.stringify(templateBody), resources: resourcesText });
}

function whole(ctx: Ctx, row: StackSummary | StackRecord, summary?: string): StackRecord {
  if ('resources' in row) return row;
  const template = templateTable(ctx).getText(row.region, row.StackId) ?? '""';
  const templateBody = JSON.parse(template) as string;
  const resources = resourcesTable(ctx).getText(row.region, row.StackId) ?? '{}';
  const stack: StackRecord = { ...row, templateBody, resources: JSON.parse(resources) as Record<string, ResourceState> };
  remember(stack, { summary, templateBody, template, resources });
  return stack;
}

/**
 * A stack's whole record by its id. `known`: a record object this cloud saved before (the one the stack's last
 * operation ended with), given back as it is when the rows still hold exactly what it was saved as, which spares
 * parsing them; only one owner may hold it then (see stack-memo.ts).
 */
export function readStack(ctx: Ctx, region: string, stackId: string, known?: StackRecord): StackRecord | undefined {
  const summary = summaryTable(ctx).getText(region, stackId);
  if (summary === undefined) return undefined;
  const parts = known && storedParts(known);
  if (
    parts?.summary === summary &&
    parts.template === templateTable(ctx).getText(region, stackId) &&
    parts.resources === resourcesTable(ctx).getText(region, stackId)
  )
    return known;
  return whole(ctx, JSON.parse(summary) as StackSummary | StackRecord, summary);
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
