import { declareErrors } from '../../protocol/errors.js';

/** Amazon EC2 Auto Scaling's errors, with the codes and message texts AWS answers with. */
export const errors = declareErrors({
  validation: { code: 'ValidationError', message: (text: string) => text },
  groupNotFound: { code: 'ValidationError', message: (name: string) => `AutoScalingGroup name not found - AutoScalingGroup ${name} not found` },
  launchConfigurationNotFound: { code: 'ValidationError', message: (name: string) => `Launch configuration name not found - Launch configuration ${name} not found` },
  groupExists: { code: 'AlreadyExists', message: (name: string) => `AutoScalingGroup by this name already exists - A group with the name ${name} already exists` },
  launchConfigurationExists: { code: 'AlreadyExists', message: (name: string) => `Launch Configuration by this name already exists - A launch configuration already exists with the name ${name}` },
  launchConfigurationInUse: { code: 'ResourceInUse', message: (name: string, group: string) => `Cannot delete launch configuration ${name} because it is attached to AutoScalingGroup ${group}` },
  groupHasInstances: { code: 'ResourceInUse', message: () => 'You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.' },
  activityInProgress: { code: 'ScalingActivityInProgress', message: () => 'You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group.' },
  cooldown: { code: 'ScalingActivityInProgress', message: (activityId: string) => `Scaling activity ${activityId} is in progress and blocks this action` },
  limitExceeded: { code: 'LimitExceeded', message: (what: string, limit: number) => `You have reached the limit of ${limit} ${what}.` },
  invalidNextToken: { code: 'InvalidNextToken', message: () => 'The token is not valid.' },
});
