import type { RequestContext } from '../../types.js';
import type { DescribeStackEventsInput } from '../generated/types.js';
import { cfnErrors } from '../errors.js';
import { cfnPage } from './paging.js';
import { changeSetTemplate } from './change-sets.js';
import { stackSummaries, wholeStacks, type StackSummary } from '../engine/stack-store.js';
import { stackEvents } from '../engine/event-store.js';
import { liveStacks, requireStack, requireSummary, type ResourceState, type StackRecord } from '../engine/state.js';

/** A stack as DescribeStacks shows it; NoEcho parameters masked. */
export function stackView(s: StackSummary) {
  return {
    StackId: s.StackId,
    StackName: s.StackName,
    Description: s.Description,
    Parameters: s.parameters.map((p) => ({
      ParameterKey: p.key,
      ParameterValue: p.noEcho ? '****' : p.value,
      ResolvedValue: p.resolved !== undefined && !p.noEcho ? p.resolved : undefined,
    })),
    CreationTime: s.CreationTime,
    DeletionTime: s.DeletionTime,
    LastUpdatedTime: s.LastUpdatedTime,
    RollbackConfiguration: {},
    StackStatus: s.StackStatus,
    StackStatusReason: s.StackStatusReason,
    DisableRollback: s.DisableRollback,
    NotificationARNs: s.NotificationARNs,
    TimeoutInMinutes: s.TimeoutInMinutes,
    Capabilities: s.Capabilities.length ? s.Capabilities : undefined,
    Outputs: s.outputs.length ? s.outputs : undefined,
    Tags: s.Tags,
    EnableTerminationProtection: false,
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  };
}

export function describeStacks(input: { StackName?: string; NextToken?: string }, ctx: RequestContext) {
  const stacks = input.StackName ? [requireSummary(ctx, input.StackName)] : liveStacks(ctx);
  const { items, NextToken } = cfnPage(stacks, input.NextToken, { StackName: input.StackName });
  return { Stacks: items.map(stackView), NextToken };
}

export function describeStackEvents(input: DescribeStackEventsInput, ctx: RequestContext) {
  const stack = requireSummary(ctx, input.StackName ?? '');
  const { items, NextToken } = cfnPage(stackEvents(ctx, stack.StackId).reverse(), input.NextToken, { StackId: stack.StackId });
  return { StackEvents: items, NextToken };
}

const resourceView = (s: StackRecord, r: ResourceState) => ({
  StackName: s.StackName,
  StackId: s.StackId,
  LogicalResourceId: r.logicalId,
  PhysicalResourceId: r.physicalId,
  ResourceType: r.type,
  Timestamp: r.timestamp,
  LastUpdatedTimestamp: r.timestamp,
  ResourceStatus: r.status,
  ResourceStatusReason: r.reason,
  DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' },
});

export function describeStackResources(
  input: { StackName?: string; LogicalResourceId?: string; PhysicalResourceId?: string },
  ctx: RequestContext,
) {
  let stack: StackRecord | undefined;
  if (input.StackName) stack = requireStack(ctx, input.StackName);
  else if (input.PhysicalResourceId) {
    stack = wholeStacks(ctx, ctx.region).find((s) => Object.values(s.resources).some((r) => r.physicalId === input.PhysicalResourceId));
    if (!stack) throw cfnErrors.stackForResourceNotFound(input.PhysicalResourceId);
  } else {
    throw cfnErrors.validation('Either StackName or PhysicalResourceId must be specified.');
  }
  const s = stack;
  const resources = Object.values(s.resources).filter(
    (r) =>
      (!input.LogicalResourceId || r.logicalId === input.LogicalResourceId) &&
      (!input.PhysicalResourceId || r.physicalId === input.PhysicalResourceId),
  );
  return { StackResources: resources.map((r) => resourceView(s, r)) };
}

export function describeStackResource(input: { StackName: string; LogicalResourceId: string }, ctx: RequestContext) {
  const stack = requireStack(ctx, input.StackName);
  const r = stack.resources[input.LogicalResourceId];
  if (!r) throw cfnErrors.resourceNotFound(input.LogicalResourceId, input.StackName);
  return {
    StackResourceDetail: { ...resourceView(stack, r), Metadata: r.metadata === undefined ? undefined : JSON.stringify(r.metadata) },
  };
}

export function listStackResources(input: { StackName: string; NextToken?: string }, ctx: RequestContext) {
  const stack = requireStack(ctx, input.StackName);
  const { items, NextToken } = cfnPage(Object.values(stack.resources), input.NextToken, { StackId: stack.StackId });
  return { StackResourceSummaries: items.map((r) => resourceView(stack, r)), NextToken };
}

export function listStacks(input: { StackStatusFilter?: string[]; NextToken?: string }, ctx: RequestContext) {
  const filter = input.StackStatusFilter ?? [];
  const stacks = stackSummaries(ctx, ctx.region)
    .filter((s) => !filter.length || filter.includes(s.StackStatus))
    .reverse();
  const { items, NextToken } = cfnPage(stacks, input.NextToken, { StackStatusFilter: filter });
  return {
    NextToken,
    StackSummaries: items.map((s) => ({
      StackId: s.StackId,
      StackName: s.StackName,
      TemplateDescription: s.Description,
      CreationTime: s.CreationTime,
      LastUpdatedTime: s.LastUpdatedTime,
      DeletionTime: s.DeletionTime,
      StackStatus: s.StackStatus,
      StackStatusReason: s.StackStatusReason,
      DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
    })),
  };
}

export function getTemplate(input: { StackName?: string; ChangeSetName?: string }, ctx: RequestContext) {
  if (input.ChangeSetName)
    return { TemplateBody: changeSetTemplate(ctx, input.ChangeSetName, input.StackName), StagesAvailable: ['Original', 'Processed'] };
  if (!input.StackName) throw cfnErrors.stackNotFound('');
  const stack = requireStack(ctx, input.StackName);
  return { TemplateBody: stack.templateBody, StagesAvailable: ['Original', 'Processed'] };
}

export function listExports(input: { NextToken?: string }, ctx: RequestContext) {
  const exports = [];
  for (const s of liveStacks(ctx)) {
    for (const o of s.outputs) if (o.ExportName) exports.push({ ExportingStackId: s.StackId, Name: o.ExportName, Value: o.OutputValue });
  }
  const { items, NextToken } = cfnPage(exports, input.NextToken, {});
  return { Exports: items, NextToken };
}

export function listImports(input: { ExportName: string; NextToken?: string }, ctx: RequestContext) {
  const importers = liveStacks(ctx)
    .filter((s) => s.imports.includes(input.ExportName))
    .map((s) => s.StackName);
  if (!importers.length) throw cfnErrors.exportNotImported(input.ExportName);
  const { items, NextToken } = cfnPage(importers, input.NextToken, { ExportName: input.ExportName });
  return { Imports: items, NextToken };
}
