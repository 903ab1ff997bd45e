import type { Dimension } from './metric-store.js';

/**
 * How another service publishes its own metrics (EC2's AWS/EC2 StatusCheckFailed*, CPUUtilization, ...), as AWS
 * services do: it emits this event on `cloud.events` and CloudWatch stores the data point. Unlike PutMetricData it
 * takes AWS/ namespaces. A cloud without CloudWatch has no listener (emit answers false).
 */
export const METRIC_PUBLISHED = 'cloudwatch.metricPublished';

export interface MetricPublished {
  region: string;
  datum: {
    Namespace: string;
    MetricName: string;
    Dimensions?: Dimension[];
    Value: number;
    Unit?: string;
    Timestamp?: Date | number;
    StorageResolution?: 1 | 60;
  };
}
