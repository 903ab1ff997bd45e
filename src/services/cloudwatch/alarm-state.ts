import type { Cloud } from '../../cloud.js';
import { runActions, type StateChangeCause } from './alarm-actions.js';
import { alarmHistory } from './alarm-history.js';
import { alarmTable, type AlarmRecord } from './alarm-model.js';
import type { AlarmStateValue } from './alarm-rules.js';

const pending = new WeakMap<Cloud, Set<Promise<void>>>();

/** Resolves once every alarm action started so far has finished (for tests and shutdown). */
export async function actionsSettled(cloud: Cloud): Promise<void> {
  const set = pending.get(cloud);
  while (set && set.size) await Promise.allSettled([...set]);
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
export function changeState(
  cloud: Cloud,
  region: string,
  alarm: AlarmRecord,
  newState: AlarmStateValue,
  reason: string,
  reasonData: string | undefined,
  cause: StateChangeCause,
): AlarmRecord {
  if (alarm.StateValue === newState) return alarm;
  const now = cloud.clock.now();
  const iso = new Date(now).toISOString();
  const updated: AlarmRecord = {
    ...alarm,
    StateValue: newState,
    StateReason: reason,
    StateReasonData: reasonData,
    StateUpdatedTimestamp: iso,
    StateTransitionedTimestamp: iso,
  };
  cloud.store.tx(() => {
    alarmTable(cloud).put(region, alarm.AlarmName, updated);
    alarmHistory(cloud.store.db).add(region, alarm.AlarmName, now, 'StateUpdate', `Alarm updated from ${alarm.StateValue} to ${newState}`, {
      version: '1.0',
      oldState: stateDoc(alarm.StateValue, alarm.StateReason, alarm.StateReasonData),
      newState: stateDoc(newState, reason, reasonData),
    });
  });
  let set = pending.get(cloud);
  if (!set) pending.set(cloud, (set = new Set()));
  const run = runActions(cloud, region, updated, alarm.StateValue, cause).catch((err) => console.error(`[halo] alarm ${alarm.AlarmName}: actions failed:`, err));
  set.add(run);
  void run.finally(() => set.delete(run));
  return updated;
}
