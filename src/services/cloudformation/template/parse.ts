import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { AwsError } from '../../../protocol/errors.js';

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

export const formatError = (message: string) => new AwsError('ValidationError', `Template format error: ${message}`);

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

/** Parses a template body: JSON when it starts with `{`, YAML (with short-form tags) otherwise. */
export function parseTemplateBody(body: string): Template {
  const text = body.replace(/^\uFEFF/, '');
  const value = text.trimStart().startsWith('{') ? parseJson(text) : parseYaml(text);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw formatError('template must be a JSON or YAML object');
  return value as Template;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const pos = /position (\d+)/.exec((err as Error).message);
    if (!pos) throw formatError(`JSON not well-formed. (${(err as Error).message})`);
    const before = text.slice(0, Number(pos[1]));
    const line = before.split('\n').length;
    const column = Number(pos[1]) - before.lastIndexOf('\n');
    throw formatError(`JSON not well-formed. (line ${line},  column ${column})`);
  }
}

function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    throw formatError(`YAML not well-formed. (line ${at?.line ?? '?'}, column ${at?.col ?? '?'}): ${error.message.split('\n')[0]}`);
  }
  return toPlain(doc.contents as Node | null);
}

function toPlain(node: Node | null): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) throw formatError('YAML aliases are not supported by CloudFormation');
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
    if (value instanceof Date) value = (node.source as string | undefined) ?? value.toISOString();
  } else {
    value = null;
  }
  const tag = node.tag;
  if (tag && tag.startsWith('!') && !tag.startsWith('!!')) {
    const fn = SHORT_TAGS[tag];
    if (!fn) throw formatError(`Unsupported YAML tag ${tag}`);
    // !GetAtt Resource.Attribute is the short form of ["Resource", "Attribute"].
    if (fn === 'Fn::GetAtt' && typeof value === 'string') {
      const dot = value.indexOf('.');
      value = dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)];
    }
    return { [fn]: value };
  }
  return value;
}
