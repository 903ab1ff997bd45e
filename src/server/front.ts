import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { authErrors } from '../auth/errors.js';
import {
  checkCredentialScope,
  checkFreshness,
  headerValue,
  readSignature,
  verifySignature,
  type IncomingRequest,
  type SignatureInfo,
} from '../auth/sigv4.js';
import type { Principal } from '../auth/credentials.js';
import { authorize } from '../auth/policy/authorize.js';
import type { Cloud } from '../cloud.js';
import { isAwsError, type AwsError } from '../protocol/errors.js';
import { wireErrors } from '../protocol/wire-errors.js';
import { parseJsonInput, serializeJson } from '../protocol/json.js';
import { loadModel, type ServiceModel } from '../protocol/model.js';
import { parseQueryInput } from '../protocol/query-parse.js';
import { matchRestOperation, parseRestJsonInput, restJsonErrorBody, serializeRestJson } from '../protocol/rest-json.js';
import { validateInput } from '../protocol/validate.js';
import { ec2ErrorXml, queryErrorXml, serializeXml } from '../protocol/xml.js';
import type { RequestContext, ServiceDefinition } from '../services/types.js';
import { findRegion } from '../topology/regions.js';

type Wire = 'ec2' | 'query' | 'json' | 'rest-json';

interface Route {
  def?: ServiceDefinition;
  model?: ServiceModel;
  wire: Wire;
  action?: string;
  params?: Map<string, string>;
  /** JSON wires: the body, decompressed. */
  body?: Buffer;
  /** REST-JSON: the URI template's labels. */
  labels?: Record<string, string>;
}

const gunzipAsync = promisify(gunzip);
/** The largest body the front reads, as sent or once decompressed. */
const BODY_LIMIT = 16 * 1024 * 1024;

/** The AWS-compatible API front: SigV4 check → protocol parse (from the service model) → operation → serialize. */
export function createFront(cloud: Cloud): FastifyInstance {
  // An idle keep-alive connection stays open for 10 minutes (Fastify closes it after 72 s): a client whose event
  // loop was busy when the server closed its pooled socket reuses it and fails with EPIPE or "socket hang up" (seen
  // with SDK v3 clients between long CLI sequences). Idle connections are closed at once when the daemon stops.
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, keepAliveTimeout: 600_000 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

  const byTarget = new Map<string, ServiceDefinition>();
  for (const def of cloud.services.values()) if (def.jsonTargetPrefix) byTarget.set(def.jsonTargetPrefix, def);

  // Fastify refuses a body over the limit before the route runs: answered as AWS would, in the caller's protocol.
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    if (err.statusCode !== 413) throw err;
    const incoming: IncomingRequest = {
      method: request.method,
      url: request.raw.url ?? '/',
      rawHeaders: request.raw.rawHeaders,
      body: Buffer.alloc(0),
    };
    const query = new URLSearchParams(incoming.url.split('?')[1] ?? '');
    let route: Route = { wire: 'query' };
    try {
      route = serviceOf(cloud, byTarget, incoming, query, readSignature(incoming, query));
    } catch {
      // A malformed signature: the error keeps the query protocol's format.
    }
    return sendError(reply, route, wireErrors.bodyTooLarge(BODY_LIMIT), randomUUID());
  });

  app.get('/_halo/health', async () => ({ status: 'ok', accountId: cloud.accountId, services: [...cloud.services.keys()] }));
  // The cloud's AWS time now (its clock, scaled): what a client measuring availability compares its probes against.
  app.get('/_halo/clock', async () => ({ now: cloud.clock.now(), timeScale: cloud.clock.scale, profile: cloud.profile.name }));

  for (const def of cloud.services.values()) {
    for (const route of def.httpRoutes ?? []) {
      app.route({
        method: route.method,
        url: `${route.prefix}*`,
        handler: async (request, reply) => {
          const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          const answer = await route.handle({ url: request.raw.url ?? '/', body });
          return reply
            .code(answer.status)
            .type(answer.contentType ?? 'text/plain')
            .send(answer.body);
        },
      });
    }
  }

  app.all('/*', async (request, reply) => {
    const requestId = randomUUID();
    const incoming: IncomingRequest = {
      method: request.method,
      url: request.raw.url ?? '/',
      rawHeaders: request.raw.rawHeaders,
      body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
    };
    const query = new URLSearchParams(incoming.url.split('?')[1] ?? '');
    let route: Route = { wire: 'query' };
    try {
      // Authentication reads the headers, the query and the body's bytes as sent: never the body decompressed.
      const sig = readSignature(incoming, query);
      route = serviceOf(cloud, byTarget, incoming, query, sig);
      if (!sig) throw authErrors.missingAuthenticationToken();
      // A query request scoped to a service not served here is answered as the service its API version names.
      if (!route.def && route.wire !== 'json') route = routeTo(serviceOfVersion(cloud, plainParams(incoming, query).get('Version')));
      checkCredentialScope(sig, { regionExists: findRegion(sig.region) !== undefined, service: route.def?.signingName });
      const principal = authenticate(cloud, incoming, query, sig, route.wire);
      route = operationOf(route, await decodedBody(incoming), query, incoming);
      const { def, model } = route;
      if (!def || !model) throw wireErrors.serviceNotProvided(sig.service);
      const region = def.global ? sig.region : checkRegion(sig.region);
      const action = route.action;
      if (!action) throw wireErrors.missingAction();
      const op = model.operations[action];
      if (!op) {
        if (route.wire === 'json') throw wireErrors.unknownJsonOperation(action);
        throw wireErrors.invalidAction(action);
      }
      const handler = def.operations[action];
      if (!handler) throw wireErrors.notImplemented(model.metadata.serviceId, action);
      const input =
        route.wire === 'json'
          ? parseJsonInput(model, op.input, route.body ?? Buffer.alloc(0))
          : route.wire === 'rest-json'
            ? parseRestJsonInput(model, op, {
                labels: route.labels ?? {},
                query,
                rawHeaders: incoming.rawHeaders,
                body: route.body ?? Buffer.alloc(0),
              })
            : parseQueryInput(model, op.input, route.params ?? new Map<string, string>(), route.wire);
      validateInput(model, action, input, route.wire, def.ownChecks);
      const ctx: RequestContext = {
        requestId,
        region,
        accountId: principal.accountId,
        principal,
        service: def.signingName,
        operation: action,
        cloud,
      };
      if (principal.type !== 'admin') authorize(ctx, input);
      // The input was parsed and validated against this operation's model: the handler's generated input type.
      const output = await handler(input as never, ctx);
      reply.header('x-amzn-RequestId', requestId);
      if (route.wire === 'json') {
        return reply.type(jsonContentType(model)).send(serializeJson(model, op.output, output));
      }
      if (route.wire === 'rest-json') {
        const out = serializeRestJson(model, op, output);
        return reply.code(out.status).headers(out.headers).type('application/json').send(out.body);
      }
      return reply.type('text/xml').send(serializeXml(model, op, output, requestId, route.wire));
    } catch (err) {
      return sendError(reply, route, err, requestId);
    }
  });
  return app;
}

const routeTo = (def: ServiceDefinition | undefined, wire?: Wire): Route => {
  const model = def && loadModel(def.modelId);
  const protocol = model?.metadata.protocol;
  return { def, model, wire: wire ?? (protocol === 'ec2' ? 'ec2' : protocol === 'rest-json' ? 'rest-json' : 'query') };
};

/**
 * The service a request calls and how it speaks, from its headers and credential scope alone, so errors before
 * authentication already have the service's format. An unsigned request is answered in the format of the API
 * version it names, when that can be read without decompressing anything.
 */
function serviceOf(
  cloud: Cloud,
  byTarget: Map<string, ServiceDefinition>,
  req: IncomingRequest,
  query: URLSearchParams,
  sig: SignatureInfo | undefined,
): Route {
  const target = headerValue(req.rawHeaders, 'x-amz-target');
  if (target) {
    const dot = target.lastIndexOf('.');
    return { ...routeTo(byTarget.get(target.slice(0, dot)), 'json'), action: target.slice(dot + 1) };
  }
  if (sig) return routeTo(cloud.services.get(sig.service));
  return routeTo(serviceOfVersion(cloud, plainParams(req, query).get('Version')));
}

function serviceOfVersion(cloud: Cloud, version: string | undefined): ServiceDefinition | undefined {
  if (!version) return undefined;
  return [...cloud.services.values()].find((d) => loadModel(d.modelId).metadata.apiVersion === version);
}

/** Query and form parameters readable without decompressing the body (for routing before authentication). */
function plainParams(req: IncomingRequest, query: URLSearchParams): Map<string, string> {
  return formParams(query, isCompressed(req) ? Buffer.alloc(0) : req.body, req);
}

function formParams(query: URLSearchParams, body: Buffer, req: IncomingRequest): Map<string, string> {
  const params = new Map<string, string>();
  for (const [k, v] of query) if (!k.startsWith('X-Amz-')) params.set(k, v);
  const contentType = headerValue(req.rawHeaders, 'content-type') ?? '';
  if (body.length && contentType.includes('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
  }
  return params;
}

/** The operation and its input, from the body as decoded after authentication. */
function operationOf(route: Route, body: Buffer, query: URLSearchParams, req: IncomingRequest): Route {
  if (route.wire === 'json') return { ...route, body };
  if (route.wire === 'rest-json' && route.model) {
    const path = req.url.split('?')[0];
    const match = matchRestOperation(route.model, req.method, path);
    if (!match) throw wireErrors.unknownRestOperation(req.method, path);
    return { ...route, action: match.action, labels: match.labels, body };
  }
  const params = formParams(query, body, req);
  return { ...route, action: params.get('Action'), params };
}

const isCompressed = (req: IncomingRequest) =>
  req.body.length > 0 && /\bgzip\b/i.test(headerValue(req.rawHeaders, 'content-encoding') ?? '');

/**
 * AWS SDKs gzip large bodies of operations that allow it (CloudWatch PutMetricData) and say so in Content-Encoding.
 * Inflated only once the signature over the compressed bytes is verified, and never beyond BODY_LIMIT: a bomb stops
 * at the limit, in milliseconds, with at most the limit in memory.
 */
async function decodedBody(req: IncomingRequest): Promise<Buffer> {
  if (!isCompressed(req)) return req.body;
  try {
    return await gunzipAsync(req.body, { maxOutputLength: BODY_LIMIT });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw wireErrors.bodyTooLarge(BODY_LIMIT);
    throw wireErrors.badGzip();
  }
}

function authenticate(cloud: Cloud, req: IncomingRequest, query: URLSearchParams, sig: SignatureInfo, wire: Wire): Principal {
  const key = cloud.credentials.find(sig.accessKeyId);
  if (!key) throw wire === 'ec2' ? authErrors.authFailure() : authErrors.invalidClientTokenId();
  if (key.sessionToken !== undefined && key.sessionToken !== sig.sessionToken) throw authErrors.invalidClientTokenId();
  verifySignature(req, sig, query, key.secretAccessKey);
  checkFreshness(sig, Date.now());
  if (key.expiration !== undefined && key.expiration < cloud.clock.now()) throw authErrors.expiredToken();
  return key.principal;
}

function checkRegion(name: string): string {
  const region = findRegion(name);
  if (!region || region.optIn === 'not-opted-in') {
    throw wireErrors.regionNotServed(name);
  }
  return name;
}

/** JSON answers carry the model's JSON version (1.0 for CloudWatch, 1.1 for SSM and Secrets Manager). */
const jsonContentType = (model: ServiceModel | undefined) => `application/x-amz-json-${model?.metadata.jsonVersion ?? '1.0'}`;

function sendError(reply: FastifyReply, route: Route, err: unknown, requestId: string): FastifyReply {
  let error: AwsError;
  if (isAwsError(err)) error = err;
  else {
    console.error(`[halo] request ${requestId} failed:`, err);
    error = wireErrors.internalFailure(requestId);
  }
  reply.code(error.status).header('x-amzn-RequestId', requestId);
  if (route.wire === 'json') {
    return reply
      .type(jsonContentType(route.model))
      .header('x-amzn-query-error', `${error.code};${error.sender ? 'Sender' : 'Receiver'}`)
      .send(JSON.stringify({ __type: error.code, message: error.message }));
  }
  if (route.wire === 'rest-json') {
    return reply.type('application/json').header('x-amzn-ErrorType', error.code).send(restJsonErrorBody(error.code, error.message));
  }
  if (route.wire === 'ec2') return reply.type('text/xml').send(ec2ErrorXml(error.code, error.message, requestId));
  const ns = route.model?.metadata.xmlNamespace ?? 'https://sts.amazonaws.com/doc/2011-06-15/';
  return reply.type('text/xml').send(queryErrorXml(ns, error.code, error.message, error.sender, requestId));
}
