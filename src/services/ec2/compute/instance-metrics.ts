import os from 'node:os';
import type { Cloud } from '../../../cloud.js';
import type { Timer } from '../../../clock/clock.js';
import { liveKey } from '../../../store/live.js';
import { runtimeOf } from '../../../runtime/runtime.js';
import { readUsage, type Usage } from '../../../runtime/usage.js';
import { detailedAt } from './monitoring.js';
import { instancesTable } from './state.js';
import { publisherOf } from './status.js';

/**
 * AWS/EC2 CPUUtilization, NetworkIn, NetworkOut, NetworkPacketsIn and NetworkPacketsOut per InstanceId (and per
 * AutoScalingGroupName for the instances in a group, not those of its warm pool), from real measurements of each running instance (runtime/usage.ts: CPU time of the processes of its PID namespace, eth0's
 * counters).
 *
 * Once per minute of cloud time, on the minute boundary, one pass reads the counters of every running instance and
 * adds what changed since the last pass to the instance's open period. A period is published when it ends: every
 * minute under detailed monitoring (MonitorInstances), every 5 minutes (on the 5-minute grid) under basic
 * monitoring. NetworkPacketsIn/Out stay 5-minute metrics under detailed monitoring too, as EC2 documents them. The
 * datapoint's timestamp is the start of its period.
 *
 * Time scale: software in instances runs in wall time while the cloud clock may run faster. The CPU percentage is
 * a rate and is measured over the wall time the period lasted:
 *   CPUUtilization = CPU seconds used / (wall seconds × vCPUs) × 100,
 * where vCPUs is os.availableParallelism(): every instance may use every CPU of the machine (there are no cgroup
 * limits), so an instance that keeps one core busy on a 2-core machine reads 50 %, whatever its instance type says.
 * Network metrics are the real byte and packet counts of the wall-time interval that stood for the period (not a
 * rate multiplied by the cloud period): the sum over periods is what the interface really carried.
 */
const MINUTE = 60_000;
const BASIC = 5 * MINUTE;
/** Five clock ticks (CPU times are counted in 10 ms ticks). */
const MIN_CPU_WALL_MS = 50;

interface Acc {
  cpuSeconds: number;
  wallMs: number;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

interface Track {
  region: string;
  initPid: number;
  /** The counters at the last pass, with its wall time. */
  last: Usage & { wall: number };
  /** Open period of CPU and bytes (start in cloud time), and of packets (always 5-minute). */
  main: Acc;
  mainStart: number;
  packets: Acc;
  packetsStart: number;
  /** Nothing published yet for this boot: the first period's timestamp is put back on the grid. */
  firstMain: boolean;
  firstPackets: boolean;
}

const zero = (): Acc => ({ cpuSeconds: 0, wallMs: 0, rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 });

function add(acc: Acc, d: Acc): void {
  acc.cpuSeconds += d.cpuSeconds;
  acc.wallMs += d.wallMs;
  acc.rxBytes += d.rxBytes;
  acc.txBytes += d.txBytes;
  acc.rxPackets += d.rxPackets;
  acc.txPackets += d.txPackets;
}

/** The figures of one pass (for the report and tests): how many instances, how long the reading took (ms). */
export interface PassInfo {
  at: number;
  instances: number;
  readMs: number;
}

const LAST_PASS = liveKey('ec2.lastMetricsPass', () => ({ info: undefined as PassInfo | undefined }));
export const lastMetricsPass = (cloud: Cloud): PassInfo | undefined => cloud.live.peek(LAST_PASS)?.info;

/** Starts the per-minute pass; returns its timer. */
export function startInstanceMetrics(cloud: Cloud): Timer {
  const tracks = new Map<string, Track>();
  const vcpus = os.availableParallelism();
  let timer: Timer | undefined;
  let cancelled = false;

  const pass = async (boundary: number) => {
    const rt = runtimeOf(cloud);
    const running = instancesTable(cloud.store)
      .listAll()
      .filter((x) => x.value.State.Name === 'running');
    const regionOf = new Map(running.map((x) => [x.value.InstanceId, x.scope]));
    const groupOf = await groupMembers(
      cloud,
      running.map((x) => ({
        region: x.scope,
        id: x.value.InstanceId,
        group: x.value.Tags.find((t) => t.Key === 'aws:autoscaling:groupName')?.Value,
      })),
    );
    const inits = new Map([...rt.sandboxInits()].filter(([id]) => regionOf.has(id)));
    const t0 = performance.now();
    const usage = await readUsage(inits);
    const wall = Date.now();
    const info = { at: boundary, instances: usage.size, readMs: performance.now() - t0 };
    cloud.live.get(LAST_PASS).info = info;
    if (process.env.HALO_TRACE)
      console.error(
        `[halo trace] metrics pass ${new Date(boundary).toISOString()}: ${info.instances} instances read in ${info.readMs.toFixed(2)} ms`,
      );
    const publish = publisherOf(cloud);
    // A track ends with its sandbox (stop, terminate, crash, reboot); a failed read of a live one keeps it.
    for (const id of [...tracks.keys()]) if (!inits.has(id)) tracks.delete(id);
    for (const [id, u] of usage) {
      const region = regionOf.get(id) as string;
      let t = tracks.get(id);
      if (!t || t.initPid !== u.initPid) {
        // A new boot: its counters started from zero when its sandbox did.
        const bootCloud = cloud.clock.now() - (wall - u.startedAt) * cloud.clock.scale;
        const start = Math.min(boundary - MINUTE, Math.floor(bootCloud / MINUTE) * MINUTE);
        t = {
          region,
          initPid: u.initPid,
          last: { ...zeroUsage(u), wall: u.startedAt },
          main: zero(),
          mainStart: start,
          packets: zero(),
          packetsStart: start,
          firstMain: true,
          firstPackets: true,
        };
        tracks.set(id, t);
      }
      const d: Acc = {
        cpuSeconds: Math.max(0, u.cpuSeconds - t.last.cpuSeconds),
        wallMs: Math.max(0, wall - t.last.wall),
        rxBytes: Math.max(0, u.rxBytes - t.last.rxBytes),
        txBytes: Math.max(0, u.txBytes - t.last.txBytes),
        rxPackets: Math.max(0, u.rxPackets - t.last.rxPackets),
        txPackets: Math.max(0, u.txPackets - t.last.txPackets),
      };
      t.last = { ...u, wall };
      add(t.main, d);
      add(t.packets, d);
      if (!publish) continue;
      // Per instance, and per Auto Scaling group (one sample per instance: Average and Sum aggregate the group).
      const group = groupOf.get(id);
      const dimSets = [[{ Name: 'InstanceId', Value: id }], ...(group ? [[{ Name: 'AutoScalingGroupName', Value: group }]] : [])];
      const put = (name: string, value: number, unit: string, ts: number) => {
        for (const dims of dimSets) {
          try {
            publish(cloud, region, { Namespace: 'AWS/EC2', MetricName: name, Dimensions: dims, Value: value, Unit: unit, Timestamp: ts });
          } catch (err) {
            console.error(`[halo] publishing ${name} for ${id} failed: ${(err as Error).message}`);
          }
        }
      };
      const detailed = detailedAt(cloud, region, id, boundary - MINUTE);
      if (detailed || boundary % BASIC === 0) {
        const ts = t.firstMain ? Math.floor(t.mainStart / (detailed ? MINUTE : BASIC)) * (detailed ? MINUTE : BASIC) : t.mainStart;
        const a = t.main;
        t.main = zero();
        // A rate needs some wall time (a pass catching up right after another one has almost none): below
        // MIN_CPU_WALL_MS the CPU time is carried into the next period instead of giving a meaningless percentage.
        if (a.wallMs >= MIN_CPU_WALL_MS)
          put('CPUUtilization', Math.min(100, (a.cpuSeconds / ((a.wallMs / 1000) * vcpus)) * 100), 'Percent', ts);
        else Object.assign(t.main, { cpuSeconds: a.cpuSeconds, wallMs: a.wallMs });
        put('NetworkIn', a.rxBytes, 'Bytes', ts);
        put('NetworkOut', a.txBytes, 'Bytes', ts);
        t.mainStart = boundary;
        t.firstMain = false;
      }
      if (boundary % BASIC === 0) {
        const ts = t.firstPackets ? Math.floor(t.packetsStart / BASIC) * BASIC : t.packetsStart;
        put('NetworkPacketsIn', t.packets.rxPackets, 'Count', ts);
        put('NetworkPacketsOut', t.packets.txPackets, 'Count', ts);
        t.packets = zero();
        t.packetsStart = boundary;
        t.firstPackets = false;
      }
    }
  };

  // Every boundary gets its pass, even when the event loop was late (a busy daemon at a high time scale): a late pass
  // runs at once and measures over the wall time that really passed. Only after a long stall (10 minutes of cloud
  // time behind) are the missed boundaries skipped.
  const schedule = (previous: number) => {
    if (cancelled) return;
    const now = cloud.clock.now();
    const onTime = Math.floor(now / MINUTE) * MINUTE + MINUTE;
    const next = previous && previous + MINUTE > now - 10 * MINUTE ? previous + MINUTE : onTime;
    timer = cloud.clock.after(Math.max(0, next - now), () => {
      pass(next)
        .catch((err: unknown) => console.error(`[halo] instance metrics pass failed: ${(err as Error).stack ?? String(err)}`))
        .finally(() => schedule(next));
    });
  };
  schedule(0);
  return {
    cancel: () => {
      cancelled = true;
      timer?.cancel();
    },
  };
}

/**
 * The group whose aggregate each instance feeds: the group its aws:autoscaling:groupName tag names, only while the
 * instance is one of the group's instances (a warm pool's instance is not in the group: AWS aggregates the metrics of
 * the group's instances alone). Membership is asked of Auto Scaling, once per group and pass.
 */
async function groupMembers(
  cloud: Cloud,
  instances: Array<{ region: string; id: string; group: string | undefined }>,
): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  const members = new Map<string, Set<string> | undefined>();
  for (const { region, id, group } of instances) {
    if (!group) continue;
    const key = `${region}\n${group}`;
    if (!members.has(key)) members.set(key, await membersOf(cloud, region, group));
    const inGroup = members.get(key);
    if (!inGroup || inGroup.has(id)) out.set(id, group);
  }
  return out;
}

/** The instance ids of a group (undefined without Auto Scaling in this cloud: then the tag alone decides). */
async function membersOf(cloud: Cloud, region: string, group: string): Promise<Set<string> | undefined> {
  if (!cloud.services.has('autoscaling')) return undefined;
  try {
    const out = await cloud.invoke<{ AutoScalingGroups: Array<{ Instances?: Array<{ InstanceId: string }> }> }>(
      'autoscaling',
      'DescribeAutoScalingGroups',
      { AutoScalingGroupNames: [group] },
      { region },
    );
    return new Set((out.AutoScalingGroups[0]?.Instances ?? []).map((i) => i.InstanceId));
  } catch (err) {
    console.error(`[halo] group membership for metrics of ${group} failed: ${(err as Error).message}`);
    return undefined;
  }
}

function zeroUsage(u: Usage): Usage {
  return { ...u, cpuSeconds: 0, rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 };
}
