import { signalTable, SignalTimeoutError, waitForSignals } from '../engine/signals.js';
import { registerProvider } from '../providers/registry.js';
import { parseHandleUrl } from './wait-condition-handle.js';

/** CloudFormation's longest wait condition: 12 hours, in seconds. */
const MAX_TIMEOUT_S = 43_200;

/**
 * AWS::CloudFormation::WaitCondition. With a Handle, it waits (on the cloud's clock) for Count SUCCESS signals PUT
 * to the handle's URL within Timeout seconds: the first FAILURE signal fails it with the signal's reason, the time-out
 * with "WaitCondition timed out. Received N conditions when expecting M"; GetAtt Data is the JSON object of the
 * signals' UniqueId → Data. With a CreationPolicy instead, the engine waits for SignalResource / cfn-signal --stack
 * --resource signals as for an instance (Handle and Timeout are then not used). Updates are not supported by AWS:
 * a change replaces it.
 */
registerProvider({
  type: 'AWS::CloudFormation::WaitCondition',
  async create(props, ctx) {
    const physicalId = `${ctx.stackId}/${ctx.logicalId}`;
    const creationPolicy = ctx.policies.creation as { ResourceSignal?: unknown } | undefined;
    if (creationPolicy?.ResourceSignal) return { physicalId, attributes: { Data: '{}' } };
    if (props.Handle === undefined) throw new Error('Property Handle cannot be empty when the wait condition has no CreationPolicy');
    if (props.Timeout === undefined) throw new Error('Property Timeout cannot be empty when the wait condition has no CreationPolicy');
    const handle = parseHandleUrl(String(props.Handle));
    if (!handle || handle.stackId !== ctx.stackId)
      throw new Error(`Handle ${String(props.Handle)} is not the Ref of an AWS::CloudFormation::WaitConditionHandle of this stack`);
    const timeout = Number(props.Timeout);
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_S)
      throw new Error(`Timeout must be a whole number of seconds from 1 to ${MAX_TIMEOUT_S}, got ${String(props.Timeout)}`);
    const count = props.Count === undefined ? 1 : Number(props.Count);
    if (!Number.isInteger(count) || count < 1) throw new Error(`Count must be a positive whole number, got ${String(props.Count)}`);

    const rows = () => signalTable(ctx.cloud).list(`${ctx.stackId}#${handle.logicalId}`);
    try {
      await waitForSignals(
        ctx.cloud,
        ctx.stackId,
        handle.logicalId,
        { count, expires: ctx.clock.now() + timeout * 1000, minSuccessPercent: 100 },
        () => undefined,
      );
    } catch (err) {
      if (err instanceof SignalTimeoutError) {
        const received = rows().filter((r) => r.status === 'SUCCESS').length;
        throw new Error(`WaitCondition timed out. Received ${received} conditions when expecting ${count}`, { cause: err });
      }
      const failed = rows().find((r) => r.status === 'FAILURE');
      if (failed)
        throw new Error(`WaitCondition received failed message: '${failed.reason ?? ''}' for uniqueId: ${failed.uniqueId}`, { cause: err });
      throw err;
    }
    const data = Object.fromEntries(
      rows()
        .filter((r) => r.status === 'SUCCESS')
        .map((r) => [r.uniqueId, r.data ?? '']),
    );
    return { physicalId, attributes: { Data: JSON.stringify(data) } };
  },
  async delete() {
    // Nothing of it lives outside the stack: its signals go with its handle.
  },
});
