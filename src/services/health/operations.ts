import { paginate, withoutPaging } from '../../protocol/paginate.js';
import type { RequestContext } from '../types.js';
import type { DescribeEventDetailsOutput } from './generated/types.js';
import { healthErrors } from './errors.js';
import { findHealthEvent, listHealthEvents, type HealthEventRecord } from './events.js';

/**
 * The AWS Health API over the events other services record (events.ts): DescribeEvents, DescribeEventDetails,
 * DescribeAffectedEntities, DescribeEventTypes. One account, no organization view.
 */
type TimeRange = { from?: Date; to?: Date };

interface EventFilter {
  eventArns?: string[];
  eventTypeCodes?: string[];
  services?: string[];
  regions?: string[];
  availabilityZones?: string[];
  startTimes?: TimeRange[];
  endTimes?: TimeRange[];
  lastUpdatedTimes?: TimeRange[];
  entityArns?: string[];
  entityValues?: string[];
  eventTypeCategories?: string[];
  eventStatusCodes?: string[];
}

/** The event types halo can post (EC2 recoveries, a dark zone), listed by DescribeEventTypes with any recorded ones. */
const KNOWN_TYPES: Array<{ service: string; code: string; category: string }> = [
  { service: 'EC2', code: 'AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_SUCCESS', category: 'issue' },
  { service: 'EC2', code: 'AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_FAILURE', category: 'issue' },
  { service: 'EC2', code: 'AWS_EC2_INSTANCE_AUTO_RECOVERY_SUCCESS', category: 'issue' },
  { service: 'EC2', code: 'AWS_EC2_INSTANCE_AUTO_RECOVERY_FAILURE', category: 'issue' },
  { service: 'EC2', code: 'AWS_EC2_OPERATIONAL_ISSUE', category: 'issue' },
];

function checkLocale(locale: string | undefined): void {
  if (locale !== undefined && !/^en(-US)?$/i.test(locale)) throw healthErrors.unsupportedLocale(locale);
}

const inRanges = (t: number | undefined, ranges: TimeRange[] | undefined) =>
  !ranges?.length ||
  (t !== undefined && ranges.some((r) => (!r.from || t >= new Date(r.from).getTime()) && (!r.to || t <= new Date(r.to).getTime())));
const inList = (v: string | undefined, list: string[] | undefined) => !list?.length || (v !== undefined && list.includes(v));

function matches(e: HealthEventRecord, f: EventFilter | undefined): boolean {
  if (!f) return true;
  return (
    inList(e.arn, f.eventArns) &&
    inList(e.eventTypeCode, f.eventTypeCodes) &&
    inList(e.service, f.services) &&
    inList(e.region, f.regions) &&
    inList(e.availabilityZone, f.availabilityZones) &&
    inList(e.eventTypeCategory, f.eventTypeCategories) &&
    inList(e.statusCode, f.eventStatusCodes) &&
    inRanges(e.startTime, f.startTimes) &&
    inRanges(e.endTime, f.endTimes) &&
    inRanges(e.lastUpdatedTime, f.lastUpdatedTimes) &&
    (!f.entityArns?.length || e.entities.some((x) => f.entityArns?.includes(x.entityArn))) &&
    (!f.entityValues?.length || e.entities.some((x) => f.entityValues?.includes(x.entityValue)))
  );
}

const wire = (e: HealthEventRecord) => ({
  arn: e.arn,
  service: e.service,
  eventTypeCode: e.eventTypeCode,
  eventTypeCategory: e.eventTypeCategory,
  region: e.region,
  availabilityZone: e.availabilityZone,
  startTime: new Date(e.startTime),
  endTime: e.endTime !== undefined ? new Date(e.endTime) : undefined,
  lastUpdatedTime: new Date(e.lastUpdatedTime),
  statusCode: e.statusCode,
  eventScopeCode: e.eventScopeCode,
});

/** Pages of a list, through the one paginator (the model bounds maxResults); the token is bound to the request. */
function page<T>(
  items: T[],
  input: { maxResults?: number; nextToken?: string },
  limits: [number, number],
): { items: T[]; nextToken?: string } {
  const { items: slice, next } = paginate(items, {
    token: input.nextToken,
    max: input.maxResults,
    defaultMax: limits[1],
    limit: limits[1],
    bind: withoutPaging(input, 'maxResults', 'nextToken'),
    badToken: () => healthErrors.invalidPaginationToken(),
  });
  return { items: slice, nextToken: next };
}

export function describeEvents(
  input: { filter?: EventFilter; maxResults?: number; nextToken?: string; locale?: string },
  ctx: RequestContext,
) {
  checkLocale(input.locale);
  const list = listHealthEvents(ctx.cloud)
    .filter((e) => matches(e, input.filter))
    .sort((a, b) => b.lastUpdatedTime - a.lastUpdatedTime);
  const p = page(list, input, [10, 100]);
  return { events: p.items.map(wire), nextToken: p.nextToken };
}

export function describeEventDetails(input: { eventArns: string[]; locale?: string }, ctx: RequestContext) {
  checkLocale(input.locale);
  if (!input.eventArns.length || input.eventArns.length > 10) {
    throw healthErrors.eventArnsLength('eventArns');
  }
  const successfulSet: NonNullable<DescribeEventDetailsOutput['successfulSet']> = [];
  const failedSet: NonNullable<DescribeEventDetailsOutput['failedSet']> = [];
  for (const arn of input.eventArns) {
    const e = findHealthEvent(ctx.cloud, arn);
    if (!e) failedSet.push({ eventArn: arn, errorName: 'EventNotFound', errorMessage: `Event ${arn} was not found.` });
    else successfulSet.push({ event: wire(e), eventDescription: { latestDescription: e.description }, eventMetadata: e.metadata ?? {} });
  }
  return { successfulSet, failedSet };
}

export function describeAffectedEntities(
  input: {
    filter: { eventArns: string[]; entityArns?: string[]; entityValues?: string[]; statusCodes?: string[]; lastUpdatedTimes?: TimeRange[] };
    maxResults?: number;
    nextToken?: string;
    locale?: string;
  },
  ctx: RequestContext,
) {
  checkLocale(input.locale);
  const f = input.filter;
  if (!f.eventArns?.length || f.eventArns.length > 10) {
    throw healthErrors.eventArnsLength('filter.eventArns');
  }
  const rows = f.eventArns
    .flatMap((arn) => {
      const e = findHealthEvent(ctx.cloud, arn);
      return (e?.entities ?? []).map((x) => ({
        entityArn: x.entityArn,
        eventArn: arn,
        entityValue: x.entityValue,
        awsAccountId: ctx.accountId,
        lastUpdatedTime: new Date(x.lastUpdatedTime),
        statusCode: x.statusCode,
      }));
    })
    .filter(
      (x) =>
        inList(x.entityArn, f.entityArns) &&
        inList(x.entityValue, f.entityValues) &&
        inList(x.statusCode, f.statusCodes) &&
        inRanges(x.lastUpdatedTime.getTime(), f.lastUpdatedTimes),
    );
  const p = page(rows, input, [1, 100]);
  return { entities: p.items, nextToken: p.nextToken };
}

export function describeEventTypes(
  input: {
    filter?: { eventTypeCodes?: string[]; services?: string[]; eventTypeCategories?: string[] };
    maxResults?: number;
    nextToken?: string;
    locale?: string;
  },
  ctx: RequestContext,
) {
  checkLocale(input.locale);
  const all = new Map(KNOWN_TYPES.map((t) => [t.code, t]));
  for (const e of listHealthEvents(ctx.cloud))
    if (!all.has(e.eventTypeCode)) all.set(e.eventTypeCode, { service: e.service, code: e.eventTypeCode, category: e.eventTypeCategory });
  const f = input.filter;
  const list = [...all.values()].filter(
    (t) => inList(t.code, f?.eventTypeCodes) && inList(t.service, f?.services) && inList(t.category, f?.eventTypeCategories),
  );
  const p = page(list, input, [10, 100]);
  return { eventTypes: p.items, nextToken: p.nextToken };
}
