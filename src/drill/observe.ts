import { DescribeScalingActivitiesCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeAddressesCommand } from '@aws-sdk/client-ec2';
import type { Access, Clients } from './clients.js';
import { describeHealthEvents } from './health.js';
import { describeInstances, stackInstanceIds, type StackTarget } from './discover.js';
import type { TimelineEvent } from './types.js';

type Emit = (e: Pick<TimelineEvent, 'kind' | 'text' | 'lane' | 'state'>) => void;

/**
 * Follows the recovery through the APIs: alarm states, instance states (and zones), Elastic IP owners and scaling
 * activities. Each poll emits only what changed since the previous one.
 */
export class Observer {
  private readonly seen = new Map<string, string>();
  private readonly activities = new Set<string>();
  private instanceIds: string[];
  private first = true;

  constructor(
    private readonly c: Clients,
    private readonly access: Access,
    private readonly target: StackTarget,
    private readonly emit: Emit,
  ) {
    this.instanceIds = [...target.instanceIds];
  }

  private change(key: string, value: string, event: Omit<Parameters<Emit>[0], 'state'>): void {
    if (this.seen.get(key) === value) return;
    this.seen.set(key, value);
    this.emit({ ...event, state: value });
  }

  async poll(): Promise<void> {
    const c = this.c;
    const t = this.target;
    const ids = new Set([
      ...this.instanceIds,
      ...(await stackInstanceIds(c, { instanceIds: t.instanceIds, groupNames: t.groupNames }).catch(() => [])),
    ]);
    this.instanceIds = [...ids];
    if (t.alarmNames.length) {
      const alarms = (await c.cw.send(new DescribeAlarmsCommand({ AlarmNames: t.alarmNames }))).MetricAlarms ?? [];
      for (const a of alarms) {
        this.change(`alarm:${a.AlarmName}`, a.StateValue ?? '?', {
          kind: 'alarm',
          lane: `alarm ${a.AlarmName}`,
          text: `alarm ${a.AlarmName} ${a.StateValue}`,
        });
      }
    }
    for (const id of this.instanceIds) {
      const [i] = await describeInstances(c, [id]).catch(() => []);
      const state = i ? `${i.State?.Name ?? '?'}` : 'gone';
      const zone = i?.Placement?.AvailabilityZone ?? '';
      this.change(`instance:${id}`, state, {
        kind: 'instance',
        lane: `instance ${id}`,
        text: `instance ${id} ${state}${zone ? ` in ${zone}` : ''}`,
      });
    }
    if (t.elasticIps.length) {
      const addresses = (await c.ec2.send(new DescribeAddressesCommand({ PublicIps: t.elasticIps }))).Addresses ?? [];
      for (const a of addresses) {
        const owner = a.InstanceId ?? 'unassociated';
        this.change(`eip:${a.PublicIp}`, owner, {
          kind: 'address',
          lane: `Elastic IP ${a.PublicIp}`,
          text: `Elastic IP ${a.PublicIp} → ${owner}`,
        });
      }
    }
    for (const group of t.groupNames) {
      const acts = (await c.asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: group }))).Activities ?? [];
      for (const a of [...acts].reverse()) {
        const key = `${a.ActivityId}:${a.StatusCode}`;
        if (this.activities.has(key)) continue;
        this.activities.add(key);
        if (!this.first) this.emit({ kind: 'scaling', text: `${group}: ${a.Description ?? a.Cause ?? 'activity'} (${a.StatusCode})` });
      }
    }
    await this.health();
    this.first = false;
  }

  /** AWS Health: the recoveries of the stack's instances and the zones' operational issues, as they open and close. */
  private async health(): Promise<void> {
    const events = [
      ...(this.instanceIds.length ? await describeHealthEvents(this.access, { entityValues: this.instanceIds }) : []),
      ...(await describeHealthEvents(this.access, { eventTypeCodes: ['AWS_EC2_OPERATIONAL_ISSUE'] })),
    ];
    for (const e of events) {
      const key = `health:${e.arn}`;
      if (this.first) {
        this.seen.set(key, e.statusCode);
        continue;
      }
      const where = e.availabilityZone ? ` in ${e.availabilityZone}` : '';
      this.change(key, e.statusCode, { kind: 'health', text: `AWS Health ${e.eventTypeCode}${where}: ${e.statusCode}` });
    }
  }
}
