import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../cloud.js';
import type { RequestContext } from '../types.js';
import { errors } from './errors.js';
import { groups, needGroup, updateGroup, type ActivityRecord, type GroupRecord } from './state.js';

export const NOTIFICATION_TYPES = [
  'autoscaling:EC2_INSTANCE_LAUNCH',
  'autoscaling:EC2_INSTANCE_LAUNCH_ERROR',
  'autoscaling:EC2_INSTANCE_TERMINATE',
  'autoscaling:EC2_INSTANCE_TERMINATE_ERROR',
  'autoscaling:TEST_NOTIFICATION',
];

const SUBJECTS: Record<string, string> = {
  'autoscaling:EC2_INSTANCE_LAUNCH': 'launch',
  'autoscaling:EC2_INSTANCE_LAUNCH_ERROR': 'launch error',
  'autoscaling:EC2_INSTANCE_TERMINATE': 'termination',
  'autoscaling:EC2_INSTANCE_TERMINATE_ERROR': 'termination error',
};

function publish(cloud: Cloud, region: string, topic: string, subject: string, message: unknown): void {
  cloud
    .invoke('sns', 'Publish', { TopicArn: topic, Subject: subject, Message: JSON.stringify(message) }, { region })
    .catch((err: unknown) => {
      console.error(`[halo] autoscaling notification to ${topic} failed: ${(err as Error).message}`);
    });
}

/** Publishes an activity's event to every topic of the group configured for it, in the message shape AWS sends. */
export function notify(cloud: Cloud, region: string, g: GroupRecord, event: string, a: ActivityRecord, instanceId?: string): void {
  const topics = g.NotificationConfigurations.filter((n) => n.NotificationType === event).map((n) => n.TopicARN);
  if (!topics.length) return;
  const message = {
    Origin: 'EC2',
    Destination: 'AutoScalingGroup',
    Progress: a.Progress,
    AccountId: cloud.accountId,
    Description: a.Description,
    RequestId: a.ActivityId,
    EndTime: a.EndTime === undefined ? undefined : new Date(a.EndTime).toISOString(),
    AutoScalingGroupARN: g.AutoScalingGroupARN,
    ActivityId: a.ActivityId,
    StartTime: new Date(a.StartTime).toISOString(),
    Service: 'AWS Auto Scaling',
    Time: new Date(cloud.clock.now()).toISOString(),
    EC2InstanceId: instanceId ?? '',
    StatusCode: a.StatusCode === 'Successful' ? 'InProgress' : a.StatusCode,
    StatusMessage: a.StatusMessage ?? '',
    Details: JSON.parse(a.Details) as unknown,
    AutoScalingGroupName: g.AutoScalingGroupName,
    Cause: a.Cause,
    Event: event,
  };
  const subject = `Auto Scaling: ${SUBJECTS[event] ?? event} for group "${g.AutoScalingGroupName}"`;
  for (const topic of topics) publish(cloud, region, topic, subject, message);
}

export function putNotificationConfiguration(
  input: { AutoScalingGroupName: string; TopicARN: string; NotificationTypes: string[] },
  ctx: RequestContext,
) {
  const g = needGroup(ctx, input.AutoScalingGroupName);
  const bad = input.NotificationTypes.find((t) => !NOTIFICATION_TYPES.includes(t));
  if (bad) throw errors.validation(`Notification type ${bad} is not valid. Valid types are: ${NOTIFICATION_TYPES.join(', ')}`);
  updateGroup(ctx.cloud, ctx.region, g.AutoScalingGroupName, (x) => {
    x.NotificationConfigurations = [
      ...x.NotificationConfigurations.filter((n) => n.TopicARN !== input.TopicARN),
      ...input.NotificationTypes.map((t) => ({ TopicARN: input.TopicARN, NotificationType: t })),
    ];
  });
  // AWS confirms a new configuration with a test notification to the topic.
  publish(ctx.cloud, ctx.region, input.TopicARN, `Auto Scaling: test notification for group "${g.AutoScalingGroupName}"`, {
    AccountId: ctx.accountId,
    RequestId: randomUUID(),
    AutoScalingGroupARN: g.AutoScalingGroupARN,
    AutoScalingGroupName: g.AutoScalingGroupName,
    Service: 'AWS Auto Scaling',
    Event: 'autoscaling:TEST_NOTIFICATION',
    Time: new Date(ctx.cloud.clock.now()).toISOString(),
  });
  return {};
}

export function describeNotificationConfigurations(input: { AutoScalingGroupNames?: string[] }, ctx: RequestContext) {
  const list = input.AutoScalingGroupNames?.length
    ? input.AutoScalingGroupNames.map((n) => groups(ctx.cloud).get(ctx.region, n)).filter((g): g is GroupRecord => !!g)
    : groups(ctx.cloud).list(ctx.region);
  return {
    NotificationConfigurations: list.flatMap((g) =>
      g.NotificationConfigurations.map((n) => ({ AutoScalingGroupName: g.AutoScalingGroupName, ...n })),
    ),
  };
}

export function deleteNotificationConfiguration(input: { AutoScalingGroupName: string; TopicARN: string }, ctx: RequestContext) {
  needGroup(ctx, input.AutoScalingGroupName);
  updateGroup(ctx.cloud, ctx.region, input.AutoScalingGroupName, (x) => {
    x.NotificationConfigurations = x.NotificationConfigurations.filter((n) => n.TopicARN !== input.TopicARN);
  });
  return {};
}

export function describeAutoScalingNotificationTypes() {
  return { AutoScalingNotificationTypes: NOTIFICATION_TYPES };
}
