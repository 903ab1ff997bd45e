import type { Handler } from '../../types.js';
import { registerTaggable } from '../tags.js';
import { createLaunchTemplate, deleteLaunchTemplate, describeLaunchTemplates, modifyLaunchTemplate } from './templates.js';
import { createLaunchTemplateVersion, deleteLaunchTemplateVersions, describeLaunchTemplateVersions } from './versions.js';
import './cfn/launch-template.js';

registerTaggable('lt', 'launch-template', 'ec2.launchTemplate', 'LaunchTemplateId', { notFoundCode: 'InvalidLaunchTemplateId.NotFound', noun: 'launch template' });

/** EC2 launch templates and their versions; RunInstances reads them through `withLaunchTemplate` (launch.ts). */
export const launchTemplateOperations: Record<string, Handler> = {
  CreateLaunchTemplate: createLaunchTemplate,
  CreateLaunchTemplateVersion: createLaunchTemplateVersion,
  ModifyLaunchTemplate: modifyLaunchTemplate,
  DescribeLaunchTemplates: describeLaunchTemplates,
  DescribeLaunchTemplateVersions: describeLaunchTemplateVersions,
  DeleteLaunchTemplate: deleteLaunchTemplate,
  DeleteLaunchTemplateVersions: deleteLaunchTemplateVersions,
};
