import { randomBytes, randomUUID } from 'node:crypto';
import type { Cloud } from '../../../cloud.js';
import { AwsError, isAwsError } from '../../../protocol/errors.js';
import { findProvider, servedNamespace } from '../providers/registry.js';
import type { ProviderContext, ResourceProvider } from '../providers/types.js';
import { evaluate, type Scope } from '../template/intrinsics.js';
import type { Template } from '../template/parse.js';
import { validateTemplate, type TemplateGraph } from '../template/validate.js';
import { resolveDynamicRefs } from './dynamic-refs.js';
import { included, stackScope } from './scope.js';
import { clearSignals, creationSignals, waitForSignals, type AwaitingSignals } from './signals.js';
import { saveStack } from './stack-store.js';
import { appendEvents } from './event-store.js';
import { forgetStack, stackMemo } from './stack-memo.js';
import { liveStacks, type ResourceState, type StackEvent, type StackRecord } from './state.js';

/** A stack operation in progress: its record, template and helpers that record every step as a stack event. */
export class StackRun {
  scope: Scope;
  /** AWS time (ms) by which the operation must be done: from the stack's TimeoutInMinutes. */
  deadline?: number;

  constructor(
    readonly cloud: Cloud,
    readonly stack: StackRecord,
    public template: Template,
    private graph?: TemplateGraph,
  ) {
    this.scope = stackScope({ cloud, stack, template });
  }

  useTemplate(template: Template): void {
    this.template = template;
    this.graph = undefined;
    this.scope = stackScope({ cloud: this.cloud, stack: this.stack, template });
  }

  /** The template's dependencies (resource → resources it needs first), worked out once per template. */
  get deps(): Map<string, Set<string>> {
    this.graph ??= validateTemplate(this.template);
    return this.graph.deps;
  }

  private lastNow = { ms: NaN, text: '' };

  /** The cloud's time as AWS writes timestamps; the text is made once per millisecond (many events share one). */
  now(): string {
    const ms = this.cloud.clock.now();
    if (ms !== this.lastNow.ms) this.lastNow = { ms, text: new Date(ms).toISOString() };
    return this.lastNow.text;
  }

  private flushPending = false;
  private pendingEvents: StackEvent[] = [];

  /**
   * Writes the stack record and the events not yet written, in one transaction. `resourcesAsRead`: the caller knows
   * no resource changed since the record was read (the first status of an operation), so they are not compared.
   */
  save(resourcesAsRead = false): void {
    this.flushPending = false;
    const events = this.pendingEvents;
    this.pendingEvents = [];
    try {
      this.cloud.store.tx(() => {
        appendEvents({ cloud: this.cloud }, this.stack, events);
        saveStack({ cloud: this.cloud }, this.stack, resourcesAsRead);
      });
    } catch (err) {
      forgetStack(this.cloud, this.stack.StackId);
      throw err;
    }
    if (this.stack.StackStatus === 'DELETE_COMPLETE') forgetStack(this.cloud, this.stack.StackId);
  }

  /**
   * Saves once for all the resource changes of this turn of the event loop: resources changing in parallel would
   * otherwise each rewrite the whole stack record. Stack status changes save at once (with every pending event).
   */
  private saveSoon(): void {
    if (this.flushPending) return;
    this.flushPending = true;
    setImmediate(() => {
      if (this.flushPending) this.save();
    });
  }

  private addEvent(event: StackEvent): void {
    this.pendingEvents.push(event);
  }

  setStackStatus(status: string, reason?: string, resourcesAsRead = false): void {
    this.stack.StackStatus = status;
    this.stack.StackStatusReason = reason;
    this.addEvent({
      EventId: randomUUID(),
      StackId: this.stack.StackId,
      StackName: this.stack.StackName,
      LogicalResourceId: this.stack.StackName,
      PhysicalResourceId: this.stack.StackId,
      ResourceType: 'AWS::CloudFormation::Stack',
      Timestamp: this.now(),
      ResourceStatus: status,
      ResourceStatusReason: reason,
    });
    this.save(resourcesAsRead);
  }

  /** Sets a resource's status and records the event (with the physical id it then has). */
  setResourceStatus(r: ResourceState, status: string, reason?: string, physicalId = r.physicalId, detached = false): void {
    r.status = status;
    r.reason = reason;
    r.timestamp = this.now();
    // A detached state is an old physical resource being cleaned up after a replacement: not the stack's resource.
    if (!detached) this.stack.resources[r.logicalId] = r;
    this.addEvent({
      // The suffix only tells apart events of one resource and status in the same millisecond: no entropy needed.
      EventId: `${r.logicalId}-${status}-${r.timestamp}-${eventSuffix()}`,
      StackId: this.stack.StackId,
      StackName: this.stack.StackName,
      LogicalResourceId: r.logicalId,
      PhysicalResourceId: physicalId ?? '',
      ResourceType: r.type,
      Timestamp: r.timestamp,
      ResourceStatus: status,
      ResourceStatusReason: reason,
      ResourceProperties: this.propertiesText(r.props),
    });
    this.saveSoon();
  }

  /** The text of each properties object, made once for all the events of its resource (and of the next operation's). */
  private propertiesText(props: Record<string, unknown> | undefined): string | undefined {
    if (!props) return undefined;
    const texts = stackMemo(this.cloud, this.stack.StackId).propertiesText;
    let text = texts.get(props);
    if (text === undefined) {
      text = JSON.stringify(props);
      texts.set(props, text);
    }
    return text;
  }

  /** Logical ids of the template's resources whose Condition holds. */
  activeIds(): string[] {
    return Object.entries(this.template.Resources)
      .filter(([, r]) => included(this.scope, r.Condition))
      .map(([id]) => id);
  }

  /** A resource's properties with every function evaluated and dynamic references resolved. */
  async resolveProps(id: string): Promise<Record<string, unknown>> {
    const raw = this.template.Resources[id].Properties ?? {};
    const value = evaluate(raw, this.scope) as Record<string, unknown>;
    return (await resolveDynamicRefs(value, (s, op, input) => this.cloud.invoke(s, op, input, { region: this.stack.region }))) as Record<
      string,
      unknown
    >;
  }

  provider(type: string): ResourceProvider {
    const p = findProvider(type);
    if (p) return p;
    if (servedNamespace(type))
      throw new Error(`halo does not support resource type ${type} yet (each service's LIMITATIONS.md lists what it serves)`);
    throw new Error(`Unrecognized resource type: ${type} (halo has no provider for it)`);
  }

  providerContext(logicalId: string): ProviderContext {
    const { stack, cloud } = this;
    return {
      cloud,
      region: stack.region,
      accountId: stack.StackId.split(':')[4],
      stackName: stack.StackName,
      stackId: stack.StackId,
      logicalId,
      clock: cloud.clock,
      policies: {
        creation: this.template.Resources[logicalId]?.CreationPolicy,
        update: this.template.Resources[logicalId]?.UpdatePolicy,
      },
      awaitSignals: (awaiting) => {
        const r = stack.resources[logicalId];
        if (!r) throw new Error(`Resource ${logicalId} is not in the stack`);
        return this.awaitSignals(r, awaiting, r.status);
      },
      invoke: async (service, operation, input) => {
        try {
          return await cloud.invoke(service, operation, input, { region: stack.region });
        } catch (err) {
          // CloudFormation's reason text, keeping the service's code: providers match `err.code`, never the text.
          if (isAwsError(err)) {
            throw new AwsError(
              err.code,
              `Resource handler returned message: "${err.message}" (Service: ${service}, Operation: ${operation}, Status Code: ${err.status}, Error Code: ${err.code})`,
              err.status,
            );
          }
          throw err;
        }
      },
      physicalName: (max = 255) => {
        const suffix = randomBytes(9)
          .toString('base64')
          .replace(/[^A-Za-z0-9]/g, '')
          .toUpperCase()
          .slice(0, 12);
        const room = Math.max(1, max - suffix.length - 2);
        const head = `${stack.StackName}-${logicalId}`;
        return `${head.slice(0, room)}-${suffix}`;
      },
      stackTags: [
        { Key: 'aws:cloudformation:stack-name', Value: stack.StackName },
        { Key: 'aws:cloudformation:stack-id', Value: stack.StackId },
        { Key: 'aws:cloudformation:logical-id', Value: logicalId },
        ...stack.Tags,
      ],
    };
  }

  /** Creates one resource with its provider, as CREATE_* events (or UPDATE_* when it replaces one). Throws on failure. */
  async createResource(id: string, replacing?: ResourceState): Promise<void> {
    const def = this.template.Resources[id];
    const r: ResourceState = {
      logicalId: id,
      type: def.Type,
      status: 'CREATE_IN_PROGRESS',
      timestamp: this.now(),
      metadata: def.Metadata,
      deletionPolicy: def.DeletionPolicy,
      updateReplacePolicy: def.UpdateReplacePolicy,
    };
    const prefix = replacing ? 'UPDATE' : 'CREATE';
    // The signal time-out runs from the start of the resource's creation (AWS): signals may come during stabilize.
    const signals = SIGNALED_TYPES.has(def.Type) ? creationSignals(def.CreationPolicy, this.cloud.clock.now()) : undefined;
    try {
      r.props = await this.resolveProps(id);
      if (replacing)
        this.setResourceStatus(
          r,
          'UPDATE_IN_PROGRESS',
          'Requested update requires the creation of a new physical resource; hence creating one.',
          replacing.physicalId,
        );
      else this.setResourceStatus(r, 'CREATE_IN_PROGRESS');
      const provider = this.provider(def.Type);
      checkRequired(provider, id, r.props);
      const ctx = this.providerContext(id);
      const result = await this.guarded(provider.create(r.props, ctx), 'creation', (late) => {
        void provider.delete(late.physicalId, r.props ?? {}, ctx).catch(() => undefined);
      });
      r.physicalId = result.physicalId;
      r.ref = result.ref;
      r.attributes = result.attributes ?? {};
      if (signals) {
        clearSignals(this.cloud, this.stack.StackId, id);
        r.awaitingSignals = signals;
      }
      this.setResourceStatus(r, `${prefix}_IN_PROGRESS`, 'Resource creation Initiated');
      if (provider.stabilize) await this.guarded(provider.stabilize(r.physicalId, r.props, ctx), 'creation');
      if (signals) await this.guarded(this.awaitSignals(r, signals, `${prefix}_IN_PROGRESS`), 'creation');
      this.setResourceStatus(r, `${prefix}_COMPLETE`);
    } catch (err) {
      r.awaitingSignals = undefined;
      this.setResourceStatus(r, `${prefix}_FAILED`, reasonOf(err));
      throw err;
    }
  }

  /**
   * Waits for a resource's signals (SignalResource), recording each as an event with the resource's current
   * status ("Received SUCCESS signal with UniqueId i-..."), as CloudFormation does.
   */
  async awaitSignals(r: ResourceState, awaiting: AwaitingSignals, status: string): Promise<void> {
    if (r.awaitingSignals !== awaiting) {
      clearSignals(this.cloud, this.stack.StackId, r.logicalId);
      r.awaitingSignals = awaiting;
      this.save();
    }
    try {
      await waitForSignals(
        this.cloud,
        this.stack.StackId,
        r.logicalId,
        awaiting,
        (row) => {
          this.setResourceStatus(r, status, `Received ${row.status} signal with UniqueId ${row.uniqueId}`);
        },
        this.aborts.signal,
      );
    } finally {
      r.awaitingSignals = undefined;
      clearSignals(this.cloud, this.stack.StackId, r.logicalId);
    }
  }

  /** Starts the deadline clock for this operation when the stack has a TimeoutInMinutes. */
  startDeadline(): void {
    const minutes = this.stack.TimeoutInMinutes;
    this.deadline = minutes ? this.cloud.clock.now() + minutes * 60_000 : undefined;
  }

  private cancelled = false;
  /** Aborted with the operation: waits that hold timers (resource signals) end then. */
  private readonly aborts = new AbortController();
  private readonly cancelWaiters = new Set<() => void>();

  /** After a resource fails, the others still being created are cancelled (CREATE_FAILED "Resource creation cancelled"). */
  cancel(): void {
    this.cancelled = true;
    this.aborts.abort();
    for (const wake of this.cancelWaiters) wake();
  }

  /**
   * Runs provider work until it ends, the stack's timeout passes, or the operation is cancelled. The provider's work
   * itself is not stopped (AWS abandons it too); a resource it makes after a cancellation is deleted then.
   */
  async guarded<T>(work: Promise<T>, what: string, onLateResult?: (value: T) => void): Promise<T> {
    let timer: { cancel(): void } | undefined;
    let wake: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      if (this.deadline !== undefined) {
        timer = this.cloud.clock.after(Math.max(0, this.deadline - this.cloud.clock.now()), () =>
          reject(new Error(`Resource ${what} cancelled: the stack's TimeoutInMinutes (${this.stack.TimeoutInMinutes}) was exceeded`)),
        );
      }
      wake = () => reject(new Error(`Resource ${what} cancelled`));
      if (this.cancelled) wake();
      else this.cancelWaiters.add(wake);
    });
    let settled = false;
    try {
      const value = await Promise.race([stop, work]);
      settled = true;
      return value;
    } finally {
      timer?.cancel();
      if (wake) this.cancelWaiters.delete(wake);
      if (!settled && onLateResult) work.then(onLateResult, () => undefined);
    }
  }

  /** Deletes one resource (honouring its DeletionPolicy unless `policy` says otherwise), as DELETE_* events. */
  async deleteResource(r: ResourceState, policy = r.deletionPolicy, detached = false): Promise<void> {
    const set = (status: string, reason?: string) => this.setResourceStatus(r, status, reason, r.physicalId, detached);
    if (r.physicalId === undefined) {
      set('DELETE_COMPLETE');
      return;
    }
    if (policy === 'Retain') {
      set('DELETE_SKIPPED');
      return;
    }
    set('DELETE_IN_PROGRESS');
    try {
      const provider = findProvider(r.type);
      if (!provider) throw new Error(`halo has no provider for resource type ${r.type}`);
      await provider.delete(r.physicalId, r.props ?? {}, this.providerContext(r.logicalId));
      set('DELETE_COMPLETE');
    } catch (err) {
      set('DELETE_FAILED', reasonOf(err));
      throw err;
    }
  }

  /** Evaluates the Outputs section (after a successful create or update). */
  computeOutputs(): void {
    const outputs = [];
    for (const [key, out] of Object.entries(this.template.Outputs ?? {})) {
      if (!included(this.scope, out.Condition)) continue;
      const value = evaluate(out.Value, this.scope);
      outputs.push({
        OutputKey: key,
        OutputValue: Array.isArray(value) ? value.join(',') : typeof value === 'object' ? JSON.stringify(value) : String(value),
        Description: out.Description,
        ExportName: out.Export ? String(evaluate(out.Export.Name, this.scope)) : undefined,
      });
    }
    for (const o of outputs) {
      if (!o.ExportName) continue;
      const other = liveStacks({ cloud: this.cloud, region: this.stack.region }).find(
        (s) => s.StackId !== this.stack.StackId && s.outputs.some((x) => x.ExportName === o.ExportName),
      );
      if (other) throw new Error(`Export with name ${o.ExportName} is already exported by stack ${other.StackName}`);
    }
    this.stack.outputs = outputs;
  }
}

const eventSuffix = () =>
  Math.floor(Math.random() * 0x1000000)
    .toString(16)
    .padStart(6, '0');

/** The types whose CreationPolicy waits for resource signals (WaitCondition is not supported). */
const SIGNALED_TYPES = new Set(['AWS::EC2::Instance', 'AWS::AutoScaling::AutoScalingGroup', 'AWS::CloudFormation::WaitCondition']);

function checkRequired(provider: ResourceProvider, id: string, props: Record<string, unknown>): void {
  const missing = (provider.required ?? []).filter((p) => props[p] === undefined || props[p] === null);
  if (missing.length) {
    throw new Error(`Properties validation failed for resource ${id} with message: #: required key [${missing.join(', ')}] not found`);
  }
}

export function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
