import type { Cloud } from '../../src/cloud.js';
import { AwsError } from '../../src/protocol/errors.js';
import { GROUP_TAG, runInstancesInput, type Fleet, type FleetInstance, type Launched, type LaunchRequest } from '../../src/services/autoscaling/fleet.js';

export interface PoweredInstance extends FleetInstance {
  input: Record<string, unknown>;
}

/**
 * EC2 instances as Auto Scaling sees them, for unit tests on a virtual clock (EC2 runs real instances only as
 * root), with the stop and start that warm pools use: pending → running, stopping → stopped, shutting-down →
 * terminated after AWS delays on the cloud's clock. RunInstances input comes from the controller's own
 * `runInstancesInput`. It counts the calls, so that a test can tell a warm start from a new launch.
 */
export class PoweredFleet implements Fleet {
  readonly instances = new Map<string, PoweredInstance>();
  readonly calls = { launch: 0, stop: 0, start: 0, terminate: 0 };
  private n = 0;

  constructor(private readonly cloud: Cloud, private readonly delayMs = 20_000) {}

  private later(i: PoweredInstance, from: string, to: string): void {
    this.cloud.clock.after(this.delayMs, () => { if (i.State === from) i.State = to; });
  }

  async launch(region: string, req: LaunchRequest): Promise<Launched> {
    this.calls.launch++;
    const input = runInstancesInput(this.cloud, region, req);
    const id = `i-${(++this.n).toString(16).padStart(17, '0')}`;
    const tags = ((input.TagSpecifications as Array<{ Tags: Array<{ Key: string; Value: string }> }>) ?? []).flatMap((s) => s.Tags);
    const i: PoweredInstance = {
      InstanceId: id, State: 'pending', InstanceType: String(input.InstanceType ?? 'm1.small'), AvailabilityZone: req.zone, SubnetId: req.subnetId,
      ClientToken: req.clientToken, LaunchTime: this.cloud.clock.now(), GroupName: tags.find((t) => t.Key === GROUP_TAG)?.Value, input,
    };
    this.instances.set(id, i);
    this.later(i, 'pending', 'running');
    return { InstanceId: id, InstanceType: i.InstanceType, AvailabilityZone: i.AvailabilityZone, SubnetId: i.SubnetId };
  }

  groupInstances(): Promise<Map<string, FleetInstance>> {
    return Promise.resolve(new Map([...this.instances].filter(([, i]) => i.GroupName)));
  }

  describe(_region: string, ids: string[]): Promise<Map<string, FleetInstance>> {
    return Promise.resolve(new Map([...this.instances].filter(([id]) => ids.includes(id))));
  }

  impaired(): Promise<Set<string>> {
    return Promise.resolve(new Set());
  }

  private get(id: string): PoweredInstance {
    const i = this.instances.get(id);
    if (!i) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return i;
  }

  terminate(_region: string, ids: string[]): Promise<void> {
    this.calls.terminate++;
    for (const id of ids) {
      const i = this.get(id);
      if (i.State === 'terminated' || i.State === 'shutting-down') continue;
      i.State = 'shutting-down';
      this.later(i, 'shutting-down', 'terminated');
    }
    return Promise.resolve();
  }

  stop(_region: string, ids: string[]): Promise<void> {
    this.calls.stop++;
    for (const id of ids) {
      const i = this.get(id);
      if (i.State !== 'running') throw new AwsError('IncorrectInstanceState', `The instance '${id}' is not in a state from which it can be stopped.`);
      i.State = 'stopping';
      this.later(i, 'stopping', 'stopped');
    }
    return Promise.resolve();
  }

  start(_region: string, ids: string[]): Promise<void> {
    this.calls.start++;
    for (const id of ids) {
      const i = this.get(id);
      if (i.State !== 'stopped') throw new AwsError('IncorrectInstanceState', `The instance '${id}' is not in a state from which it can be started.`);
      i.State = 'pending';
      this.later(i, 'pending', 'running');
    }
    return Promise.resolve();
  }

  live(): PoweredInstance[] {
    return [...this.instances.values()].filter((i) => !['terminated', 'shutting-down'].includes(i.State));
  }
}
