import type { Cloud } from '../../src/cloud.js';
import { AwsError } from '../../src/protocol/errors.js';
import {
  GROUP_TAG,
  runInstancesInput,
  type Fleet,
  type FleetInstance,
  type Launched,
  type LaunchRequest,
} from '../../src/services/autoscaling/fleet.js';

export interface SimInstance extends FleetInstance {
  Tags: Array<{ Key: string; Value: string }>;
  /** The RunInstances input the controller built for it. */
  input: Record<string, unknown>;
}

/**
 * EC2 instances as the Auto Scaling controller sees them, for unit tests on a virtual clock (EC2 runs real
 * instances only as root): pending → running and shutting-down → terminated after the given AWS delays, a zone
 * that refuses launches as EC2 does in a dark zone, an image EC2 does not know, impaired status checks. The
 * RunInstances input is built by the controller's own `runInstancesInput`, so launch configurations are exercised.
 */
export class SimulatedFleet implements Fleet {
  readonly instances = new Map<string, SimInstance>();
  readonly darkZones = new Set<string>();
  readonly impairedIds = new Set<string>();
  badImage?: string;
  launchCalls = 0;
  /** When set, RunInstances records the instance and never answers (a daemon that dies mid-call). */
  hang = false;
  private n = 0;

  constructor(
    private readonly cloud: Cloud,
    private readonly delays = { pendingToRunning: 30_000, shuttingDownToTerminated: 20_000 },
  ) {}

  async launch(region: string, req: LaunchRequest): Promise<Launched> {
    this.launchCalls++;
    const input = runInstancesInput(this.cloud, region, req);
    if (this.badImage && input.ImageId === this.badImage)
      throw new AwsError('InvalidAMIID.NotFound', `The image id '[${this.badImage}]' does not exist`);
    if (this.darkZones.has(req.zone)) {
      throw new AwsError(
        'InsufficientInstanceCapacity',
        `We currently do not have sufficient ${String(input.InstanceType ?? 'm1.small')} capacity in the Availability Zone you requested (${req.zone}).`,
        500,
      );
    }
    const id = `i-${(++this.n).toString(16).padStart(17, '0')}`;
    const specs = (input.TagSpecifications as Array<{ Tags: Array<{ Key: string; Value: string }> }>) ?? [];
    const tags = specs.flatMap((s) => s.Tags);
    const i: SimInstance = {
      InstanceId: id,
      State: 'pending',
      InstanceType: String(input.InstanceType ?? 'm1.small'),
      AvailabilityZone: req.zone,
      SubnetId: req.subnetId,
      ClientToken: req.clientToken,
      LaunchTime: this.cloud.clock.now(),
      GroupName: tags.find((t) => t.Key === GROUP_TAG)?.Value,
      Tags: tags,
      input,
    };
    this.instances.set(id, i);
    this.cloud.clock.after(this.delays.pendingToRunning, () => {
      if (i.State === 'pending') i.State = 'running';
    });
    if (this.hang) return new Promise<Launched>(() => undefined);
    return { InstanceId: id, InstanceType: i.InstanceType, AvailabilityZone: i.AvailabilityZone, SubnetId: i.SubnetId };
  }

  groupInstances(): Promise<Map<string, FleetInstance>> {
    return Promise.resolve(new Map([...this.instances].filter(([, i]) => i.GroupName)));
  }

  describe(_region: string, ids: string[]): Promise<Map<string, FleetInstance>> {
    return Promise.resolve(new Map([...this.instances].filter(([id]) => ids.includes(id))));
  }

  impaired(_region: string, ids: string[]): Promise<Set<string>> {
    return Promise.resolve(new Set(ids.filter((id) => this.impairedIds.has(id) && this.instances.get(id)?.State === 'running')));
  }

  terminate(_region: string, ids: string[]): Promise<void> {
    for (const id of ids) {
      const i = this.instances.get(id);
      if (!i) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
      if (i.State === 'terminated' || i.State === 'shutting-down') continue;
      i.State = 'shutting-down';
      this.cloud.clock.after(this.delays.shuttingDownToTerminated, () => {
        i.State = 'terminated';
      });
    }
    return Promise.resolve();
  }

  release(_region: string, ids: string[]): Promise<void> {
    for (const id of ids) {
      const i = this.instances.get(id);
      if (i) {
        i.GroupName = undefined;
        i.Tags = i.Tags.filter((t) => t.Key !== GROUP_TAG);
      }
    }
    return Promise.resolve();
  }

  /** A running instance of no group (made with aws ec2 run-instances), for AttachInstances. */
  runLoose(zone: string, subnetId?: string): string {
    const id = `i-${(++this.n).toString(16).padStart(17, '0')}`;
    this.instances.set(id, {
      InstanceId: id,
      State: 'running',
      InstanceType: 't3.micro',
      AvailabilityZone: zone,
      SubnetId: subnetId,
      LaunchTime: this.cloud.clock.now(),
      Tags: [],
      input: {},
    });
    return id;
  }

  /** Live (not terminated) instances, optionally of one zone. */
  live(zone?: string): SimInstance[] {
    return [...this.instances.values()].filter(
      (i) => i.State !== 'terminated' && i.State !== 'shutting-down' && (!zone || i.AvailabilityZone === zone),
    );
  }

  /** An instance stops or terminates outside Auto Scaling (aws ec2 terminate-instances). */
  setState(id: string, state: string): void {
    (this.instances.get(id) as SimInstance).State = state;
  }
}
