import { cloudwatchErrors } from './errors.js';
import type { RequestContext } from '../types.js';
import { alarmTable, compositeTable, findAnyAlarm, isComposite, type AnyAlarm } from './alarm-model.js';

type Tag = { Key: string; Value: string };

/** The alarm an ARN of this account and region names (tags exist on alarms only; dashboards and rules are not here). */
function alarmOf(arn: string, ctx: RequestContext): AnyAlarm {
  const m = /^arn:aws:cloudwatch:([^:]+):(\d{12}):alarm:(.+)$/.exec(arn);
  if (!m) throw cloudwatchErrors.invalidParameterValue(`The value ${arn} for parameter ResourceARN is not an alarm ARN of this cloud.`);
  const alarm = m[1] === ctx.region && m[2] === ctx.accountId ? findAnyAlarm(ctx.cloud, ctx.region, m[3]) : undefined;
  if (!alarm) throw cloudwatchErrors.taggedAlarmNotFound(m[3]);
  return alarm;
}

function save(alarm: AnyAlarm, tags: Tag[], ctx: RequestContext): void {
  if (isComposite(alarm)) compositeTable(ctx.cloud).put(ctx.region, alarm.AlarmName, { ...alarm, Tags: tags });
  else alarmTable(ctx.cloud).put(ctx.region, alarm.AlarmName, { ...alarm, Tags: tags });
}

export function tagResource(input: { ResourceARN: string; Tags: Tag[] }, ctx: RequestContext) {
  const alarm = alarmOf(input.ResourceARN, ctx);
  const tags = new Map((alarm.Tags ?? []).map((t) => [t.Key, t.Value]));
  for (const t of input.Tags) {
    if (!t.Key || t.Key.length > 128 || t.Key.startsWith('aws:') || (t.Value ?? '').length > 256) {
      throw cloudwatchErrors.invalidParameterValue(
        `The tag ${t.Key} is invalid: keys are 1 to 128 characters and do not start with aws:, values at most 256.`,
      );
    }
    tags.set(t.Key, t.Value ?? '');
  }
  if (tags.size > 50) throw cloudwatchErrors.tooManyAlarmTags();
  save(
    alarm,
    [...tags].map(([Key, Value]) => ({ Key, Value })),
    ctx,
  );
  return {};
}

export function untagResource(input: { ResourceARN: string; TagKeys: string[] }, ctx: RequestContext) {
  const alarm = alarmOf(input.ResourceARN, ctx);
  save(
    alarm,
    (alarm.Tags ?? []).filter((t) => !input.TagKeys.includes(t.Key)),
    ctx,
  );
  return {};
}

export function listTagsForResource(input: { ResourceARN: string }, ctx: RequestContext) {
  return { Tags: alarmOf(input.ResourceARN, ctx).Tags ?? [] };
}
