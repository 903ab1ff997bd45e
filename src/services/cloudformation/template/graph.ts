import { AwsError } from '../../../protocol/errors.js';

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
    throw new AwsError('ValidationError', `Circular dependency between resources: [${ids.filter((id) => left.has(id)).join(', ')}]`);
  }
}

/** The reverse of deps: for each resource, the resources that need it. */
export function dependents(ids: string[], deps: Map<string, Set<string>>): Map<string, Set<string>> {
  const out = new Map(ids.map((id) => [id, new Set<string>()]));
  for (const id of ids) for (const d of deps.get(id) ?? []) out.get(d)?.add(id);
  return out;
}

/**
 * Runs `work` for every id, each as soon as all of its `before` ids are done, as many at once as the graph
 * allows. After the first failure no new work starts (unless continueOnFailure: then only work that waits on a
 * failed id is not started); the work already running finishes. Returns the ids that failed and those never started.
 */
export async function runInGraph(
  ids: string[],
  before: Map<string, Set<string>>,
  work: (id: string) => Promise<void>,
  opts: { continueOnFailure?: boolean } = {},
): Promise<{ failed: string[]; notStarted: string[] }> {
  const done = new Set<string>();
  const started = new Set<string>();
  const failed: string[] = [];
  const running = new Map<string, Promise<void>>();
  const ready = () => ids.filter((id) => !started.has(id) && [...(before.get(id) ?? [])].every((d) => done.has(d) || !ids.includes(d)));
  for (;;) {
    if (!failed.length || opts.continueOnFailure) {
      for (const id of ready()) {
        started.add(id);
        running.set(
          id,
          work(id)
            .then(
              () => {
                done.add(id);
              },
              () => {
                failed.push(id);
              },
            )
            .finally(() => running.delete(id)),
        );
      }
    }
    if (!running.size) break;
    await Promise.race(running.values());
  }
  return { failed, notStarted: ids.filter((id) => !started.has(id)) };
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
