import { autoscalingService } from './autoscaling/service.js';
import { cloudformationService } from './cloudformation/service.js';
import { cloudwatchService } from './cloudwatch/service.js';
import { ec2Service } from './ec2/service.js';
import { efsService } from './efs/service.js';
import { healthService } from './health/service.js';
import { iamService } from './iam/service.js';
import { secretsmanagerService } from './secretsmanager/service.js';
import { snsService } from './sns/service.js';
import { ssmService } from './ssm/service.js';
import { stsService } from './sts/service.js';
import type { ServiceFactory } from './types.js';
// AWS::AutoScaling::LaunchConfiguration and AutoScalingGroup: Auto Scaling's service module registers its other
// providers itself; these two are registered here until it imports its cfn/index.ts too.
import './autoscaling/cfn/index.js';

/** Every service of the local cloud, in the order they start. */
export const SERVICES: ServiceFactory[] = [
  stsService,
  iamService,
  ec2Service,
  cloudwatchService,
  efsService,
  snsService,
  ssmService,
  secretsmanagerService,
  autoscalingService,
  cloudformationService,
  healthService,
];
