import { randomUUID } from 'node:crypto';
import { cfnErrors } from '../errors.js';
import type { RequestContext } from '../../types.js';
import type { ResolvedParameter } from '../template/parameters.js';
import type { AwaitingSignals } from './signals.js';

export interface Tag {
  Key: string;
  Value: string;
}

export interface ResourceState {
  logicalId: string;
  type: string;
  physicalId?: string;
  /** What Ref returns when it is not the physical id. */
  ref?: string;
  status: string;
  reason?: string;
  timestamp: string;
  /** Resolved properties the resource was made with. */
  props?: Record<string, unknown>;
  attributes?: Record<string, unknown>;
  metadata?: unknown;
  deletionPolicy?: string;
  updateReplacePolicy?: string;
  /** Set while the resource waits for resource signals (CreationPolicy, rolling update): SignalResource accepts them. */
  awaitingSignals?: AwaitingSignals;
}

export interface StackEvent {
  EventId: string;
  StackId: string;
  StackName: string;
  LogicalResourceId: string;
  PhysicalResourceId?: string;
  ResourceType: string;
  Timestamp: string;
  ResourceStatus: string;
  ResourceStatusReason?: string;
  ResourceProperties?: string;
}

export interface StackOutput {
  OutputKey: string;
  OutputValue: string;
  Description?: string;
  ExportName?: string;
}

export interface StackRecord {
  StackId: string;
  StackName: string;
  region: string;
  Description?: string;
  CreationTime: string;
  LastUpdatedTime?: string;
  DeletionTime?: string;
  StackStatus: string;
  StackStatusReason?: string;
  DisableRollback: boolean;
  Capabilities: string[];
  Tags: Tag[];
  NotificationARNs: string[];
  TimeoutInMinutes?: number;
  templateBody: string;
  parameters: ResolvedParameter[];
  outputs: StackOutput[];
  resources: Record<string, ResourceState>;
  /** Export names this stack imports (Fn::ImportValue): their stacks cannot remove them meanwhile. */
  imports: string[];
}

export const STACK_KIND = 'cloudformation.stack';

/**
 * Stack events live in rows of their own (scope: the stack id), apart from the stack's record so that a busy
 * stack's record stays small. A row holds the events one save wrote, oldest first, with the stack's id and name
 * once (a 30-resource stack writes its ninety creation events in a few rows, not ninety); rows written before
 * that hold one whole event each.
 */
type StoredEvent = Omit<StackEvent, 'StackId' | 'StackName'>;
type EventRow = { stackName: string; events: StoredEvent[] } | StackEvent;

const eventTable = (ctx: Pick<RequestContext, 'cloud'>) => ctx.cloud.store.table<EventRow>('cloudformation.event');

/** Records events of a stack, oldest first (call inside the transaction that saves the stack's record). */
export function appendEvents(
  ctx: Pick<RequestContext, 'cloud'>,
  stack: Pick<StackRecord, 'StackId' | 'StackName'>,
  events: StackEvent[],
): void {
  if (!events.length) return;
  const stored = events.map(({ StackId: _id, StackName: _name, ...rest }) => rest);
  eventTable(ctx).insert(stack.StackId, events[0].EventId, { stackName: stack.StackName, events: stored });
}

/** A stack's events, oldest first. */
export function stackEvents(ctx: Pick<RequestContext, 'cloud'>, stackId: string): StackEvent[] {
  return eventTable(ctx)
    .list(stackId)
    .flatMap((row) => ('events' in row ? row.events.map((e) => ({ StackId: stackId, StackName: row.stackName, ...e })) : [row]));
}

export function stackTable(ctx: Pick<RequestContext, 'cloud'>) {
  return ctx.cloud.store.table<StackRecord>(STACK_KIND);
}

const stackIdPrefix = (region: string, accountId: string, name: string) => `arn:aws:cloudformation:${region}:${accountId}:stack/${name}`;

export function newStackId(region: string, accountId: string, name: string): string {
  return `${stackIdPrefix(region, accountId, name)}/${randomUUID()}`;
}

/** A live stack by name, or any stack (even deleted) by its id, as DescribeStacks finds them. */
export function findStack(ctx: Pick<RequestContext, 'cloud' | 'region' | 'accountId'>, nameOrId: string): StackRecord | undefined {
  const table = stackTable(ctx);
  if (nameOrId.startsWith('arn:')) return table.get(ctx.region, nameOrId);
  // A name is read through the key: the ids of the stacks of that name (deleted ones too) share the prefix.
  return table
    .listByIdPrefix(ctx.region, `${stackIdPrefix(ctx.region, ctx.accountId, nameOrId)}/`)
    .find((s) => s.StackStatus !== 'DELETE_COMPLETE');
}

export function requireStack(ctx: Pick<RequestContext, 'cloud' | 'region' | 'accountId'>, nameOrId: string): StackRecord {
  const stack = findStack(ctx, nameOrId);
  if (!stack) throw cfnErrors.stackNotFound(nameOrId);
  return stack;
}

export function liveStacks(ctx: Pick<RequestContext, 'cloud' | 'region'>): StackRecord[] {
  return stackTable(ctx)
    .list(ctx.region)
    .filter((s) => s.StackStatus !== 'DELETE_COMPLETE');
}

export const IN_PROGRESS = /_IN_PROGRESS$/;
