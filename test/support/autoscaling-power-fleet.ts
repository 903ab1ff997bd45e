import type { Cloud } from '../../src/cloud.js';
import { AwsError } from '../../src/protocol/errors.js';
import { SimulatedFleet, type SimInstance } from './autoscaling-fleet.js';

/**
 * The simulated EC2 fleet with the stop and start that warm pools use (stopping → stopped, pending → running after
 * the same AWS delay on the cloud's clock), and counts of the calls, so that a test can tell a warm start from a
 * new launch.
 */
export class PoweredFleet extends SimulatedFleet {
  readonly calls = { stop: 0, start: 0 };

  constructor(
    private readonly clockOf: Cloud,
    private readonly delayMs = 20_000,
  ) {
    super(clockOf, { pendingToRunning: delayMs, shuttingDownToTerminated: delayMs });
  }

  private later(i: SimInstance, from: string, to: string): void {
    this.clockOf.clock.after(this.delayMs, () => {
      if (i.State === from) i.State = to;
    });
  }

  private one(id: string): SimInstance {
    const i = this.instances.get(id);
    if (!i) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return i;
  }

  stop(_region: string, ids: string[]): Promise<void> {
    this.calls.stop++;
    for (const id of ids) {
      const i = this.one(id);
      if (i.State !== 'running')
        throw new AwsError('IncorrectInstanceState', `The instance '${id}' is not in a state from which it can be stopped.`);
      i.State = 'stopping';
      this.later(i, 'stopping', 'stopped');
    }
    return Promise.resolve();
  }

  start(_region: string, ids: string[]): Promise<void> {
    this.calls.start++;
    for (const id of ids) {
      const i = this.one(id);
      if (i.State !== 'stopped')
        throw new AwsError('IncorrectInstanceState', `The instance '${id}' is not in a state from which it can be started.`);
      i.State = 'pending';
      this.later(i, 'pending', 'running');
    }
    return Promise.resolve();
  }
}
