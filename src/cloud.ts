import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Credentials, type Principal } from './auth/credentials.js';
import { authorize } from './auth/policy/authorize.js';
import type { Clock } from './clock/clock.js';
import type { TimingProfile } from './clock/profiles.js';
import { conformInput } from './protocol/conform.js';
import { AwsError } from './protocol/errors.js';
import { loadModel } from './protocol/model.js';
import { validateInput, type Wire } from './protocol/validate.js';
import type { Store } from './store/db.js';
import { LiveState } from './store/live.js';
import type { OperationInput, OperationOutput, ServiceOperations } from './services/generated-operations.js';
import type { RequestContext, ServiceDefinition, ServiceFactory } from './services/types.js';

interface InvokeOptions {
  region: string;
  principal?: Principal;
}

export interface CloudConfig {
  home: string;
  hostsPerZone: number;
}

/**
 * The local cloud in one process: its state, clock, timing profile, credentials and services. Services reach
 * each other through `invoke`, the same operations the API front calls.
 */
export class Cloud {
  readonly credentials: Credentials;
  readonly services = new Map<string, ServiceDefinition>();
  /**
   * In-process notifications between services and the runtime, named `<service>.<event>` (for example
   * `ec2.addressAssociated`), so a state change made by one part is acted on by another without a cycle of imports.
   */
  readonly events = new EventEmitter();
  /** Its live objects (queues, probes, the runtime...): what is not persisted, one typed slot each (store/live.ts). */
  readonly live: LiveState = new LiveState(this);
  private readonly shutdownHooks: Array<() => void | Promise<void>> = [];
  private servingPort?: number;
  private readonly servingWaiters: Array<(port: number) => void | Promise<void>> = [];

  constructor(
    readonly store: Store,
    readonly clock: Clock,
    readonly profile: TimingProfile,
    readonly config: CloudConfig,
  ) {
    this.credentials = new Credentials(store);
  }

  register(factory: ServiceFactory): void {
    const def = factory(this);
    this.services.set(def.signingName, def);
  }

  get accountId(): string {
    return this.credentials.accountId();
  }

  adminPrincipal(): Principal {
    return this.credentials.admin().principal;
  }

  /**
   * Calls an operation in-process, as `principal` (the admin by default). Called with a service's signing name and
   * one of its operations, it is typed by the model (src/services/generated-operations.ts); given a result type `T`,
   * it trusts it.
   */
  invoke<S extends keyof ServiceOperations, O extends keyof ServiceOperations[S]>(
    service: S,
    operation: O,
    input: OperationInput<S, O>,
    opts: InvokeOptions,
  ): Promise<OperationOutput<S, O>>;
  invoke<T = any>(service: string, operation: string, input: unknown, opts: InvokeOptions): Promise<T>;
  async invoke(service: string, operation: string, input: unknown, opts: InvokeOptions): Promise<unknown> {
    const def = this.services.get(service);
    const handler = def?.operations[operation];
    if (!handler || !def) throw new AwsError('InvalidAction', `${service}:${operation} is not available in this cloud.`);
    // The same checks as the API front, on the typed input: what a caller in-process sends is held to the model.
    const model = loadModel(def.modelId);
    const op = model.operations[operation];
    if (op) {
      input = conformInput(model, op.input, input ?? {});
      validateInput(model, operation, input, wireOf(model.metadata.protocol), def.ownChecks);
    }
    const ctx: RequestContext = {
      requestId: randomUUID(),
      region: opts.region,
      accountId: this.accountId,
      principal: opts.principal ?? this.adminPrincipal(),
      service,
      operation,
      cloud: this,
    };
    // A caller acting for a principal other than the admin is authorized as the front authorizes it.
    if (ctx.principal.type !== 'admin') authorize(ctx, (input ?? {}) as Record<string, unknown>);
    // Conformed and validated against the operation's model above (every served operation has one): its generated input type.
    return await handler((input ?? {}) as never, ctx);
  }

  /**
   * Told by the daemon once its API front listens on `port`. Parts that only run inside a daemon (the runtime's
   * host side, reconciliation, status checks) start then; a cloud in a process that is no daemon (unit tests) is
   * never told. Resolves once every part has started what clients rely on (the control socket): the daemon
   * announces itself (daemon.json) only then.
   */
  async serving(port: number): Promise<void> {
    if (this.servingPort !== undefined) return;
    this.servingPort = port;
    await Promise.all(this.servingWaiters.splice(0).map(async (waiter) => waiter(port)));
  }

  /** The API port, once the daemon serves this cloud. */
  get apiPort(): number | undefined {
    return this.servingPort;
  }

  /** Runs `fn` once the daemon serves this cloud (at once if it already does); the daemon waits for its promise. */
  whenServing(fn: (port: number) => void | Promise<void>): void {
    if (this.servingPort !== undefined) void fn(this.servingPort);
    else this.servingWaiters.push(fn);
  }

  onShutdown(hook: () => void | Promise<void>): void {
    this.shutdownHooks.push(hook);
  }

  async shutdown(): Promise<void> {
    for (const hook of this.shutdownHooks.reverse()) await hook();
    await this.live.dispose();
    this.store.close();
  }
}

/** The wire a model's protocol is spoken on, which decides the form of validation errors. */
function wireOf(protocol: string): Wire {
  if (protocol === 'ec2' || protocol === 'json' || protocol === 'rest-json') return protocol;
  return 'query';
}
