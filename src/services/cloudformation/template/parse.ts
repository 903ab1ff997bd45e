import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { cfnErrors } from '../errors.js';

export type Template = {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Metadata?: Record<string, unknown>;
  Parameters?: Record<string, any>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Conditions?: Record<string, unknown>;
  Transform?: unknown;
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Export?: { Name: unknown }; Condition?: string }>;
};

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: unknown;
  CreationPolicy?: unknown;
  UpdatePolicy?: unknown;
}

/** Short-form YAML tags and the long form they stand for. */
const SHORT_TAGS: Record<string, string> = {
  '!Ref': 'Ref',
  '!Condition': 'Condition',
  '!Base64': 'Fn::Base64',
  '!Cidr': 'Fn::Cidr',
  '!FindInMap': 'Fn::FindInMap',
  '!GetAtt': 'Fn::GetAtt',
  '!GetAZs': 'Fn::GetAZs',
  '!ImportValue': 'Fn::ImportValue',
  '!Join': 'Fn::Join',
  '!Select': 'Fn::Select',
  '!Split': 'Fn::Split',
  '!Sub': 'Fn::Sub',
  '!Transform': 'Fn::Transform',
  '!And': 'Fn::And',
  '!Equals': 'Fn::Equals',
  '!If': 'Fn::If',
  '!Not': 'Fn::Not',
  '!Or': 'Fn::Or',
};

/** The top-level sections a template may have. */
export const TEMPLATE_SECTIONS = [
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs',
];

const unsupportedStructure = () => cfnErrors.templateFormat('unsupported structure.');

/**
 * Parses a template body: JSON when it starts with `{`, YAML (with short-form tags) otherwise. Errors of text that
 * is not well-formed give only a position, never the text. A `foreign` body (read from a TemplateURL) is quoted in
 * no error until it is shown to be a template: an object whose top-level keys are all template sections.
 */
export function parseTemplateBody(body: string, opts: { foreign?: boolean } = {}): Template {
  const text = body.replace(/^\uFEFF/, '');
  const value = text.trimStart().startsWith('{') ? checkShape(parseJson(text), opts.foreign) : parseYaml(text, opts.foreign);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw unsupportedStructure();
  return value as Template;
}

function checkShape<T>(value: T, foreign: boolean | undefined): T {
  if (!foreign) return value;
  const isTemplate =
    value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).every((k) => TEMPLATE_SECTIONS.includes(k));
  if (!isTemplate) throw unsupportedStructure();
  return value;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8 quotes the text around some errors: keep only the position, as CloudFormation does.
    const pos = /position (\d+)/.exec((err as Error).message);
    if (!pos) throw cfnErrors.templateFormat('JSON not well-formed.');
    const before = text.slice(0, Number(pos[1]));
    const line = before.split('\n').length;
    const column = Number(pos[1]) - before.lastIndexOf('\n');
    throw cfnErrors.templateFormat(`JSON not well-formed. (line ${line},  column ${column})`);
  }
}

function parseYaml(text: string, foreign: boolean | undefined): unknown {
  const doc = parseDocument(text, { uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    // The YAML library's messages may quote the text; CloudFormation's give the position only.
    const at = error.linePos?.[0];
    throw cfnErrors.templateFormat(`YAML not well-formed. (line ${at?.line ?? '?'}, column ${at?.col ?? '?'})`);
  }
  if (foreign) {
    const top = doc.contents;
    if (!isMap(top) || !top.items.every((pair) => isScalar(pair.key) && TEMPLATE_SECTIONS.includes(String(pair.key.value))))
      throw unsupportedStructure();
  }
  return toPlain(doc.contents);
}

function toPlain(node: Node | null): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) throw cfnErrors.templateFormat('YAML aliases are not supported by CloudFormation');
  let value: unknown;
  if (isMap(node)) {
    const obj: Record<string, unknown> = {};
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      obj[key] = toPlain(pair.value as Node | null);
    }
    value = obj;
  } else if (isSeq(node)) {
    value = node.items.map((item) => toPlain(item as Node | null));
  } else if (isScalar(node)) {
    value = node.value;
    if (value instanceof Date) value = node.source ?? value.toISOString();
  } else {
    value = null;
  }
  const tag = node.tag;
  if (tag && tag.startsWith('!') && !tag.startsWith('!!')) {
    const fn = SHORT_TAGS[tag];
    if (!fn) throw cfnErrors.templateFormat(`Unsupported YAML tag ${tag}`);
    // !GetAtt Resource.Attribute is the short form of ["Resource", "Attribute"].
    if (fn === 'Fn::GetAtt' && typeof value === 'string') {
      const dot = value.indexOf('.');
      value = dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)];
    }
    return { [fn]: value };
  }
  return value;
}
