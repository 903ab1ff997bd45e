import type { Cloud } from '../../cloud.js';
import { liveKey } from '../../store/live.js';
import { repeatScalingActions, runActions, type StateChangeCause } from './alarm-actions.js';
import { alarmHistory } from './alarm-history.js';
import { alarmTable, alarmTypeOf, compositeTable, isComposite, type AnyAlarm } from './alarm-model.js';
import type { AlarmStateValue } from './alarm-rules.js';

/** Emitted as `cloudwatch.alarmStateChanged` after every state change of an alarm of either kind. */
export interface AlarmStateChanged {
  region: string;
  alarmName: string;
  alarmArn: string;
  oldState: AlarmStateValue;
  newState: AlarmStateValue;
  timestamp: number;
}

/** The alarm actions of a cloud still running. */
const PENDING = liveKey('cloudwatch.pendingAlarmActions', () => new Set<Promise<void>>());

/** Resolves once every alarm action started so far has finished (for tests and shutdown). */
export async function actionsSettled(cloud: Cloud): Promise<void> {
  const set = cloud.live.get(PENDING);
  while (set.size) await Promise.allSettled([...set]);
}

/** Keeps an alarm action running until it settles, so that {@link actionsSettled} waits for it. */
function track(cloud: Cloud, alarmName: string, run: Promise<void>): void {
  const set = cloud.live.get(PENDING);
  const settled = run.catch((err) => console.error(`[halo] alarm ${alarmName}: actions failed:`, err));
  set.add(settled);
  void settled.finally(() => set.delete(settled));
}

/** An alarm that stayed in its state at an evaluation runs that state's Auto Scaling actions again. */
export function repeatActions(cloud: Cloud, region: string, alarm: AnyAlarm, metricValue: number | undefined): void {
  track(cloud, alarm.AlarmName, repeatScalingActions(cloud, region, alarm, metricValue));
}

const stateDoc = (value: string, reason: string, data?: string) => {
  const doc: Record<string, unknown> = { stateValue: value, stateReason: reason };
  if (data) {
    try {
      doc.stateReasonData = JSON.parse(data);
    } catch {
      doc.stateReasonData = data;
    }
  }
  return doc;
};

/**
 * Moves an alarm to a new state: stores it, writes the StateUpdate history item and, only because the state value
 * changed, runs the new state's actions. A change to the same state value does nothing (no history, no actions).
 */
export function changeState<A extends AnyAlarm>(
  cloud: Cloud,
  region: string,
  alarm: A,
  newState: AlarmStateValue,
  reason: string,
  reasonData: string | undefined,
  cause: StateChangeCause,
): A {
  if (alarm.StateValue === newState) return alarm;
  const now = cloud.clock.now();
  const iso = new Date(now).toISOString();
  const updated: A = {
    ...alarm,
    StateValue: newState,
    StateReason: reason,
    StateReasonData: reasonData,
    StateUpdatedTimestamp: iso,
    StateTransitionedTimestamp: iso,
  };
  cloud.store.tx(() => {
    if (isComposite(updated)) compositeTable(cloud).put(region, alarm.AlarmName, updated);
    else alarmTable(cloud).put(region, alarm.AlarmName, updated);
    alarmHistory(cloud).add(
      region,
      alarm.AlarmName,
      now,
      'StateUpdate',
      `Alarm updated from ${alarm.StateValue} to ${newState}`,
      {
        version: '1.0',
        oldState: stateDoc(alarm.StateValue, alarm.StateReason, alarm.StateReasonData),
        newState: stateDoc(newState, reason, reasonData),
      },
      alarmTypeOf(alarm),
    );
  });
  track(cloud, alarm.AlarmName, runActions(cloud, region, updated, alarm.StateValue, cause));
  // Composite alarms that watch this one re-evaluate on this event (synchronously).
  const event: AlarmStateChanged = {
    region,
    alarmName: alarm.AlarmName,
    alarmArn: alarm.AlarmArn,
    oldState: alarm.StateValue,
    newState,
    timestamp: now,
  };
  cloud.events.emit('cloudwatch.alarmStateChanged', event);
  return updated;
}
