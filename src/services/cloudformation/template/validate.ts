import { cfnErrors } from '../errors.js';
import { checkAcyclic } from './graph.js';
import { FUNCTIONS, functionOf, splitAttr, subVariables } from './intrinsics.js';
import { checkParameterDefinitions } from './parameters.js';
import { TEMPLATE_SECTIONS, type Template } from './parse.js';

export const PSEUDO_PARAMETERS = [
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
];

const RESOURCE_KEYS = [
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'Metadata',
  'CreationPolicy',
  'UpdatePolicy',
];

export interface TemplateGraph {
  /** Logical ids in template order. */
  ids: string[];
  /** Each resource's dependencies (resources that must exist first). */
  deps: Map<string, Set<string>>;
}

/**
 * Checks a parsed template as CloudFormation does before it touches anything: sections, resources, functions,
 * references, conditions, outputs and dependency cycles. Returns the dependency graph.
 */
export function validateTemplate(t: Template): TemplateGraph {
  const unknownSections = Object.keys(t).filter((k) => !TEMPLATE_SECTIONS.includes(k));
  if (unknownSections.length) throw cfnErrors.templateFormat(`Invalid template property or properties [${unknownSections.join(', ')}]`);
  if (t.AWSTemplateFormatVersion !== undefined && String(t.AWSTemplateFormatVersion) !== '2010-09-09') {
    throw cfnErrors.templateFormat(`'${String(t.AWSTemplateFormatVersion)}' is not a supported AWSTemplateFormatVersion value`);
  }
  if (t.Transform !== undefined) {
    throw cfnErrors.templateFormat(
      `halo does not support Transform (${JSON.stringify(t.Transform)}); expand the template first (for example with the SAM CLI).`,
    );
  }
  if (t.Description !== undefined && typeof t.Description !== 'string') throw cfnErrors.templateFormat('Description must be a string');
  const resources = t.Resources;
  if (!resources || typeof resources !== 'object' || Array.isArray(resources) || !Object.keys(resources).length) {
    throw cfnErrors.templateFormat('At least one Resources member must be defined.');
  }
  const params = t.Parameters ?? {};
  checkParameterDefinitions(params);
  const ids = Object.keys(resources);
  const conditions = t.Conditions ?? {};
  const mappings = t.Mappings ?? {};
  if (typeof mappings !== 'object' || Array.isArray(mappings)) throw cfnErrors.templateFormat('Mappings must be an object');

  for (const id of [...ids, ...Object.keys(params), ...Object.keys(conditions), ...Object.keys(t.Outputs ?? {})]) {
    if (!/^[A-Za-z0-9]+$/.test(id)) throw cfnErrors.templateFormat(`Resource name ${id} is non alphanumeric.`);
  }
  const known = new Set([...Object.keys(params), ...PSEUDO_PARAMETERS]);
  const isResource = (name: string) => Object.prototype.hasOwnProperty.call(resources, name);

  const checkCondition = (name: unknown, where: string) => {
    if (typeof name !== 'string' || !(name in conditions))
      throw cfnErrors.templateFormat(`Unresolved condition dependency ${String(name)} in ${where}`);
  };

  // Collects resource references of a value and checks every function and reference in it.
  const scan = (value: unknown, refs: Set<string>, where: 'Resources' | 'Conditions' | 'Outputs'): void => {
    if (Array.isArray(value)) {
      for (const v of value) scan(v, refs, where);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const keys = Object.keys(value);
    const fn = functionOf(value, where === 'Conditions');
    if ((fn && !FUNCTIONS.has(fn)) || (!fn && keys.length === 1 && keys[0].startsWith('Fn::'))) {
      throw cfnErrors.templateError(
        `Encountered unsupported function: ${keys[0]} Supported functions are: [${[...FUNCTIONS].filter((f) => f.startsWith('Fn::')).join(', ')}]`,
      );
    }
    const arg = fn ? (value as Record<string, unknown>)[fn] : undefined;
    const refTo = (name: string) => {
      if (known.has(name)) return;
      if (!isResource(name))
        throw cfnErrors.templateFormat(`Unresolved resource dependencies [${name}] in the ${where} block of the template`);
      if (where === 'Conditions') throw cfnErrors.templateError('Cannot reference resources in the Conditions block of the template');
      refs.add(name);
    };
    if (fn === 'Ref') {
      if (typeof arg !== 'string') throw cfnErrors.templateError('Every Ref object must have a single String value.');
      refTo(arg);
      return;
    }
    if (fn === 'Fn::GetAtt') {
      const parts = typeof arg === 'string' ? splitAttr(arg) : arg;
      if (!Array.isArray(parts) || parts.length !== 2 || typeof parts[0] !== 'string') {
        throw cfnErrors.templateError('Fn::GetAtt requires a list of two elements: a resource name and an attribute name');
      }
      if (!isResource(parts[0])) throw cfnErrors.templateError(`Instance of Fn::GetAtt references undefined resource ${parts[0]}`);
      if (where === 'Conditions') throw cfnErrors.templateError('Cannot reference resources in the Conditions block of the template');
      refs.add(parts[0]);
      scan(parts[1], refs, where);
      return;
    }
    if (fn === 'Fn::Sub') {
      const [text, vars] = typeof arg === 'string' ? [arg, {}] : Array.isArray(arg) ? (arg as unknown[]) : [undefined, undefined];
      if (typeof text !== 'string' || !vars || typeof vars !== 'object')
        throw cfnErrors.templateError('Fn::Sub requires a string, or a list of a string and a map of variables');
      scan(vars, refs, where);
      for (const name of subVariables(text)) {
        if (name in vars) continue;
        if (name.includes('.')) {
          const [res] = splitAttr(name);
          if (!isResource(res)) throw cfnErrors.templateError(`Instance of Fn::Sub references undefined resource ${res}`);
          refs.add(res);
        } else refTo(name);
      }
      return;
    }
    if (fn === 'Fn::If') {
      if (!Array.isArray(arg) || arg.length !== 3) throw cfnErrors.templateError('Fn::If requires a list of three arguments');
      checkCondition(arg[0], 'Fn::If');
      scan(arg.slice(1), refs, where);
      return;
    }
    if (fn === 'Condition') {
      checkCondition(arg, 'Condition');
      return;
    }
    if (fn === 'Fn::FindInMap' && Array.isArray(arg) && typeof arg[0] === 'string' && !(arg[0] in mappings)) {
      throw cfnErrors.templateError(`Unable to get mapping for ${arg[0]}`);
    }
    if (fn && ['Fn::Equals', 'Fn::And', 'Fn::Or', 'Fn::Not'].includes(fn)) {
      scan(arg, refs, where === 'Resources' || where === 'Outputs' ? 'Conditions' : where);
      return;
    }
    for (const v of Object.values(value)) scan(v, refs, where);
  };

  for (const [name, cond] of Object.entries(conditions)) {
    if (!functionOf(cond, true))
      throw cfnErrors.templateFormat(`Condition ${name} must be a condition function (Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition)`);
    scan(cond, new Set(), 'Conditions');
  }

  const deps = new Map<string, Set<string>>();
  for (const id of ids) {
    const r = resources[id];
    if (!r || typeof r !== 'object' || Array.isArray(r))
      throw cfnErrors.templateFormat(`[/Resources/${id}] resource definition is malformed`);
    if (typeof r.Type !== 'string' || !r.Type)
      throw cfnErrors.templateFormat(`[/Resources/${id}] Every Resources object must contain a Type member.`);
    const extra = Object.keys(r).filter((k) => !RESOURCE_KEYS.includes(k));
    if (extra.length) throw cfnErrors.templateFormat(`[/Resources/${id}] Invalid template resource property '${extra[0]}'`);
    if (r.Properties !== undefined && (typeof r.Properties !== 'object' || Array.isArray(r.Properties))) {
      throw cfnErrors.templateFormat(`[/Resources/${id}/Properties] Properties must be an object`);
    }
    for (const policy of [r.DeletionPolicy, r.UpdateReplacePolicy]) {
      if (policy !== undefined && !['Delete', 'Retain', 'Snapshot', 'RetainExceptOnCreate'].includes(String(policy))) {
        throw cfnErrors.templateFormat(`[/Resources/${id}] Unrecognized DeletionPolicy ${String(policy)}`);
      }
    }
    if (r.Condition !== undefined) checkCondition(r.Condition, `resource ${id}`);
    const refs = new Set<string>();
    scan(r.Properties, refs, 'Resources');
    scan(r.Metadata, refs, 'Resources');
    const dependsOn = r.DependsOn === undefined ? [] : Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn];
    for (const d of dependsOn) {
      if (typeof d !== 'string' || !isResource(d))
        throw cfnErrors.templateFormat(`Unresolved resource dependencies [${String(d)}] in the Resources block of the template`);
      refs.add(d);
    }
    deps.set(id, refs);
  }

  for (const [name, out] of Object.entries(t.Outputs ?? {})) {
    if (!out || typeof out !== 'object' || !('Value' in out))
      throw cfnErrors.templateFormat(`Every Outputs member must contain a Value object (${name})`);
    if (out.Condition !== undefined) checkCondition(out.Condition, `output ${name}`);
    scan(out.Value, new Set(), 'Outputs');
    if (out.Export) scan(out.Export.Name, new Set(), 'Outputs');
  }

  checkAcyclic(ids, deps);
  return { ids, deps };
}
