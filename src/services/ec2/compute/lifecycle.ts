import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Cloud } from '../../../cloud.js';
import { liveKey } from '../../../store/live.js';
import { runtimeOf, type LaunchSpec } from '../../../runtime/runtime.js';
import { findZone, hostsOf } from '../../../topology/regions.js';
import type { Scope } from '../network/common.js';
import { disassociateInstanceAddresses } from '../network/addresses.js';
import { releasePrivateIp } from '../network/private-ips.js';
import { releasePublicIp } from '../network/public-ips.js';
import { subnets, vpcs } from '../network/state.js';
import { instanceTypeSize, pidsLimit } from './instance-types.js';
import {
  DEFAULT_IMAGE_ID,
  DEFAULT_ROOT_VOLUME_GIB,
  hostnameOf,
  imagesTable,
  privateDomainOf,
  instancesTable,
  stateOf,
  type InstanceRecord,
  type InstanceStateName,
} from './state.js';

/** Transitions of one instance run one after another (a stop during a boot waits for the boot). */
const CHAINS = liveKey('ec2.instanceChains', () => new Map<string, Promise<void>>());

export function serially(cloud: Cloud, instanceId: string, fn: () => Promise<void>): Promise<void> {
  const map = cloud.live.get(CHAINS);
  const prev = map.get(instanceId) ?? Promise.resolve();
  const next = prev.then(fn, fn).catch((err: unknown) => {
    console.error(`[halo] instance ${instanceId}: ${(err as Error).stack ?? String(err)}`);
  });
  map.set(instanceId, next);
  return next;
}

export function getInstance(cloud: Cloud, region: string, id: string): InstanceRecord | undefined {
  return instancesTable(cloud.store).get(region, id);
}

/** Reads, changes and writes one instance record in a transaction; returns the new record. */
export function updateInstance(
  cloud: Cloud,
  region: string,
  id: string,
  fn: (r: InstanceRecord) => InstanceRecord | undefined,
): InstanceRecord | undefined {
  return cloud.store.tx(() => {
    const current = instancesTable(cloud.store).get(region, id);
    if (!current) return undefined;
    const next = fn(current);
    if (next) instancesTable(cloud.store).put(region, id, next);
    return next ?? current;
  });
}

export function setState(
  cloud: Cloud,
  region: string,
  id: string,
  name: InstanceStateName,
  from: InstanceStateName[],
  extra: Partial<InstanceRecord> = {},
): boolean {
  let changed = false;
  updateInstance(cloud, region, id, (r) => {
    if (!from.includes(r.State.Name)) return undefined;
    changed = true;
    return { ...r, ...extra, State: stateOf(name) };
  });
  if (changed) cloud.events.emit('ec2.instanceStateChanged', { region, instanceId: id, state: name });
  return changed;
}

/** Live instances per host (not stopped, not terminated): what pickHost balances. */
export function hostLoads(cloud: Cloud, region: string): Map<string, number> {
  const load = new Map<string, number>();
  for (const i of instancesTable(cloud.store).list(region)) {
    if (i.State.Name !== 'terminated' && i.State.Name !== 'stopped') load.set(i.HostId, (load.get(i.HostId) ?? 0) + 1);
  }
  return load;
}

/**
 * A healthy host of the zone, the least loaded one (AWS places an instance on a host of its subnet's zone). A caller
 * placing many instances passes one `loads` for all: the pick is counted in it, and the instances are read once.
 */
export function pickHost(
  cloud: Cloud,
  region: string,
  zoneName: string,
  avoid?: string,
  loads: Map<string, number> = hostLoads(cloud, region),
): string | undefined {
  const zone = findZone(zoneName);
  if (!zone) return undefined;
  const down = new Set(runtimeOf(cloud).downHosts());
  const hosts = hostsOf(zone, cloud.config.hostsPerZone)
    .map((h) => h.hostId)
    .filter((h) => !down.has(h));
  const preferred = hosts.filter((h) => h !== avoid);
  const pool = preferred.length ? preferred : hosts;
  const host = pool.sort((a, b) => (loads.get(a) ?? 0) - (loads.get(b) ?? 0))[0];
  if (host) loads.set(host, (loads.get(host) ?? 0) + 1);
  return host;
}

function launchSpec(cloud: Cloud, region: string, r: InstanceRecord): LaunchSpec {
  const subnet = subnets(cloud.store).get(region, r.SubnetId);
  if (!subnet) throw new Error(`subnet ${r.SubnetId} of ${r.InstanceId} is gone`);
  const image = r.ResolvedImageId === DEFAULT_IMAGE_ID ? undefined : imagesTable(cloud.store).get(region, r.ResolvedImageId);
  return {
    instanceId: r.InstanceId,
    region,
    vpcId: r.VpcId,
    vpcCidr: vpcs(cloud.store).get(region, r.VpcId)?.CidrBlock ?? subnet.CidrBlock,
    zone: r.AvailabilityZone,
    dnsDomain: privateDomainOf(region),
    subnetId: r.SubnetId,
    subnetCidr: subnet.CidrBlock,
    privateIp: r.PrivateIpAddress,
    mac: r.MacAddress,
    groupIds: r.SecurityGroups.map((g) => g.GroupId),
    hostId: r.HostId,
    layers: image?.Layers ?? [],
    volumeId: r.RootVolumeId,
    hostname: hostnameOf(r.PrivateIpAddress),
    env: {
      HALO_INSTANCE_ID: r.InstanceId,
      HALO_IMAGE_ID: r.ImageId,
      HALO_IMAGE_NOTE: r.ImageNote ?? '',
      HALO_PRIVATE_IP: r.PrivateIpAddress,
      AWS_DEFAULT_REGION: region,
      // This cloud's metadata service answers from one host process: give the aws CLI the patience of a busy host.
      AWS_METADATA_SERVICE_TIMEOUT: '5',
      AWS_METADATA_SERVICE_NUM_ATTEMPTS: '3',
    },
    userData: r.UserData ? Buffer.from(r.UserData, 'base64') : undefined,
    limits: { ...instanceTypeSize(r.InstanceType), pids: pidsLimit(instanceTypeSize(r.InstanceType).vcpus) },
    rootVolumeGiB: r.RootVolumeSize ?? DEFAULT_ROOT_VOLUME_GIB,
    sourceDestCheck: r.SourceDestCheck,
  };
}

/**
 * pending → running: the sandbox boots offline while the profile's delay runs; running once both are done, and only
 * then on the network (nobody reaches an instance, nor does its user data start, before EC2 says `running`). A
 * hibernated instance resumes instead: its frozen processes run on, once `running`.
 */
export function boot(cloud: Cloud, region: string, id: string): Promise<void> {
  return serially(cloud, id, async () => {
    const r = getInstance(cloud, region, id);
    if (!r || r.State.Name !== 'pending') return;
    const rt = runtimeOf(cloud);
    if (r.Hibernated) {
      updateInstance(cloud, region, id, (x) => ({ ...x, Hibernated: undefined }));
      if (rt.isHibernated(id)) {
        await cloud.clock.sleep(cloud.profile.steps.instancePendingToRunning);
        if (getInstance(cloud, region, id)?.State.Name !== 'pending') return;
        if (await rt.resume(id).catch(() => false)) {
          setState(cloud, region, id, 'running', ['pending'], { RunningSince: cloud.clock.now(), StateReason: undefined });
          return;
        }
      }
      // As on EC2 when a hibernated instance cannot resume: it boots afresh from its root volume.
      rt.appendConsole(id, '[halo] the hibernated memory is gone (the cloud restarted or the instance crashed): booting afresh');
    }
    try {
      await Promise.all([
        rt.launch(launchSpec(cloud, region, r), { offline: true }),
        cloud.clock.sleep(cloud.profile.steps.instancePendingToRunning),
      ]);
    } catch (err) {
      const message = (err as Error).message;
      rt.appendConsole(id, `[halo] launch failed: ${message}`);
      await rt.halt(id, 0).catch(() => undefined);
      setState(cloud, region, id, 'shutting-down', ['pending']);
      await finishTermination(cloud, region, id, {
        Code: 'Server.InternalError',
        Message: `Server.InternalError: Internal error on launch: ${message}`,
      });
      return;
    }
    setState(cloud, region, id, 'running', ['pending'], { RunningSince: cloud.clock.now(), StateReason: undefined });
    // Running from here on: a network that does not come up is no failed launch (undoing one would release the
    // addresses of an instance EC2 says runs) but a running instance that nothing reaches, until a reboot or recovery.
    await rt.bringOnline(id).catch((err: Error) => {
      rt.appendConsole(id, `[halo] the network did not come up: ${err.message}`);
      console.error(`[halo] instance ${id}: the network did not come up: ${err.message}`);
    });
  });
}

/**
 * Boots several pending instances, one per turn of the event loop: each launch's synchronous part (its records, its
 * directory, its cgroups' and boot files' requests) is short, but a hundred of them back to back would keep the API
 * waiting.
 */
export async function bootEach(cloud: Cloud, region: string, ids: string[]): Promise<void> {
  for (const id of ids) {
    void boot(cloud, region, id);
    await nextTurn();
  }
}

/**
 * running → stopping → stopped; the root volume stays, the auto-assigned public IP goes. With `hibernate` the
 * instance's memory is kept (the runtime freezes its processes and takes its link down); if it cannot hibernate, it
 * stops the usual way, as EC2 documents.
 */
export function stop(cloud: Cloud, region: string, id: string, force: boolean, hibernate = false): Promise<void> {
  return serially(cloud, id, async () => {
    const rt = runtimeOf(cloud);
    const stopping = async (): Promise<boolean> => {
      if (hibernate && (await rt.hibernate(id).catch(() => false))) return true;
      await rt.halt(id, force ? 0 : 5000);
      return false;
    };
    const [hibernated] = await Promise.all([stopping(), cloud.clock.sleep(cloud.profile.steps.instanceStoppingToStopped)]);
    // A stopped (or hibernated) instance leaves its host (a start places it anew): faults of that placement end.
    rt.leftHost(id);
    const r = getInstance(cloud, region, id);
    if (r?.AutoPublicIp) releasePublicIp(cloud.store, r.AutoPublicIp);
    const changed = setState(cloud, region, id, 'stopped', ['stopping'], {
      AutoPublicIp: undefined,
      RunningSince: undefined,
      Hibernated: hibernated || undefined,
      StateReason: hibernate
        ? { Code: 'Client.UserInitiatedHibernate', Message: 'Client.UserInitiatedHibernate: User initiated hibernate' }
        : { Code: 'Client.UserInitiatedShutdown', Message: 'Client.UserInitiatedShutdown: User initiated shutdown' },
    });
    // Terminated meanwhile: nothing may stay frozen.
    if (hibernated && !changed) await rt.halt(id, 0);
    await rt.refreshPublic();
  });
}

/** The OS restarts on the same host; the volume and addresses stay; user data does not run again. */
export function reboot(cloud: Cloud, region: string, id: string): Promise<void> {
  return serially(cloud, id, async () => {
    const r = getInstance(cloud, region, id);
    if (!r || r.State.Name !== 'running') return;
    const rt = runtimeOf(cloud);
    rt.appendConsole(id, '[halo] reboot requested');
    await rt.halt(id, 5000);
    await rt.launch(launchSpec(cloud, region, r));
  });
}

/** What a move to another host came to: the hosts, or why the instance stayed where it was. */
export type MoveOutcome = { moved: true; from: string; to: string } | { moved: false; reason: string; noCapacity?: boolean };

/**
 * Moves a running instance to another healthy host of its zone and boots it there (EC2 recovery). The instance
 * stays `running` throughout, as on EC2, where a recovery looks to the instance like an unplanned reboot, and is
 * unreachable until the profile's recovery time has passed since the move began. Without a
 * healthy host in the zone nothing happens and the outcome says so (`noCapacity`).
 */
export function restartOnHealthyHost(cloud: Cloud, region: string, id: string, reason: string): Promise<MoveOutcome> {
  let outcome: MoveOutcome = { moved: false, reason: `The instance '${id}' is not in the 'running' state.` };
  return serially(cloud, id, async () => {
    const r = getInstance(cloud, region, id);
    if (!r || r.State.Name !== 'running') return;
    const host = pickHost(cloud, region, r.AvailabilityZone, r.HostId);
    if (!host) {
      outcome = {
        moved: false,
        noCapacity: true,
        reason: `We currently do not have sufficient ${r.InstanceType} capacity in the Availability Zone (${r.AvailabilityZone}) to recover ${id}.`,
      };
      return;
    }
    const rt = runtimeOf(cloud);
    rt.appendConsole(id, `[halo] ${reason}: moving from ${r.HostId} to ${host}`);
    try {
      await rt.halt(id, 0);
      // A partition was of its network path on the old host: on the new one it comes back with its link up.
      rt.leftHost(id);
      const moved = updateInstance(cloud, region, id, (x) => ({ ...x, HostId: host })) as InstanceRecord;
      // The instance boots on its new host at once but stays off the network until the profile's recovery time.
      await Promise.all([
        rt.launch(launchSpec(cloud, region, moved), { offline: true }),
        cloud.clock.sleep(cloud.profile.steps.recoveryToRunning),
      ]);
      updateInstance(cloud, region, id, (x) => ({ ...x, RunningSince: cloud.clock.now() }));
      await rt.bringOnline(id);
      outcome = { moved: true, from: r.HostId, to: host };
    } catch (err) {
      rt.appendConsole(id, `[halo] recovery onto ${host} failed: ${(err as Error).message}`);
      outcome = { moved: false, reason: `Internal error while recovering ${id} onto a new host: ${(err as Error).message}` };
    }
  }).then(() => outcome);
}

/** running/stopped → shutting-down → terminated. */
export function terminate(cloud: Cloud, region: string, id: string): Promise<void> {
  return serially(cloud, id, async () => {
    const rt = runtimeOf(cloud);
    await Promise.all([rt.halt(id, 3000), cloud.clock.sleep(cloud.profile.steps.instanceShuttingDownToTerminated)]);
    await finishTermination(cloud, region, id, {
      Code: 'Client.UserInitiatedShutdown',
      Message: 'Client.UserInitiatedShutdown: User initiated shutdown',
    });
  });
}

async function finishTermination(cloud: Cloud, region: string, id: string, reason: { Code: string; Message: string }): Promise<void> {
  const before = getInstance(cloud, region, id);
  if (!before) return;
  const rt = runtimeOf(cloud);
  // First (the only wait): what follows changes the state at once, as one step.
  await rt.removeFiles(id, before.DeleteOnTermination ? before.RootVolumeId : undefined);
  const r = getInstance(cloud, region, id) ?? before;
  const s: Scope = { cloud, region };
  try {
    disassociateInstanceAddresses(s, id);
  } catch (err) {
    console.error(`[halo] ${id}: disassociating addresses failed: ${(err as Error).message}`);
  }
  releasePrivateIp(s, r.SubnetId, r.PrivateIpAddress);
  if (r.AutoPublicIp) releasePublicIp(cloud.store, r.AutoPublicIp);
  rt.leftHost(id);
  setState(cloud, region, id, 'terminated', ['shutting-down', 'pending'], {
    AutoPublicIp: undefined,
    RunningSince: undefined,
    TerminatedAt: cloud.clock.now(),
    StateReason: reason,
  });
  await rt.refreshPublic();
}

/**
 * After a start of the daemon: instances that should run are booted again (as after a host reboot: user data does
 * not run again), interrupted transitions are finished. Instances on a failed host stay down.
 */
export async function reconcile(cloud: Cloud): Promise<void> {
  const rt = runtimeOf(cloud);
  const down = new Set(rt.downHosts());
  for (const { scope: region, value: r } of instancesTable(cloud.store).listAll()) {
    switch (r.State.Name) {
      case 'pending':
        void boot(cloud, region, r.InstanceId);
        break;
      case 'running':
        if (down.has(r.HostId) || rt.isCrashed(r.InstanceId)) break;
        void serially(cloud, r.InstanceId, async () => {
          try {
            rt.appendConsole(r.InstanceId, '[halo] the cloud restarted: booting the instance again');
            await rt.launch(launchSpec(cloud, region, r));
          } catch (err) {
            rt.appendConsole(r.InstanceId, `[halo] boot after restart failed: ${(err as Error).message}`);
          }
        });
        break;
      case 'stopping':
        void stop(cloud, region, r.InstanceId, true);
        break;
      case 'shutting-down':
        void terminate(cloud, region, r.InstanceId);
        break;
      default:
        break;
    }
  }
}
