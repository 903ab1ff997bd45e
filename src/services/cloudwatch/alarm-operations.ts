import { paginate, withoutPaging } from '../../protocol/paginate.js';
import { cloudwatchErrors } from './errors.js';
import type { RequestContext } from '../types.js';
import { evaluateAlarm } from './alarm-evaluator.js';
import { alarmHistory } from './alarm-history.js';
import { addHighResolutionAlarm, alarmKey, evaluationTime, isHighResolutionPeriod } from './alarm-schedule.js';
import {
  alarmArn,
  alarmPeriod,
  alarmTable,
  alarmTypeOf,
  checkAlarmConfig,
  compositeTable,
  findAnyAlarm,
  isComposite,
  type AlarmConfig,
  type AlarmRecord,
  type AnyAlarm,
} from './alarm-model.js';
import { parseRule, ruleAlarms } from './composite-rule.js';
import type { AlarmStateValue } from './alarm-rules.js';
import { changeState } from './alarm-state.js';
import { sortedDimensions, type Dimension } from './metric-store.js';
import type { PutMetricAlarmInput } from './generated/types.js';

const STATES: AlarmStateValue[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

/** The alarm's configuration in the camelCase form of ConfigurationUpdate history items. */
function configDoc(a: AlarmRecord): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined || k === 'Tags' || k.startsWith('State')) continue;
    doc[k[0].toLowerCase() + k.slice(1)] = v;
  }
  return doc;
}

export function putMetricAlarm(input: PutMetricAlarmInput, ctx: RequestContext) {
  const config: AlarmConfig = checkAlarmConfig(input, ctx.region);
  const cloud = ctx.cloud;
  const now = cloud.clock.now();
  const iso = new Date(now).toISOString();
  const table = alarmTable(cloud);
  if (compositeTable(cloud).get(ctx.region, config.AlarmName))
    throw cloudwatchErrors.invalidParameterValue(`The alarm name ${config.AlarmName} is already used by a composite alarm.`);
  const existing = table.get(ctx.region, config.AlarmName);
  // An update keeps the state but replaces the whole configuration (and ignores Tags, as AWS does).
  const alarm: AlarmRecord = {
    ...config,
    Tags: existing ? existing.Tags : config.Tags,
    AlarmArn: alarmArn(ctx.region, ctx.accountId, config.AlarmName),
    AlarmConfigurationUpdatedTimestamp: iso,
    StateValue: existing?.StateValue ?? 'INSUFFICIENT_DATA',
    StateReason: existing?.StateReason ?? 'Unchecked: Initial alarm creation',
    StateReasonData: existing?.StateReasonData,
    StateUpdatedTimestamp: existing?.StateUpdatedTimestamp ?? iso,
    StateTransitionedTimestamp: existing?.StateTransitionedTimestamp ?? iso,
  };
  cloud.store.tx(() => {
    table.put(ctx.region, alarm.AlarmName, alarm);
    const history = existing
      ? { type: 'Update', version: '1.0', originalUpdatedAlarm: configDoc(existing), updatedAlarm: configDoc(alarm) }
      : { type: 'Create', version: '1.0', createdAlarm: configDoc(alarm) };
    alarmHistory(cloud).add(
      ctx.region,
      alarm.AlarmName,
      now,
      'ConfigurationUpdate',
      `Alarm "${alarm.AlarmName}" ${existing ? 'updated' : 'created'}`,
      history,
    );
  });
  const period = alarmPeriod(alarm);
  if (isHighResolutionPeriod(period)) addHighResolutionAlarm(cloud, alarmKey(ctx.region, alarm.AlarmName));
  // AWS evaluates a new or updated alarm right away, then every minute (every 10 seconds if high-resolution).
  cloud.clock.after(0, () => {
    const current = table.get(ctx.region, alarm.AlarmName);
    if (!current) return;
    evaluateAlarm(cloud, ctx.region, current, evaluationTime(alarmPeriod(current), cloud.clock.now()));
  });
  return {};
}

const view = (a: AnyAlarm) => ({ ...a, Tags: undefined });

function page<T>(items: T[], input: { MaxRecords?: number; NextToken?: string }, limit = 100): { items: T[]; next?: string } {
  return paginate(items, {
    token: input.NextToken,
    max: input.MaxRecords,
    defaultMax: 50,
    limit,
    bind: withoutPaging(input, 'MaxRecords', 'NextToken'),
    badToken: () => cloudwatchErrors.invalidNextToken(),
    badSize: () => cloudwatchErrors.invalidParameterValue(`The parameter MaxRecords must be between 1 and ${limit}.`),
  });
}

function checkState(value: string | undefined, param: string): void {
  if (value !== undefined && !STATES.includes(value as AlarmStateValue))
    throw cloudwatchErrors.invalidParameterValue(
      `The value ${value} for parameter ${param} is invalid. Use OK, ALARM or INSUFFICIENT_DATA.`,
    );
}

export function describeAlarms(
  input: {
    AlarmNames?: string[];
    AlarmNamePrefix?: string;
    AlarmTypes?: string[];
    ChildrenOfAlarmName?: string;
    ParentsOfAlarmName?: string;
    StateValue?: string;
    ActionPrefix?: string;
    MaxRecords?: number;
    NextToken?: string;
  },
  ctx: RequestContext,
) {
  if (input.AlarmNames && input.AlarmNamePrefix !== undefined)
    throw cloudwatchErrors.invalidParameterCombination('AlarmNames and AlarmNamePrefix cannot be specified together.');
  if (input.ChildrenOfAlarmName !== undefined && input.ParentsOfAlarmName !== undefined)
    throw cloudwatchErrors.invalidParameterCombination('ChildrenOfAlarmName and ParentsOfAlarmName cannot be specified together.');
  if ((input.AlarmNames?.length ?? 0) > 100)
    throw cloudwatchErrors.invalidParameterValue('The collection AlarmNames must not have more than 100 members.');
  checkState(input.StateValue, 'StateValue');
  for (const t of input.AlarmTypes ?? [])
    if (t !== 'MetricAlarm' && t !== 'CompositeAlarm')
      throw cloudwatchErrors.invalidParameterValue(`The value ${t} for parameter AlarmTypes is invalid.`);
  const wantMetric = !input.AlarmTypes?.length || input.AlarmTypes.includes('MetricAlarm');
  const wantComposite = !!input.AlarmTypes?.includes('CompositeAlarm');
  let alarms: AnyAlarm[] = [
    ...(wantMetric ? alarmTable(ctx.cloud).list(ctx.region) : []),
    ...(wantComposite ? compositeTable(ctx.cloud).list(ctx.region) : []),
  ];
  if (input.ChildrenOfAlarmName !== undefined) {
    const parent = compositeTable(ctx.cloud).get(ctx.region, input.ChildrenOfAlarmName);
    const children = new Set(parent ? ruleAlarms(parseRule(parent.AlarmRule)) : []);
    alarms = alarms.filter((a) => children.has(a.AlarmName));
  }
  if (input.ParentsOfAlarmName !== undefined) {
    const child = input.ParentsOfAlarmName;
    alarms = alarms.filter((a) => isComposite(a) && ruleAlarms(parseRule(a.AlarmRule)).includes(child));
  }
  if (input.AlarmNames?.length) alarms = alarms.filter((a) => input.AlarmNames?.includes(a.AlarmName));
  if (input.AlarmNamePrefix !== undefined) alarms = alarms.filter((a) => a.AlarmName.startsWith(input.AlarmNamePrefix as string));
  if (input.StateValue) alarms = alarms.filter((a) => a.StateValue === input.StateValue);
  if (input.ActionPrefix !== undefined) {
    const prefix = input.ActionPrefix;
    alarms = alarms.filter((a) => [...a.AlarmActions, ...a.OKActions, ...a.InsufficientDataActions].some((arn) => arn.startsWith(prefix)));
  }
  alarms.sort((a, b) => (a.AlarmName < b.AlarmName ? -1 : 1));
  const { items, next } = page(alarms, input);
  return {
    MetricAlarms: items.filter((a) => !isComposite(a)).map(view),
    CompositeAlarms: wantComposite ? items.filter(isComposite).map(view) : undefined,
    NextToken: next,
  };
}

const sameDimensions = (a: Dimension[] | undefined, b: Dimension[] | undefined) =>
  JSON.stringify(sortedDimensions(a)) === JSON.stringify(sortedDimensions(b));

export function describeAlarmsForMetric(
  input: {
    MetricName: string;
    Namespace: string;
    Statistic?: string;
    ExtendedStatistic?: string;
    Dimensions?: Dimension[];
    Period?: number;
    Unit?: string;
  },
  ctx: RequestContext,
) {
  const alarms = alarmTable(ctx.cloud)
    .list(ctx.region)
    .filter(
      (a) =>
        a.MetricName === input.MetricName &&
        a.Namespace === input.Namespace &&
        (input.Statistic === undefined || a.Statistic === input.Statistic) &&
        (input.ExtendedStatistic === undefined || a.ExtendedStatistic === input.ExtendedStatistic) &&
        (input.Dimensions === undefined || sameDimensions(a.Dimensions, input.Dimensions)) &&
        (input.Period === undefined || a.Period === input.Period) &&
        (input.Unit === undefined || a.Unit === input.Unit),
    );
  return { MetricAlarms: alarms.sort((a, b) => (a.AlarmName < b.AlarmName ? -1 : 1)).map(view) };
}

/** As AWS: if any named alarm does not exist, nothing is deleted. */
export function deleteAlarms(input: { AlarmNames: string[] }, ctx: RequestContext) {
  if (input.AlarmNames.length > 100)
    throw cloudwatchErrors.invalidParameterValue('The collection AlarmNames must not have more than 100 members.');
  const found = input.AlarmNames.map((n) => findAnyAlarm(ctx.cloud, ctx.region, n));
  const missing = input.AlarmNames.filter((_, i) => !found[i]);
  if (missing.length) throw cloudwatchErrors.alarmsNotFound(missing);
  const now = ctx.cloud.clock.now();
  ctx.cloud.store.tx(() => {
    for (const a of found as AnyAlarm[]) {
      if (isComposite(a)) compositeTable(ctx.cloud).delete(ctx.region, a.AlarmName);
      else alarmTable(ctx.cloud).delete(ctx.region, a.AlarmName);
      alarmHistory(ctx.cloud).add(
        ctx.region,
        a.AlarmName,
        now,
        'ConfigurationUpdate',
        `Alarm "${a.AlarmName}" deleted`,
        { type: 'Delete', version: '1.0', deletedAlarm: configDoc(a as AlarmRecord) },
        alarmTypeOf(a),
      );
    }
  });
  return {};
}

export function setAlarmState(
  input: { AlarmName: string; StateValue: string; StateReason: string; StateReasonData?: string },
  ctx: RequestContext,
) {
  checkState(input.StateValue, 'StateValue');
  if (input.StateReason.length > 1023)
    throw cloudwatchErrors.invalidParameterValue('The parameter StateReason must not be longer than 1023 characters.');
  if (input.StateReasonData !== undefined) {
    if (input.StateReasonData.length > 4000)
      throw cloudwatchErrors.invalidParameterValue('The parameter StateReasonData must not be longer than 4000 characters.');
    try {
      JSON.parse(input.StateReasonData);
    } catch {
      throw cloudwatchErrors.invalidStateReasonData();
    }
  }
  const alarm = findAnyAlarm(ctx.cloud, ctx.region, input.AlarmName);
  if (!alarm) throw cloudwatchErrors.alarmNotFound(input.AlarmName);
  changeState(ctx.cloud, ctx.region, alarm, input.StateValue as AlarmStateValue, input.StateReason, input.StateReasonData, 'SetAlarmState');
  return {};
}

function setActionsEnabled(names: string[], enabled: boolean, ctx: RequestContext) {
  if (names.length > 100) throw cloudwatchErrors.invalidParameterValue('The collection AlarmNames must not have more than 100 members.');
  ctx.cloud.store.tx(() => {
    for (const name of names) {
      const a = findAnyAlarm(ctx.cloud, ctx.region, name);
      if (!a || a.ActionsEnabled === enabled) continue;
      if (isComposite(a)) compositeTable(ctx.cloud).put(ctx.region, name, { ...a, ActionsEnabled: enabled });
      else alarmTable(ctx.cloud).put(ctx.region, name, { ...a, ActionsEnabled: enabled });
    }
  });
  return {};
}

export const enableAlarmActions = (input: { AlarmNames: string[] }, ctx: RequestContext) => setActionsEnabled(input.AlarmNames, true, ctx);
export const disableAlarmActions = (input: { AlarmNames: string[] }, ctx: RequestContext) =>
  setActionsEnabled(input.AlarmNames, false, ctx);
