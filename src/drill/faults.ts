import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { callControl } from '../runtime/control.js';
import type { Clients } from './clients.js';
import type { Scenario } from './types.js';

/** What was broken, so that it can be put back. */
export interface InjectedFault {
  message: string;
  restore?: { kind: string; body: Record<string, unknown> };
  hostId?: string;
}

async function control(home: string, body: Record<string, unknown>): Promise<string> {
  const answer = await callControl(home, '/fault', body);
  if (!answer.ok) throw new Error(answer.message);
  return answer.message;
}

/** Breaks the target through the cloud's fault API (as `halo fault` does), or terminates it through EC2. */
export async function inject(
  home: string,
  c: Clients,
  scenario: Scenario,
  target: { instanceId: string; zone?: string },
): Promise<InjectedFault> {
  switch (scenario) {
    case 'instance-crash':
      return { message: await control(home, { kind: 'instance-crash', instanceId: target.instanceId }) };
    case 'host-failure': {
      const message = await control(home, { kind: 'host-failure', instanceId: target.instanceId });
      const hostId = /host (\S+) failed/.exec(message)?.[1];
      if (!hostId) throw new Error(`the cloud did not name the failed host: ${message}`);
      return { message, hostId, restore: { kind: 'host-restore', body: { hostId } } };
    }
    case 'az-outage': {
      if (!target.zone) throw new Error(`instance ${target.instanceId} has no zone`);
      const message = await control(home, { kind: 'az-outage', zone: target.zone });
      return { message, restore: { kind: 'az-restore', body: { zone: target.zone } } };
    }
    case 'network-partition': {
      const message = await control(home, { kind: 'network-partition', instanceId: target.instanceId });
      return { message, restore: { kind: 'network-heal', body: { instanceId: target.instanceId } } };
    }
    case 'terminate': {
      await c.ec2.send(new TerminateInstancesCommand({ InstanceIds: [target.instanceId] }));
      return { message: `aws ec2 terminate-instances --instance-ids ${target.instanceId}` };
    }
  }
}

/** Puts back what inject broke (zone back, host back, network healed); a terminated instance stays terminated. */
export async function restore(home: string, fault: InjectedFault): Promise<string> {
  if (!fault.restore) return 'nothing to restore';
  return control(home, { kind: fault.restore.kind, ...fault.restore.body });
}
