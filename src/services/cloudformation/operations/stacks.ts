import type { Cloud } from '../../../cloud.js';
import { cfnErrors } from '../errors.js';
import type { RequestContext } from '../../types.js';
import { enqueue } from '../engine/queue.js';
import { runCreate, runDelete, runUpdate } from '../engine/lifecycle.js';
import { StackRun } from '../engine/run.js';
import { stackScope } from '../engine/scope.js';
import { readStack } from '../engine/stack-store.js';
import { handOver, rememberTemplate, storedTemplate, takeRecord } from '../engine/stack-memo.js';
import { findSummary, newStackId, requireStack, type StackRecord, type Tag } from '../engine/state.js';
import { checkCapabilities, readTemplate, requiredCapabilities } from '../engine/template-input.js';
import { resolveParameters, type GivenParameter, type ResolvedParameter } from '../template/parameters.js';
import type { Template } from '../template/parse.js';

export interface StackInput {
  StackName: string;
  TemplateBody?: string;
  TemplateURL?: string;
  UsePreviousTemplate?: boolean;
  Parameters?: GivenParameter[];
  Capabilities?: string[];
  Tags?: Tag[];
  NotificationARNs?: string[];
  DisableRollback?: boolean;
  OnFailure?: string;
  TimeoutInMinutes?: number;
}

function checkStackName(name: string): void {
  if (!/^[a-zA-Z][-a-zA-Z0-9]*$/.test(name) || name.length > 128) {
    throw cfnErrors.validation(
      `1 validation error detected: Value '${name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`,
    );
  }
}

export const parameterChecks = (ctx: RequestContext) => ({
  region: ctx.region,
  invoke: (service: string, operation: string, input: unknown) =>
    ctx.cloud.invoke<unknown>(service, operation, input, { region: ctx.region }),
});

/** Evaluates every condition once, so a bad condition is a ValidationError of the call, before anything is made. */
export function checkConditions(cloud: Cloud, stack: StackRecord, template: Template): void {
  const scope = stackScope({ cloud, stack, template, pending: true });
  for (const name of Object.keys(template.Conditions ?? {})) scope.condition(name);
}

export function newStackRecord(
  ctx: RequestContext,
  name: string,
  input: StackInput,
  body: string,
  template: Template,
  params: ResolvedParameter[],
): StackRecord {
  return {
    StackId: newStackId(ctx.region, ctx.accountId, name),
    StackName: name,
    region: ctx.region,
    Description: template.Description,
    CreationTime: new Date(ctx.cloud.clock.now()).toISOString(),
    StackStatus: 'CREATE_IN_PROGRESS',
    DisableRollback: input.DisableRollback ?? input.OnFailure === 'DO_NOTHING',
    Capabilities: input.Capabilities ?? [],
    Tags: input.Tags ?? [],
    NotificationARNs: input.NotificationARNs ?? [],
    TimeoutInMinutes: input.TimeoutInMinutes,
    templateBody: body,
    parameters: params,
    outputs: [],
    resources: {},
    imports: [],
  };
}

export async function createStack(input: StackInput, ctx: RequestContext) {
  checkStackName(input.StackName);
  if (input.DisableRollback !== undefined && input.OnFailure !== undefined)
    throw cfnErrors.validation('You cannot specify both DisableRollback and OnFailure.');
  const exists = () => {
    if (findSummary(ctx, input.StackName)) throw cfnErrors.stackExists(input.StackName);
  };
  exists();
  const { body, template, graph } = await readTemplate(input, ctx);
  checkCapabilities(template, input.Capabilities);
  const params = await resolveParameters(template.Parameters ?? {}, input.Parameters ?? [], undefined, parameterChecks(ctx));
  exists();
  const stack = newStackRecord(ctx, input.StackName, input, body, template, params);
  checkConditions(ctx.cloud, stack, template);
  rememberTemplate(ctx.cloud, stack.StackId, body, template, graph);
  const run = new StackRun(ctx.cloud, stack, template, graph);
  run.setStackStatus('CREATE_IN_PROGRESS', 'User Initiated');
  startCreate(run, input.OnFailure === 'DELETE');
  return { StackId: stack.StackId };
}

export function startCreate(run: StackRun, deleteOnFailure: boolean): void {
  void enqueue(run.cloud, run.stack.StackId, async () => {
    await runCreate(run);
    if (deleteOnFailure && run.stack.StackStatus === 'ROLLBACK_COMPLETE') {
      run.setStackStatus('DELETE_IN_PROGRESS', 'User Initiated');
      await runDelete(run);
    }
    handOver(run.cloud, run.stack);
  });
}

const UPDATABLE = ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'UPDATE_FAILED'];

/** Everything UpdateStack and CreateChangeSet (UPDATE) check before changing anything. */
export async function prepareUpdate(input: StackInput, ctx: RequestContext, stack: StackRecord) {
  let body: string;
  let template: Template;
  if (input.UsePreviousTemplate) {
    if (input.TemplateBody !== undefined || input.TemplateURL !== undefined)
      throw cfnErrors.validation('You cannot specify both usePreviousTemplate and Template Body/Template URL');
    ({ body, template } = await readTemplate({ TemplateBody: stack.templateBody }, ctx));
  } else {
    ({ body, template } = await readTemplate(input, ctx));
  }
  checkCapabilities(template, input.Capabilities);
  const previous = Object.fromEntries(stack.parameters.map((p) => [p.key, p.value]));
  const params = await resolveParameters(template.Parameters ?? {}, input.Parameters ?? [], previous, parameterChecks(ctx));
  checkConditions(ctx.cloud, { ...stack, parameters: params }, template);
  const sameParams =
    JSON.stringify(params.map((p) => [p.key, p.value, p.resolved])) ===
    JSON.stringify(stack.parameters.map((p) => [p.key, p.value, p.resolved]));
  const sameTags = input.Tags === undefined || JSON.stringify(input.Tags) === JSON.stringify(stack.Tags);
  return { body, template, params, unchanged: body === stack.templateBody && sameParams && sameTags };
}

export async function updateStack(input: StackInput, ctx: RequestContext) {
  const stack = requireStack(ctx, input.StackName);
  if (!UPDATABLE.includes(stack.StackStatus))
    throw cfnErrors.validation(`Stack:${stack.StackId} is in ${stack.StackStatus} state and can not be updated.`);
  const { body, template, params, unchanged } = await prepareUpdate(input, ctx, stack);
  if (unchanged) throw cfnErrors.validation('No updates are to be performed.');
  const current = requireStack(ctx, stack.StackId);
  if (!UPDATABLE.includes(current.StackStatus))
    throw cfnErrors.validation(`Stack:${stack.StackId} is in ${current.StackStatus} state and can not be updated.`);
  startUpdate(
    ctx,
    current,
    { templateBody: body, template, parameters: params, tags: input.Tags, disableRollback: input.DisableRollback },
    input.Capabilities,
  );
  return { StackId: stack.StackId };
}

export function startUpdate(
  ctx: RequestContext,
  stack: StackRecord,
  next: Parameters<typeof runUpdate>[1],
  capabilities: string[] | undefined,
): void {
  stack.Capabilities = capabilities ?? [];
  const { template, graph } = storedTemplate(ctx.cloud, stack);
  const run = new StackRun(ctx.cloud, stack, template, graph);
  // The stack shows UPDATE_IN_PROGRESS from the moment the call returns.
  stack.StackStatus = 'UPDATE_IN_PROGRESS';
  run.save();
  void enqueue(ctx.cloud, stack.StackId, async () => {
    await runUpdate(run, next);
    handOver(ctx.cloud, run.stack);
  });
}

export async function deleteStack(input: { StackName: string; RetainResources?: string[] }, ctx: RequestContext) {
  const stack = findSummary(ctx, input.StackName);
  if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return {};
  // The whole record is read here only for what this call checks; the deletion reads it when its turn comes.
  const whole = () => readStack(ctx, ctx.region, stack.StackId) as StackRecord;
  if (stack.StackStatus === 'REVIEW_IN_PROGRESS') {
    // Only a change set of type CREATE made it: nothing exists to delete.
    const reviewed = whole();
    const run = new StackRun(ctx.cloud, reviewed, { Resources: {} });
    run.setStackStatus('DELETE_IN_PROGRESS', 'User Initiated');
    reviewed.DeletionTime = run.now();
    run.setStackStatus('DELETE_COMPLETE');
    return {};
  }
  if (input.RetainResources?.length && stack.StackStatus !== 'DELETE_FAILED') {
    throw cfnErrors.validation(
      `Invalid operation on stack ${stack.StackId}. RetainResources can only be specified when stack is in DELETE_FAILED state`,
    );
  }
  const resources = input.RetainResources?.length ? whole().resources : {};
  for (const id of input.RetainResources ?? []) {
    if (!resources[id])
      throw cfnErrors.validation(`The specified resources [${id}] to retain must be in a valid state. Resources not found: [${id}]`);
  }
  void enqueue(ctx.cloud, stack.StackId, async () => {
    const current = readStack(ctx, ctx.region, stack.StackId, takeRecord(ctx.cloud, stack.StackId));
    if (!current || current.StackStatus === 'DELETE_COMPLETE' || current.StackStatus === 'DELETE_IN_PROGRESS') return;
    const { template, graph } = storedTemplate(ctx.cloud, current);
    const run = new StackRun(ctx.cloud, current, template, graph);
    run.setStackStatus('DELETE_IN_PROGRESS', 'User Initiated', true);
    await runDelete(run, input.RetainResources ?? []);
  });
  return {};
}

/** A template's parameter declaration, as ValidateTemplate shows it. */
type TemplateParameter = { Default?: unknown; NoEcho?: unknown; Description?: string };

export async function validateTemplateOp(input: { TemplateBody?: string; TemplateURL?: string }, ctx: RequestContext) {
  const { template } = await readTemplate(input, ctx);
  return {
    Parameters: Object.entries((template.Parameters ?? {}) as Record<string, TemplateParameter>).map(([key, def]) => ({
      ParameterKey: key,
      DefaultValue: def.Default === undefined ? undefined : Array.isArray(def.Default) ? def.Default.join(',') : String(def.Default),
      NoEcho: String(def.NoEcho) === 'true',
      Description: def.Description,
    })),
    Description: template.Description,
    ...requiredCapabilities(template),
    DeclaredTransforms: [],
  };
}
