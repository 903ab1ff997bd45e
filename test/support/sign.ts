import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** Signs requests with the AWS SDK's own SigV4 signer, independent of halo's verifier. */
export function signer(service: string, region: string, accessKeyId: string, secretAccessKey: string, sessionToken?: string) {
  return new SignatureV4({ service, region, credentials: { accessKeyId, secretAccessKey, sessionToken }, sha256: Sha256 });
}

export interface RawRequest {
  method: string;
  endpoint: string;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
}

/** The signed request's parts, ready for fetch. */
export async function signRequest(
  req: RawRequest,
  creds: { service: string; region: string; accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  opts: { signingDate?: Date; presign?: boolean; expiresIn?: number } = {},
): Promise<{ url: string; method: string; headers: Record<string, string>; body?: string }> {
  const url = new URL(req.endpoint);
  const request = {
    method: req.method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: req.path ?? '/',
    query: req.query ?? {},
    headers: { host: url.host, ...(req.headers ?? {}) },
    body: req.body,
  };
  const s = signer(creds.service, creds.region, creds.accessKeyId, creds.secretAccessKey, creds.sessionToken);
  const signed = opts.presign
    ? await s.presign(request, { signingDate: opts.signingDate, expiresIn: opts.expiresIn })
    : await s.sign(request, { signingDate: opts.signingDate });
  const qs = new URLSearchParams(signed.query as Record<string, string>).toString();
  const headers = { ...(signed.headers as Record<string, string>) };
  delete headers.host;
  return { url: `${req.endpoint}${signed.path}${qs ? `?${qs}` : ''}`, method: signed.method, headers, body: req.body };
}
