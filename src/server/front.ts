import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance, type FastifyReply} from 'fastify';
import { checkFreshness, headerValue, readSignature, signatureMatches, type IncomingRequest, type SignatureInfo } from '../auth/sigv4.js';
import type { Principal } from '../auth/credentials.js';
import { authorize } from '../auth/policy/authorize.js';
import type { Cloud } from '../cloud.js';
import { AwsError } from '../protocol/errors.js';
import { parseJsonInput, serializeJson } from '../protocol/json.js';
import { loadModel, type ServiceModel } from '../protocol/model.js';
import { parseQueryInput } from '../protocol/query-parse.js';
import { validateInput } from '../protocol/validate.js';
import { ec2ErrorXml, queryErrorXml, serializeXml } from '../protocol/xml.js';
import type { RequestContext, ServiceDefinition } from '../services/types.js';
import { findRegion } from '../topology/regions.js';

type Wire = 'ec2' | 'query' | 'json';

interface Route {
  def?: ServiceDefinition;
  model?: ServiceModel;
  wire: Wire;
  action?: string;
  params?: Map<string, string>;
}

/** The AWS-compatible API front: SigV4 check → protocol parse (from the service model) → operation → serialize. */
export function createFront(cloud: Cloud): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const byTarget = new Map<string, ServiceDefinition>();
  for (const def of cloud.services.values()) if (def.jsonTargetPrefix) byTarget.set(def.jsonTargetPrefix, def);

  app.get('/_halo/health', async () => ({ status: 'ok', accountId: cloud.accountId, services: [...cloud.services.keys()] }));

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
      const sig = readSignature(incoming, query);
      // The signature covers the bytes as sent; the operation reads them decompressed.
      const payload: IncomingRequest = { ...incoming, body: decodedBody(incoming) };
      route = routeOf(cloud, byTarget, payload, query, sig);
      if (!sig) throw new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
      const principal = authenticate(cloud, incoming, query, sig, route.wire);
      const { def, model } = route;
      if (!def || !model) throw new AwsError('InvalidAction', `This cloud does not provide the service '${sig.service}'.`, 400);
      const region = def.global ? sig.region : checkRegion(sig.region);
      const action = route.action;
      if (!action) throw new AwsError('MissingAction', 'The request must contain the parameter Action.', 400);
      const op = model.operations[action];
      if (!op) {
        if (route.wire === 'json') throw new AwsError('UnknownOperationException', `Unknown operation ${action}.`, 400);
        throw new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`, 400);
      }
      const handler = def.operations[action];
      if (!handler) throw new AwsError('NotImplemented', `${model.metadata.serviceId} ${action} is not implemented by halo yet.`, 501);
      const input = route.wire === 'json'
        ? parseJsonInput(model, op.input, payload.body)
        : parseQueryInput(model, op.input, route.params ?? new Map(), route.wire);
      validateInput(model, action, input, route.wire, def.ownChecks);
      const ctx: RequestContext = { requestId, region, accountId: principal.accountId, principal, service: def.signingName, operation: action, cloud };
      if (principal.type !== 'admin') authorize(ctx, input);
      const output = await handler(input, ctx);
      reply.header('x-amzn-RequestId', requestId);
      if (route.wire === 'json') {
        return reply.type('application/x-amz-json-1.0').send(serializeJson(model, op.output, output));
      }
      return reply.type('text/xml').send(serializeXml(model, op, output, requestId, route.wire));
    } catch (err) {
      return sendError(reply, route, err, requestId);
    }
  });
  return app;
}

function routeOf(cloud: Cloud, byTarget: Map<string, ServiceDefinition>, req: IncomingRequest, query: URLSearchParams, sig: SignatureInfo | undefined): Route {
  const target = headerValue(req.rawHeaders, 'x-amz-target');
  if (target) {
    const dot = target.lastIndexOf('.');
    const def = byTarget.get(target.slice(0, dot));
    return { def, model: def && loadModel(def.modelId), wire: 'json', action: target.slice(dot + 1) };
  }
  const params = new Map<string, string>();
  for (const [k, v] of query) if (!k.startsWith('X-Amz-')) params.set(k, v);
  const contentType = headerValue(req.rawHeaders, 'content-type') ?? '';
  if (req.body.length && contentType.includes('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) params.set(k, v);
  }
  let def = sig ? cloud.services.get(sig.service) : undefined;
  if (!def && !sig) def = [...cloud.services.values()].find((d) => loadModel(d.modelId).metadata.apiVersion === params.get('Version'));
  const model = def && loadModel(def.modelId);
  const wire: Wire = model?.metadata.protocol === 'ec2' ? 'ec2' : 'query';
  return { def, model, wire, action: params.get('Action'), params };
}

/** AWS SDKs gzip large bodies of operations that allow it (CloudWatch PutMetricData) and say so in Content-Encoding. */
function decodedBody(req: IncomingRequest): Buffer {
  if (!req.body.length || !/\bgzip\b/i.test(headerValue(req.rawHeaders, 'content-encoding') ?? '')) return req.body;
  try {
    return gunzipSync(req.body);
  } catch {
    throw new AwsError('SerializationException', 'The request body says Content-Encoding: gzip but is not valid gzip data.');
  }
}

function authenticate(cloud: Cloud, req: IncomingRequest, query: URLSearchParams, sig: SignatureInfo, wire: Wire): Principal {
  const key = cloud.credentials.find(sig.accessKeyId);
  if (!key) {
    if (wire === 'ec2') throw new AwsError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
    throw new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
  }
  if (key.sessionToken !== undefined && key.sessionToken !== sig.sessionToken) {
    throw new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
  }
  if (!signatureMatches(req, sig, query, key.secretAccessKey)) {
    throw new AwsError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      403,
    );
  }
  checkFreshness(sig, Date.now());
  if (key.expiration !== undefined && key.expiration < cloud.clock.now()) {
    throw new AwsError('ExpiredToken', 'The security token included in the request is expired', 403);
  }
  return key.principal;
}

function checkRegion(name: string): string {
  const region = findRegion(name);
  if (!region || region.optIn === 'not-opted-in') {
    throw new AwsError('OptInRequired', `You are not subscribed to this service in region '${name}'. This cloud serves: the regions DescribeRegions lists.`, 403);
  }
  return name;
}

function sendError(reply: FastifyReply, route: Route, err: unknown, requestId: string): FastifyReply {
  let error: AwsError;
  if (err instanceof AwsError) error = err;
  else {
    console.error(`[halo] request ${requestId} failed:`, err);
    error = new AwsError('InternalFailure', `The request processing has failed because of an internal error (request id ${requestId}).`, 500, false);
  }
  reply.code(error.status).header('x-amzn-RequestId', requestId);
  if (route.wire === 'json') {
    return reply
      .type('application/x-amz-json-1.0')
      .header('x-amzn-query-error', `${error.code};${error.sender ? 'Sender' : 'Receiver'}`)
      .send(JSON.stringify({ __type: error.code, message: error.message }));
  }
  if (route.wire === 'ec2') return reply.type('text/xml').send(ec2ErrorXml(error.code, error.message, requestId));
  const ns = route.model?.metadata.xmlNamespace ?? 'https://sts.amazonaws.com/doc/2011-06-15/';
  return reply.type('text/xml').send(queryErrorXml(ns, error.code, error.message, error.sender, requestId));
}

