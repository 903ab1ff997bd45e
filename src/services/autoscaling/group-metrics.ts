import type { Cloud } from '../../cloud.js';
import type { Timer } from '../../clock/clock.js';
import type { RequestContext } from '../types.js';
import { publishMetric } from '../cloudwatch/metric-data.js';
import { errors } from './errors.js';
import { groups, needGroup, updateGroup, type GroupRecord } from './state.js';
import { entering, warmPools, warmPoolTarget } from './warm-pools.js';

/** The group metrics EC2 Auto Scaling publishes to AWS/AutoScaling, in the order DescribeMetricCollectionTypes lists them. */
export const GROUP_METRICS = [
  'GroupMinSize',
  'GroupMaxSize',
  'GroupDesiredCapacity',
  'GroupInServiceInstances',
  'GroupPendingInstances',
  'GroupStandbyInstances',
  'GroupTerminatingInstances',
  'GroupTotalInstances',
  'GroupInServiceCapacity',
  'GroupPendingCapacity',
  'GroupStandbyCapacity',
  'GroupTerminatingCapacity',
  'GroupTotalCapacity',
  'WarmPoolDesiredCapacity',
  'WarmPoolWarmedCapacity',
  'WarmPoolPendingCapacity',
  'WarmPoolTerminatingCapacity',
  'WarmPoolTotalCapacity',
  'GroupAndWarmPoolDesiredCapacity',
  'GroupAndWarmPoolTotalCapacity',
  'WarmPoolMinSize',
] as const;

const GRANULARITY = '1Minute';
const MINUTE = 60_000;

export interface EnabledMetric {
  Metric: string;
  Granularity: string;
}

function checkMetrics(metrics: string[] | undefined): string[] {
  const wanted = metrics?.length ? metrics : [...GROUP_METRICS];
  const bad = wanted.find((m) => !(GROUP_METRICS as readonly string[]).includes(m));
  if (bad) throw errors.validation(`Metric ${bad} is not a valid metric. Valid metrics are ${GROUP_METRICS.join(', ')}.`);
  return wanted;
}

/** EnableMetricsCollection: the metrics named (all when none is) are published every minute from now on. */
export function enableMetricsCollection(
  input: { AutoScalingGroupName: string; Metrics?: string[]; Granularity: string },
  ctx: RequestContext,
) {
  needGroup(ctx, input.AutoScalingGroupName);
  if (input.Granularity !== GRANULARITY)
    throw errors.validation(`Invalid granularity ${input.Granularity}. The only valid granularity is ${GRANULARITY}.`);
  const metrics = checkMetrics(input.Metrics);
  updateGroup(ctx.cloud, ctx.region, input.AutoScalingGroupName, (g) => {
    const enabled = new Set([...(g.EnabledMetrics ?? []).map((m) => m.Metric), ...metrics]);
    g.EnabledMetrics = GROUP_METRICS.filter((m) => enabled.has(m)).map((Metric) => ({ Metric, Granularity: GRANULARITY }));
  });
  return {};
}

/** DisableMetricsCollection: the metrics named (all when none is) are no longer published. */
export function disableMetricsCollection(input: { AutoScalingGroupName: string; Metrics?: string[] }, ctx: RequestContext) {
  needGroup(ctx, input.AutoScalingGroupName);
  const metrics = checkMetrics(input.Metrics);
  updateGroup(ctx.cloud, ctx.region, input.AutoScalingGroupName, (g) => {
    g.EnabledMetrics = (g.EnabledMetrics ?? []).filter((m) => !metrics.includes(m.Metric));
  });
  return {};
}

export const describeMetricCollectionTypes = () => ({
  Metrics: GROUP_METRICS.map((Metric) => ({ Metric })),
  Granularities: [{ Granularity: GRANULARITY }],
});

/** The value of each group metric now (instances are counted with weight 1, so capacities equal instance counts). */
export function groupMetricValues(cloud: Cloud, region: string, g: GroupRecord): Map<string, number> {
  const count = (test: (state: string) => boolean) => g.Instances.filter((i) => test(i.LifecycleState)).length;
  const inService = count((s) => s === 'InService');
  const pending = count((s) => s.startsWith('Pending'));
  const standby = count((s) => s === 'Standby' || s === 'EnteringStandby');
  const terminating = count((s) => s.startsWith('Terminating'));
  const total = inService + pending + terminating;
  const v = new Map<string, number>([
    ['GroupMinSize', g.MinSize],
    ['GroupMaxSize', g.MaxSize],
    ['GroupDesiredCapacity', g.DesiredCapacity],
    ['GroupInServiceInstances', inService],
    ['GroupPendingInstances', pending],
    ['GroupStandbyInstances', standby],
    ['GroupTerminatingInstances', terminating],
    ['GroupTotalInstances', total],
    ['GroupInServiceCapacity', inService],
    ['GroupPendingCapacity', pending],
    ['GroupStandbyCapacity', standby],
    ['GroupTerminatingCapacity', terminating],
    ['GroupTotalCapacity', total],
  ]);
  const pool = warmPools(cloud).get(region, g.AutoScalingGroupName);
  if (pool) {
    const warm = (test: (state: string) => boolean) => pool.Instances.filter((i) => test(i.LifecycleState)).length;
    const warmed = warm((s) => s === 'Warmed:Stopped' || s === 'Warmed:Running' || s === 'Warmed:Hibernated');
    const warmPending = pool.Instances.filter(entering).length;
    const warmTerminating = warm((s) => s === 'Warmed:Terminating');
    const desired = pool.Status === 'PendingDelete' ? 0 : warmPoolTarget(pool, g);
    v.set('WarmPoolMinSize', pool.MinSize);
    v.set('WarmPoolDesiredCapacity', desired);
    v.set('WarmPoolWarmedCapacity', warmed);
    v.set('WarmPoolPendingCapacity', warmPending);
    v.set('WarmPoolTerminatingCapacity', warmTerminating);
    v.set('WarmPoolTotalCapacity', warmed + warmPending + warmTerminating);
    v.set('GroupAndWarmPoolDesiredCapacity', g.DesiredCapacity + desired);
    v.set('GroupAndWarmPoolTotalCapacity', total + warmed + warmPending + warmTerminating);
  }
  return v;
}

/** Publishes the enabled metrics of every group, stamped `at`. Warm pool metrics only for a group that has a warm pool. */
export function publishGroupMetrics(cloud: Cloud, at: number): void {
  for (const { scope: region, value: g } of groups(cloud).listAll()) {
    if (!g.EnabledMetrics?.length) continue;
    const values = groupMetricValues(cloud, region, g);
    for (const { Metric } of g.EnabledMetrics) {
      const value = values.get(Metric);
      if (value === undefined) continue;
      publishMetric(cloud, region, {
        Namespace: 'AWS/AutoScaling',
        MetricName: Metric,
        Dimensions: [{ Name: 'AutoScalingGroupName', Value: g.AutoScalingGroupName }],
        Value: value,
        Timestamp: at,
      });
    }
  }
}

/** Samples the groups' enabled metrics on every minute boundary of the cloud's clock. */
export function startGroupMetrics(cloud: Cloud): () => void {
  let timer: Timer | undefined;
  const arm = () => {
    const now = cloud.clock.now();
    const next = now - (now % MINUTE) + MINUTE;
    timer = cloud.clock.after(next - now, () => {
      try {
        publishGroupMetrics(cloud, next);
      } catch (err) {
        console.error(`[halo] publishing Auto Scaling group metrics failed: ${(err as Error).message}`);
      }
      arm();
    });
  };
  arm();
  return () => timer?.cancel();
}
