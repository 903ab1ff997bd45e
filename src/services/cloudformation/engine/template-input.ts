import { readFile } from 'node:fs/promises';
import { AwsError } from '../../../protocol/errors.js';
import { findProvider } from '../providers/registry.js';
import { parseTemplateBody, type Template } from '../template/parse.js';
import { validateTemplate, type TemplateGraph } from '../template/validate.js';

const MAX_BODY = 51_200;
const MAX_URL_BODY = 1_000_000;

const invalid = (m: string) => new AwsError('ValidationError', m);

/** The template of a request: TemplateBody, or TemplateURL when the cloud can read it (file:// or http(s)). */
export async function readTemplate(input: { TemplateBody?: string; TemplateURL?: string }): Promise<{ body: string; template: Template; graph: TemplateGraph }> {
  if (input.TemplateBody !== undefined && input.TemplateURL !== undefined) throw invalid('Specify exactly one of TemplateBody or TemplateUrl.');
  let body: string;
  if (input.TemplateBody !== undefined) {
    if (input.TemplateBody.length > MAX_BODY) {
      throw invalid(`1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${MAX_BODY}`);
    }
    body = input.TemplateBody;
  } else if (input.TemplateURL !== undefined) {
    body = await fetchTemplate(input.TemplateURL);
  } else {
    throw invalid('Either Template URL or Template Body must be specified.');
  }
  if (!body.trim()) throw invalid('Template format error: template is empty');
  const template = parseTemplateBody(body);
  return { body, template, graph: validateTemplate(template) };
}

async function fetchTemplate(url: string): Promise<string> {
  try {
    if (url.startsWith('file://')) return await readFile(new URL(url), 'utf8');
    if (!/^https?:\/\//.test(url)) throw new Error('only file://, http:// and https:// URLs can be read');
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const text = await res.text();
    if (text.length > MAX_URL_BODY) throw new Error('the template is larger than 1 MB');
    return text;
  } catch (err) {
    throw invalid(`TemplateURL must be a location the cloud can read: ${url} could not be read (${(err as Error).message}).`);
  }
}

/** InsufficientCapabilitiesException when the template's IAM resources need a capability the caller did not give. */
export function checkCapabilities(template: Template, given: string[] | undefined): void {
  const needed = new Set<string>();
  for (const r of Object.values(template.Resources)) {
    const cap = findProvider(r.Type)?.capability?.(r.Properties ?? {});
    if (cap) needed.add(cap);
  }
  const have = new Set(given ?? []);
  if (needed.has('CAPABILITY_NAMED_IAM') && !have.has('CAPABILITY_NAMED_IAM')) {
    throw new AwsError('InsufficientCapabilitiesException', 'Requires capabilities : [CAPABILITY_NAMED_IAM]');
  }
  if (needed.has('CAPABILITY_IAM') && !have.has('CAPABILITY_IAM') && !have.has('CAPABILITY_NAMED_IAM')) {
    throw new AwsError('InsufficientCapabilitiesException', 'Requires capabilities : [CAPABILITY_IAM]');
  }
}

/** Capabilities ValidateTemplate reports. */
export function requiredCapabilities(template: Template): { Capabilities?: string[]; CapabilitiesReason?: string } {
  const ids: string[] = [];
  let named = false;
  for (const [id, r] of Object.entries(template.Resources)) {
    const cap = findProvider(r.Type)?.capability?.(r.Properties ?? {});
    if (cap) ids.push(id);
    if (cap === 'CAPABILITY_NAMED_IAM') named = true;
  }
  if (!ids.length) return {};
  return {
    Capabilities: [named ? 'CAPABILITY_NAMED_IAM' : 'CAPABILITY_IAM'],
    CapabilitiesReason: `The following resource(s) require capabilities: [${[...new Set(ids.map((id) => template.Resources[id].Type))].join(', ')}]`,
  };
}
