import { open } from 'node:fs/promises';
import type { Principal } from '../../../auth/credentials.js';
import { isAwsError } from '../../../protocol/errors.js';
import { cfnErrors } from '../errors.js';
import type { RequestContext } from '../../types.js';
import { findProvider } from '../providers/registry.js';
import { parseTemplateBody, type Template } from '../template/parse.js';
import { validateTemplate, type TemplateGraph } from '../template/validate.js';

const MAX_BODY = 51_200;
/** The largest template read from a TemplateURL. */
const MAX_URL_BODY = 1_000_000;
const FETCH_TIMEOUT_MS = 5000;

/**
 * The template of a request: TemplateBody, or TemplateURL. Only the cloud's admin (who can read the host anyway)
 * may name a file:// or http(s):// location; for anyone else the cloud reads nothing on their behalf (it serves
 * no S3 yet, the only locations AWS reads), and a URL's content is quoted in no error until it is a template.
 */
export async function readTemplate(
  input: { TemplateBody?: string; TemplateURL?: string },
  ctx: RequestContext,
): Promise<{ body: string; template: Template; graph: TemplateGraph }> {
  if (input.TemplateBody !== undefined && input.TemplateURL !== undefined)
    throw cfnErrors.validation('Specify exactly one of TemplateBody or TemplateUrl.');
  let body: string;
  if (input.TemplateBody !== undefined) {
    if (input.TemplateBody.length > MAX_BODY) {
      throw cfnErrors.validation(
        `1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${MAX_BODY}`,
      );
    }
    body = input.TemplateBody;
  } else if (input.TemplateURL !== undefined) {
    body = await fetchTemplate(input.TemplateURL, ctx.principal);
  } else {
    throw cfnErrors.validation('Either Template URL or Template Body must be specified.');
  }
  if (!body.trim()) throw cfnErrors.templateFormat('template is empty');
  const template = parseTemplateBody(body, { foreign: input.TemplateURL !== undefined });
  return { body, template, graph: validateTemplate(template) };
}

async function fetchTemplate(url: string, principal: Principal): Promise<string> {
  if (principal.type !== 'admin') throw cfnErrors.templateUrlUnsupported();
  let location: URL;
  try {
    location = new URL(url);
  } catch {
    throw cfnErrors.templateUrlUnsupported();
  }
  if (location.protocol === 'file:') return readTemplateFile(location);
  if (location.protocol === 'http:' || location.protocol === 'https:') return readTemplateHttp(location);
  throw cfnErrors.templateUrlUnsupported();
}

/** A regular file, read up to the size limit (a device such as /dev/zero never ends). */
async function readTemplateFile(location: URL): Promise<string> {
  let file;
  try {
    file = await open(location, 'r');
  } catch {
    throw cfnErrors.templateUrlUnreadable();
  }
  try {
    const stat = await file.stat().catch(() => undefined);
    if (!stat?.isFile()) throw cfnErrors.templateUrlUnreadable();
    if (stat.size > MAX_URL_BODY) throw cfnErrors.templateTooLarge(MAX_URL_BODY);
    const buffer = Buffer.alloc(MAX_URL_BODY + 1);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0).catch(() => {
      throw cfnErrors.templateUrlUnreadable();
    });
    if (bytesRead > MAX_URL_BODY) throw cfnErrors.templateTooLarge(MAX_URL_BODY);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await file.close().catch(() => undefined);
  }
}

/** An HTTP(S) resource, read up to the size limit within the timeout. */
async function readTemplateHttp(location: URL): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    const res = await fetch(location, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok || !res.body) throw cfnErrors.templateUrlUnreadable();
    for await (const chunk of res.body) {
      size += chunk.length;
      if (size > MAX_URL_BODY) throw cfnErrors.templateTooLarge(MAX_URL_BODY);
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    throw isAwsError(err) ? err : cfnErrors.templateUrlUnreadable();
  }
  return Buffer.concat(chunks).toString('utf8');
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
    throw cfnErrors.insufficientCapabilities('CAPABILITY_NAMED_IAM');
  }
  if (needed.has('CAPABILITY_IAM') && !have.has('CAPABILITY_IAM') && !have.has('CAPABILITY_NAMED_IAM')) {
    throw cfnErrors.insufficientCapabilities('CAPABILITY_IAM');
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
