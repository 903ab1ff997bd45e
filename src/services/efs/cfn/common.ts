import { isAwsError } from '../../../protocol/errors.js';
import type { PropsReader } from '../../cloudformation/providers/props.js';
import type { ProviderContext } from '../../cloudformation/providers/types.js';

/** A tags property of an EFS resource (FileSystemTags, AccessPointTags), undefined when the template gives none. */
export const tagsOf = (p: PropsReader, key: string) => (p.has(key) ? p.tags(key) : undefined);

/** Waits on the cloud's clock until a described resource is `available`. */
export async function untilAvailable(ctx: ProviderContext, state: () => Promise<string | undefined>, what: string): Promise<void> {
  for (;;) {
    const s = await state();
    if (s === 'available') return;
    if (s === undefined || s === 'error' || s === 'deleted') throw new Error(`${what} did not become available (state ${s ?? 'gone'}).`);
    await ctx.clock.sleep(1_000);
  }
}

/** Runs a delete, treating the service's not-found error as done. */
export async function deleteIgnoringMissing(run: () => Promise<unknown>, notFoundCode: string): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!isAwsError(err, notFoundCode)) throw err;
  }
}

/** Replaces a resource's template tags (keys the template dropped are removed). */
export async function syncTags(
  ctx: ProviderContext,
  resourceId: string,
  tags: Array<{ Key: string; Value: string }> | undefined,
  previous: Array<{ Key: string; Value: string }> | undefined,
) {
  const keep = new Set((tags ?? []).map((t) => t.Key));
  const dropped = (previous ?? []).map((t) => t.Key).filter((k) => !keep.has(k));
  if (dropped.length) await ctx.invoke('elasticfilesystem', 'UntagResource', { ResourceId: resourceId, TagKeys: dropped });
  if (tags?.length) await ctx.invoke('elasticfilesystem', 'TagResource', { ResourceId: resourceId, Tags: tags });
}
