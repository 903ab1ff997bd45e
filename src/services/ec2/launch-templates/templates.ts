import type { RequestContext } from '../../types.js';
import { ec2Errors } from '../errors.js';
import { applyFilters, tagsFor, type Filter, type TagSpecs as ModelTagSpecs } from '../filters.js';
import { newId } from '../ids.js';
import { pageOf } from './paging.js';
import { describeTemplate, findTemplate, findVersion, templateByName, type TemplateRef } from './lookup.js';
import {
  LAUNCH_TEMPLATE_ID,
  LAUNCH_TEMPLATE_NAME,
  launchTemplatesTable,
  type LaunchTemplateData,
  type LaunchTemplateRecord,
} from './state.js';

type TagSpecs = ModelTagSpecs;

export interface CreateLaunchTemplateInput {
  LaunchTemplateName: string;
  LaunchTemplateData: LaunchTemplateData;
  VersionDescription?: string;
  TagSpecifications?: TagSpecs;
  ClientToken?: string;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function createLaunchTemplate(input: CreateLaunchTemplateInput, ctx: RequestContext) {
  const name = input.LaunchTemplateName;
  if (!LAUNCH_TEMPLATE_NAME.test(name ?? '')) throw ec2Errors.launchTemplateNameMalformed();
  if (input.VersionDescription !== undefined && input.VersionDescription.length > 255) {
    throw ec2Errors.versionDescriptionTooLong();
  }
  const table = launchTemplatesTable(ctx.cloud.store);
  return ctx.cloud.store.tx(() => {
    if (input.ClientToken) {
      const earlier = table.list(ctx.region).find((t) => t.ClientToken === input.ClientToken);
      if (earlier) {
        const first = earlier.Versions.find((v) => v.VersionNumber === 1);
        if (earlier.LaunchTemplateName !== name || !sameJson(first?.LaunchTemplateData, input.LaunchTemplateData)) {
          throw ec2Errors.idempotentParameterMismatch(input.ClientToken);
        }
        return { LaunchTemplate: describeTemplate(earlier) };
      }
    }
    if (templateByName(ctx, name)) throw ec2Errors.launchTemplateNameInUse();
    const now = new Date(ctx.cloud.clock.now()).toISOString();
    const createdBy = ctx.principal.arn;
    const record: LaunchTemplateRecord = {
      LaunchTemplateId: newId('lt'),
      LaunchTemplateName: name,
      CreateTime: now,
      CreatedBy: createdBy,
      DefaultVersionNumber: 1,
      LatestVersionNumber: 1,
      Tags: tagsFor('launch-template', input.TagSpecifications),
      ClientToken: input.ClientToken,
      Versions: [
        {
          VersionNumber: 1,
          VersionDescription: input.VersionDescription,
          CreateTime: now,
          CreatedBy: createdBy,
          LaunchTemplateData: input.LaunchTemplateData ?? {},
        },
      ],
    };
    table.put(ctx.region, record.LaunchTemplateId, record);
    return { LaunchTemplate: describeTemplate(record) };
  });
}

/** Sets the default version (SetDefaultVersion on the wire). */
export function modifyLaunchTemplate(input: TemplateRef & { DefaultVersion?: string }, ctx: RequestContext) {
  return ctx.cloud.store.tx(() => {
    const t = findTemplate(ctx, input);
    if (input.DefaultVersion !== undefined) {
      if (!/^[0-9]+$/.test(input.DefaultVersion)) throw ec2Errors.launchTemplateVersionMalformed(input.DefaultVersion);
      t.DefaultVersionNumber = findVersion(t, input.DefaultVersion).VersionNumber;
      launchTemplatesTable(ctx.cloud.store).put(ctx.region, t.LaunchTemplateId, t);
    }
    return { LaunchTemplate: describeTemplate(t) };
  });
}

export function deleteLaunchTemplate(input: TemplateRef, ctx: RequestContext) {
  const t = findTemplate(ctx, input);
  launchTemplatesTable(ctx.cloud.store).delete(ctx.region, t.LaunchTemplateId);
  return { LaunchTemplate: describeTemplate(t) };
}

const templateFilters = {
  'launch-template-name': (t: LaunchTemplateRecord) => t.LaunchTemplateName,
  'create-time': (t: LaunchTemplateRecord) => t.CreateTime,
};

export function describeLaunchTemplates(
  input: { LaunchTemplateIds?: string[]; LaunchTemplateNames?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string },
  ctx: RequestContext,
) {
  const all = launchTemplatesTable(ctx.cloud.store)
    .list(ctx.region)
    .sort((a, b) => a.CreateTime.localeCompare(b.CreateTime) || a.LaunchTemplateId.localeCompare(b.LaunchTemplateId));
  let list = all;
  if (input.LaunchTemplateIds?.length) {
    for (const id of input.LaunchTemplateIds) {
      if (!LAUNCH_TEMPLATE_ID.test(id)) throw ec2Errors.launchTemplateIdMalformed(id);
      if (!all.some((t) => t.LaunchTemplateId === id)) throw ec2Errors.launchTemplateIdNotFound(id);
    }
    list = list.filter((t) => input.LaunchTemplateIds?.includes(t.LaunchTemplateId));
  }
  if (input.LaunchTemplateNames?.length) {
    for (const name of input.LaunchTemplateNames)
      if (!all.some((t) => t.LaunchTemplateName === name)) throw ec2Errors.launchTemplateNameNotFound(name);
    list = list.filter((t) => input.LaunchTemplateNames?.includes(t.LaunchTemplateName));
  }
  list = applyFilters(list, input.Filters, templateFilters, (t) => t.Tags);
  const page = pageOf(list, input);
  return { LaunchTemplates: page.items.map(describeTemplate), NextToken: page.next };
}
