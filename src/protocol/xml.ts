import { toDate } from './json.js';
import { resolve, type Operation, type ServiceModel, type Shape } from './model.js';
import type { Flavor } from './query-parse.js';

/** Serializes an operation's output as the `ec2` or `query` protocol's XML. */
export function serializeXml(model: ServiceModel, op: Operation, value: unknown, requestId: string, flavor: Flavor): string {
  const ns = model.metadata.xmlNamespace ?? '';
  const body: string[] = [];
  const output = op.output ? resolve(model, op.output) : undefined;
  if (flavor === 'ec2') {
    const xmlns = ns.endsWith('/') ? ns : `${ns}/`;
    body.push(`<?xml version="1.0" encoding="UTF-8"?>\n<${op.name}Response xmlns="${xmlns}"><requestId>${requestId}</requestId>`);
    if (output && value) writeMembers(model, output, value as Record<string, unknown>, body, flavor);
    body.push(`</${op.name}Response>`);
  } else {
    body.push(`<${op.name}Response xmlns="${ns}">`);
    if (output && op.resultWrapper) {
      body.push(`<${op.resultWrapper}>`);
      if (value) writeMembers(model, output, value as Record<string, unknown>, body, flavor);
      body.push(`</${op.resultWrapper}>`);
    }
    body.push(`<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${op.name}Response>`);
  }
  return body.join('');
}

function writeMembers(model: ServiceModel, shape: Shape, value: Record<string, unknown>, out: string[], flavor: Flavor): void {
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    const v = value[name];
    if (v === undefined || v === null) continue;
    writeValue(model, resolve(model, ref), ref.locationName ?? name, v, out, flavor);
  }
}

function writeValue(model: ServiceModel, shape: Shape, tag: string, value: unknown, out: string[], flavor: Flavor): void {
  switch (shape.type) {
    case 'structure':
      out.push(`<${tag}>`);
      writeMembers(model, shape, value as Record<string, unknown>, out, flavor);
      out.push(`</${tag}>`);
      return;
    case 'list': {
      const member = resolve(model, shape.member ?? { type: 'string' });
      const items = value as unknown[];
      if (shape.flattened) {
        const itemTag = shape.member?.locationName ?? tag;
        for (const item of items) writeValue(model, member, itemTag, item, out, flavor);
        return;
      }
      const itemTag = shape.member?.locationName ?? (flavor === 'ec2' ? 'item' : 'member');
      out.push(`<${tag}>`);
      for (const item of items) writeValue(model, member, itemTag, item, out, flavor);
      out.push(`</${tag}>`);
      return;
    }
    case 'map': {
      const keyTag = shape.key?.locationName ?? 'key';
      const valueTag = shape.value?.locationName ?? 'value';
      const valueShape = resolve(model, shape.value ?? { type: 'string' });
      if (!shape.flattened) out.push(`<${tag}>`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        out.push(shape.flattened ? `<${tag}>` : '<entry>', `<${keyTag}>${escapeXml(k)}</${keyTag}>`);
        writeValue(model, valueShape, valueTag, v, out, flavor);
        out.push(shape.flattened ? `</${tag}>` : '</entry>');
      }
      if (!shape.flattened) out.push(`</${tag}>`);
      return;
    }
    default:
      out.push(`<${tag}>${escapeXml(scalarText(shape, value))}</${tag}>`);
  }
}

function scalarText(shape: Shape, value: unknown): string {
  switch (shape.type) {
    case 'timestamp':
      return toDate(value).toISOString();
    case 'blob':
      return Buffer.isBuffer(value) ? value.toString('base64') : Buffer.from(String(value)).toString('base64');
    default:
      return String(value);
  }
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

export function ec2ErrorXml(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}

export function queryErrorXml(ns: string, code: string, message: string, sender: boolean, requestId: string): string {
  return `<ErrorResponse xmlns="${ns}"><Error><Type>${sender ? 'Sender' : 'Receiver'}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
