import { randomUUID } from 'node:crypto';
import { cfnErrors } from '../errors.js';
import type { RequestContext } from '../../types.js';
import type { ResolvedParameter } from '../template/parameters.js';
import type { AwaitingSignals } from './signals.js';
import { readStack, readSummary, stackSummaries, summariesByIdPrefix, type StackSummary } from './stack-store.js';

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

const stackIdPrefix = (region: string, accountId: string, name: string) => `arn:aws:cloudformation:${region}:${accountId}:stack/${name}`;

export function newStackId(region: string, accountId: string, name: string): string {
  return `${stackIdPrefix(region, accountId, name)}/${randomUUID()}`;
}

/** A live stack by name, or any stack (even deleted) by its id, as DescribeStacks finds them. */
export function findStack(ctx: Pick<RequestContext, 'cloud' | 'region' | 'accountId'>, nameOrId: string): StackRecord | undefined {
  const summary = findSummary(ctx, nameOrId);
  return summary && readStack(ctx, ctx.region, summary.StackId);
}

/** findStack's summary alone (no template, no resources). */
export function findSummary(ctx: Pick<RequestContext, 'cloud' | 'region' | 'accountId'>, nameOrId: string): StackSummary | undefined {
  if (nameOrId.startsWith('arn:')) return readSummary(ctx, ctx.region, nameOrId);
  // A name is read through the key: the ids of the stacks of that name (deleted ones too) share the prefix.
  return summariesByIdPrefix(ctx, ctx.region, `${stackIdPrefix(ctx.region, ctx.accountId, nameOrId)}/`).find(
    (s) => s.StackStatus !== 'DELETE_COMPLETE',
  );
}

export function requireStack(ctx: Pick<RequestContext, 'cloud' | 'region' | 'accountId'>, nameOrId: string): StackRecord {
  const stack = findStack(ctx, nameOrId);
  if (!stack) throw cfnErrors.stackNotFound(nameOrId);
  return stack;
}

export function requireSummary(ctx: Pick<RequestContext, 'cloud' | 'region' | 'accountId'>, nameOrId: string): StackSummary {
  const stack = findSummary(ctx, nameOrId);
  if (!stack) throw cfnErrors.stackNotFound(nameOrId);
  return stack;
}

/** The region's stacks not deleted (summaries: their outputs and imports, not their resources). */
export function liveStacks(ctx: Pick<RequestContext, 'cloud' | 'region'>): StackSummary[] {
  return stackSummaries(ctx, ctx.region).filter((s) => s.StackStatus !== 'DELETE_COMPLETE');
}

export const IN_PROGRESS = /_IN_PROGRESS$/;
