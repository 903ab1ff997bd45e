import { cfnPage } from './paging.js';
import { randomUUID } from 'node:crypto';
import { cfnErrors } from '../errors.js';
import type { RequestContext } from '../../types.js';
import { computeChanges, type ResourceChange } from '../engine/changes.js';
import { StackRun } from '../engine/run.js';
import { findStack, requireStack, type StackRecord, type Tag } from '../engine/state.js';
import { checkCapabilities, readTemplate } from '../engine/template-input.js';
import { resolveParameters, type ResolvedParameter } from '../template/parameters.js';
import { parseTemplateBody } from '../template/parse.js';
import { checkConditions, newStackRecord, parameterChecks, prepareUpdate, startCreate, startUpdate, type StackInput } from './stacks.js';

interface ChangeSetRecord {
  ChangeSetId: string;
  ChangeSetName: string;
  StackId: string;
  StackName: string;
  Description?: string;
  CreationTime: string;
  ChangeSetType: 'CREATE' | 'UPDATE';
  Status: string;
  StatusReason?: string;
  ExecutionStatus: string;
  Capabilities: string[];
  Tags?: Tag[];
  NotificationARNs: string[];
  templateBody: string;
  parameters: ResolvedParameter[];
  changes: ResourceChange[];
}

const table = (ctx: RequestContext) => ctx.cloud.store.table<ChangeSetRecord>('cloudformation.changeSet');
const NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set.";

function findChangeSet(ctx: RequestContext, name: string, stackName?: string): ChangeSetRecord {
  let found: ChangeSetRecord | undefined;
  if (name.startsWith('arn:')) found = table(ctx).get(ctx.region, name);
  else {
    if (!stackName) throw cfnErrors.validation('StackName must be specified if ChangeSetName is not specified as an ARN.');
    const stack = findStack(ctx, stackName);
    found =
      stack &&
      table(ctx)
        .list(ctx.region)
        .find((c) => c.StackId === stack.StackId && c.ChangeSetName === name);
  }
  if (!found) throw cfnErrors.changeSetNotFound(name);
  return found;
}

export async function createChangeSet(
  input: StackInput & { ChangeSetName: string; ChangeSetType?: string; Description?: string },
  ctx: RequestContext,
) {
  const type = input.ChangeSetType ?? 'UPDATE';
  if (type !== 'CREATE' && type !== 'UPDATE')
    throw cfnErrors.validation(`halo does not support ChangeSetType ${type}; use CREATE or UPDATE.`);
  let stack = findStack(ctx, input.StackName);
  let record: Omit<ChangeSetRecord, 'ChangeSetId' | 'StackId' | 'StackName' | 'CreationTime'>;
  if (type === 'CREATE') {
    if (stack && stack.StackStatus !== 'REVIEW_IN_PROGRESS') throw cfnErrors.stackExistsForChangeSet(input.StackName, input.ChangeSetName);
    const { body, template } = await readTemplate(input, ctx);
    checkCapabilities(template, input.Capabilities);
    const params = await resolveParameters(template.Parameters ?? {}, input.Parameters ?? [], undefined, parameterChecks(ctx));
    if (!stack) {
      stack = newStackRecord(ctx, input.StackName, input, '', { Resources: {} }, []);
      checkConditions(ctx.cloud, { ...stack, parameters: params }, template);
      const run = new StackRun(ctx.cloud, stack, { Resources: {} });
      run.setStackStatus('REVIEW_IN_PROGRESS', 'User Initiated');
    }
    record = base(input, 'CREATE', body, params, computeChanges(ctx.cloud, stack, template, params));
  } else {
    if (!stack) throw cfnErrors.validation(`Stack [${input.StackName}] does not exist`);
    if (stack.StackStatus === 'REVIEW_IN_PROGRESS')
      throw cfnErrors.validation(`Stack [${input.StackName}] does not exist. Use ChangeSetType CREATE to create it.`);
    const { body, template, params, unchanged } = await prepareUpdate(input, ctx, stack);
    const changes = computeChanges(ctx.cloud, stack, template, params);
    record = base(input, 'UPDATE', body, params, changes);
    if (unchanged || (!changes.length && body === stack.templateBody)) {
      record.Status = 'FAILED';
      record.StatusReason = NO_CHANGES;
      record.ExecutionStatus = 'UNAVAILABLE';
    }
  }
  const s = stack;
  if (
    table(ctx)
      .list(ctx.region)
      .some((c) => c.StackId === s.StackId && c.ChangeSetName === input.ChangeSetName)
  ) {
    throw cfnErrors.changeSetExists(input.ChangeSetName);
  }
  const id = `arn:aws:cloudformation:${ctx.region}:${ctx.accountId}:changeSet/${input.ChangeSetName}/${randomUUID()}`;
  table(ctx).put(ctx.region, id, {
    ...record,
    ChangeSetId: id,
    StackId: s.StackId,
    StackName: s.StackName,
    CreationTime: new Date(ctx.cloud.clock.now()).toISOString(),
  });
  return { Id: id, StackId: s.StackId };
}

function base(
  input: StackInput & { ChangeSetName: string; Description?: string },
  type: 'CREATE' | 'UPDATE',
  body: string,
  params: ResolvedParameter[],
  changes: ResourceChange[],
) {
  return {
    ChangeSetName: input.ChangeSetName,
    Description: input.Description,
    ChangeSetType: type,
    Status: 'CREATE_COMPLETE',
    ExecutionStatus: 'AVAILABLE',
    Capabilities: input.Capabilities ?? [],
    Tags: input.Tags,
    NotificationARNs: input.NotificationARNs ?? [],
    templateBody: body,
    parameters: params,
    changes,
  };
}

export function describeChangeSet(input: { ChangeSetName: string; StackName?: string }, ctx: RequestContext) {
  const c = findChangeSet(ctx, input.ChangeSetName, input.StackName);
  return {
    ChangeSetName: c.ChangeSetName,
    ChangeSetId: c.ChangeSetId,
    StackId: c.StackId,
    StackName: c.StackName,
    Description: c.Description,
    Parameters: c.parameters.map((p) => ({
      ParameterKey: p.key,
      ParameterValue: p.noEcho ? '****' : p.value,
      ResolvedValue: p.noEcho ? undefined : p.resolved,
    })),
    CreationTime: c.CreationTime,
    ExecutionStatus: c.ExecutionStatus,
    Status: c.Status,
    StatusReason: c.StatusReason,
    NotificationARNs: c.NotificationARNs,
    RollbackConfiguration: {},
    Capabilities: c.Capabilities,
    Tags: c.Tags,
    Changes: c.changes,
    IncludeNestedStacks: false,
  };
}

export function listChangeSets(input: { StackName: string; NextToken?: string }, ctx: RequestContext) {
  const stack = requireStack(ctx, input.StackName);
  const all = table(ctx)
    .list(ctx.region)
    .filter((c) => c.StackId === stack.StackId);
  const { items, NextToken } = cfnPage(all, input.NextToken, { StackId: stack.StackId });
  return {
    NextToken,
    Summaries: items.map((c) => ({
      StackId: c.StackId,
      StackName: c.StackName,
      ChangeSetId: c.ChangeSetId,
      ChangeSetName: c.ChangeSetName,
      ExecutionStatus: c.ExecutionStatus,
      Status: c.Status,
      StatusReason: c.StatusReason,
      CreationTime: c.CreationTime,
      Description: c.Description,
      IncludeNestedStacks: false,
    })),
  };
}

export function deleteChangeSet(input: { ChangeSetName: string; StackName?: string }, ctx: RequestContext) {
  const c = findChangeSet(ctx, input.ChangeSetName, input.StackName);
  table(ctx).delete(ctx.region, c.ChangeSetId);
  return {};
}

export function executeChangeSet(input: { ChangeSetName: string; StackName?: string; DisableRollback?: boolean }, ctx: RequestContext) {
  const c = findChangeSet(ctx, input.ChangeSetName, input.StackName);
  if (c.Status !== 'CREATE_COMPLETE' || c.ExecutionStatus !== 'AVAILABLE') {
    throw cfnErrors.invalidChangeSetStatus(c.ChangeSetId, c.Status);
  }
  const stack = requireStack(ctx, c.StackId);
  const template = parseTemplateBody(c.templateBody);
  for (const other of table(ctx).list(ctx.region)) if (other.StackId === stack.StackId) table(ctx).delete(ctx.region, other.ChangeSetId);
  if (c.ChangeSetType === 'CREATE') {
    if (stack.StackStatus !== 'REVIEW_IN_PROGRESS')
      throw cfnErrors.validation(`Stack ${stack.StackName} is in ${stack.StackStatus} state and the change set cannot be executed.`);
    const created: StackRecord = {
      ...stack,
      templateBody: c.templateBody,
      parameters: c.parameters,
      Description: template.Description,
      Capabilities: c.Capabilities,
      Tags: c.Tags ?? stack.Tags,
      DisableRollback: input.DisableRollback ?? false,
    };
    const run = new StackRun(ctx.cloud, created, template);
    run.setStackStatus('CREATE_IN_PROGRESS', 'User Initiated');
    startCreate(run, false);
  } else {
    startUpdate(
      ctx,
      stack,
      { templateBody: c.templateBody, template, parameters: c.parameters, tags: c.Tags, disableRollback: input.DisableRollback },
      c.Capabilities,
    );
  }
  return {};
}

/** GetTemplate of a change set: its template. */
export function changeSetTemplate(ctx: RequestContext, name: string, stackName?: string): string {
  return findChangeSet(ctx, name, stackName).templateBody;
}
