import { ec2Errors } from '../errors.js';
import { platformRequest } from './platform-requests.js';
import type { Cloud } from '../../../cloud.js';
import type { Timer } from '../../../clock/clock.js';
import { startControl } from '../../../runtime/control.js';
import { runtimeOf } from '../../../runtime/runtime.js';
import { liveKey } from '../../../store/live.js';
import type { OperationsTable } from '../../types.js';
import type { Ec2Operations } from '../generated/types.js';
import { registerTaggable } from '../tags.js';
import { injectFault, listenForRecovery, type FaultKind } from './faults.js';
import { createImage, deregisterImage, describeImages, registerBuiltImage } from './images.js';
import {
  describeInstanceAttribute,
  describeInstances,
  getConsoleOutput,
  modifyInstanceAttribute,
  publicIpOf,
  rebootInstances,
  runInstances,
  startInstances,
  stopInstances,
  terminateInstances,
} from './instances.js';
import { reconcile } from './lifecycle.js';
import { modifyInstanceMaintenanceOptions } from './maintenance.js';
import { modifyInstanceMetadataOptions } from './metadata-options.js';
import { metadataDoc } from './metadata.js';
import { ec2NameProvider, vpcDnsSupport } from './dns-names.js';
import { startSimplifiedRecovery } from './auto-recovery.js';
import { instancesTable } from './state.js';
import { formatCidr } from '../network/cidr.js';
import { publicPool } from '../network/public-ips.js';
import { subnetOnInternetPath, vpcRules } from '../network/runtime-view.js';
import { subnets, vpcs } from '../network/state.js';
import { attachedDataVolumes } from '../volumes/state.js';
import { describeInstanceStatus, startStatusChecks } from './status.js';
import { startInstanceMetrics } from './instance-metrics.js';
import { monitorInstances, unmonitorInstances } from './monitoring.js';
import './cfn-instance.js';

registerTaggable('i', 'instance', 'ec2.instance', 'InstanceId', { notFound: ec2Errors.instanceNotFound });
registerTaggable('ami', 'image', 'ec2.image', 'ImageId', { notFound: ec2Errors.imageNotFound });

/**
 * Instances, images and their status. Events on `cloud.events` for other services:
 * - `ec2.instanceStateChanged` `{ region, instanceId, state }` after each committed state change;
 * - `ec2.statusChecked` `{ region, instanceId, system, instance, timestamp }` after each status check ('ok' | 'impaired');
 * - `ec2.instanceRecovered` `{ region, instanceId, trigger: 'alarm' | 'simplified', succeeded, message }` after each recovery;
 * - listened to: `ec2.recoverRequested` (CloudWatch's recover action), answered with `cloudwatch.actionResult`.
 * Recoveries (alarm and simplified automatic recovery, see recovery.ts) and dark zones are posted to AWS Health.
 * Faults for drills and the dashboard: `injectFault(cloud, kind, target)` (also `halo fault ...`).
 */
export const computeOperations = {
  RunInstances: runInstances,
  DescribeInstances: describeInstances,
  StartInstances: startInstances,
  StopInstances: stopInstances,
  RebootInstances: rebootInstances,
  TerminateInstances: terminateInstances,
  DescribeInstanceStatus: describeInstanceStatus,
  MonitorInstances: monitorInstances,
  UnmonitorInstances: unmonitorInstances,
  GetConsoleOutput: getConsoleOutput,
  ModifyInstanceAttribute: modifyInstanceAttribute,
  DescribeInstanceAttribute: describeInstanceAttribute,
  ModifyInstanceMaintenanceOptions: modifyInstanceMaintenanceOptions,
  ModifyInstanceMetadataOptions: modifyInstanceMetadataOptions,
  CreateImage: createImage,
  DescribeImages: describeImages,
  DeregisterImage: deregisterImage,
} satisfies OperationsTable<Ec2Operations>;

const ATTACHED = liveKey('ec2.computeAttached', () => ({ done: false }));

/**
 * Connects the instances code to a cloud: the runtime's hooks (metadata, addresses, VPC rules, volumes), recovery requests, and,
 * once the daemon says it serves the cloud (Cloud.whenServing), host cleanup, the reconciliation of instances that
 * should run, the status checks and the control socket for `halo fault`. In a process that is not a daemon (unit
 * tests), only the hooks are set.
 */
export function attachCompute(cloud: Cloud): void {
  const attached = cloud.live.get(ATTACHED);
  if (attached.done) return;
  attached.done = true;
  const rt = runtimeOf(cloud);
  rt.setHooks({
    metadata: (instanceId) => metadataDoc(cloud, instanceId),
    publicAddresses: () =>
      instancesTable(cloud.store)
        .listAll()
        .filter((x) => x.value.State.Name !== 'terminated')
        .map((x) => [publicIpOf({ cloud, region: x.scope }, x.value), x.value.InstanceId] as [string | undefined, string])
        .filter((p): p is [string, string] => !!p[0]),
    dnsSupport: (region, vpcId) => vpcDnsSupport(cloud, region, vpcId),
    platformRequest: (instanceId, region, route, params) => platformRequest(cloud, instanceId, region, route, params),
    publicPool: () => formatCidr(publicPool()),
    vpcRules: (region, vpcId) => vpcRules(cloud.store, region, vpcId),
    onInternetPath: (region, vpcId, subnetId) => subnetOnInternetPath(cloud.store, region, vpcId, subnetId),
    metadataHopLimit: (region, instanceId) =>
      instancesTable(cloud.store).get(region, instanceId)?.MetadataOptions?.HttpPutResponseHopLimit ?? 1,
    attachedVolumes: (region, instanceId) => attachedDataVolumes(cloud.store, region, instanceId),
    subnet: (region, subnetId) => {
      const subnet = subnets(cloud.store).get(region, subnetId);
      const vpc = subnet && vpcs(cloud.store).get(region, subnet.VpcId);
      return subnet && vpc
        ? { CidrBlock: subnet.CidrBlock, AvailabilityZone: subnet.AvailabilityZone, VpcId: vpc.VpcId, VpcCidrBlock: vpc.CidrBlock }
        : undefined;
    },
  });
  rt.addNameProvider(ec2NameProvider(cloud));
  listenForRecovery(cloud);
  const stopSimplified = startSimplifiedRecovery(cloud);
  if (!rt.enabled) return;
  let timer: Timer | undefined;
  let metricsTimer: Timer | undefined;
  let closeControl: (() => Promise<void>) | undefined;
  let stopped = false;
  cloud.onShutdown(async () => {
    stopped = true;
    timer?.cancel();
    metricsTimer?.cancel();
    stopSimplified();
    await closeControl?.();
  });
  // The daemon says when it serves the cloud; a cloud in a process that is no daemon (unit tests) is never told.
  // The daemon says when it serves the cloud (and announces itself once the control socket listens); a cloud in a
  // process that is no daemon (unit tests) is never told.
  cloud.whenServing(async () => {
    try {
      if (stopped) return;
      await rt.start();
      closeControl = await startControl(cloud.config.home, async (route, body) => {
        if (route === '/fault') {
          return injectFault(cloud, body.kind as FaultKind, {
            instanceId: body.instanceId as string | undefined,
            hostId: body.hostId as string | undefined,
            zone: body.zone as string | undefined,
          });
        }
        if (route === '/register-image')
          return registerBuiltImage(cloud, String(body.name), String(body.rootfs), body.region ? String(body.region) : undefined);
        throw new Error(`unknown control request ${route}`);
      });
      timer = startStatusChecks(cloud);
      metricsTimer = startInstanceMetrics(cloud);
    } catch (err) {
      console.error(`[halo] the EC2 runtime did not start: ${(err as Error).stack ?? String(err)}`);
      return;
    }
    reconcile(cloud).catch((err: unknown) => console.error(`[halo] reconciling instances: ${(err as Error).stack ?? String(err)}`));
  });
}

export { injectFault };
