import type { Cloud } from '../cloud.js';

/**
 * A typed slot of a cloud's live state: something a part of halo keeps while the cloud runs and that is not worth
 * persisting (a queue of pending work, the last probe of each instance, the runtime itself). `create` makes the
 * value on first use; `dispose` (optional) runs when the cloud shuts down, after its shutdown hooks.
 */
export interface LiveKey<T> {
  readonly name: string;
  readonly create: (cloud: Cloud) => T;
  readonly dispose?: (value: T) => void | Promise<void>;
}

/** Declares a slot; the key is a constant of the module that owns the value, the value lives in each cloud. */
export function liveKey<T>(name: string, create: (cloud: Cloud) => T, dispose?: (value: T) => void | Promise<void>): LiveKey<T> {
  return { name, create, dispose };
}

/**
 * The live (non-persistent) objects of one cloud, in one place: what the store does for documents, this does for
 * what only exists while the process runs. Nothing of a cloud is kept in module-level maps.
 */
export class LiveState {
  private readonly values = new Map<LiveKey<unknown>, unknown>();
  private disposed = false;

  constructor(private readonly cloud: Cloud) {}

  /** The cloud's value for `key`, made on first use. */
  get<T>(key: LiveKey<T>): T {
    if (this.values.has(key as LiveKey<unknown>)) return this.values.get(key as LiveKey<unknown>) as T;
    const value = key.create(this.cloud);
    this.values.set(key as LiveKey<unknown>, value);
    return value;
  }

  /** The cloud's value for `key` if it was made, without making it. */
  peek<T>(key: LiveKey<T>): T | undefined {
    return this.values.get(key as LiveKey<unknown>) as T | undefined;
  }

  /**
   * Disposes every value that has a disposer, last made first, once. The values stay (work still finishing after
   * the shutdown sees the same objects, not new ones); they go with the cloud.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const [key, value] of [...this.values.entries()].reverse()) {
      try {
        await key.dispose?.(value);
      } catch (err) {
        console.error(`[halo] disposing ${key.name}: ${(err as Error).message}`);
      }
    }
  }
}
