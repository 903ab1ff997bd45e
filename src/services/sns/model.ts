import type { Cloud } from '../../cloud.js';
import { snsErrors } from './errors.js';

export interface Topic {
  TopicArn: string;
  Name: string;
  Attributes: Record<string, string>;
  Tags: Array<{ Key: string; Value: string }>;
  CreatedAt: string;
}

export interface Subscription {
  SubscriptionArn: string;
  TopicArn: string;
  Protocol: 'http' | 'https';
  Endpoint: string;
  Owner: string;
  Confirmed: boolean;
  Token: string;
  CreatedAt: string;
}

export const topicTable = (cloud: Cloud) => cloud.store.table<Topic>('sns.topic');
export const subscriptionTable = (cloud: Cloud) => cloud.store.table<Subscription>('sns.subscription');

/** Splits arn:aws:sns:REGION:ACCOUNT:NAME, refusing anything else. */
export function parseTopicArn(arn: string, param = 'TopicArn'): { region: string; account: string; name: string } {
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[1] !== 'aws' || parts[2] !== 'sns' || !/^\d{12}$/.test(parts[4]) || !parts[5]) {
    throw snsErrors.invalidParameter(`${param} Reason: An ARN must have the form arn:aws:sns:REGION:ACCOUNT:TOPIC`);
  }
  return { region: parts[3], account: parts[4], name: parts[5] };
}

export function findTopic(cloud: Cloud, arn: string): Topic | undefined {
  const { region, name } = parseTopicArn(arn);
  const topic = topicTable(cloud).get(region, name);
  return topic && topic.TopicArn === arn ? topic : undefined;
}
