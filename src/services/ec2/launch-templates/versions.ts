import { isAwsError } from '../../../protocol/errors.js';
import type { RequestContext } from '../../types.js';
import { ec2Errors } from '../errors.js';
import { applyFilters, type Filter } from '../filters.js';
import { describeVersion, findTemplate, findVersion, type TemplateRef } from './lookup.js';
import { pageOf } from './paging.js';
import {
  MAX_VERSIONS,
  launchTemplatesTable,
  type LaunchTemplateData,
  type LaunchTemplateRecord,
  type LaunchTemplateVersionRecord,
} from './state.js';

/** The highest version number ever given: numbers are never reused, even after the latest version is deleted. */
const highestNumber = (t: LaunchTemplateRecord) => Math.max(t.HighestVersionNumber ?? 0, t.LatestVersionNumber);

export function createLaunchTemplateVersion(
  input: TemplateRef & {
    LaunchTemplateData: LaunchTemplateData;
    SourceVersion?: string;
    VersionDescription?: string;
    ClientToken?: string;
  },
  ctx: RequestContext,
) {
  const table = launchTemplatesTable(ctx.cloud.store);
  return ctx.cloud.store.tx(() => {
    const t = findTemplate(ctx, input);
    if (input.ClientToken) {
      const earlier = t.Versions.find((v) => v.ClientToken === input.ClientToken);
      if (earlier) return { LaunchTemplateVersion: describeVersion(t, earlier) };
    }
    if (t.Versions.length >= MAX_VERSIONS) throw ec2Errors.launchTemplateVersionLimit(t.LaunchTemplateId, MAX_VERSIONS);
    if (input.VersionDescription !== undefined && input.VersionDescription.length > 255) {
      throw ec2Errors.versionDescriptionTooLong();
    }
    // The new version inherits the source version's parameters, except those given in LaunchTemplateData.
    const base = input.SourceVersion !== undefined ? findVersion(t, input.SourceVersion).LaunchTemplateData : {};
    const number = highestNumber(t) + 1;
    const version: LaunchTemplateVersionRecord = {
      VersionNumber: number,
      VersionDescription: input.VersionDescription,
      CreateTime: new Date(ctx.cloud.clock.now()).toISOString(),
      CreatedBy: ctx.principal.arn,
      LaunchTemplateData: { ...base, ...(input.LaunchTemplateData ?? {}) },
      ClientToken: input.ClientToken,
    };
    t.Versions.push(version);
    t.LatestVersionNumber = number;
    t.HighestVersionNumber = number;
    table.put(ctx.region, t.LaunchTemplateId, t);
    return { LaunchTemplateVersion: describeVersion(t, version) };
  });
}

const dataOf = (v: LaunchTemplateVersionRecord) =>
  v.LaunchTemplateData as {
    ImageId?: string;
    InstanceType?: string;
    EbsOptimized?: boolean;
    KernelId?: string;
    RamDiskId?: string;
    IamInstanceProfile?: { Arn?: string; Name?: string };
  };

const versionFilters = (t: LaunchTemplateRecord) => ({
  'create-time': (v: LaunchTemplateVersionRecord) => v.CreateTime,
  'ebs-optimized': (v: LaunchTemplateVersionRecord) => String(dataOf(v).EbsOptimized ?? false),
  'iam-instance-profile': (v: LaunchTemplateVersionRecord) => [dataOf(v).IamInstanceProfile?.Arn, dataOf(v).IamInstanceProfile?.Name],
  'image-id': (v: LaunchTemplateVersionRecord) => dataOf(v).ImageId,
  'instance-type': (v: LaunchTemplateVersionRecord) => dataOf(v).InstanceType,
  'is-default-version': (v: LaunchTemplateVersionRecord) => String(v.VersionNumber === t.DefaultVersionNumber),
  'kernel-id': (v: LaunchTemplateVersionRecord) => dataOf(v).KernelId,
  'ram-disk-id': (v: LaunchTemplateVersionRecord) => dataOf(v).RamDiskId,
});

/**
 * Versions of one template (by id or name), or, with neither, the `$Latest` / `$Default` versions of every template.
 * Versions may be numbers, `$Latest` and `$Default`; MinVersion/MaxVersion bound the numbers.
 */
export function describeLaunchTemplateVersions(
  input: TemplateRef & {
    Versions?: string[];
    MinVersion?: string;
    MaxVersion?: string;
    Filters?: Filter[];
    MaxResults?: number;
    NextToken?: string;
  },
  ctx: RequestContext,
) {
  const single = input.LaunchTemplateId !== undefined || input.LaunchTemplateName !== undefined;
  const templates = single
    ? [findTemplate(ctx, input)]
    : launchTemplatesTable(ctx.cloud.store)
        .list(ctx.region)
        .sort((a, b) => a.CreateTime.localeCompare(b.CreateTime) || a.LaunchTemplateId.localeCompare(b.LaunchTemplateId));
  if (!single && (input.Versions ?? []).some((v) => v !== '$Latest' && v !== '$Default')) {
    throw ec2Errors.versionNumbersNeedTemplate();
  }
  const bound = (v: string | undefined, what: string) => {
    if (v === undefined) return undefined;
    if (!/^[0-9]+$/.test(v)) throw ec2Errors.invalidVersionNumber(v, what);
    return Number(v);
  };
  const min = bound(input.MinVersion, 'MinVersion');
  const max = bound(input.MaxVersion, 'MaxVersion');
  const rows: Array<{ t: LaunchTemplateRecord; v: LaunchTemplateVersionRecord }> = [];
  for (const t of templates) {
    let versions = t.Versions;
    if (input.Versions?.length) {
      const picked = input.Versions.map((want) => findVersion(t, want));
      versions = versions.filter((v) => picked.includes(v));
    } else if (!single) {
      versions = versions.filter((v) => v.VersionNumber === t.DefaultVersionNumber);
    }
    versions = versions.filter((v) => (min === undefined || v.VersionNumber >= min) && (max === undefined || v.VersionNumber <= max));
    versions = applyFilters(versions, input.Filters, versionFilters(t));
    for (const v of versions) rows.push({ t, v });
  }
  const page = pageOf(rows, input);
  return { LaunchTemplateVersions: page.items.map(({ t, v }) => describeVersion(t, v)), NextToken: page.next };
}

type ResponseCode =
  | 'launchTemplateIdDoesNotExist'
  | 'launchTemplateIdMalformed'
  | 'launchTemplateNameDoesNotExist'
  | 'launchTemplateVersionDoesNotExist'
  | 'unexpectedError';

/** Deletes versions one by one; each that cannot go (the default version, one that does not exist) is listed with its reason. */
export function deleteLaunchTemplateVersions(input: TemplateRef & { Versions: string[] }, ctx: RequestContext) {
  const table = launchTemplatesTable(ctx.cloud.store);
  return ctx.cloud.store.tx(() => {
    let t: LaunchTemplateRecord;
    try {
      t = findTemplate(ctx, input);
    } catch (err) {
      const code: ResponseCode | undefined = isAwsError(err, 'InvalidLaunchTemplateId.Malformed')
        ? 'launchTemplateIdMalformed'
        : isAwsError(err, 'InvalidLaunchTemplateId.NotFound')
          ? 'launchTemplateIdDoesNotExist'
          : isAwsError(err, 'InvalidLaunchTemplateName.NotFoundException')
            ? 'launchTemplateNameDoesNotExist'
            : undefined;
      if (!code) throw err;
      return {
        UnsuccessfullyDeletedLaunchTemplateVersions: input.Versions.map((v) => ({
          LaunchTemplateId: input.LaunchTemplateId,
          LaunchTemplateName: input.LaunchTemplateName,
          VersionNumber: /^[0-9]+$/.test(v) ? Number(v) : undefined,
          ResponseError: { Code: code, Message: (err as Error).message },
        })),
      };
    }
    const deleted: Array<{ LaunchTemplateId: string; LaunchTemplateName: string; VersionNumber: number }> = [];
    const failed: Array<{
      LaunchTemplateId: string;
      LaunchTemplateName: string;
      VersionNumber?: number;
      ResponseError: { Code: ResponseCode; Message: string };
    }> = [];
    const item = { LaunchTemplateId: t.LaunchTemplateId, LaunchTemplateName: t.LaunchTemplateName };
    for (const text of input.Versions) {
      const number = /^[0-9]+$/.test(text) ? Number(text) : undefined;
      const at = number === undefined ? -1 : t.Versions.findIndex((v) => v.VersionNumber === number);
      if (at < 0) {
        failed.push({
          ...item,
          VersionNumber: number,
          ResponseError: { Code: 'launchTemplateVersionDoesNotExist', Message: 'The specified launch template version does not exist.' },
        });
      } else if (number === t.DefaultVersionNumber) {
        failed.push({
          ...item,
          VersionNumber: number,
          ResponseError: {
            Code: 'unexpectedError',
            Message:
              'Cannot delete the default version of a launch template. Set another version as the default, or delete the launch template.',
          },
        });
      } else {
        t.Versions.splice(at, 1);
        deleted.push({ ...item, VersionNumber: number as number });
      }
    }
    t.HighestVersionNumber = highestNumber(t);
    t.LatestVersionNumber = Math.max(...t.Versions.map((v) => v.VersionNumber));
    table.put(ctx.region, t.LaunchTemplateId, t);
    return {
      SuccessfullyDeletedLaunchTemplateVersions: deleted.length ? deleted : undefined,
      UnsuccessfullyDeletedLaunchTemplateVersions: failed.length ? failed : undefined,
    };
  });
}
