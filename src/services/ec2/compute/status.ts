import type { Cloud } from '../../../cloud.js';
import type { Timer } from '../../../clock/clock.js';
import { ec2Errors } from '../errors.js';
import { liveKey } from '../../../store/live.js';
import { runtimeOf, type ProbeResult } from '../../../runtime/runtime.js';
import { METRIC_PUBLISHED, type MetricPublished } from '../../cloudwatch/events.js';
import type { RequestContext } from '../../types.js';
import { applyFilters, type Filter } from '../filters.js';
import { findInstances } from './instances.js';
import { instancesTable, type InstanceRecord } from './state.js';
import { ec2Page, type Ec2PageInput } from '../paging.js';

export type Publish = (cloud: Cloud, region: string, datum: MetricPublished['datum']) => void;

/** Publishes to CloudWatch through its event (cloudwatch/events.ts); null when the cloud has no CloudWatch. */
export function publisherOf(cloud: Cloud): Publish | null {
  if (cloud.events.listenerCount(METRIC_PUBLISHED) === 0) return null;
  return (c, region, datum) => {
    c.events.emit(METRIC_PUBLISHED, { region, datum } satisfies MetricPublished);
  };
}

/** When each check of an instance started failing (cloud time), for ImpairedSince. */
const IMPAIRED_SINCE = liveKey('ec2.impairedSince', () => new Map<string, number>());
/**
 * The last completed check of each instance. DescribeInstanceStatus shows it until the next check, as EC2 does: a
 * host that just failed still shows `ok` until a check sees it (the runtime forgets a probe when a sandbox dies).
 */
const LAST_CHECKS = liveKey('ec2.lastStatusChecks', () => new Map<string, ProbeResult>());

const sinceMap = (cloud: Cloud) => cloud.live.get(IMPAIRED_SINCE);

/**
 * Every statusCheckInterval of cloud time: probes each running instance for real (its processes, its network from
 * its VPC; its host) and publishes AWS/EC2 StatusCheckFailed, StatusCheckFailed_System and StatusCheckFailed_Instance
 * (0 or 1) per InstanceId, as EC2 does each minute.
 */
export function startStatusChecks(cloud: Cloud): Timer {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const rt = runtimeOf(cloud);
      const all = instancesTable(cloud.store)
        .listAll()
        .filter((x) => x.value.State.Name === 'running');
      const started = performance.now();
      const results = await rt.probeAll(all.map((x) => ({ instanceId: x.value.InstanceId, hostId: x.value.HostId })));
      if (process.env.HALO_TRACE)
        console.error(`[halo trace] status checks of ${all.length} instances probed in ${(performance.now() - started).toFixed(1)} ms`);
      const publish = publisherOf(cloud);
      if (process.env.HALO_TRACE)
        console.error(`[halo trace] status checks published after ${(performance.now() - started).toFixed(1)} ms`);
      const now = cloud.clock.now();
      const since = sinceMap(cloud);
      for (const { scope: region, value: r } of all) {
        const p = results.get(r.InstanceId);
        if (!p) continue;
        cloud.live.get(LAST_CHECKS).set(r.InstanceId, p);
        for (const kind of ['system', 'instance'] as const) {
          const key = `${r.InstanceId}/${kind}`;
          if (p[kind] === 'impaired') {
            if (!since.has(key)) since.set(key, now);
          } else since.delete(key);
        }
        const sys = p.system === 'impaired' ? 1 : 0;
        const ins = p.instance === 'impaired' ? 1 : 0;
        cloud.events.emit('ec2.statusChecked', {
          region,
          instanceId: r.InstanceId,
          system: p.system,
          instance: p.instance,
          timestamp: now,
        });
        if (!publish) continue;
        const dims = [{ Name: 'InstanceId', Value: r.InstanceId }];
        for (const [name, value] of [
          ['StatusCheckFailed_System', sys],
          ['StatusCheckFailed_Instance', ins],
          ['StatusCheckFailed', Math.max(sys, ins)],
        ] as const) {
          try {
            publish(cloud, region, {
              Namespace: 'AWS/EC2',
              MetricName: name,
              Dimensions: dims,
              Value: value,
              Unit: 'Count',
              Timestamp: now,
            });
          } catch (err) {
            console.error(`[halo] publishing ${name} for ${r.InstanceId} failed: ${(err as Error).message}`);
          }
        }
      }
    } finally {
      busy = false;
    }
  };
  return cloud.clock.every(cloud.profile.steps.statusCheckInterval, () => {
    void tick();
  });
}

function summary(cloud: Cloud, r: InstanceRecord, kind: 'system' | 'instance') {
  if (r.State.Name !== 'running') return { Status: 'not-applicable', Details: [] as Array<{ Name: string; Status: string }> };
  const p = cloud.live.get(LAST_CHECKS).get(r.InstanceId) ?? runtimeOf(cloud).lastProbe(r.InstanceId);
  if (!p || (r.RunningSince !== undefined && p.at < r.RunningSince)) {
    return { Status: 'initializing', Details: [{ Name: 'reachability', Status: 'initializing' }] };
  }
  const impaired = p[kind] === 'impaired';
  const since = sinceMap(cloud).get(`${r.InstanceId}/${kind}`);
  return {
    Status: impaired ? 'impaired' : 'ok',
    Details: [
      { Name: 'reachability', Status: impaired ? 'failed' : 'passed', ImpairedSince: impaired && since ? new Date(since) : undefined },
    ],
  };
}

export function describeInstanceStatus(
  input: { InstanceIds?: string[]; Filters?: Filter[]; IncludeAllInstances?: boolean; MaxResults?: number } & Ec2PageInput,
  ctx: RequestContext,
) {
  if (input.MaxResults !== undefined && (input.MaxResults < 5 || input.MaxResults > 1000)) {
    throw ec2Errors.statusMaxResultsOutOfRange();
  }
  let list = findInstances(ctx, input.InstanceIds).filter(
    (r) => r.State.Name !== 'terminated' || input.InstanceIds?.includes(r.InstanceId),
  );
  if (!input.IncludeAllInstances) list = list.filter((r) => r.State.Name === 'running');
  const rows = list.map((r) => ({
    r,
    out: {
      InstanceId: r.InstanceId,
      AvailabilityZone: r.AvailabilityZone,
      InstanceState: r.State,
      SystemStatus: summary(ctx.cloud, r, 'system'),
      InstanceStatus: summary(ctx.cloud, r, 'instance'),
      Events: [],
    },
  }));
  const filtered = applyFilters(rows, input.Filters, {
    'availability-zone': (x) => x.r.AvailabilityZone,
    'instance-state-name': (x) => x.r.State.Name,
    'instance-state-code': (x) => x.r.State.Code,
    'system-status.status': (x) => x.out.SystemStatus.Status,
    'instance-status.status': (x) => x.out.InstanceStatus.Status,
    'system-status.reachability': (x) => (x.out.SystemStatus.Details[0] as { Status?: string } | undefined)?.Status,
    'instance-status.reachability': (x) => (x.out.InstanceStatus.Details[0] as { Status?: string } | undefined)?.Status,
  });
  const page = ec2Page(filtered, input, 'InstanceIds');
  return { InstanceStatuses: page.items.map((x) => x.out), NextToken: page.NextToken };
}
