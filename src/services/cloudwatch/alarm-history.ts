import { paginate, withoutPaging } from '../../protocol/paginate.js';
import type Database from 'better-sqlite3';
import type { Cloud } from '../../cloud.js';
import { liveKey } from '../../store/live.js';
import { cloudwatchErrors } from './errors.js';
import type { RequestContext } from '../types.js';

export type HistoryItemType = 'ConfigurationUpdate' | 'StateUpdate' | 'Action';
const TYPES: HistoryItemType[] = ['ConfigurationUpdate', 'StateUpdate', 'Action'];

/** CloudWatch keeps alarm history for two weeks, also for deleted alarms. */
export const HISTORY_RETENTION_MS = 14 * 86_400_000;

export interface HistoryItem {
  AlarmName: string;
  AlarmType: 'MetricAlarm' | 'CompositeAlarm';
  Timestamp: Date;
  HistoryItemType: HistoryItemType;
  HistorySummary: string;
  HistoryData: string;
}

interface Row {
  id: number;
  alarm: string;
  alarm_type: string;
  ts: number;
  type: string;
  summary: string;
  data: string;
}

/** Alarm history in its own indexed table (one row per item), pruned after two weeks. */
export class AlarmHistory {
  private readonly stmts;

  constructor(db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS cw_alarm_history (
        id INTEGER PRIMARY KEY, region TEXT NOT NULL, alarm TEXT NOT NULL, alarm_type TEXT NOT NULL,
        ts INTEGER NOT NULL, type TEXT NOT NULL, summary TEXT NOT NULL, data TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS cw_alarm_history_alarm ON cw_alarm_history (region, alarm, ts);
      CREATE INDEX IF NOT EXISTS cw_alarm_history_ts ON cw_alarm_history (region, ts);
    `);
    this.stmts = {
      add: db.prepare('INSERT INTO cw_alarm_history (region, alarm, alarm_type, ts, type, summary, data) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      byAlarm: db.prepare<[string, string, number, number], Row>(
        'SELECT * FROM cw_alarm_history WHERE region = ? AND alarm = ? AND ts >= ? AND ts <= ? ORDER BY ts DESC, id DESC',
      ),
      all: db.prepare<[string, number, number], Row>(
        'SELECT * FROM cw_alarm_history WHERE region = ? AND ts >= ? AND ts <= ? ORDER BY ts DESC, id DESC',
      ),
      prune: db.prepare('DELETE FROM cw_alarm_history WHERE ts < ?'),
    };
  }

  add(
    region: string,
    alarm: string,
    ts: number,
    type: HistoryItemType,
    summary: string,
    data: unknown,
    alarmType: HistoryItem['AlarmType'] = 'MetricAlarm',
  ): void {
    this.stmts.add.run(region, alarm, alarmType, ts, type, summary, typeof data === 'string' ? data : JSON.stringify(data));
  }

  query(region: string, alarm: string | undefined, from: number, to: number): HistoryItem[] {
    const rows = alarm === undefined ? this.stmts.all.all(region, from, to) : this.stmts.byAlarm.all(region, alarm, from, to);
    return rows.map((r) => ({
      AlarmName: r.alarm,
      AlarmType: r.alarm_type as HistoryItem['AlarmType'],
      Timestamp: new Date(r.ts),
      HistoryItemType: r.type as HistoryItemType,
      HistorySummary: r.summary,
      HistoryData: r.data,
    }));
  }

  prune(now: number): void {
    this.stmts.prune.run(now - HISTORY_RETENTION_MS);
  }
}

const ALARM_HISTORY = liveKey('cloudwatch.alarmHistory', (cloud) => new AlarmHistory(cloud.store.db));

export const alarmHistory = (cloud: Cloud): AlarmHistory => cloud.live.get(ALARM_HISTORY);

interface DescribeAlarmHistoryInput {
  AlarmName?: string;
  AlarmTypes?: string[];
  HistoryItemType?: string;
  StartDate?: Date;
  EndDate?: Date;
  MaxRecords?: number;
  NextToken?: string;
  ScanBy?: string;
}

export function describeAlarmHistory(input: DescribeAlarmHistoryInput, ctx: RequestContext) {
  if (input.HistoryItemType !== undefined && !TYPES.includes(input.HistoryItemType as HistoryItemType)) {
    throw cloudwatchErrors.invalidParameterValue(
      `The value ${input.HistoryItemType} for parameter HistoryItemType is invalid. Use ${TYPES.join(', ')}.`,
    );
  }
  if (input.ScanBy !== undefined && input.ScanBy !== 'TimestampDescending' && input.ScanBy !== 'TimestampAscending') {
    throw cloudwatchErrors.invalidParameterValue(`The value ${input.ScanBy} for parameter ScanBy is invalid.`);
  }
  for (const t of input.AlarmTypes ?? []) {
    if (t !== 'MetricAlarm' && t !== 'CompositeAlarm')
      throw cloudwatchErrors.invalidParameterValue(`The value ${t} for parameter AlarmTypes is invalid.`);
  }
  const from = input.StartDate?.getTime() ?? 0;
  const to = input.EndDate?.getTime() ?? Number.MAX_SAFE_INTEGER;
  let items = alarmHistory(ctx.cloud).query(ctx.region, input.AlarmName, from, to);
  if (input.HistoryItemType) items = items.filter((i) => i.HistoryItemType === input.HistoryItemType);
  if (input.AlarmTypes?.length) items = items.filter((i) => input.AlarmTypes?.includes(i.AlarmType));
  if (input.ScanBy === 'TimestampAscending') items.reverse();
  const { items: page, next } = paginate(items, {
    token: input.NextToken,
    max: input.MaxRecords,
    defaultMax: 100,
    limit: 100,
    bind: withoutPaging(input, 'MaxRecords', 'NextToken'),
    badToken: () => cloudwatchErrors.invalidNextToken(),
    badSize: () => cloudwatchErrors.invalidParameterValue('The parameter MaxRecords must be between 1 and 100.'),
  });
  return { AlarmHistoryItems: page, NextToken: next };
}
