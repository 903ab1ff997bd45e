/** One operation at a time per stack; the promise of the running one (tests and DeleteStack wait on it). */
const running = new Map<string, Promise<void>>();

export function enqueue(stackId: string, work: () => Promise<void>): Promise<void> {
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

export function isBusy(stackId: string): boolean {
  return running.has(stackId);
}

/** Waits until every stack operation has finished (daemon shutdown). */
export async function drain(): Promise<void> {
  while (running.size) await Promise.allSettled([...running.values()]);
}
