import type { Cloud } from '../../../cloud.js';
import { StackRun } from './run.js';
import { wholeStacks } from './stack-store.js';

/** What an operation interrupted by a daemon stop or crash leaves the stack in: its failed (or settled) status. */
const AFTER_INTERRUPTION: Record<string, string> = {
  CREATE_IN_PROGRESS: 'CREATE_FAILED',
  ROLLBACK_IN_PROGRESS: 'ROLLBACK_FAILED',
  DELETE_IN_PROGRESS: 'DELETE_FAILED',
  UPDATE_IN_PROGRESS: 'UPDATE_FAILED',
  UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: 'UPDATE_COMPLETE',
  UPDATE_ROLLBACK_IN_PROGRESS: 'UPDATE_ROLLBACK_FAILED',
  UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: 'UPDATE_ROLLBACK_COMPLETE',
};

/**
 * At daemon start: stack operations do not survive a restart, so a stack (and its resources) left in progress is
 * marked failed with a reason, from where the user can delete, update or continue as on AWS.
 */
export function recoverInterruptedStacks(cloud: Cloud): void {
  for (const stack of wholeStacks({ cloud })) {
    const next = AFTER_INTERRUPTION[stack.StackStatus];
    if (!next) continue;
    const run = new StackRun(cloud, stack, { Resources: {} });
    for (const r of Object.values(stack.resources)) {
      if (r.status.endsWith('_IN_PROGRESS'))
        run.setResourceStatus(r, r.status.replace('_IN_PROGRESS', '_FAILED'), 'The halo cloud stopped during this operation');
    }
    const reason = next.endsWith('_FAILED') ? 'The halo cloud stopped during this operation' : undefined;
    run.setStackStatus(next, reason);
  }
}
