import type { RequestContext } from '../../types.js';
import { stackMemo } from './stack-memo.js';
import type { StackEvent, StackRecord } from './state.js';

/**
 * Stack events live in rows of their own (scope: the stack id), apart from the stack's record. A row holds the
 * events one save wrote, oldest first, with the stack's name once and each event as a list of its fields in a fixed
 * order (no field names repeated ninety times). An event whose resource properties are the text of the latest
 * earlier event of the same resource that had properties (in this row or an earlier one of the stack) holds
 * SAME_PROPERTIES instead: a resource's events carry the same properties from its creation to its deletion, and
 * they are the larger part of an event. Rows of the two earlier forms still read: one whole event each, and
 * `{ stackName, events }` with whole events.
 */
type EventFields = [
  /** A resource event's id (`<logical id>-<status>-<timestamp>-<suffix>`) as `-<suffix>`: the rest is in other fields. */
  EventId: string,
  LogicalResourceId: string,
  PhysicalResourceId: string | null,
  ResourceType: string,
  Timestamp: string,
  ResourceStatus: string,
  ResourceStatusReason: string | null,
  ResourceProperties: string | null | typeof SAME_PROPERTIES,
];
type EventRow =
  { stackName: string; fields: EventFields[] } | { stackName: string; events: Omit<StackEvent, 'StackId' | 'StackName'>[] } | StackEvent;

const SAME_PROPERTIES = 1;

const eventTable = (ctx: Pick<RequestContext, 'cloud'>) => ctx.cloud.store.table<EventRow>('cloudformation.event');

/**
 * Records events of a stack, oldest first. Call inside the transaction that saves the stack's record, and
 * `forgetStack` when that transaction fails: what this cloud remembers of the stack's stored events must be what
 * is stored. The first write of a stack by this cloud (a new one, or after a restart) repeats each text once.
 */
export function appendEvents(
  ctx: Pick<RequestContext, 'cloud'>,
  stack: Pick<StackRecord, 'StackId' | 'StackName'>,
  events: StackEvent[],
): void {
  if (!events.length) return;
  const memo = stackMemo(ctx.cloud, stack.StackId);
  const written = new Map(memo.eventProperties);
  const fields = events.map((e): EventFields => {
    let properties: EventFields[7] = e.ResourceProperties ?? null;
    if (e.ResourceProperties !== undefined) {
      if (written.get(e.LogicalResourceId) === e.ResourceProperties) properties = SAME_PROPERTIES;
      written.set(e.LogicalResourceId, e.ResourceProperties);
    }
    const { EventId, LogicalResourceId, PhysicalResourceId, ResourceType, Timestamp, ResourceStatus, ResourceStatusReason } = e;
    const derived = `${LogicalResourceId}-${ResourceStatus}-${Timestamp}-`;
    return [
      EventId.startsWith(derived) ? EventId.slice(derived.length - 1) : EventId,
      LogicalResourceId,
      PhysicalResourceId ?? null,
      ResourceType,
      Timestamp,
      ResourceStatus,
      ResourceStatusReason ?? null,
      properties,
    ];
  });
  eventTable(ctx).insert(stack.StackId, events[0].EventId, { stackName: stack.StackName, fields });
  memo.eventProperties = written;
}

/** A stack's events, oldest first. */
export function stackEvents(ctx: Pick<RequestContext, 'cloud'>, stackId: string): StackEvent[] {
  const properties = new Map<string, string>();
  return eventTable(ctx)
    .list(stackId)
    .flatMap((row) => {
      if ('fields' in row) return rowEvents(stackId, row.stackName, row.fields, properties);
      if ('events' in row) return row.events.map((e) => ({ StackId: stackId, StackName: row.stackName, ...e }));
      return [row];
    });
}

/** The events of a row; `properties`: the latest properties text of each resource so far, kept up to date. */
function rowEvents(StackId: string, StackName: string, rows: EventFields[], properties: Map<string, string>): StackEvent[] {
  return rows.map(([id, LogicalResourceId, physicalId, ResourceType, Timestamp, ResourceStatus, reason, props]) => {
    const EventId = id.startsWith('-') ? `${LogicalResourceId}-${ResourceStatus}-${Timestamp}${id}` : id;
    const event: StackEvent = {
      StackId,
      StackName,
      EventId,
      LogicalResourceId,
      ...(physicalId === null ? {} : { PhysicalResourceId: physicalId }),
      ResourceType,
      Timestamp,
      ResourceStatus,
    };
    if (reason !== null) event.ResourceStatusReason = reason;
    const text = props === SAME_PROPERTIES ? properties.get(LogicalResourceId) : props;
    if (typeof text === 'string') {
      event.ResourceProperties = text;
      properties.set(LogicalResourceId, text);
    }
    return event;
  });
}
