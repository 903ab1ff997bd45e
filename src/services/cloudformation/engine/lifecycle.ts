import { isDeepStrictEqual } from 'node:util';
import { findProvider } from '../providers/registry.js';
import { dependents, runInGraph } from '../template/graph.js';
import type { ResolvedParameter } from '../template/parameters.js';
import type { Template } from '../template/parse.js';
import { validateTemplate } from '../template/validate.js';
import { liveStacks, type ResourceState } from './state.js';
import { reasonOf, type StackRun } from './run.js';

const list = (ids: string[]) => `[${ids.join(', ')}]`;

/**
 * CreateStack's work (the caller has recorded CREATE_IN_PROGRESS): resources in parallel along the graph, then
 * CREATE_COMPLETE, or CREATE_FAILED and rollback.
 */
export async function runCreate(run: StackRun): Promise<void> {
  run.startDeadline();
  let failed: string[] = [];
  try {
    ({ failed } = await runInGraph(run.activeIds(), run.deps, (id) =>
      run.createResource(id).catch((err) => {
        run.cancel();
        throw err;
      }),
    ));
    if (!failed.length) {
      run.computeOutputs();
      run.setStackStatus('CREATE_COMPLETE');
      return;
    }
  } catch (err) {
    // A template value that could not be evaluated (an output, a condition): the stack fails as a whole.
    if (!failed.length) return failStack(run, `${reasonOf(err)}. `);
  }
  await failStack(run, `The following resource(s) failed to create: ${list(failed)}. `);
}

async function failStack(run: StackRun, reason: string): Promise<void> {
  if (run.stack.DisableRollback) {
    run.setStackStatus('CREATE_FAILED', reason);
    return;
  }
  run.setStackStatus('ROLLBACK_IN_PROGRESS', `${reason}Rollback requested by user.`);
  // On rollback CloudFormation keeps Retain resources but deletes RetainExceptOnCreate ones.
  const failedDeletes = await deleteResources(run, Object.keys(run.stack.resources), (r) =>
    r.deletionPolicy === 'Retain' ? 'Retain' : 'Delete',
  );
  if (failedDeletes.length) run.setStackStatus('ROLLBACK_FAILED', `The following resource(s) failed to delete: ${list(failedDeletes)}. `);
  else run.setStackStatus('ROLLBACK_COMPLETE');
}

/**
 * Deletes the given resources of the stack, each only after every resource that depends on it, honouring each
 * DeletionPolicy (or the policy `policyOf` gives). Returns the ids that failed to delete.
 */
export async function deleteResources(
  run: StackRun,
  ids: string[],
  policyOf: (r: ResourceState) => string | undefined = (r) => r.deletionPolicy,
): Promise<string[]> {
  const present = ids.filter((id) => {
    const r = run.stack.resources[id];
    return r && !['DELETE_COMPLETE', 'DELETE_SKIPPED'].includes(r.status);
  });
  const { failed, notStarted } = await runInGraph(
    present,
    dependents(present, run.deps),
    (id) => run.deleteResource(run.stack.resources[id], policyOf(run.stack.resources[id])),
    { continueOnFailure: true },
  );
  return [...failed, ...notStarted];
}

/** DeleteStack's work (the caller has recorded DELETE_IN_PROGRESS). */
export async function runDelete(run: StackRun, retain: string[] = []): Promise<void> {
  const exports = run.stack.outputs.filter((o) => o.ExportName).map((o) => o.ExportName as string);
  // Only a stack with exports reads the others (to see whether one imports them).
  for (const other of exports.length ? liveStacks({ cloud: run.cloud, region: run.stack.region }) : []) {
    const used = other.StackId !== run.stack.StackId && other.imports.find((name) => exports.includes(name));
    if (used) {
      run.setStackStatus('DELETE_FAILED', `Export ${used} cannot be deleted as it is in use by ${other.StackName}`);
      return;
    }
  }
  const failed = await deleteResources(run, Object.keys(run.stack.resources), (r) =>
    retain.includes(r.logicalId) ? 'Retain' : r.deletionPolicy,
  );
  if (failed.length) {
    run.setStackStatus('DELETE_FAILED', `The following resource(s) failed to delete: ${list(failed)}. `);
    return;
  }
  run.stack.DeletionTime = run.now();
  run.stack.imports = [];
  run.setStackStatus('DELETE_COMPLETE');
}

export interface UpdateInput {
  template: Template;
  templateBody: string;
  parameters: ResolvedParameter[];
  tags?: Array<{ Key: string; Value: string }>;
  /** On failure: UPDATE_FAILED and no rollback. */
  disableRollback?: boolean;
}

/**
 * UpdateStack's work: new resources created, changed ones updated in place or replaced (as their provider's
 * `replaceOn` says), then cleanup of replaced and removed resources; on failure UPDATE_ROLLBACK_*.
 */
export async function runUpdate(run: StackRun, next: UpdateInput): Promise<void> {
  const stack = run.stack;
  await refreshAttributes(run);
  const before = {
    template: run.template,
    templateBody: stack.templateBody,
    parameters: stack.parameters,
    resources: structuredClone(stack.resources),
    imports: stack.imports,
  };
  // The new template's evaluation records the exports it imports afresh.
  stack.imports = [];
  stack.templateBody = next.templateBody;
  stack.parameters = next.parameters;
  if (next.tags) stack.Tags = next.tags;
  run.useTemplate(next.template);
  run.setStackStatus('UPDATE_IN_PROGRESS', 'User Initiated');
  run.startDeadline();

  const replaced = new Map<string, ResourceState>();
  const inPlace = new Map<string, ResourceState>();
  const added = new Set<string>();
  const work = async (id: string) => {
    const def = run.template.Resources[id];
    const prev = before.resources[id];
    const live = prev && prev.physicalId !== undefined && !['DELETE_COMPLETE', 'DELETE_SKIPPED'].includes(prev.status);
    if (!live) {
      added.add(id);
      await run.createResource(id);
      return;
    }
    if (prev.type !== def.Type) {
      replaced.set(id, prev);
      await run.createResource(id, prev);
      return;
    }
    const props = await run.resolveProps(id);
    if (isDeepStrictEqual(props, prev.props ?? {})) {
      // Unchanged: carries its policies from the new template, no event.
      stack.resources[id] = {
        ...prev,
        deletionPolicy: def.DeletionPolicy,
        updateReplacePolicy: def.UpdateReplacePolicy,
        metadata: def.Metadata,
      };
      return;
    }
    const provider = run.provider(def.Type);
    const changed = changedKeys(prev.props ?? {}, props);
    if (!provider.update || changed.some((k) => provider.replaceOn?.includes(k)) || provider.replaces?.(changed, def.UpdatePolicy)) {
      replaced.set(id, prev);
      await run.createResource(id, prev);
      return;
    }
    inPlace.set(id, prev);
    await updateInPlace(
      run,
      { ...prev, props, deletionPolicy: def.DeletionPolicy, updateReplacePolicy: def.UpdateReplacePolicy },
      prev.props ?? {},
    );
  };

  let failed: string[] = [];
  let failure: string | undefined;
  try {
    ({ failed } = await runInGraph(run.activeIds(), run.deps, (id) =>
      work(id).catch((err) => {
        run.cancel();
        throw err;
      }),
    ));
    if (failed.length)
      failure = `The following resource(s) failed to ${failed.every((id) => added.has(id)) ? 'create' : 'update'}: ${list(failed)}. `;
    else run.computeOutputs();
  } catch (err) {
    failure = reasonOf(err);
  }

  if (!failure) {
    run.setStackStatus('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    const active = new Set(run.activeIds());
    const removed = Object.keys(before.resources).filter((id) => !active.has(id));
    const old = new Map(replaced);
    for (const id of removed) old.set(id, before.resources[id]);
    // Old resources go in the reverse order of the old template's graph; replaced ones honour UpdateReplacePolicy.
    await cleanup(run, old, before.template, (r) => (replaced.has(r.logicalId) ? r.updateReplacePolicy : r.deletionPolicy));
    for (const id of removed) delete stack.resources[id];
    stack.LastUpdatedTime = run.now();
    run.setStackStatus('UPDATE_COMPLETE');
    return;
  }

  if (next.disableRollback) {
    run.setStackStatus('UPDATE_FAILED', failure);
    return;
  }
  run.setStackStatus('UPDATE_ROLLBACK_IN_PROGRESS', failure);
  stack.templateBody = before.templateBody;
  stack.parameters = before.parameters;
  stack.imports = before.imports;
  run.useTemplate(before.template);
  let rollbackFailed = false;
  for (const [id, prev] of inPlace) {
    try {
      await updateInPlace(run, { ...stack.resources[id], props: prev.props, attributes: prev.attributes }, stack.resources[id].props ?? {});
    } catch {
      rollbackFailed = true;
    }
  }
  const fresh = new Map<string, ResourceState>();
  for (const [id, prev] of replaced) {
    fresh.set(id, stack.resources[id]);
    run.setResourceStatus({ ...prev }, 'UPDATE_COMPLETE');
  }
  for (const id of added) {
    fresh.set(id, stack.resources[id]);
    delete stack.resources[id];
  }
  if (rollbackFailed) {
    run.setStackStatus('UPDATE_ROLLBACK_FAILED', 'Some resources could not be restored to their previous state.');
    return;
  }
  run.setStackStatus('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
  await cleanup(run, fresh, next.template, () => 'Delete');
  stack.LastUpdatedTime = run.now();
  run.setStackStatus('UPDATE_ROLLBACK_COMPLETE');
}

async function updateInPlace(run: StackRun, r: ResourceState, previousProps: Record<string, unknown>): Promise<void> {
  run.setResourceStatus(r, 'UPDATE_IN_PROGRESS');
  try {
    const provider = run.provider(r.type);
    const ctx = run.providerContext(r.logicalId);
    const result = await provider.update!(r.physicalId!, r.props ?? {}, previousProps, ctx);
    r.physicalId = result.physicalId || r.physicalId;
    r.attributes = { ...r.attributes, ...result.attributes };
    if (result.ref !== undefined) r.ref = result.ref;
    if (provider.stabilize) await provider.stabilize(r.physicalId!, r.props ?? {}, ctx);
    run.setResourceStatus(r, 'UPDATE_COMPLETE');
  } catch (err) {
    run.setResourceStatus(r, 'UPDATE_FAILED', reasonOf(err));
    throw err;
  }
}

/**
 * Deletes physical resources no longer in the stack (old ones after a replacement or removal, new ones after a
 * rollback), each after the ones that depend on it in `template`.
 */
async function cleanup(
  run: StackRun,
  states: Map<string, ResourceState>,
  template: Template,
  policyOf: (r: ResourceState) => string | undefined,
): Promise<void> {
  const ids = [...states.keys()].filter((id) => states.get(id)?.physicalId !== undefined);
  let deps = new Map<string, Set<string>>();
  try {
    deps = validateTemplate(template).deps;
  } catch {
    // no ordering known: delete all at once
  }
  await runInGraph(
    ids,
    dependents(ids, deps),
    async (id) => {
      const r = states.get(id)!;
      try {
        await run.deleteResource({ ...r }, policyOf(r), true);
      } catch {
        // Recorded as DELETE_FAILED; CloudFormation completes the update and leaves the old resource.
      }
    },
    { continueOnFailure: true },
  );
}

/** Attributes may have changed outside CloudFormation since the last operation: read them again where a provider can. */
async function refreshAttributes(run: StackRun): Promise<void> {
  await Promise.all(
    Object.values(run.stack.resources).map(async (r) => {
      const provider = findProvider(r.type);
      if (!provider?.read || r.physicalId === undefined || ['DELETE_COMPLETE', 'DELETE_SKIPPED'].includes(r.status)) return;
      try {
        const attributes = await provider.read(r.physicalId, r.props ?? {}, run.providerContext(r.logicalId));
        if (attributes) r.attributes = { ...r.attributes, ...attributes };
      } catch {
        // Keep the attributes known so far: the update itself reports what is wrong with the resource.
      }
    }),
  );
}

/** Top-level property names whose values differ. */
export function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => !isDeepStrictEqual(a[k], b[k]));
}
