import type { Cloud } from '../../../cloud.js';
import { liveKey } from '../../../store/live.js';
import { parseTemplateBody, type Template } from '../template/parse.js';
import { validateTemplate, type TemplateGraph } from '../template/validate.js';
import type { StackRecord } from './state.js';

/**
 * What the engine keeps of a stack between its operations while the cloud runs, so that the next operation does
 * not redo work: not persisted (after a restart everything is read and worked out again), dropped when the stack
 * is deleted.
 */
interface StackMemo {
  /** The stack's template as last parsed, with the body it came from. */
  parsed?: { body: string; template: Template; graph?: TemplateGraph };
  /** By logical id, the properties text of the resource's latest stored event that had properties (event-store.ts). */
  eventProperties?: Map<string, string>;
  /** The text of each resources' properties object an event of the stack carried (the objects are never changed). */
  propertiesText: WeakMap<object, string>;
  /**
   * The record object the stack's last operation ended with (every change saved): the next operation takes it
   * (readStack checks that the rows still hold it) instead of parsing the rows again. Taken once: one owner.
   */
  record?: StackRecord;
}

const MEMOS = liveKey('cloudformation.stackMemos', () => new Map<string, StackMemo>());

export function stackMemo(cloud: Cloud, stackId: string): StackMemo {
  const memos = cloud.live.get(MEMOS);
  let memo = memos.get(stackId);
  if (!memo) {
    memo = { propertiesText: new WeakMap() };
    memos.set(stackId, memo);
  }
  return memo;
}

export function forgetStack(cloud: Cloud, stackId: string): void {
  cloud.live.peek(MEMOS)?.delete(stackId);
}

/** Keeps the record a stack operation ended with, once that operation has saved its last change and holds it no more. */
export function handOver(cloud: Cloud, stack: StackRecord): void {
  // A deleted stack has no next operation (and its memo is gone).
  if (stack.StackStatus !== 'DELETE_COMPLETE') stackMemo(cloud, stack.StackId).record = stack;
}

/** The record the stack's last operation handed over, if any, for the next one alone. */
export function takeRecord(cloud: Cloud, stackId: string): StackRecord | undefined {
  const memo = cloud.live.peek(MEMOS)?.get(stackId);
  const record = memo?.record;
  if (memo) memo.record = undefined;
  return record;
}

/** Remembers the template a stack's body parsed to (the engine never changes a parsed template). */
export function rememberTemplate(cloud: Cloud, stackId: string, body: string, template: Template, graph: TemplateGraph): void {
  stackMemo(cloud, stackId).parsed = { body, template, graph };
}

/**
 * A stack's stored template, parsed (its body was valid when the stack took it), with its graph unless the checks of
 * this version refuse it (the operation then meets that error where it needs the graph, as without the memo).
 */
export function storedTemplate(
  cloud: Cloud,
  stack: { StackId: string; templateBody: string },
): { template: Template; graph?: TemplateGraph } {
  const memo = stackMemo(cloud, stack.StackId);
  if (memo.parsed?.body === stack.templateBody) return memo.parsed;
  const template = parseTemplateBody(stack.templateBody);
  let graph: TemplateGraph | undefined;
  try {
    graph = validateTemplate(template);
  } catch {
    graph = undefined;
  }
  memo.parsed = { body: stack.templateBody, template, graph };
  return memo.parsed;
}
