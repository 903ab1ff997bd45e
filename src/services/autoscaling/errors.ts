import { declareErrors } from '../../protocol/errors.js';

/** Amazon EC2 Auto Scaling's errors, with the codes and message texts AWS answers with. */
export const errors = declareErrors({
  validation: { code: 'ValidationError', message: (text: string) => text },
  groupNotFound: {
    code: 'ValidationError',
    message: (name: string) => `AutoScalingGroup name not found - AutoScalingGroup ${name} not found`,
  },
  launchConfigurationNotFound: {
    code: 'ValidationError',
    message: (name: string) => `Launch configuration name not found - Launch configuration ${name} not found`,
  },
  groupExists: {
    code: 'AlreadyExists',
    message: (name: string) => `AutoScalingGroup by this name already exists - A group with the name ${name} already exists`,
  },
  launchConfigurationExists: {
    code: 'AlreadyExists',
    message: (name: string) =>
      `Launch Configuration by this name already exists - A launch configuration already exists with the name ${name}`,
  },
  launchConfigurationInUse: {
    code: 'ResourceInUse',
    message: (name: string, group: string) =>
      `Cannot delete launch configuration ${name} because it is attached to AutoScalingGroup ${group}`,
  },
  groupHasInstances: {
    code: 'ResourceInUse',
    message: () =>
      'You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.',
  },
  activityInProgress: {
    code: 'ScalingActivityInProgress',
    message: () => 'You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group.',
  },
  cooldown: {
    code: 'ScalingActivityInProgress',
    message: (activityId: string) => `Scaling activity ${activityId} is in progress and blocks this action`,
  },
  limitExceeded: { code: 'LimitExceeded', message: (what: string, limit: number) => `You have reached the limit of ${limit} ${what}.` },
  invalidNextToken: { code: 'InvalidNextToken', message: () => 'The token is not valid.' },
  // Lifecycle hooks, warm pools, instance refresh, scaling policies, scheduled actions.
  hookNotFound: {
    code: 'ValidationError',
    message: (hook: string, group: string) => `No Lifecycle Hook found with name ${hook} for group ${group}`,
  },
  noLifecycleAction: { code: 'ValidationError', message: (what: string) => `No active Lifecycle Action found with ${what}` },
  policyNotFound: { code: 'ValidationError', message: (name: string) => `Policy ${name} not found` },
  scheduledActionNotFound: {
    code: 'ValidationError',
    message: (name: string) => `Scheduled Update Group Action name not found - No such scheduled action ${name}`,
  },
  warmPoolNotFound: { code: 'ValidationError', message: (group: string) => `No warm pool found for Auto Scaling group ${group}.` },
  refreshInProgress: {
    code: 'InstanceRefreshInProgress',
    message: (group: string) =>
      `An Instance Refresh is already in progress and blocks the execution of this Instance Refresh for AutoScalingGroup ${group}.`,
  },
  noActiveRefresh: {
    code: 'ActiveInstanceRefreshNotFound',
    message: (group: string) => `No in progress or pending Instance Refresh found for Auto Scaling group ${group}`,
  },
  irreversibleRefresh: { code: 'IrreversibleInstanceRefresh', message: (why: string) => why },
});
