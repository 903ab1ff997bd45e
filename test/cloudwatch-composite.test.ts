import assert from 'node:assert/strict';
import os from 'node:os';
import { afterEach, describe, it } from 'node:test';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { actionsSettled } from '../src/services/cloudwatch/alarm-state.js';
import { evaluateRule, parseRule, ruleAlarms } from '../src/services/cloudwatch/composite-rule.js';
import { cloudwatchService } from '../src/services/cloudwatch/service.js';
import { snsService } from '../src/services/sns/service.js';
import { Store } from '../src/store/db.js';

const REGION = 'us-east-1';

describe('composite alarm rules', () => {
  const states: Record<string, string> = { a: 'ALARM', b: 'OK', 'my alarm': 'INSUFFICIENT_DATA' };
  const holds = (rule: string) => evaluateRule(parseRule(rule), (n) => states[n] as any);

  it('parses names, quoted names and ARNs, with AND binding tighter than OR', () => {
    assert.deepEqual(
      ruleAlarms(parseRule('ALARM(a) OR OK("b") AND INSUFFICIENT_DATA(arn:aws:cloudwatch:us-east-1:123456789012:alarm:c)')),
      ['a', 'b', 'c'],
    );
    assert.equal(holds('ALARM(a) AND OK(b)'), true);
    assert.equal(holds('ALARM(b) OR ALARM(a) AND FALSE'), false);
    assert.equal(holds('(ALARM(b) OR ALARM(a)) AND TRUE'), true);
    assert.equal(holds('NOT ALARM(b) AND INSUFFICIENT_DATA("my alarm")'), true);
    assert.equal(holds('alarm(a) and not ok(a)'), true);
  });

  it('refuses malformed rules', () => {
    for (const bad of ['', 'ALARM(a', 'ALARM(a) AND', 'SOMETHING(a)', 'ALARM(a) ALARM(b)']) {
      assert.throws(() => parseRule(bad), { code: 'InvalidParameterValue' }, bad);
    }
  });
});

describe('composite alarms on the virtual clock', () => {
  let cloud: Cloud | undefined;
  afterEach(async () => {
    await cloud?.shutdown();
  });

  it('follow their children, notify SNS on their own transitions, and show in DescribeAlarms and the history', async () => {
    cloud = new Cloud(new Store(':memory:'), new VirtualClock(), timingProfile('instant'), { home: os.tmpdir(), hostsPerZone: 2 });
    cloud.credentials.admin();
    cloud.register(cloudwatchService);
    cloud.register(snsService);
    const c = cloud;
    const cw = (op: string, input: unknown) => c.invoke('monitoring', op, input, { region: REGION });
    const state = async (name: string) => {
      const r = await cw('DescribeAlarms', { AlarmNames: [name], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
      return [...r.MetricAlarms, ...r.CompositeAlarms][0]?.StateValue;
    };
    const { TopicArn } = await c.invoke('sns', 'CreateTopic', { Name: 'ops' }, { region: REGION });
    for (const name of ['web', 'db']) {
      await cw('PutMetricAlarm', {
        AlarmName: name,
        Namespace: 'Halo/Test',
        MetricName: name,
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'ignore',
      });
    }
    await assert.rejects(cw('PutCompositeAlarm', { AlarmName: 'site', AlarmRule: 'ALARM(nope)' }), { code: 'InvalidParameterValue' });
    await assert.rejects(
      cw('PutCompositeAlarm', { AlarmName: 'site', AlarmRule: 'ALARM(web)', AlarmActions: [`arn:aws:automate:${REGION}:ec2:recover`] }),
      { code: 'InvalidParameterValue' },
    );
    await cw('PutCompositeAlarm', {
      AlarmName: 'site',
      AlarmRule: 'ALARM(web) AND ALARM("db")',
      AlarmActions: [TopicArn],
      OKActions: [TopicArn],
    });
    await cw('PutCompositeAlarm', { AlarmName: 'top', AlarmRule: 'ALARM(site)' });
    assert.equal(await state('site'), 'OK', 'evaluated at once: the rule is false');
    await cw('SetAlarmState', { AlarmName: 'web', StateValue: 'ALARM', StateReason: 'test' });
    assert.equal(await state('site'), 'OK');
    await cw('SetAlarmState', { AlarmName: 'db', StateValue: 'ALARM', StateReason: 'test' });
    await actionsSettled(c);
    assert.equal(await state('site'), 'ALARM');
    assert.equal(await state('top'), 'ALARM', 'a composite of a composite follows too');
    const site = (await cw('DescribeAlarms', { AlarmNames: ['site'], AlarmTypes: ['CompositeAlarm'] })).CompositeAlarms[0];
    assert.equal(site.AlarmRule, 'ALARM(web) AND ALARM("db")');
    assert.match(site.StateReason, /^arn:aws:cloudwatch:us-east-1:\d{12}:alarm:db transitioned to ALARM at /);
    assert.deepEqual(
      JSON.parse(site.StateReasonData).triggeringAlarms.map((t: any) => t.state.value),
      ['ALARM', 'ALARM'],
    );
    const parents = await cw('DescribeAlarms', { ParentsOfAlarmName: 'web', AlarmTypes: ['CompositeAlarm'] });
    assert.deepEqual(
      parents.CompositeAlarms.map((a: any) => a.AlarmName),
      ['site'],
    );
    const children = await cw('DescribeAlarms', { ChildrenOfAlarmName: 'site', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    assert.deepEqual(
      children.MetricAlarms.map((a: any) => a.AlarmName),
      ['db', 'web'],
    );
    const history = await cw('DescribeAlarmHistory', { AlarmTypes: ['CompositeAlarm'], AlarmName: 'site', ScanBy: 'TimestampAscending' });
    assert.deepEqual(
      history.AlarmHistoryItems.map((h: any) => [h.AlarmType, h.HistorySummary]),
      [
        ['CompositeAlarm', 'Alarm "site" created'],
        ['CompositeAlarm', 'Alarm updated from INSUFFICIENT_DATA to OK'],
        ['CompositeAlarm', `Successfully executed action ${TopicArn}`],
        ['CompositeAlarm', 'Alarm updated from OK to ALARM'],
        ['CompositeAlarm', `Successfully executed action ${TopicArn}`],
      ],
    );
    const message = JSON.parse(JSON.parse(history.AlarmHistoryItems[4].HistoryData).publishedMessage);
    assert.deepEqual([message.NewStateValue, message.OldStateValue, message.AlarmRule], ['ALARM', 'OK', 'ALARM(web) AND ALARM("db")']);
    await cw('DeleteAlarms', { AlarmNames: ['top', 'site'] });
    assert.deepEqual((await cw('DescribeAlarms', { AlarmTypes: ['CompositeAlarm'] })).CompositeAlarms, []);
  });
});
