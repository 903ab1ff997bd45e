import type { RequestContext } from '../../types.js';
import { ec2Errors } from '../errors.js';
import { LAUNCH_TEMPLATE_ID, launchTemplatesTable, type LaunchTemplateRecord, type LaunchTemplateVersionRecord } from './state.js';

type Ctx = Pick<RequestContext, 'cloud' | 'region'>;

/** How requests name a launch template: its id or its name, exactly one of them. */
export interface TemplateRef {
  LaunchTemplateId?: string;
  LaunchTemplateName?: string;
}

export function templateByName(ctx: Ctx, name: string): LaunchTemplateRecord | undefined {
  return launchTemplatesTable(ctx.cloud.store)
    .list(ctx.region)
    .find((t) => t.LaunchTemplateName === name);
}

/** The template a request names, or the error EC2 gives for a malformed id, an unknown id or an unknown name. */
export function findTemplate(ctx: Ctx, ref: TemplateRef): LaunchTemplateRecord {
  const id = ref.LaunchTemplateId;
  const name = ref.LaunchTemplateName;
  if ((id === undefined) === (name === undefined)) throw ec2Errors.launchTemplateNameOrId();
  if (id !== undefined) {
    if (!LAUNCH_TEMPLATE_ID.test(id)) throw ec2Errors.launchTemplateIdMalformed(id);
    const found = launchTemplatesTable(ctx.cloud.store).get(ctx.region, id);
    if (!found) throw ec2Errors.launchTemplateIdNotFound(id);
    return found;
  }
  const found = templateByName(ctx, name as string);
  if (!found) throw ec2Errors.launchTemplateNameNotFound(name as string);
  return found;
}

/** A version by number, `$Latest` or `$Default` (the default when none is given); undefined when there is none such. */
export function versionOf(t: LaunchTemplateRecord, version: string | number | undefined): LaunchTemplateVersionRecord | undefined {
  const wanted =
    version === undefined || version === '' || version === '$Default'
      ? t.DefaultVersionNumber
      : version === '$Latest'
        ? t.LatestVersionNumber
        : Number(version);
  if (!Number.isInteger(wanted)) return undefined;
  return t.Versions.find((v) => v.VersionNumber === wanted);
}

/** Like versionOf, with EC2's errors for a version that is not a number or alias, or does not exist. */
export function findVersion(t: LaunchTemplateRecord, version: string | number | undefined): LaunchTemplateVersionRecord {
  const text = version === undefined ? '$Default' : String(version);
  if (!['$Latest', '$Default'].includes(text) && !/^[0-9]+$/.test(text)) throw ec2Errors.launchTemplateVersionMalformed(text);
  const found = versionOf(t, version);
  if (!found) throw ec2Errors.launchTemplateVersionNotFound(text, t.LaunchTemplateId);
  return found;
}

/** LaunchTemplate as the API shows it. */
export function describeTemplate(t: LaunchTemplateRecord) {
  return {
    LaunchTemplateId: t.LaunchTemplateId,
    LaunchTemplateName: t.LaunchTemplateName,
    CreateTime: new Date(t.CreateTime),
    CreatedBy: t.CreatedBy,
    DefaultVersionNumber: t.DefaultVersionNumber,
    LatestVersionNumber: t.LatestVersionNumber,
    Tags: t.Tags.length ? t.Tags : undefined,
  };
}

/** LaunchTemplateVersion as the API shows it. */
export function describeVersion(t: LaunchTemplateRecord, v: LaunchTemplateVersionRecord) {
  return {
    LaunchTemplateId: t.LaunchTemplateId,
    LaunchTemplateName: t.LaunchTemplateName,
    VersionNumber: v.VersionNumber,
    VersionDescription: v.VersionDescription,
    CreateTime: new Date(v.CreateTime),
    CreatedBy: v.CreatedBy,
    DefaultVersion: v.VersionNumber === t.DefaultVersionNumber,
    LaunchTemplateData: v.LaunchTemplateData,
  };
}
