import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../cloud.js';
import type { Timer } from '../../clock/clock.js';
import { liveKey } from '../../store/live.js';
import { isAwsError } from '../../protocol/errors.js';
import { cause, causes, endActivity, pruneActivities, startActivity } from './activities.js';
import { Ec2Fleet, type Fleet, type FleetInstance } from './fleet.js';
import { isSuspended } from './processes.js';
import {
  countsTowardCapacity,
  groups,
  type ActivityRecord,
  isTerminating,
  updateGroup,
  type GroupInstance,
  type GroupRecord,
} from './state.js';
import { chooseVictim } from './termination.js';
import { forgetGroupExtras, groupsWithWork, launchesHibernating, returnToWarmPool, stepGroupExtras, takeFromWarmPool } from './extras.js';
import { holdForHooks, LAUNCHING, TERMINATING } from './lifecycle-hooks.js';

/** The controller looks at every group this often (AWS time) unless the timing profile says otherwise. */
export const TICK_MS = 10_000;
/** A zone where a launch failed for want of capacity is tried again after this long (AWS time). */
export const ZONE_RETRY_MS = 120_000;
/** Launch failures back off from 10 s, doubling, to at most 5 minutes (AWS time). */
export const backoffMs = (failures: number) => Math.min(10_000 * 2 ** Math.max(0, failures - 1), 300_000);

/** Whether a launch in the zone (the group's or its warm pool's) failed for capacity too recently to try it again. */
export const zoneRecentlyFailed = (g: GroupRecord, zone: string, now: number) =>
  !!g.FailedZones[zone] && now - g.FailedZones[zone].At < ZONE_RETRY_MS;

/** EC2 errors that say a zone cannot take an instance now: the launch goes to another of the group's zones. */
export const ZONAL_ERRORS = new Set(['InsufficientInstanceCapacity', 'InsufficientCapacity', 'Unavailable', 'InsufficientHostCapacity']);
/** EC2 instance states in which EC2 Auto Scaling deems an instance unhealthy at once. */
const GONE_STATES = new Set(['stopping', 'stopped', 'shutting-down', 'terminated', 'vanished']);

const CONTROLLER = liveKey('autoscaling.controller', () => ({ controller: undefined as GroupController | undefined }));

/** The controller of a cloud (operations that act at once, tests and benchmarks). */
export const controllerOf = (cloud: Cloud): GroupController | undefined => cloud.live.get(CONTROLLER).controller;

export interface ControllerOptions {
  fleet?: Fleet;
  random?: () => number;
}

/**
 * Keeps every group of the cloud as its configuration says, on the cloud's clock: one tick every
 * autoScalingCheckInterval of the timing profile (and one soon after an API call changes a group). All it knows
 * lives in the store (the groups' records, with their instances and the launches they have decided on), so a
 * restarted daemon carries on where it was.
 *
 * Where the later features plug in:
 * - lifecycle hooks: `enterService` (Pending → Pending:Wait → InService) and `beginTermination`
 *   (Terminating → Terminating:Wait → TerminateInstances) are the only two transitions that start or end an
 *   instance's service;
 * - warm pools: `launchOne` is the only place a new instance is obtained;
 * - scaling policies and scheduled actions: they change DesiredCapacity through `setDesiredCapacity` (capacity.ts),
 *   and the next tick does the rest.
 */
export class GroupController {
  private timer?: Timer;
  private soon?: Timer;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  /** Client tokens of RunInstances calls in flight (their intents are not leftovers of a crash). */
  private readonly inFlight = new Set<string>();
  /** The same for launches into warm pools (warm-pools.ts). */
  private readonly warmLaunches = new Set<string>();
  readonly fleet: Fleet;
  private readonly random: () => number;
  /**
   * What EC2 showed of each region at the last look, reused while the fleet reports no change there (a steady
   * cloud is read once per round of status checks, not every tick).
   */
  private readonly views = new Map<string, { ec2: Map<string, FleetInstance>; impaired: Set<string> }>();
  private readonly stale = new Set<string>();
  private unwatch?: () => void;

  constructor(
    private readonly cloud: Cloud,
    opts: ControllerOptions = {},
  ) {
    this.fleet = opts.fleet ?? new Ec2Fleet(cloud);
    this.random = opts.random ?? Math.random;
    cloud.live.get(CONTROLLER).controller = this;
  }

  start(): void {
    this.unwatch = this.fleet.onChange?.((region) => this.stale.add(region));
    // The profile's autoScalingCheckInterval: how often Auto Scaling looks at its groups (30 s under aws-typical).
    this.timer = this.cloud.clock.every(this.cloud.profile.steps.autoScalingCheckInterval || TICK_MS, () => {
      void this.tick();
    });
    this.poke();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatch?.();
    this.timer?.cancel();
    this.soon?.cancel();
    await this.running;
  }

  /** A group changed: look at it soon rather than at the next tick. */
  poke(): void {
    this.views.clear();
    if (this.stopped || this.soon) return;
    this.soon = this.cloud.clock.after(0, () => {
      this.soon = undefined;
      void this.tick();
    });
  }

  /** One pass over every group; a tick asked for while one runs runs right after it. Resolves when done. */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again && !this.stopped);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private lastPrune = -Infinity;

  private async pass(): Promise<void> {
    const started = this.cloud.clock.now();
    if (started - this.lastPrune >= 3_600_000) {
      this.lastPrune = started;
      pruneActivities(this.cloud, started);
    }
    const byRegion = new Map<string, GroupRecord[]>();
    for (const { scope, value } of groups(this.cloud).listAll()) byRegion.set(scope, [...(byRegion.get(scope) ?? []), value]);
    for (const [region, list] of byRegion) {
      if (this.stopped) return;
      try {
        const { ec2, impaired } = await this.view(region, list);
        const now = this.cloud.clock.now();
        const withWork = groupsWithWork(this.cloud, region, now);
        for (const g of list) {
          if (this.stopped) return;
          if (this.settled(g, ec2, impaired, now) && !withWork.has(g.AutoScalingGroupName)) continue;
          this.stale.add(region);
          try {
            await this.reconcile(region, g.AutoScalingGroupName, ec2, impaired);
          } catch (err) {
            console.error(`[halo] autoscaling group ${g.AutoScalingGroupName} (${region}): ${(err as Error).stack ?? String(err)}`);
          }
        }
      } catch (err) {
        console.error(`[halo] autoscaling controller (${region}): ${(err as Error).message}`);
      }
    }
  }

  private async view(region: string, list: GroupRecord[]): Promise<{ ec2: Map<string, FleetInstance>; impaired: Set<string> }> {
    const cached = this.views.get(region);
    if (cached && this.fleet.onChange && !this.stale.has(region)) return cached;
    this.stale.delete(region);
    const ec2 = await this.fleet.groupInstances(region);
    // Attached instances do not carry the group tag (EC2 reserves aws: tags): they are looked up by id.
    const untagged = list.flatMap((g) => g.Instances.map((i) => i.InstanceId)).filter((id) => !ec2.has(id));
    if (untagged.length) for (const [id, i] of await this.fleet.describe(region, untagged)) ec2.set(id, i);
    const watched = list.flatMap((g) => g.Instances.filter((i) => i.LifecycleState === 'InService').map((i) => i.InstanceId));
    const view = { ec2, impaired: await this.fleet.impaired(region, watched) };
    this.views.set(region, view);
    return view;
  }

  /**
   * True when a group needs nothing this tick (the common case, checked without another read of the store):
   * every instance InService, healthy, running and not impaired, as many as desired, none past its lifetime, its
   * zones balanced.
   */
  private settled(g: GroupRecord, ec2: Map<string, FleetInstance>, impaired: Set<string>, now: number): boolean {
    if (g.Status || g.Launches.length || g.Instances.length !== g.DesiredCapacity) return false;
    const perZone = new Map(g.AvailabilityZones.map((z) => [z, 0]));
    for (const i of g.Instances) {
      if (i.LifecycleState !== 'InService' || i.HealthStatus !== 'Healthy' || ec2.get(i.InstanceId)?.State !== 'running') return false;
      if (impaired.has(i.InstanceId) || (g.MaxInstanceLifetime && now - i.LaunchedAt >= g.MaxInstanceLifetime * 1000)) return false;
      perZone.set(i.AvailabilityZone, (perZone.get(i.AvailabilityZone) ?? 0) + 1);
    }
    const counts = [...perZone.values()];
    return counts.length < 2 || Math.max(...counts) - Math.min(...counts) < 2;
  }

  private group(region: string, name: string): GroupRecord | undefined {
    return groups(this.cloud).get(region, name);
  }

  private mutate(region: string, name: string, fn: (g: GroupRecord) => void): GroupRecord | undefined {
    return updateGroup(this.cloud, region, name, fn);
  }

  private setInstance(region: string, name: string, id: string, fn: (i: GroupInstance, g: GroupRecord) => void): GroupRecord | undefined {
    return this.mutate(region, name, (g) => {
      const i = g.Instances.find((x) => x.InstanceId === id);
      if (i) fn(i, g);
    });
  }

  /** Brings one group toward what it should be. */
  async reconcile(region: string, name: string, ec2: Map<string, FleetInstance>, impaired: Set<string>): Promise<void> {
    let g = this.group(region, name);
    if (!g) return;
    const now = this.cloud.clock.now();

    if (g.Status === 'Delete in progress') {
      for (const i of g.Instances.filter((x) => !isTerminating(x)))
        await this.beginTermination(region, name, i.InstanceId, causes.forceDelete(), true);
      this.followTerminations(region, name, ec2);
      g = this.group(region, name);
      if (g && !g.Instances.length && !g.Launches.some((l) => this.inFlight.has(l.ClientToken))) {
        this.cloud.store.tx(() => {
          groups(this.cloud).delete(region, name);
          forgetGroupExtras(this.cloud, region, name);
        });
      }
      return;
    }

    this.adoptLeftoverLaunches(region, name, ec2);
    await stepGroupExtras(this.cloud, this, region, name, ec2, {
      subnetIn: (x, z) => this.subnetIn(region, x, z),
      zoneOrder: (x) => this.zoneOrder(x, this.cloud.clock.now()),
      inFlight: this.warmLaunches,
    });
    this.checkHealth(region, name, ec2, impaired, now);
    this.followTerminations(region, name, ec2);

    g = this.group(region, name);
    if (!g) return;
    if (!isSuspended(g, 'ReplaceUnhealthy') && !isSuspended(g, 'Terminate')) {
      for (const i of g.Instances.filter((x) => x.HealthStatus === 'Unhealthy' && !isTerminating(x) && x.LifecycleState !== 'Standby')) {
        await this.beginTermination(region, name, i.InstanceId, i.UnhealthyCause ?? causes.terminatedOrStopped(), false, i.UnhealthyAt);
      }
    }
    await this.replaceExpired(region, name, now);
    await this.keepCapacity(region, name);
    await this.rebalance(region, name);
  }

  /** Launch intents of an earlier daemon whose RunInstances may or may not have reached EC2. */
  private adoptLeftoverLaunches(region: string, name: string, ec2: Map<string, FleetInstance>): void {
    const g = this.group(region, name);
    if (!g) return;
    const leftovers = g.Launches.filter((l) => !this.inFlight.has(l.ClientToken));
    for (const intent of leftovers) {
      const found = [...ec2.values()].find((x) => x.ClientToken === intent.ClientToken && x.GroupName === name);
      const after = this.mutate(region, name, (x) => {
        x.Launches = x.Launches.filter((l) => l.ClientToken !== intent.ClientToken);
        if (found && !x.Instances.some((i) => i.InstanceId === found.InstanceId))
          x.Instances.push(
            this.newInstance(
              x,
              found.InstanceId,
              found.InstanceType,
              found.AvailabilityZone,
              found.SubnetId,
              found.LaunchTime,
              intent.ActivityId,
            ),
          );
      });
      if (found && after) {
        startActivity(this.cloud, region, after, {
          ActivityId: intent.ActivityId,
          Description: `Launching a new EC2 instance: ${found.InstanceId}`,
          Cause: intent.Cause ?? cause(intent.At, causes.capacityIncrease(0, after.DesiredCapacity)),
          Details: { 'Subnet ID': found.SubnetId ?? '', 'Availability Zone': found.AvailabilityZone },
        });
      }
    }
  }

  private newInstance(
    g: GroupRecord,
    id: string,
    type: string,
    zone: string,
    subnet: string | undefined,
    at: number,
    activityId: string,
    forRebalance = false,
  ): GroupInstance {
    return {
      InstanceId: id,
      InstanceType: type,
      AvailabilityZone: zone,
      SubnetId: subnet,
      LifecycleState: 'Pending',
      HealthStatus: 'Healthy',
      LaunchConfigurationName: g.LaunchConfigurationName,
      LaunchTemplate: g.LaunchTemplate ?? g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification,
      ProtectedFromScaleIn: g.NewInstancesProtectedFromScaleIn,
      LaunchedAt: at,
      ActivityId: activityId,
      ForRebalance: forRebalance || undefined,
    };
  }

  /**
   * EC2 health checks: an instance EC2 shows stopped, stopping, shutting down or terminated (or no longer shows) is
   * unhealthy at once; an impaired one only once the health check grace period, counted from InService, has passed.
   */
  private checkHealth(region: string, name: string, ec2: Map<string, FleetInstance>, impaired: Set<string>, now: number): void {
    const g = this.group(region, name);
    if (!g) return;
    const checking = !isSuspended(g, 'HealthCheck');
    for (const i of g.Instances) {
      const state = ec2.get(i.InstanceId)?.State ?? 'vanished';
      if ((i.LifecycleState === 'Pending' || i.LifecycleState === 'Pending:Proceed') && state === 'running')
        this.enterService(region, name, i.InstanceId);
      if (!checking || i.HealthStatus === 'Unhealthy' || !(i.LifecycleState === 'InService' || i.LifecycleState.startsWith('Pending')))
        continue;
      let why: string | undefined;
      if (GONE_STATES.has(state)) why = causes.terminatedOrStopped();
      else if (
        i.LifecycleState === 'InService' &&
        impaired.has(i.InstanceId) &&
        now >= (i.InServiceAt ?? now) + g.HealthCheckGracePeriod * 1000
      )
        why = causes.statusCheckFailure();
      if (why) this.markUnhealthy(region, name, i.InstanceId, why, now);
    }
  }

  markUnhealthy(region: string, name: string, id: string, why: string, now: number): void {
    this.setInstance(region, name, id, (i) => {
      i.HealthStatus = 'Unhealthy';
      i.UnhealthyCause = why;
      i.UnhealthyAt = now;
    });
  }

  /**
   * Pending → InService once EC2 says running. A launch lifecycle hook holds the instance in Pending:Wait: from its
   * launch (launchOne, takeFromWarmPool), else here (out of standby, adopted after a restart, a hook put later).
   */
  private enterService(region: string, name: string, id: string): void {
    if (
      this.group(region, name)?.Instances.find((x) => x.InstanceId === id)?.LifecycleState === 'Pending' &&
      holdForHooks(this.cloud, region, name, id, LAUNCHING)
    )
      return;
    const now = this.cloud.clock.now();
    const g = this.setInstance(region, name, id, (i, x) => {
      i.LifecycleState = 'InService';
      i.InServiceAt = now;
      x.CooldownUntil = now + x.DefaultCooldown * 1000;
    });
    const i = g?.Instances.find((x) => x.InstanceId === id);
    // The launch ends when the instance entered service (its health check grace period counts from the same instant).
    if (g && i) endActivity(this.cloud, region, g, i.ActivityId, 'Successful', 'autoscaling:EC2_INSTANCE_LAUNCH', id, undefined, now);
  }

  /**
   * Takes an instance out of service and terminates it. A termination lifecycle hook holds it in Terminating:Wait
   * here, before TerminateInstances.
   */
  async beginTermination(
    region: string,
    name: string,
    id: string,
    why: string,
    decrement: boolean,
    when?: number,
  ): Promise<ActivityRecord | undefined> {
    const now = this.cloud.clock.now();
    let g: GroupRecord | undefined;
    let fresh: ActivityRecord | undefined;
    this.cloud.store.tx(() => {
      g = this.group(region, name);
      const i = g?.Instances.find((x) => x.InstanceId === id);
      if (!g || !i || isTerminating(i)) return;
      // A launch still waiting for InService ends here: the instance did launch, and now leaves.
      if (i.LifecycleState.startsWith('Pending'))
        endActivity(this.cloud, region, g, i.ActivityId, 'Successful', 'autoscaling:EC2_INSTANCE_LAUNCH', id);
      const a = startActivity(this.cloud, region, g, {
        Description: `Terminating EC2 instance: ${id}`,
        Cause: cause(when ?? now, why),
        Details: { 'Subnet ID': i.SubnetId ?? '', 'Availability Zone': i.AvailabilityZone },
      });
      g = this.setInstance(region, name, id, (x, grp) => {
        x.LifecycleState = 'Terminating';
        x.ActivityId = a.ActivityId;
        x.DecrementOnTermination = decrement;
        if (decrement) grp.DesiredCapacity = Math.max(grp.MinSize, grp.DesiredCapacity - 1);
      });
      fresh = a;
    });
    if (!fresh) return undefined;
    if (holdForHooks(this.cloud, region, name, id, TERMINATING)) return fresh;
    await this.terminateInEc2(region, id);
    return fresh;
  }

  private async terminateInEc2(region: string, id: string): Promise<void> {
    try {
      await this.fleet.terminate(region, [id]);
    } catch (err) {
      if (!isAwsError(err, 'InvalidInstanceID.NotFound'))
        console.error(`[halo] autoscaling: terminating ${id} failed: ${(err as Error).message}`);
    }
  }

  /** Terminating → Terminated once EC2 says so; instances whose TerminateInstances a restart interrupted are terminated again. */
  private followTerminations(region: string, name: string, ec2: Map<string, FleetInstance>): void {
    const g = this.group(region, name);
    if (!g) return;
    for (const i of g.Instances.filter(isTerminating)) {
      const state = ec2.get(i.InstanceId)?.State ?? 'vanished';
      if (state === 'terminated' || state === 'vanished') {
        const now = this.cloud.clock.now();
        const after = this.mutate(region, name, (x) => {
          x.Instances = x.Instances.filter((y) => y.InstanceId !== i.InstanceId);
          x.CooldownUntil = now + x.DefaultCooldown * 1000;
        });
        if (after) endActivity(this.cloud, region, after, i.ActivityId, 'Successful', 'autoscaling:EC2_INSTANCE_TERMINATE', i.InstanceId);
      } else if (state !== 'shutting-down' && i.LifecycleState !== 'Terminating:Wait') {
        void this.terminateInEc2(region, i.InstanceId);
      }
    }
    const detaching = g.Instances.filter((x) => x.LifecycleState === 'Detaching').map((i) => i.InstanceId);
    if (detaching.length) {
      this.mutate(region, name, (x) => {
        x.Instances = x.Instances.filter((y) => !detaching.includes(y.InstanceId));
      });
      this.fleet
        .release(region, detaching)
        .catch((err: unknown) => console.error(`[halo] autoscaling: untagging ${detaching.join(', ')} failed: ${(err as Error).message}`));
    }
  }

  /** MaxInstanceLifetime: one instance past its lifetime is replaced at a time, while the group is otherwise whole. */
  private async replaceExpired(region: string, name: string, now: number): Promise<void> {
    const g = this.group(region, name);
    if (!g?.MaxInstanceLifetime || isSuspended(g, 'Terminate') || isSuspended(g, 'Launch')) return;
    if (g.Instances.some((i) => isTerminating(i) || i.LifecycleState.startsWith('Pending'))) return;
    const expired = g.Instances.filter(
      (i) => i.LifecycleState === 'InService' && now - i.LaunchedAt >= (g.MaxInstanceLifetime as number) * 1000,
    ).sort((a, b) => a.LaunchedAt - b.LaunchedAt)[0];
    if (expired) await this.beginTermination(region, name, expired.InstanceId, causes.maxLifetime(), false);
  }

  private capacity(g: GroupRecord): number {
    return g.Instances.filter(countsTowardCapacity).length + g.Launches.length;
  }

  /** Launches what is missing, terminates what is too much. */
  private async keepCapacity(region: string, name: string): Promise<void> {
    let g = this.group(region, name);
    if (!g) return;
    const have = this.capacity(g);
    const now = this.cloud.clock.now();
    if (have < g.DesiredCapacity && !isSuspended(g, 'Launch') && now >= (g.NextLaunchAt ?? 0)) {
      const prefix = g.PendingCause;
      for (let n = have; n < g.DesiredCapacity; n++) {
        const text = `${prefix ? `${prefix}  ` : ''}${cause(now, causes.capacityIncrease(have, g.DesiredCapacity))}`;
        if (!(await this.launchOne(region, name, text))) break;
        g = this.group(region, name);
        if (!g) return;
      }
      this.mutate(region, name, (x) => {
        x.PendingCause = undefined;
      });
      return;
    }
    if (have > g.DesiredCapacity && !isSuspended(g, 'Terminate')) {
      // Launch before terminate: a rebalancing launch still on its way keeps the instance it replaces in service.
      if (g.Instances.some((i) => i.ForRebalance && i.LifecycleState.startsWith('Pending'))) return;
      const rebalancing = g.Instances.some((i) => i.ForRebalance);
      for (let n = have; n > g.DesiredCapacity; n--) {
        const current = this.group(region, name);
        if (!current) return;
        const victim = chooseVictim(
          current,
          current.Instances.filter((i) => countsTowardCapacity(i)),
          now,
          this.random,
        );
        if (!victim) break;
        const why = rebalancing ? causes.rebalanceTerminate(n, n - 1) : causes.capacityDecrease(n, n - 1);
        if (!rebalancing && returnToWarmPool(this.cloud, region, name, victim.InstanceId, why)) continue;
        await this.beginTermination(region, name, victim.InstanceId, why, false);
      }
      if (rebalancing)
        this.mutate(region, name, (x) => {
          for (const i of x.Instances) delete i.ForRebalance;
        });
    }
  }

  /** The group's zones in the order a launch tries them: fewest instances first, zones that just failed last. */
  private zoneOrder(g: GroupRecord, now: number): string[] {
    const count = new Map(g.AvailabilityZones.map((z) => [z, 0]));
    for (const i of g.Instances.filter(countsTowardCapacity)) count.set(i.AvailabilityZone, (count.get(i.AvailabilityZone) ?? 0) + 1);
    for (const l of g.Launches) count.set(l.AvailabilityZone, (count.get(l.AvailabilityZone) ?? 0) + 1);
    const failing = (z: string) => (g.FailedZones[z] && now - g.FailedZones[z].At < ZONE_RETRY_MS ? 1 : 0);
    return [...g.AvailabilityZones].sort(
      (a, b) =>
        failing(a) - failing(b) ||
        (count.get(a) ?? 0) - (count.get(b) ?? 0) ||
        g.AvailabilityZones.indexOf(a) - g.AvailabilityZones.indexOf(b),
    );
  }

  /**
   * Launches one instance into the best zone; when EC2 has no capacity there, into the next, and the activity says
   * why. A failure that no other zone would change (bad image, bad template) backs off. True when launched.
   */
  private async launchOne(region: string, name: string, why: string, onlyZone?: string, forRebalance = false): Promise<boolean> {
    const first = this.group(region, name);
    if (!first) return false;
    if (
      !forRebalance &&
      (await takeFromWarmPool(
        this.cloud,
        this.fleet,
        region,
        name,
        why,
        onlyZone ? [onlyZone] : this.zoneOrder(first, this.cloud.clock.now()),
      ))
    )
      return true;
    const now = this.cloud.clock.now();
    const recent = (z: string) => zoneRecentlyFailed(first, z, now);
    let order = onlyZone ? [onlyZone] : this.zoneOrder(first, now);
    const notes: string[] = [];
    if (!onlyZone && order.some((z) => !recent(z))) {
      // Zones where EC2 just had no capacity are left alone for a while; the activity says so.
      for (const z of order.filter(recent))
        notes.push(
          `a launch in ${z} failed at ${new Date(first.FailedZones[z].At).toISOString().slice(0, 19)}Z: ${first.FailedZones[z].Message}`,
        );
      order = order.filter((z) => !recent(z));
    }
    for (const z of order) {
      const g = this.group(region, name);
      if (!g) return false;
      const subnetId = g.Subnets.length ? await this.subnetIn(region, g, z) : undefined;
      const token = randomUUID();
      const activityId = randomUUID();
      const text = notes.length ? `${why}  The instance was launched in ${z} because ${notes.join('; ')}.` : why;
      this.mutate(region, name, (x) => {
        x.Launches.push({ ClientToken: token, SubnetId: subnetId, AvailabilityZone: z, ActivityId: activityId, At: now, Cause: text });
      });
      this.inFlight.add(token);
      try {
        const launched = await this.fleet.launch(region, {
          group: g,
          zone: z,
          subnetId,
          clientToken: token,
          hibernation: launchesHibernating(this.cloud, region, name),
        });
        const after = this.mutate(region, name, (x) => {
          x.Launches = x.Launches.filter((l) => l.ClientToken !== token);
          x.Instances.push(
            this.newInstance(
              x,
              launched.InstanceId,
              launched.InstanceType,
              launched.AvailabilityZone,
              launched.SubnetId,
              this.cloud.clock.now(),
              activityId,
              forRebalance,
            ),
          );
          delete x.FailedZones[z];
          x.LaunchFailures = 0;
          x.NextLaunchAt = undefined;
        });
        if (!after) {
          // The group went away meanwhile (a forced delete): the instance must not stay behind.
          await this.terminateInEc2(region, launched.InstanceId);
          return false;
        }
        startActivity(this.cloud, region, after, {
          ActivityId: activityId,
          Description: `Launching a new EC2 instance: ${launched.InstanceId}`,
          Cause: text,
          Details: { 'Subnet ID': launched.SubnetId ?? '', 'Availability Zone': launched.AvailabilityZone },
        });
        // Held from its launch on, as on AWS: user data that completes the action at once finds it.
        holdForHooks(this.cloud, region, name, launched.InstanceId, LAUNCHING);
        return true;
      } catch (err) {
        const code = isAwsError(err) ? err.code : 'InternalError';
        const message = (err as Error).message.replace(/\.$/, '');
        const after = this.mutate(region, name, (x) => {
          x.Launches = x.Launches.filter((l) => l.ClientToken !== token);
          if (ZONAL_ERRORS.has(code)) x.FailedZones[z] = { At: this.cloud.clock.now(), Message: message };
        });
        if (!after) return false;
        startActivity(this.cloud, region, after, {
          ActivityId: activityId,
          Description: `Launching a new EC2 instance.  Status Reason: ${message}. Launching EC2 instance failed.`,
          Cause: text,
          StatusCode: 'Failed',
          StatusMessage: `${message}. Launching EC2 instance failed.`,
          Details: { 'Subnet ID': subnetId ?? '', 'Availability Zone': z },
          event: 'autoscaling:EC2_INSTANCE_LAUNCH_ERROR',
        });
        if (!ZONAL_ERRORS.has(code)) break;
        notes.push(`a launch in ${z} failed: ${message}`);
      } finally {
        this.inFlight.delete(token);
      }
    }
    const later = this.cloud.clock.now();
    this.mutate(region, name, (x) => {
      x.LaunchFailures += 1;
      x.NextLaunchAt = later + backoffMs(x.LaunchFailures);
    });
    return false;
  }

  /** The group's first subnet in a zone, in the order the group lists them. */
  private subnetZones = new Map<string, string>();
  private async subnetIn(region: string, g: GroupRecord, zone: string): Promise<string | undefined> {
    const missing = g.Subnets.filter((s) => !this.subnetZones.has(s));
    if (missing.length) {
      const out = await this.cloud.invoke<{ Subnets: Array<{ SubnetId: string; AvailabilityZone: string }> }>(
        'ec2',
        'DescribeSubnets',
        { Filters: [{ Name: 'subnet-id', Values: missing }] },
        { region },
      );
      for (const s of out.Subnets) this.subnetZones.set(s.SubnetId, s.AvailabilityZone);
    }
    return g.Subnets.find((s) => this.subnetZones.get(s) === zone);
  }

  /**
   * AZRebalance: while the group is whole and in service, a zone with two or more instances fewer than another gets
   * one launched first; the surplus is then terminated from the fullest zone (launch before terminate).
   */
  private async rebalance(region: string, name: string): Promise<void> {
    const g = this.group(region, name);
    if (!g || g.AvailabilityZones.length < 2) return;
    if (['AZRebalance', 'Launch', 'Terminate'].some((p) => isSuspended(g, p))) return;
    const now = this.cloud.clock.now();
    if (now < (g.NextLaunchAt ?? 0) || g.Launches.length) return;
    const counted = g.Instances.filter(countsTowardCapacity);
    if (counted.length !== g.DesiredCapacity || counted.some((i) => i.LifecycleState !== 'InService') || g.Instances.some(isTerminating))
      return;
    const perZone = new Map(g.AvailabilityZones.map((z) => [z, 0]));
    for (const i of counted) perZone.set(i.AvailabilityZone, (perZone.get(i.AvailabilityZone) ?? 0) + 1);
    const usable = g.AvailabilityZones.filter((z) => !g.FailedZones[z] || now - g.FailedZones[z].At >= ZONE_RETRY_MS);
    if (!usable.length) return;
    const lightest = usable.reduce((a, b) => ((perZone.get(b) ?? 0) < (perZone.get(a) ?? 0) ? b : a));
    const heaviest = Math.max(...perZone.values());
    if (heaviest - (perZone.get(lightest) ?? 0) < 2) return;
    await this.launchOne(region, name, cause(now, causes.rebalanceLaunch()), lightest, true);
  }
}
