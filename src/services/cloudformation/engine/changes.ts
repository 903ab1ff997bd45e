import type { Cloud } from '../../../cloud.js';
import { findProvider } from '../providers/registry.js';
import { evaluate, PENDING_MARK } from '../template/intrinsics.js';
import { topoOrder } from '../template/graph.js';
import type { ResolvedParameter } from '../template/parameters.js';
import type { Template } from '../template/parse.js';
import { validateTemplate } from '../template/validate.js';
import { changedKeys } from './lifecycle.js';
import { included, stackScope } from './scope.js';
import type { StackRecord } from './state.js';

export interface ResourceChange {
  Type: 'Resource';
  ResourceChange: {
    Action: 'Add' | 'Modify' | 'Remove';
    LogicalResourceId: string;
    PhysicalResourceId?: string;
    ResourceType: string;
    Replacement?: 'True' | 'False' | 'Conditional';
    PolicyAction?: string;
    Scope: string[];
    Details: Array<{
      Target: { Attribute: string; Name?: string; RequiresRecreation: 'Never' | 'Conditionally' | 'Always' };
      Evaluation: 'Static' | 'Dynamic';
      ChangeSource: 'DirectModification' | 'ResourceReference' | 'ParameterReference';
      CausingEntity?: string;
    }>;
  };
}

/**
 * What an update to `template` with `parameters` would do to the stack's resources, as a change set shows it:
 * Add, Remove, and Modify with Replacement True/False/Conditional per the providers' `replaceOn`. Values that
 * depend on a resource about to be added or replaced are unknown until execution ("Dynamic" evaluation).
 */
export function computeChanges(cloud: Cloud, stack: StackRecord, template: Template, parameters: ResolvedParameter[]): ResourceChange[] {
  const preview: StackRecord = { ...stack, parameters, resources: structuredClone(stack.resources), imports: [...stack.imports] };
  const scope = stackScope({ cloud, stack: preview, template, pending: true });
  const { ids, deps } = validateTemplate(template);
  const active = ids.filter((id) => included(scope, template.Resources[id].Condition));
  const changes: ResourceChange[] = [];
  for (const id of topoOrder(active, deps)) {
    const def = template.Resources[id];
    const prev = stack.resources[id];
    const live = prev && prev.physicalId !== undefined && !['DELETE_COMPLETE', 'DELETE_SKIPPED'].includes(prev.status);
    if (!live) {
      delete preview.resources[id];
      changes.push({
        Type: 'Resource',
        ResourceChange: { Action: 'Add', LogicalResourceId: id, ResourceType: def.Type, Scope: [], Details: [] },
      });
      continue;
    }
    const props = evaluate(def.Properties ?? {}, scope) as Record<string, unknown>;
    const changed = changedKeys(prev.props ?? {}, props);
    if (prev.type === def.Type && !changed.length) continue;
    const provider = findProvider(def.Type);
    const replaces = (k: string) =>
      prev.type !== def.Type ||
      !provider?.update ||
      (provider.replaceOn ?? []).includes(k) ||
      Boolean(provider.replaces?.([k], def.UpdatePolicy));
    const dynamic = (k: string) => JSON.stringify(props[k] ?? null).includes(PENDING_MARK);
    const details = changed.map((k) => ({
      Target: {
        Attribute: k === 'Tags' ? 'Tags' : 'Properties',
        Name: k,
        RequiresRecreation: replaces(k) ? ('Always' as const) : ('Never' as const),
      },
      Evaluation: dynamic(k) ? ('Dynamic' as const) : ('Static' as const),
      ChangeSource: dynamic(k) ? ('ResourceReference' as const) : ('DirectModification' as const),
    }));
    const staticReplace = prev.type !== def.Type || changed.some((k) => replaces(k) && !dynamic(k));
    const replacement = staticReplace ? 'True' : changed.some((k) => replaces(k)) ? 'Conditional' : 'False';
    if (replacement !== 'False') delete preview.resources[id]; // its new Ref/attributes are unknown until it exists
    changes.push({
      Type: 'Resource',
      ResourceChange: {
        Action: 'Modify',
        LogicalResourceId: id,
        PhysicalResourceId: prev.physicalId,
        ResourceType: def.Type,
        Replacement: replacement,
        Scope: [...new Set(details.map((d) => d.Target.Attribute))],
        Details: details,
      },
    });
  }
  for (const [id, prev] of Object.entries(stack.resources)) {
    if (active.includes(id) || prev.physicalId === undefined || ['DELETE_COMPLETE', 'DELETE_SKIPPED'].includes(prev.status)) continue;
    changes.push({
      Type: 'Resource',
      ResourceChange: {
        Action: 'Remove',
        LogicalResourceId: id,
        PhysicalResourceId: prev.physicalId,
        ResourceType: prev.type,
        PolicyAction: prev.deletionPolicy === 'Retain' ? 'Retain' : 'Delete',
        Scope: [],
        Details: [],
      },
    });
  }
  return changes;
}
