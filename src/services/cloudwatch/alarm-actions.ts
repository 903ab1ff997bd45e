import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../cloud.js';
import { publishToTopic } from '../sns/publish.js';
import { parseAction } from './alarm-action-arns.js';
import { alarmHistory } from './alarm-history.js';
import { alarmMessage, alarmSubject } from './alarm-message.js';
import { alarmTypeOf, isComposite, type AnyAlarm } from './alarm-model.js';

/**
 * Events between CloudWatch and EC2 for the `recover` action (EC2 owns recovery):
 * - CloudWatch emits `ec2.recoverRequested` with {@link RecoverRequest} when an alarm's recover action runs.
 * - EC2 answers with `cloudwatch.actionResult` carrying {@link ActionResult} (same requestId) once the recovery
 *   succeeded or failed; CloudWatch records it in the alarm's history. Without a listener for
 *   `ec2.recoverRequested`, the action fails at once and the history says so.
 */
export interface RecoverRequest {
  requestId: string;
  region: string;
  instanceId: string;
  alarmName: string;
  actionArn: string;
}

export interface ActionResult {
  requestId: string;
  region: string;
  alarmName: string;
  actionArn: string;
  succeeded: boolean;
  /** Why it failed, or what was done. */
  message?: string;
}

const EC2_OPERATIONS = { stop: 'StopInstances', terminate: 'TerminateInstances', reboot: 'RebootInstances' } as const;

export type StateChangeCause = 'evaluation' | 'SetAlarmState';

type AlarmType = 'MetricAlarm' | 'CompositeAlarm';

function succeeded(
  cloud: Cloud,
  region: string,
  alarm: string,
  arn: string,
  data: Record<string, unknown>,
  type: AlarmType = 'MetricAlarm',
): void {
  alarmHistory(cloud).add(
    region,
    alarm,
    cloud.clock.now(),
    'Action',
    `Successfully executed action ${arn}`,
    { actionState: 'Succeeded', ...data },
    type,
  );
}

function failed(
  cloud: Cloud,
  region: string,
  alarm: string,
  arn: string,
  error: string,
  data: Record<string, unknown> = {},
  type: AlarmType = 'MetricAlarm',
): void {
  alarmHistory(cloud).add(
    region,
    alarm,
    cloud.clock.now(),
    'Action',
    `Failed to execute action ${arn}. Received error: "${error}"`,
    { actionState: 'Failed', ...data, error },
    type,
  );
}

/** Listens for EC2's answers to recover requests, for the life of the cloud. */
export function listenForActionResults(cloud: Cloud): () => void {
  const onResult = (r: ActionResult) => {
    const data = { stateUpdateTimestamp: cloud.clock.now(), requestId: r.requestId };
    if (r.succeeded) succeeded(cloud, r.region, r.alarmName, r.actionArn, { ...data, message: r.message });
    else failed(cloud, r.region, r.alarmName, r.actionArn, r.message ?? 'recovery failed', data);
  };
  cloud.events.on('cloudwatch.actionResult', onResult);
  return () => cloud.events.off('cloudwatch.actionResult', onResult);
}

type ScalingAction = Extract<ReturnType<typeof parseAction>, { kind: 'autoscaling' }>;

/** The newest datapoint the alarm's last state change was decided on (StateReasonData lists them oldest first). */
function reasonMetricValue(alarm: AnyAlarm): number | undefined {
  try {
    const data = JSON.parse(alarm.StateReasonData ?? '{}') as { recentDatapoints?: number[] };
    return data.recentDatapoints?.length ? data.recentDatapoints[data.recentDatapoints.length - 1] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An alarm whose action is a scaling policy asks EC2 Auto Scaling to execute it, with the newest datapoint the alarm
 * evaluated and its threshold (step scaling picks its step from them; target tracking scales toward its target), or
 * with HonorCooldown (simple scaling). A group whose AlarmNotification process is suspended takes no alarm actions.
 * A repeat (the alarm stayed in its state at a later evaluation) writes history only when it fails unexpectedly, so an
 * alarm in ALARM for hours does not write an item a minute.
 */
async function runScalingPolicy(
  cloud: Cloud,
  region: string,
  alarm: AnyAlarm,
  action: ScalingAction,
  stamp: number,
  repeat?: { metricValue?: number },
): Promise<void> {
  const type = alarmTypeOf(alarm);
  const found = await cloud.invoke<{ AutoScalingGroups: Array<{ SuspendedProcesses?: Array<{ ProcessName: string }> }> }>(
    'autoscaling',
    'DescribeAutoScalingGroups',
    { AutoScalingGroupNames: [action.group] },
    { region },
  );
  if (found.AutoScalingGroups[0]?.SuspendedProcesses?.some((p) => p.ProcessName === 'AlarmNotification')) {
    if (!repeat) {
      alarmHistory(cloud).add(
        region,
        alarm.AlarmName,
        cloud.clock.now(),
        'Action',
        `No action taken for ${action.arn}: the AlarmNotification process of Auto Scaling group ${action.group} is suspended`,
        { actionState: 'Skipped', stateUpdateTimestamp: stamp },
        type,
      );
    }
    return;
  }
  const metricValue = repeat ? (repeat.metricValue ?? reasonMetricValue(alarm)) : reasonMetricValue(alarm);
  const threshold = isComposite(alarm) ? undefined : alarm.Threshold;
  const policies = await cloud.invoke<{ ScalingPolicies: Array<{ PolicyType: string }> }>(
    'autoscaling',
    'DescribePolicies',
    { AutoScalingGroupName: action.group, PolicyNames: [action.policy] },
    { region },
  );
  const policyType = policies.ScalingPolicies[0]?.PolicyType;
  // TriggeredBy is read only in-process: the activity's cause names the alarm, as on AWS.
  const triggeredBy = { AlarmName: alarm.AlarmName, StateValue: alarm.StateValue };
  const input =
    policyType === 'SimpleScaling' || metricValue === undefined
      ? { AutoScalingGroupName: action.group, PolicyName: action.policy, HonorCooldown: true, TriggeredBy: triggeredBy }
      : {
          AutoScalingGroupName: action.group,
          PolicyName: action.policy,
          MetricValue: metricValue,
          BreachThreshold: threshold,
          TriggeredBy: triggeredBy,
        };
  try {
    await cloud.invoke('autoscaling', 'ExecutePolicy', input, { region });
  } catch (err) {
    // A repeat refused for a cooldown, or as the policy refused the same alarm before (no step for the value, a
    // disabled policy), is not worth an item every minute.
    if (repeat && ['ScalingActivityInProgress', 'ValidationError'].includes((err as { code?: string }).code ?? '')) return;
    throw err;
  }
  if (!repeat)
    succeeded(
      cloud,
      region,
      alarm.AlarmName,
      action.arn,
      { stateUpdateTimestamp: stamp, policy: action.policy, group: action.group, metricValue },
      type,
    );
}

/** The actions an alarm runs in its current state. */
const actionsOfState = (alarm: AnyAlarm) =>
  alarm.StateValue === 'ALARM' ? alarm.AlarmActions : alarm.StateValue === 'OK' ? alarm.OKActions : alarm.InsufficientDataActions;

/** Whether the alarm's current state has Auto Scaling actions (the only ones AWS runs again while the state lasts). */
export function hasScalingActions(alarm: AnyAlarm): boolean {
  return alarm.ActionsEnabled && actionsOfState(alarm).some((arn) => parseAction(arn)?.kind === 'autoscaling');
}

/**
 * Runs again the Auto Scaling actions of the state an alarm stayed in (AWS: "Except for Auto Scaling actions, the
 * actions happen only on state transitions"), with the newest datapoint of this evaluation.
 */
export async function repeatScalingActions(cloud: Cloud, region: string, alarm: AnyAlarm, metricValue: number | undefined): Promise<void> {
  if (!alarm.ActionsEnabled) return;
  const stamp = Date.parse(alarm.StateUpdatedTimestamp);
  for (const arn of actionsOfState(alarm)) {
    const action = parseAction(arn);
    if (action?.kind !== 'autoscaling') continue;
    try {
      await runScalingPolicy(cloud, region, alarm, action, stamp, { metricValue });
    } catch (err) {
      failed(cloud, region, alarm.AlarmName, arn, (err as Error).message, { stateUpdateTimestamp: stamp }, alarmTypeOf(alarm));
    }
  }
}

/** Runs the actions of the alarm's new state; every outcome is written to the alarm's history. */
export async function runActions(cloud: Cloud, region: string, alarm: AnyAlarm, oldState: string, cause: StateChangeCause): Promise<void> {
  if (!alarm.ActionsEnabled) return;
  const arns = actionsOfState(alarm);
  const stamp = Date.parse(alarm.StateUpdatedTimestamp);
  const name = alarm.AlarmName;
  const type = alarmTypeOf(alarm);
  for (const arn of arns) {
    const action = parseAction(arn);
    try {
      if (!action) {
        failed(cloud, region, name, arn, 'This cloud does not execute this kind of action', { stateUpdateTimestamp: stamp }, type);
      } else if (action.kind === 'sns') {
        const message = alarmMessage(alarm, oldState, region, cloud.accountId);
        publishToTopic(cloud, arn, message, alarmSubject(alarm, region));
        succeeded(cloud, region, name, arn, { stateUpdateTimestamp: stamp, notificationResource: arn, publishedMessage: message }, type);
      } else if (action.kind === 'autoscaling') {
        await runScalingPolicy(cloud, region, alarm, action, stamp);
      } else if (isComposite(alarm)) {
        failed(cloud, region, name, arn, 'Composite alarms do not execute EC2 actions', { stateUpdateTimestamp: stamp }, type);
      } else {
        const instanceId = alarm.Dimensions?.find((d) => d.Name === 'InstanceId')?.Value;
        if (cause === 'SetAlarmState') {
          alarmHistory(cloud).add(
            region,
            name,
            cloud.clock.now(),
            'Action',
            `No action taken for ${arn}: EC2 actions are not executed when the state is set by SetAlarmState`,
            { actionState: 'Skipped', stateUpdateTimestamp: stamp, instanceId },
          );
        } else if (!instanceId) {
          failed(cloud, region, name, arn, 'The alarm has no InstanceId dimension', { stateUpdateTimestamp: stamp });
        } else if (action.action === 'recover') {
          if (cloud.events.listenerCount('ec2.recoverRequested') === 0) {
            failed(cloud, region, name, arn, `Recovery of ${instanceId} is not available in this cloud yet`, {
              stateUpdateTimestamp: stamp,
              instanceId,
            });
          } else {
            const request: RecoverRequest = { requestId: randomUUID(), region, instanceId, alarmName: name, actionArn: arn };
            alarmHistory(cloud).add(region, name, cloud.clock.now(), 'Action', `Requested recovery of ${instanceId} by action ${arn}`, {
              actionState: 'Requested',
              stateUpdateTimestamp: stamp,
              instanceId,
              requestId: request.requestId,
            });
            cloud.events.emit('ec2.recoverRequested', request);
          }
        } else {
          const operation = EC2_OPERATIONS[action.action];
          await cloud.invoke('ec2', operation, { InstanceIds: [instanceId] }, { region });
          succeeded(cloud, region, name, arn, { stateUpdateTimestamp: stamp, instanceId, operation });
        }
      }
    } catch (err) {
      failed(cloud, region, name, arn, (err as Error).message, { stateUpdateTimestamp: stamp }, type);
    }
  }
}
