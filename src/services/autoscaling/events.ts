import type { Cloud } from '../../cloud.js';

/** Emitted when an operation changed a group, so that the controller looks at it soon rather than at its next tick. */
export const GROUP_CHANGED = 'autoscaling.groupChanged';

export const groupChanged = (cloud: Cloud) => cloud.events.emit(GROUP_CHANGED);
