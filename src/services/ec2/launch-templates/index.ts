import type { OperationsTable, RequestContext } from '../../types.js';
import type { Ec2Operations } from '../generated/types.js';
import { ec2Errors } from '../errors.js';
import { registerTaggable } from '../tags.js';
import { createLaunchTemplate, deleteLaunchTemplate, describeLaunchTemplates, modifyLaunchTemplate } from './templates.js';
import { createLaunchTemplateVersion, deleteLaunchTemplateVersions, describeLaunchTemplateVersions } from './versions.js';
import './cfn/launch-template.js';

registerTaggable('lt', 'launch-template', 'ec2.launchTemplate', 'LaunchTemplateId', {
  notFound: ec2Errors.taggedLaunchTemplateNotFound,
});

/** DryRun: permission is all EC2 checks first, and the caller has it (authorization ran before the operation). */
const dryRunnable =
  <I, O>(handler: (input: I, ctx: RequestContext) => O) =>
  (input: I, ctx: RequestContext): O => {
    if ((input as { DryRun?: boolean } | undefined)?.DryRun) throw ec2Errors.dryRun();
    return handler(input, ctx);
  };

/** EC2 launch templates and their versions; RunInstances reads them through `withLaunchTemplate` (launch.ts). */
export const launchTemplateOperations = {
  CreateLaunchTemplate: dryRunnable(createLaunchTemplate),
  CreateLaunchTemplateVersion: dryRunnable(createLaunchTemplateVersion),
  ModifyLaunchTemplate: dryRunnable(modifyLaunchTemplate),
  DescribeLaunchTemplates: dryRunnable(describeLaunchTemplates),
  DescribeLaunchTemplateVersions: dryRunnable(describeLaunchTemplateVersions),
  DeleteLaunchTemplate: dryRunnable(deleteLaunchTemplate),
  DeleteLaunchTemplateVersions: dryRunnable(deleteLaunchTemplateVersions),
} satisfies OperationsTable<Ec2Operations>;
