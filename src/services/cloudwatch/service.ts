import type { Cloud } from '../../cloud.js';
import { liveKey } from '../../store/live.js';
import type { OperationsTable, ServiceFactory } from '../types.js';
import type { CloudwatchOperations } from './generated/types.js';
// Registers the AWS::CloudWatch::Alarm CloudFormation provider.
import './cfn-alarm.js';
import { AlarmEvaluator } from './alarm-evaluator.js';
import { describeAlarmHistory } from './alarm-history.js';
import {
  deleteAlarms,
  describeAlarms,
  describeAlarmsForMetric,
  disableAlarmActions,
  enableAlarmActions,
  putMetricAlarm,
  setAlarmState,
} from './alarm-operations.js';
import { actionsSettled } from './alarm-state.js';
import { listTagsForResource, tagResource, untagResource } from './alarm-tags.js';
import { putCompositeAlarm, watchChildren } from './composite-alarms.js';
import { METRIC_PUBLISHED, type MetricPublished } from './events.js';
import { publishMetric, putMetricData } from './metric-data.js';
import { getMetricData } from './metric-data-queries.js';
import { getMetricStatistics, listMetrics } from './metric-queries.js';

export { publishMetric } from './metric-data.js';

const EVALUATOR = liveKey('cloudwatch.alarmEvaluator', (cloud) => new AlarmEvaluator(cloud));

/** The alarm evaluator of a cloud (for tests and benchmarks that drive it on a virtual clock). */
export const alarmEvaluatorOf = (cloud: Cloud): AlarmEvaluator | undefined => cloud.live.peek(EVALUATOR);

/** CloudWatch speaks awsQuery (aws CLI 2.9) and JSON 1.0 (AWS SDK v3) from the same model. */
export const cloudwatchService: ServiceFactory = (cloud) => {
  const evaluator = cloud.live.get(EVALUATOR);
  evaluator.start();
  const stopWatching = watchChildren(cloud);
  // Other services' metrics (EC2's AWS/EC2 ones) arrive as events.
  cloud.events.on(METRIC_PUBLISHED, (e: MetricPublished) => publishMetric(cloud, e.region, e.datum));
  cloud.onShutdown(async () => {
    evaluator.stop();
    stopWatching();
    await actionsSettled(cloud);
  });
  return {
    signingName: 'monitoring',
    modelId: 'monitoring-2010-08-01',
    jsonTargetPrefix: 'GraniteServiceVersion20100801',
    ownChecks: ['ResourceList', 'Period', 'StandardUnit'],
    operations: {
      PutMetricData: putMetricData,
      GetMetricStatistics: getMetricStatistics,
      GetMetricData: getMetricData,
      ListMetrics: listMetrics,
      PutMetricAlarm: putMetricAlarm,
      PutCompositeAlarm: putCompositeAlarm,
      DescribeAlarms: describeAlarms,
      DescribeAlarmsForMetric: describeAlarmsForMetric,
      DescribeAlarmHistory: describeAlarmHistory,
      DeleteAlarms: deleteAlarms,
      SetAlarmState: setAlarmState,
      EnableAlarmActions: enableAlarmActions,
      DisableAlarmActions: disableAlarmActions,
      TagResource: tagResource,
      UntagResource: untagResource,
      ListTagsForResource: listTagsForResource,
    } satisfies OperationsTable<CloudwatchOperations>,
  };
};
