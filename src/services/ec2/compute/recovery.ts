import type { Cloud } from '../../../cloud.js';
import { liveKey } from '../../../store/live.js';
import { runtimeOf } from '../../../runtime/runtime.js';
import { recordHealthEvent } from '../../health/events.js';
import { restartOnHealthyHost } from './lifecycle.js';
import { recordRecovery, recoveryRefusal } from './recovery-policy.js';
import { instancesTable } from './state.js';

/**
 * One EC2 recovery, whoever asked for it: a CloudWatch alarm's `recover` action or simplified automatic recovery.
 * Both obey the same rules (recovery-policy.ts), move the instance the same way (restartOnHealthyHost) and post
 * their outcome to AWS Health, under the event codes the EC2 User Guide gives for each mechanism.
 */
export type RecoveryTrigger = { kind: 'alarm'; alarmName: string } | { kind: 'simplified'; impairedSince: number };

export interface RecoveryResult {
  succeeded: boolean;
  message: string;
  /** The AWS Health event posted for it, when EC2 posts one. */
  eventArn?: string;
}

const EVENT_CODES = {
  alarm: { success: 'AWS_EC2_INSTANCE_AUTO_RECOVERY_SUCCESS', failure: 'AWS_EC2_INSTANCE_AUTO_RECOVERY_FAILURE' },
  simplified: { success: 'AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_SUCCESS', failure: 'AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_FAILURE' },
} as const;

/** The instances being recovered now. */
const IN_FLIGHT = liveKey('ec2.recoveriesInFlight', () => new Set<string>());
const inFlight = (cloud: Cloud) => cloud.live.get(IN_FLIGHT);

export const recoveryInProgress = (cloud: Cloud, instanceId: string) => inFlight(cloud).has(instanceId);

export async function recoverInstance(cloud: Cloud, region: string, instanceId: string, trigger: RecoveryTrigger): Promise<RecoveryResult> {
  const r = instancesTable(cloud.store).get(region, instanceId);
  if (!r || r.State.Name !== 'running') return { succeeded: false, message: `The instance '${instanceId}' is not in the 'running' state.` };
  if (recoveryInProgress(cloud, instanceId))
    return { succeeded: false, message: `The instance '${instanceId}' is already being recovered.` };
  const startedAt = trigger.kind === 'simplified' ? trigger.impairedSince : cloud.clock.now();
  const post = (ok: boolean, description: string) =>
    recordHealthEvent(cloud, {
      service: 'EC2',
      eventTypeCode: EVENT_CODES[trigger.kind][ok ? 'success' : 'failure'],
      eventTypeCategory: 'issue',
      region,
      availabilityZone: r.AvailabilityZone,
      statusCode: 'closed',
      eventScopeCode: 'ACCOUNT_SPECIFIC',
      startTime: startedAt,
      description,
      metadata: trigger.kind === 'alarm' ? { alarmName: trigger.alarmName } : undefined,
      entities: [
        {
          entityArn: `arn:aws:ec2:${region}:${r.OwnerId}:instance/${instanceId}`,
          entityValue: instanceId,
          statusCode: ok ? 'RESOLVED' : 'IMPAIRED',
        },
      ],
    }).arn;
  const who = trigger.kind === 'alarm' ? `CloudWatch alarm ${trigger.alarmName}` : 'simplified automatic recovery';

  const refusal = recoveryRefusal(cloud, region, r);
  if (refusal) {
    return {
      succeeded: false,
      message: refusal,
      eventArn: post(
        false,
        `The recovery of ${instanceId} requested by ${who} was not attempted: ${refusal}. Stop and start the instance to move it to healthy hardware.`,
      ),
    };
  }
  inFlight(cloud).add(instanceId);
  try {
    const outcome = await restartOnHealthyHost(cloud, region, instanceId, `recovery by ${who}`);
    if (outcome.moved || !outcome.noCapacity) recordRecovery(cloud, region, instanceId);
    const ok = outcome.moved && runtimeOf(cloud).isRunning(instanceId);
    const message = outcome.moved ? `instance ${instanceId} recovered on host ${outcome.to} (it left ${outcome.from})` : outcome.reason;
    const eventArn = post(
      ok,
      ok
        ? `Your instance ${instanceId} was recovered by ${who} after a system status check failure: it now runs on healthy hardware with the same instance ID, private IP address, Elastic IP address and EBS volume. The operating system restarted.`
        : `The recovery of your instance ${instanceId} by ${who} failed: ${message} The instance still runs on impaired hardware; stop and start it to move it.`,
    );
    cloud.events.emit('ec2.instanceRecovered', { region, instanceId, trigger: trigger.kind, succeeded: ok, message });
    return { succeeded: ok, message, eventArn };
  } finally {
    inFlight(cloud).delete(instanceId);
  }
}
