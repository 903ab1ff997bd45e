import type { RequestContext } from '../auth/request-context.js';
import type { PolicyDocument } from '../auth/policy/document.js';
import type { Cloud } from '../cloud.js';

/** What an operation knows of the request that called it (the authenticated request, as authorization sees it). */
export type { RequestContext };

/**
 * An operation of some service, as the operations table of a ServiceDefinition holds it: the model-shaped input in,
 * the model-shaped output out (or an AwsError thrown). Its input type is not known here (`never`: any handler fits);
 * each table states it with `satisfies OperationsTable<...>` from the generated types, and the two callers (the API
 * front and Cloud.invoke) hand it an input parsed or conformed, then validated, against that very operation's model.
 */
export type Handler = (input: never, ctx: RequestContext) => unknown;

/** One operation's types, as scripts/gen-types.mjs generates them from the model (src/services/<svc>/generated/types.ts). */
export interface OperationTypes {
  input: unknown;
  output: unknown;
}

/** An operation of a service, typed by the model: its input as the protocol layer gives it, what it may return. */
export type TypedHandler<T extends OperationTypes> = (input: T['input'], ctx: RequestContext) => T['output'] | Promise<T['output']>;

/**
 * A service's operations table typed by its generated operations (`satisfies OperationsTable<Ec2Operations>`): a
 * service serves a subset of its model's operations, each handler takes and returns what the model says.
 */
export type OperationsTable<Ops> = { [K in keyof Ops]?: Ops[K] extends OperationTypes ? TypedHandler<Ops[K]> : never };

export interface ServiceDefinition {
  /** SigV4 signing name, e.g. `ec2`, `monitoring`. */
  signingName: string;
  /** Model file id in the aws-sdk package, e.g. `ec2-2016-11-15`. */
  modelId: string;
  /** For services also spoken as JSON: the X-Amz-Target prefix, e.g. `GraniteServiceVersion20100801`. */
  jsonTargetPrefix?: string;
  /** IAM and STS answer in every region. */
  global?: boolean;
  operations: Record<string, Handler>;
  /**
   * Model shapes whose constraints this service checks itself because AWS answers them in the service's own words
   * (CloudWatch: more than 5 alarm actions is LimitExceeded, a bad period names the periods allowed, an unknown unit is
   * InvalidParameterValue), not with the protocol's generic validation error.
   */
  ownChecks?: string[];
  /**
   * The resources a request acts on, as ARNs, for policy evaluation (a request naming a resource by name is checked
   * against its full ARN, as AWS does). Without it, or when it answers undefined, authorization falls back to its
   * own mapping.
   */
  resourceArns?(ctx: RequestContext, input: Record<string, unknown>): string[] | undefined;
  /**
   * The resource-based policy of a resource (by its ARN) the request acts on, if it has one: authorization weighs it
   * with the caller's identity-based policies as AWS does within one account.
   */
  resourcePolicy?(ctx: RequestContext, resourceArn: string): PolicyDocument | undefined;
  /**
   * Plain HTTP routes beside the service's API, for URLs AWS hands out that carry their own authority instead of a
   * SigV4 signature (a CloudFormation wait condition handle's presigned URL): the front answers `method` requests
   * whose path starts with `prefix` with `handle`, before any SigV4 check.
   */
  httpRoutes?: HttpRoute[];
}

export interface HttpRoute {
  method: 'PUT' | 'POST' | 'GET';
  prefix: string;
  handle(request: { url: string; body: Buffer }): Promise<{ status: number; contentType?: string; body: string }>;
}

export type ServiceFactory = (cloud: Cloud) => ServiceDefinition;
