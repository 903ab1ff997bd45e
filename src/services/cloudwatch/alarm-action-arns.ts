/** The alarm actions this cloud executes, parsed from their ARNs. */
export type AlarmAction =
  | { kind: 'sns'; region: string; arn: string }
  | { kind: 'ec2'; region: string; arn: string; action: 'stop' | 'terminate' | 'reboot' | 'recover' }
  | { kind: 'autoscaling'; region: string; arn: string; group: string; policy: string };

const EC2_ACTIONS = ['stop', 'terminate', 'reboot', 'recover'] as const;

export function parseAction(arn: string): AlarmAction | undefined {
  const parts = arn.split(':');
  if (parts[0] !== 'arn' || parts[1] !== 'aws') return undefined;
  const [, , service, region, account, resource] = parts;
  if (service === 'sns' && /^\d{12}$/.test(account) && resource && parts.length === 6) return { kind: 'sns', region, arn };
  if (service === 'automate' && account === 'ec2' && parts.length === 6 && (EC2_ACTIONS as readonly string[]).includes(resource)) {
    return { kind: 'ec2', region, arn, action: resource as AlarmAction extends { action: infer A } ? A : never };
  }
  // An EC2 Auto Scaling policy: arn:aws:autoscaling:REGION:ACCOUNT:scalingPolicy:UUID:autoScalingGroupName/GROUP:policyName/NAME
  const policy = /^scalingPolicy:[0-9a-f-]+:autoScalingGroupName\/(.+):policyName\/(.+)$/.exec(parts.slice(5).join(':'));
  if (service === 'autoscaling' && /^\d{12}$/.test(account) && policy)
    return { kind: 'autoscaling', region, arn, group: policy[1], policy: policy[2] };
  // The older form of EC2 actions: arn:aws:swf:REGION:ACCOUNT:action/actions/AWS_EC2.InstanceId.Stop/1.0
  const swf = /^action\/actions\/AWS_EC2\.InstanceId\.(Stop|Terminate|Reboot)\/1\.0$/.exec(parts.slice(5).join(':'));
  if (service === 'swf' && swf) return { kind: 'ec2', region, arn, action: swf[1].toLowerCase() as 'stop' | 'terminate' | 'reboot' };
  return undefined;
}
