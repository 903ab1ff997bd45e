import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ServiceModel } from './model.js';

/**
 * The constraints of a service's inputs (min, max, pattern, enum), read from the full botocore model of the
 * installed aws CLI: the aws-sdk v2 models the protocol layer parses with carry none of them. Debian's awscli
 * package (installed by scripts/setup.sh) ships these models; where a service's model is absent, validation falls
 * back to required members only. HALO_BOTOCORE_DATA points elsewhere (tests, other distributions).
 */
export interface CShape {
  type: string;
  members?: Record<string, { shape: string }>;
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  required?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  /** The pattern as a JS regex anchored at both ends; null when it cannot be translated faithfully (not checked). */
  regex?: RegExp | null;
}

export interface ConstraintModel {
  operations: Record<string, { input?: { shape: string } }>;
  shapes: Record<string, CShape>;
}

const DEFAULT_DATA = '/usr/lib/python3/dist-packages/awscli/botocore/data';
const loaded = new Map<string, ConstraintModel | null>();

/** The constraint model of `model`'s service and API version, loaded once per service (null when not installed). */
export function constraintsOf(model: ServiceModel): ConstraintModel | null {
  const key = `${model.metadata.endpointPrefix}/${model.metadata.apiVersion}`;
  if (loaded.has(key)) return loaded.get(key) ?? null;
  const found = load(model);
  loaded.set(key, found);
  return found;
}

function load(model: ServiceModel): ConstraintModel | null {
  const root = process.env.HALO_BOTOCORE_DATA ?? DEFAULT_DATA;
  const { serviceId, endpointPrefix, apiVersion } = model.metadata;
  const names = new Set([endpointPrefix, serviceId.toLowerCase().replace(/ /g, ''), serviceId.toLowerCase().replace(/ /g, '-')]);
  for (const name of names) {
    const file = path.join(root, name, apiVersion, 'service-2.json');
    if (!existsSync(file)) continue;
    try {
      const raw = JSON.parse(readFileSync(file, 'utf8')) as ConstraintModel;
      for (const shape of Object.values(raw.shapes)) if (shape.pattern !== undefined) shape.regex = javaPattern(shape.pattern);
      return raw;
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Botocore's patterns are Java regexes matched against the whole value. Most read the same in JS with the `u` flag;
 * possessive quantifiers become greedy ones (which accept at least as much). A pattern that still does not compile,
 * or uses a construct whose meaning differs (class intersection), is skipped: validation must never refuse input
 * AWS accepts.
 */
export function javaPattern(pattern: string): RegExp | null {
  if (pattern.includes('&&')) return null;
  let source = pattern;
  let flags = 'u';
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    flags += 'i';
  }
  try {
    return new RegExp(`^(?:${jsEscapes(source).replace(/(?<!\\)([*+?}])\+/g, '$1')})$`, flags);
  } catch {
    return null;
  }
}

/** Java lets any punctuation be escaped; JS's `u` mode only syntax characters, and `-` only inside a class. */
function jsEscapes(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\' && i + 1 < source.length) {
      const next = source[++i];
      const keep = /[A-Za-z0-9^$\\.*+?()[\]{}|/]/.test(next) || (next === '-' && inClass);
      out += keep ? c + next : next;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    out += c;
  }
  return out;
}
