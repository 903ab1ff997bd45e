import { propsOf } from '../../../cloudformation/providers/props.js';
import type { ProviderContext, Props } from '../../../cloudformation/providers/types.js';
import { isAwsError } from '../../../../protocol/errors.js';

/** The template's Tags with the tags CloudFormation adds (aws:cloudformation:*, the stack's tags), as TagSpecifications. */
export function creationTags(resourceType: string, props: Props, ctx: ProviderContext) {
  const own = propsOf(props, ctx.logicalId).tags();
  const keys = new Set(own.map((t) => t.Key));
  const tags = [...ctx.stackTags.filter((t) => !keys.has(t.Key)), ...own];
  return [{ ResourceType: resourceType, Tags: tags }];
}

/** Applies a change of the template's Tags in place (CreateTags/DeleteTags). */
export async function updateTags(resourceId: string, props: Props, previous: Props, ctx: ProviderContext): Promise<void> {
  const next = propsOf(props, ctx.logicalId).tags();
  const prev = propsOf(previous, ctx.logicalId).tags();
  const gone = prev.filter((p) => !next.some((n) => n.Key === p.Key));
  if (gone.length) await ctx.invoke('ec2', 'DeleteTags', { Resources: [resourceId], Tags: gone.map((t) => ({ Key: t.Key })) });
  const changed = next.filter((n) => !prev.some((p) => p.Key === n.Key && p.Value === n.Value));
  if (changed.length) await ctx.invoke('ec2', 'CreateTags', { Resources: [resourceId], Tags: changed });
}

/** CloudFormation treats "not found" on delete as done. */
export async function ignoreNotFound(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (isAwsError(err) && /(NotFound|NotAttached|NotAssociated)$/.test(err.code)) return;
    throw err;
  }
}

/** Only these top-level property changes are applied in place; changing any other one replaces the resource. */
export function onlyChanged(props: Props, previous: Props, keys: string[]): string[] {
  return keys.filter((k) => JSON.stringify(props[k]) !== JSON.stringify(previous[k]));
}
