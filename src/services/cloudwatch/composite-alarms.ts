import type { Cloud } from '../../cloud.js';
import { cloudwatchErrors } from './errors.js';
import type { RequestContext } from '../types.js';
import { parseAction } from './alarm-action-arns.js';
import { alarmHistory } from './alarm-history.js';
import { alarmArn, alarmTable, compositeTable, findAnyAlarm, type CompositeAlarmRecord } from './alarm-model.js';
import { awsDate } from './alarm-reason.js';
import { changeState, type AlarmStateChanged } from './alarm-state.js';
import { evaluateRule, parseRule, ruleAlarms } from './composite-rule.js';

/** Composite alarms may watch composite alarms; a chain longer than this is cut (and a cycle cannot spin). */
const MAX_DEPTH = 10;

interface PutCompositeAlarmInput {
  AlarmName: string;
  AlarmRule: string;
  AlarmDescription?: string;
  ActionsEnabled?: boolean;
  AlarmActions?: string[];
  OKActions?: string[];
  InsufficientDataActions?: string[];
  Tags?: Array<{ Key: string; Value: string }>;
  ActionsSuppressor?: string;
}

function configDoc(a: CompositeAlarmRecord): Record<string, unknown> {
  return {
    alarmName: a.AlarmName,
    alarmArn: a.AlarmArn,
    alarmDescription: a.AlarmDescription,
    alarmRule: a.AlarmRule,
    actionsEnabled: a.ActionsEnabled,
    alarmActions: a.AlarmActions,
    okActions: a.OKActions,
    insufficientDataActions: a.InsufficientDataActions,
  };
}

export function putCompositeAlarm(input: PutCompositeAlarmInput, ctx: RequestContext) {
  const name = input.AlarmName;
  if (!name || name.length > 255 || /[^\x20-\x7e]/.test(name))
    throw cloudwatchErrors.invalidParameterValue('The parameter AlarmName must be 1 to 255 ASCII characters.');
  if (input.ActionsSuppressor !== undefined)
    throw cloudwatchErrors.invalidParameterValue('Action suppression (ActionsSuppressor) is not supported by this cloud.');
  if (alarmTable(ctx.cloud).get(ctx.region, name))
    throw cloudwatchErrors.invalidParameterValue(`The alarm name ${name} is already used by a metric alarm.`);
  const rule = parseRule(input.AlarmRule);
  for (const child of ruleAlarms(rule)) {
    if (child === name) throw cloudwatchErrors.invalidParameterValue('AlarmRule is invalid: a composite alarm cannot watch itself.');
    if (!findAnyAlarm(ctx.cloud, ctx.region, child))
      throw cloudwatchErrors.invalidParameterValue(`AlarmRule is invalid: the alarm ${child} does not exist.`);
  }
  const actions: Record<string, string[]> = {};
  for (const k of ['AlarmActions', 'OKActions', 'InsufficientDataActions'] as const) {
    const list = input[k] ?? [];
    if (list.length > 5) throw cloudwatchErrors.limitExceeded(`The collection ${k} must not have more than 5 members.`);
    for (const arn of list) {
      const action = parseAction(arn);
      if (action?.kind !== 'sns' || action.region !== ctx.region)
        throw cloudwatchErrors.invalidParameterValue(
          `The value ${arn} for parameter ${k} is invalid: composite alarms notify SNS topics of region ${ctx.region} only.`,
        );
    }
    actions[k] = [...list];
  }
  const now = ctx.cloud.clock.now();
  const iso = new Date(now).toISOString();
  const existing = compositeTable(ctx.cloud).get(ctx.region, name);
  const alarm: CompositeAlarmRecord = {
    AlarmName: name,
    AlarmArn: alarmArn(ctx.region, ctx.accountId, name),
    AlarmDescription: input.AlarmDescription,
    AlarmRule: input.AlarmRule,
    AlarmConfigurationUpdatedTimestamp: iso,
    ActionsEnabled: input.ActionsEnabled ?? true,
    OKActions: actions.OKActions,
    AlarmActions: actions.AlarmActions,
    InsufficientDataActions: actions.InsufficientDataActions,
    StateValue: existing?.StateValue ?? 'INSUFFICIENT_DATA',
    StateReason: existing?.StateReason ?? 'Unchecked: Initial alarm creation',
    StateReasonData: existing?.StateReasonData,
    StateUpdatedTimestamp: existing?.StateUpdatedTimestamp ?? iso,
    StateTransitionedTimestamp: existing?.StateTransitionedTimestamp ?? iso,
    Tags: existing ? existing.Tags : input.Tags,
  };
  ctx.cloud.store.tx(() => {
    compositeTable(ctx.cloud).put(ctx.region, name, alarm);
    const history = existing
      ? { type: 'Update', version: '1.0', originalUpdatedAlarm: configDoc(existing), updatedAlarm: configDoc(alarm) }
      : { type: 'Create', version: '1.0', createdAlarm: configDoc(alarm) };
    alarmHistory(ctx.cloud).add(
      ctx.region,
      name,
      now,
      'ConfigurationUpdate',
      `Alarm "${name}" ${existing ? 'updated' : 'created'}`,
      history,
      'CompositeAlarm',
    );
  });
  evaluateComposite(ctx.cloud, ctx.region, alarm, undefined);
  return {};
}

/** Evaluates one composite alarm's rule: true is ALARM, false is OK (INSUFFICIENT_DATA only before the first evaluation). */
function evaluateComposite(cloud: Cloud, region: string, alarm: CompositeAlarmRecord, trigger: AlarmStateChanged | undefined): void {
  const rule = parseRule(alarm.AlarmRule);
  const children = [...new Set(ruleAlarms(rule))].map((n) => findAnyAlarm(cloud, region, n));
  const states = new Map(children.filter((c) => c !== undefined).map((c) => [c.AlarmName, c]));
  const newState = evaluateRule(rule, (n) => states.get(n)?.StateValue) ? 'ALARM' : 'OK';
  if (newState === alarm.StateValue) return;
  const reason = trigger
    ? `${trigger.alarmArn} transitioned to ${trigger.newState} at ${new Date(trigger.timestamp).toUTCString()}`
    : `The alarm rule evaluated to ${newState === 'ALARM' ? 'TRUE' : 'FALSE'}`;
  const data = {
    triggeringAlarms: [...states.values()].map((c) => ({
      arn: c.AlarmArn,
      state: { value: c.StateValue, timestamp: awsDate(Date.parse(c.StateUpdatedTimestamp)) },
    })),
  };
  changeState(cloud, region, alarm, newState, reason, JSON.stringify(data), 'evaluation');
}

/** Re-evaluates the composite alarms that watch an alarm whose state changed; returns the listener's remover. */
export function watchChildren(cloud: Cloud): () => void {
  let depth = 0;
  const onChange = (e: AlarmStateChanged) => {
    if (depth >= MAX_DEPTH) return;
    depth++;
    try {
      for (const parent of compositeTable(cloud).list(e.region)) {
        if (ruleAlarms(parseRule(parent.AlarmRule)).includes(e.alarmName)) {
          const current = compositeTable(cloud).get(e.region, parent.AlarmName);
          if (current) evaluateComposite(cloud, e.region, current, e);
        }
      }
    } finally {
      depth--;
    }
  };
  cloud.events.on('cloudwatch.alarmStateChanged', onChange);
  return () => cloud.events.off('cloudwatch.alarmStateChanged', onChange);
}
