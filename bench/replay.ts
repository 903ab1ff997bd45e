import { findProvider } from '../src/services/cloudformation/providers/registry.js';
import type { ProviderContext, ResourceProvider } from '../src/services/cloudformation/providers/types.js';

/** One service operation a resource's provider ran, with what it sent and what it got back. */
export interface RecordedCall {
  service: string;
  operation: string;
  input: unknown;
  output: unknown;
}

/** The calls of one stack operation, by logical resource id, in the order each resource's provider made them. */
export type Recording = Map<string, RecordedCall[]>;

type Invoke = (service: string, operation: string, input: unknown) => Promise<unknown>;

/**
 * Records every operation the providers of `types` run through their context while `work` runs (the calls a
 * stack operation makes, by resource). Bench-only: it wraps the registered providers' methods and restores them.
 */
type UntypedInvoke = (service: string, operation: string, input: unknown) => Promise<unknown>;

export async function recordProviderCalls<T>(types: string[], work: () => Promise<T>): Promise<{ result: T; recording: Recording }> {
  const recording: Recording = new Map();
  const restore: Array<() => void> = [];
  const recorded = (ctx: ProviderContext): ProviderContext => ({
    ...ctx,
    invoke: (async (service: string, operation: string, input: unknown) => {
      const calls = recording.get(ctx.logicalId) ?? [];
      recording.set(ctx.logicalId, calls);
      // Kept as they are and copied once the work is done, so that recording costs the stack's run nearly nothing.
      const call: RecordedCall = { service, operation, input, output: undefined };
      calls.push(call);
      const output: unknown = await (ctx.invoke as UntypedInvoke)(service, operation, input);
      call.output = output;
      return output;
    }) as ProviderContext['invoke'],
  });
  for (const type of new Set(types)) {
    const provider = findProvider(type);
    if (!provider) continue;
    const original = { create: provider.create, stabilize: provider.stabilize, delete: provider.delete };
    const p = provider as ResourceProvider;
    p.create = (props, ctx) => original.create.call(provider, props, recorded(ctx));
    if (original.stabilize) {
      const stabilize = original.stabilize;
      p.stabilize = (id, props, ctx) => stabilize.call(provider, id, props, recorded(ctx));
    }
    p.delete = (id, props, ctx) => original.delete.call(provider, id, props, recorded(ctx));
    restore.push(() => Object.assign(p, original));
  }
  try {
    const result = await work();
    for (const calls of recording.values()) for (const call of calls) Object.assign(call, structuredClone(call));
    return { result, recording };
  } finally {
    for (const undo of restore) undo();
  }
}

/**
 * Makes recorded calls again, by hand, as a careful script would: each resource's calls one after another, a
 * resource as soon as every resource in `before` is done, all others at once. Identifiers the recorded run got back
 * (vpc-..., subnet-..., association ids) are replaced in later inputs by the ones this run got back; one Replayer
 * keeps that mapping from one replay to the next (the deletion uses the ids of the creation).
 */
export class Replayer {
  private readonly ids = new Map<string, string>();
  /** Every identifier the recorded runs got back: one of them in an input that cannot be mapped is an error. */
  private readonly produced = new Set<string>();

  constructor(private readonly invoke: Invoke) {}

  /** Learns the identifiers of a recording; call before timing its replay. */
  prepare(recording: Recording): void {
    for (const calls of recording.values()) for (const call of calls) collectIds(call.output, this.produced);
  }

  /** Replays the recording; returns the number of calls made. */
  async replay(recording: Recording, before: Map<string, Set<string>>): Promise<number> {
    let count = 0;
    const started = new Map<string, Promise<void>>();
    const run = (id: string): Promise<void> => {
      let p = started.get(id);
      if (!p) {
        p = (async () => {
          await Promise.all([...(before.get(id) ?? [])].filter((d) => recording.has(d)).map(run));
          for (const call of recording.get(id) ?? []) {
            const output = await this.invoke(call.service, call.operation, this.substitute(call.input));
            count++;
            learnIds(call.output, output, this.ids);
          }
        })();
        started.set(id, p);
      }
      return p;
    };
    await Promise.all([...recording.keys()].map(run));
    return count;
  }

  /** `value` with every identifier of the recorded run replaced by this run's. */
  private substitute(value: unknown): unknown {
    if (typeof value === 'string') {
      const mapped = this.ids.get(value);
      if (mapped === undefined && this.produced.has(value)) throw new Error(`replay: no identifier of this run stands for ${value}`);
      return mapped ?? value;
    }
    if (Array.isArray(value)) return value.map((v) => this.substitute(v));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.substitute(v)]));
    return value;
  }
}

function collectIds(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') {
    if (ID.test(value)) into.add(value);
  } else if (value && typeof value === 'object') for (const v of Object.values(value)) collectIds(v, into);
}

const ID = /^[a-z]+(-[a-z]+)*-[0-9a-f]{8,17}$/;

/**
 * Walks a recorded output and the replay's output of the same call side by side and maps each resource id of the
 * first to the one at the same place in the second. List elements are paired by the fields they already agree on
 * (a subnet's association found by its SubnetId), not by position: a Describe may list more or fewer items.
 */
function learnIds(recorded: unknown, fresh: unknown, ids: Map<string, string>): void {
  if (typeof recorded === 'string' && typeof fresh === 'string') {
    if (ID.test(recorded) && !ids.has(recorded)) ids.set(recorded, fresh);
    return;
  }
  if (Array.isArray(recorded) && Array.isArray(fresh)) {
    const free = new Set(fresh.keys());
    for (const [i, item] of recorded.entries()) {
      const j = pairOf(item, fresh, free, ids) ?? (recorded.length === fresh.length && free.has(i) ? i : undefined);
      if (j === undefined) continue;
      free.delete(j);
      learnIds(item, fresh[j], ids);
    }
    return;
  }
  if (recorded && fresh && typeof recorded === 'object' && typeof fresh === 'object') {
    const other = fresh as Record<string, unknown>;
    for (const [k, v] of Object.entries(recorded)) learnIds(v, other[k], ids);
  }
}

/** The free element of `fresh` that agrees with `item` on the most known fields (at least one), if one does. */
function pairOf(item: unknown, fresh: unknown[], free: Set<number>, ids: Map<string, string>): number | undefined {
  if (!item || typeof item !== 'object') return undefined;
  let best: number | undefined;
  let bestScore = 0;
  for (const j of free) {
    const score = agreement(item as Record<string, unknown>, fresh[j], ids);
    if (score > bestScore) [best, bestScore] = [j, score];
  }
  return best;
}

function agreement(item: Record<string, unknown>, other: unknown, ids: Map<string, string>): number {
  if (!other || typeof other !== 'object') return 0;
  let score = 0;
  for (const [k, v] of Object.entries(item)) {
    const mapped = typeof v === 'string' ? (ids.get(v) ?? v) : undefined;
    if (mapped !== undefined && ID.test(v as string) && (other as Record<string, unknown>)[k] === mapped) score++;
  }
  return score;
}

/** Number of recorded calls. */
export const callCount = (recording: Recording) => [...recording.values()].reduce((n, calls) => n + calls.length, 0);
