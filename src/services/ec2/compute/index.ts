import type { Handler } from '../../types.js';

/** Instances, images, volumes, snapshots and their status. */
export const computeOperations: Record<string, Handler> = {};
