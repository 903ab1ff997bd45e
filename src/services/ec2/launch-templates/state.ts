import type { Store, Table } from '../../../store/db.js';
import type { Tag } from '../filters.js';

/**
 * A launch template's data, as RequestLaunchTemplateData gives it (the member names are RunInstances' own). Kept as
 * sent; only the members an instance uses are read at launch (see launch.ts), the others are recorded and returned.
 */
export type LaunchTemplateData = Record<string, unknown>;

export interface LaunchTemplateVersionRecord {
  VersionNumber: number;
  VersionDescription?: string;
  CreateTime: string;
  CreatedBy: string;
  LaunchTemplateData: LaunchTemplateData;
  ClientToken?: string;
}

/** A launch template and its versions (table `ec2.launchTemplate`, scope region, id the template id). */
export interface LaunchTemplateRecord {
  LaunchTemplateId: string;
  LaunchTemplateName: string;
  CreateTime: string;
  CreatedBy: string;
  DefaultVersionNumber: number;
  LatestVersionNumber: number;
  /** The highest version number ever given (numbers are not reused after a deletion). */
  HighestVersionNumber?: number;
  Tags: Tag[];
  ClientToken?: string;
  /** Every version not deleted, in version order. */
  Versions: LaunchTemplateVersionRecord[];
}

export const launchTemplatesTable = (store: Store): Table<LaunchTemplateRecord> => store.table<LaunchTemplateRecord>('ec2.launchTemplate');

export const LAUNCH_TEMPLATE_ID = /^lt-[0-9a-f]{17}$/;
export const LAUNCH_TEMPLATE_NAME = /^[a-zA-Z0-9().\-/_]{3,128}$/;
/** AWS's quota of versions per launch template. */
export const MAX_VERSIONS = 10_000;
