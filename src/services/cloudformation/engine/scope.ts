import { cfnErrors } from '../errors.js';
import { findRegion, zonesOf } from '../../../topology/regions.js';
import { evaluate, PENDING_MARK, type Scope } from '../template/intrinsics.js';
import { refValue } from '../template/parameters.js';
import type { Template } from '../template/parse.js';
import { liveStacks, type StackRecord } from './state.js';
import type { Cloud } from '../../../cloud.js';

export interface ScopeSource {
  cloud: Cloud;
  stack: StackRecord;
  template: Template;
  /** For change sets: a resource that does not exist yet gives a placeholder instead of an error. */
  pending?: boolean;
}

/** A placeholder for a value known only once a resource exists (change set previews). */
export const pendingValue = (what: string) => `${PENDING_MARK}${what}}}`;

/** The values intrinsic functions of a stack's template read: parameters, pseudo parameters, conditions, resources. */
export function stackScope(src: ScopeSource): Scope {
  const { stack, template } = src;
  const region = stack.region;
  const params: Record<string, string | string[]> = {
    'AWS::Region': region,
    'AWS::AccountId': stack.StackId.split(':')[4],
    'AWS::StackName': stack.StackName,
    'AWS::StackId': stack.StackId,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::NotificationARNs': stack.NotificationARNs,
  };
  for (const p of stack.parameters)
    params[p.key] = refValue(String((template.Parameters?.[p.key] as { Type?: unknown } | undefined)?.Type ?? 'String'), p);
  const conditionValues = new Map<string, boolean>();
  const resources = template.Resources;
  const scope: Scope = {
    params,
    region,
    pending: src.pending,
    mappings: template.Mappings ?? {},
    condition(name) {
      const known = conditionValues.get(name);
      if (known !== undefined) return known;
      const def = template.Conditions?.[name];
      if (def === undefined) throw cfnErrors.templateError(`Unresolved condition dependency ${name}`);
      const value = evaluate(def, scope, true);
      if (typeof value !== 'boolean') throw cfnErrors.templateError(`Condition ${name} does not evaluate to a boolean`);
      conditionValues.set(name, value);
      return value;
    },
    ref(id) {
      if (!Object.prototype.hasOwnProperty.call(resources, id)) return undefined;
      const cond = resources[id].Condition;
      if (cond && !scope.condition(cond)) {
        throw cfnErrors.unresolvedDependency(id);
      }
      const r = stack.resources[id];
      if (r?.physicalId === undefined) {
        if (src.pending) return pendingValue(id);
        throw cfnErrors.templateError(`resource ${id} has no physical id yet`);
      }
      return r.ref ?? r.physicalId;
    },
    getAtt(id, attribute) {
      if (!Object.prototype.hasOwnProperty.call(resources, id))
        throw cfnErrors.templateError(`Instance of Fn::GetAtt references undefined resource ${id}`);
      const r = stack.resources[id];
      if (r?.physicalId === undefined) {
        if (src.pending) return pendingValue(`${id}.${attribute}`);
        throw cfnErrors.templateError(`resource ${id} has no attributes yet`);
      }
      const value = r.attributes?.[attribute];
      if (value === undefined) throw cfnErrors.templateError(`resource ${id} does not support attribute type ${attribute} in Fn::GetAtt`);
      return value;
    },
    zones(name) {
      const info = findRegion(name);
      return info ? zonesOf(info).map((z) => z.zoneName) : [];
    },
    importValue(name) {
      for (const other of liveStacks({ cloud: src.cloud, region })) {
        if (other.StackId === stack.StackId) continue;
        const out = other.outputs.find((o) => o.ExportName === name);
        if (out) {
          if (!stack.imports.includes(name)) stack.imports.push(name);
          return out.OutputValue;
        }
      }
      if (src.pending) return pendingValue(`import:${name}`);
      throw cfnErrors.exportNotFound(name);
    },
  };
  return scope;
}

/** Whether a resource (or output) is in the stack: its Condition, if any, is true. */
export function included(scope: Scope, condition: string | undefined): boolean {
  return !condition || scope.condition(condition);
}
