import type { RequestContext } from '../../types.js';
import type { Tag } from '../filters.js';
import { findTemplate, findVersion, type TemplateRef } from './lookup.js';

type TagSpec = { ResourceType?: string; Tags?: Tag[] };
type Nic = Record<string, unknown> & { DeviceIndex?: number; SubnetId?: string };

/** A launch request (RunInstances' input) as far as the merge is concerned: the template it names. */
export interface LaunchRequest {
  LaunchTemplate?: TemplateRef & { Version?: string };
}

/** Members that are structures whose fields the request overrides one by one, keeping the template's others. */
const FIELD_MERGED = ['MetadataOptions', 'Placement', 'MaintenanceOptions', 'Monitoring'];

function mergeNics(fromTemplate: Nic[] | undefined, fromRequest: Nic[] | undefined): Nic[] | undefined {
  if (!fromTemplate?.length) return fromRequest;
  if (!fromRequest?.length) return fromTemplate;
  const out = fromTemplate.map((n) => ({ ...n }));
  for (const n of fromRequest) {
    const at = out.findIndex((t) => (t.DeviceIndex ?? 0) === (n.DeviceIndex ?? 0));
    if (at >= 0) out[at] = { ...out[at], ...dropUndefined(n) };
    else out.push(n);
  }
  return out;
}

/** Tags of the same resource type are merged; for the same key the request's value wins. */
function mergeTagSpecs(fromTemplate: TagSpec[] | undefined, fromRequest: TagSpec[] | undefined, extra: TagSpec[]): TagSpec[] | undefined {
  const byType = new Map<string, Tag[]>();
  for (const spec of [...(fromTemplate ?? []), ...(fromRequest ?? []), ...extra]) {
    const type = spec.ResourceType ?? '';
    const tags = byType.get(type) ?? [];
    for (const tag of spec.Tags ?? []) {
      const at = tags.findIndex((t) => t.Key === tag.Key);
      if (at >= 0) tags[at] = tag;
      else tags.push(tag);
    }
    byType.set(type, tags);
  }
  return byType.size ? [...byType.entries()].map(([ResourceType, Tags]) => ({ ResourceType, Tags })) : undefined;
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * RunInstances with a `LaunchTemplate`: the named version's data (`$Default` unless Version says otherwise) with every
 * parameter the request gives on top, as one input for the launch code; the instance gets the
 * `aws:ec2launchtemplate:id` / `:version` tags. A request without a template is returned as it is.
 */
export function withLaunchTemplate<T extends LaunchRequest>(ctx: Pick<RequestContext, 'cloud' | 'region'>, request: T): T {
  if (!request.LaunchTemplate) return request;
  const { LaunchTemplate: ref, ...rest } = request;
  const given = rest as Record<string, unknown> & { SubnetId?: string; NetworkInterfaces?: Nic[]; TagSpecifications?: TagSpec[] };
  const t = findTemplate(ctx, { LaunchTemplateId: ref.LaunchTemplateId, LaunchTemplateName: ref.LaunchTemplateName });
  const version = findVersion(t, ref.Version);
  const data = structuredClone(version.LaunchTemplateData) as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...data };
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (FIELD_MERGED.includes(key) && data[key] && typeof value === 'object')
      merged[key] = { ...data[key], ...dropUndefined(value as Record<string, unknown>) };
    else merged[key] = value;
  }
  merged.NetworkInterfaces = mergeNics(data.NetworkInterfaces as Nic[] | undefined, given.NetworkInterfaces);
  // A subnet given to the launch goes to the template's primary interface, which otherwise names its own.
  const nics = merged.NetworkInterfaces as Nic[] | undefined;
  const primary = nics?.find((n) => (n.DeviceIndex ?? 0) === 0);
  if (primary && given.SubnetId !== undefined) {
    primary.SubnetId = given.SubnetId;
    delete merged.SubnetId;
  }
  const launchTags: TagSpec = {
    ResourceType: 'instance',
    Tags: [
      { Key: 'aws:ec2launchtemplate:id', Value: t.LaunchTemplateId },
      { Key: 'aws:ec2launchtemplate:version', Value: String(version.VersionNumber) },
    ],
  };
  merged.TagSpecifications = mergeTagSpecs(data.TagSpecifications as TagSpec[] | undefined, given.TagSpecifications, [launchTags]);
  return merged as unknown as T;
}
