import { cfnErrors } from '../errors.js';

/**
 * The resources' dependency graph: deps.get(A) holds every resource A needs first (from Ref, Fn::GetAtt,
 * Fn::Sub and DependsOn). Throws AWS's ValidationError when resources depend on each other in a cycle.
 */
export function checkAcyclic(ids: string[], deps: Map<string, Set<string>>): void {
  const left = new Set(ids);
  let progress = true;
  while (progress && left.size) {
    progress = false;
    for (const id of left) {
      if ([...(deps.get(id) ?? [])].every((d) => !left.has(d))) {
        left.delete(id);
        progress = true;
      }
    }
  }
  if (left.size) {
    // What is left depends on a cycle or is in one; AWS names them all.
    throw cfnErrors.circularDependency(ids.filter((id) => left.has(id)));
  }
}

/** The reverse of deps: for each resource, the resources that need it. */
export function dependents(ids: string[], deps: Map<string, Set<string>>): Map<string, Set<string>> {
  const out = new Map(ids.map((id) => [id, new Set<string>()]));
  for (const id of ids) for (const d of deps.get(id) ?? []) out.get(d)?.add(id);
  return out;
}

/**
 * Runs `work` for every id, each as soon as all of its `before` ids are done (started from the completion of the
 * last of them, in `ids` order when several become ready at once), as many at once as the graph allows. After the
 * first failure no new work starts (unless continueOnFailure: then only work that waits on a failed id is not
 * started); the work already running finishes. Returns the ids that failed and those never started.
 */
export function runInGraph(
  ids: string[],
  before: Map<string, Set<string>>,
  work: (id: string) => Promise<void>,
  opts: { continueOnFailure?: boolean } = {},
): Promise<{ failed: string[]; notStarted: string[] }> {
  const order = new Map(ids.map((id, i) => [id, i]));
  const byOrder = (a: string, b: string) => (order.get(a) ?? 0) - (order.get(b) ?? 0);
  // How many of its `before` ids each id still waits for, and who waits for each (dependencies outside `ids` are met).
  const waitsFor = new Map<string, number>();
  const waiters = new Map<string, string[]>();
  for (const id of ids) {
    let count = 0;
    for (const d of before.get(id) ?? []) {
      if (!order.has(d)) continue;
      count++;
      const list = waiters.get(d);
      if (list) list.push(id);
      else waiters.set(d, [id]);
    }
    waitsFor.set(id, count);
  }
  return new Promise((resolve) => {
    const started = new Set<string>();
    const failed: string[] = [];
    let running = 0;
    const settle = () => {
      if (--running === 0) resolve({ failed, notStarted: ids.filter((id) => !started.has(id)) });
    };
    const startAll = (ready: string[]) => {
      for (const id of ready.sort(byOrder)) {
        started.add(id);
        running++;
        let done: Promise<void>;
        try {
          done = work(id);
        } catch (err) {
          done = Promise.reject(err instanceof Error ? err : new Error(String(err)));
        }
        done.then(
          () => {
            const ready = (waiters.get(id) ?? []).filter((w) => {
              const left = (waitsFor.get(w) ?? 0) - 1;
              waitsFor.set(w, left);
              return left === 0;
            });
            if (!failed.length || opts.continueOnFailure) startAll(ready);
            settle();
          },
          () => {
            failed.push(id);
            settle();
          },
        );
      }
    };
    running++;
    startAll(ids.filter((id) => waitsFor.get(id) === 0));
    settle();
  });
}

/** The ids in an order where each comes after its dependencies (the graph is acyclic). */
export function topoOrder(ids: string[], deps: Map<string, Set<string>>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const d of deps.get(id) ?? []) if (ids.includes(d)) visit(d);
    out.push(id);
  };
  for (const id of ids) visit(id);
  return out;
}
