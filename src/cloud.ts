import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Credentials, type Principal } from './auth/credentials.js';
import type { Clock } from './clock/clock.js';
import type { TimingProfile } from './clock/profiles.js';
import { conformInput } from './protocol/conform.js';
import { AwsError } from './protocol/errors.js';
import { loadModel } from './protocol/model.js';
import { validateInput } from './protocol/validate.js';
import type { Store } from './store/db.js';
import type { RequestContext, ServiceDefinition, ServiceFactory } from './services/types.js';

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
  private readonly shutdownHooks: Array<() => void | Promise<void>> = [];

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

  /** Calls an operation in-process, as `principal` (the admin by default). */
  async invoke<T = any>(service: string, operation: string, input: unknown, opts: { region: string; principal?: Principal }): Promise<T> {
    const def = this.services.get(service);
    const handler = def?.operations[operation];
    if (!handler || !def) throw new AwsError('InvalidAction', `${service}:${operation} is not available in this cloud.`);
    // The same checks as the API front, on the typed input: what a caller in-process sends is held to the model.
    const model = loadModel(def.modelId);
    const op = model.operations[operation];
    if (op) {
      input = conformInput(model, op.input, input ?? {});
      validateInput(model, operation, input, model.metadata.protocol === 'ec2' ? 'ec2' : model.metadata.protocol === 'json' ? 'json' : 'query', def.ownChecks);
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
    return (await handler(input ?? {}, ctx)) as T;
  }

  onShutdown(hook: () => void | Promise<void>): void {
    this.shutdownHooks.push(hook);
  }

  async shutdown(): Promise<void> {
    for (const hook of this.shutdownHooks.reverse()) await hook();
    this.store.close();
  }
}
