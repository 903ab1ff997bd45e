import type { Cloud } from '../../../cloud.js';
import { liveKey } from '../../../store/live.js';

/** One operation at a time per stack; the promise of the running one (tests and DeleteStack wait on it). */
const RUNNING = liveKey('cloudformation.stackQueue', () => new Map<string, Promise<void>>());

export function enqueue(cloud: Cloud, stackId: string, work: () => Promise<void>): Promise<void> {
  const running = cloud.live.get(RUNNING);
  const previous = running.get(stackId) ?? Promise.resolve();
  const next = previous.then(work).catch((err) => {
    console.error(`[halo] cloudformation operation on ${stackId} failed unexpectedly:`, err);
  });
  running.set(stackId, next);
  void next.finally(() => {
    if (running.get(stackId) === next) running.delete(stackId);
  });
  return next;
}

/**
 * Daemon shutdown: lets running stack operations finish for up to `maxWallMs` (a resource that never gets ready
 * must not hold the daemon); what is still running is marked failed at the next start (see recover.ts).
 */
export async function drain(cloud: Cloud, maxWallMs = 5000): Promise<void> {
  const running = cloud.live.peek(RUNNING);
  if (!running) return;
  const deadline = Date.now() + maxWallMs;
  while (running.size && Date.now() < deadline) {
    await Promise.race([
      Promise.allSettled([...running.values()]),
      new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now())).unref()),
    ]);
  }
}
