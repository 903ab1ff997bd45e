import { paginate } from '../../protocol/paginate.js';
import type { RequestContext } from '../types.js';
import { findTopic, subscriptionTable, topicTable, type Topic } from './model.js';
import { snsErrors } from './errors.js';

const PAGE = 100;

export function createTopic(
  input: { Name: string; Attributes?: Record<string, string>; Tags?: Array<{ Key: string; Value: string }> },
  ctx: RequestContext,
) {
  const name = input.Name;
  if (name.endsWith('.fifo') || input.Attributes?.FifoTopic === 'true') {
    throw snsErrors.invalidParameter('Name Reason: FIFO topics are not supported by this cloud; create a standard topic.');
  }
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(name)) {
    throw snsErrors.invalidParameter('Topic Name Reason: must be 1 to 256 ASCII letters, digits, hyphens or underscores');
  }
  const arn = `arn:aws:sns:${ctx.region}:${ctx.accountId}:${name}`;
  const existing = topicTable(ctx.cloud).get(ctx.region, name);
  if (existing) return { TopicArn: existing.TopicArn };
  const topic: Topic = {
    TopicArn: arn,
    Name: name,
    Attributes: { ...(input.Attributes ?? {}) },
    Tags: input.Tags ?? [],
    CreatedAt: new Date(ctx.cloud.clock.now()).toISOString(),
  };
  topicTable(ctx.cloud).insert(ctx.region, name, topic);
  return { TopicArn: arn };
}

/** As AWS: deleting a topic that does not exist succeeds. Its subscriptions go with it. */
export function deleteTopic(input: { TopicArn: string }, ctx: RequestContext) {
  const topic = findTopic(ctx.cloud, input.TopicArn);
  if (!topic) return {};
  const region = topic.TopicArn.split(':')[3];
  ctx.cloud.store.tx(() => {
    for (const sub of subscriptionTable(ctx.cloud).list(region)) {
      if (sub.TopicArn === topic.TopicArn) subscriptionTable(ctx.cloud).delete(region, sub.SubscriptionArn);
    }
    topicTable(ctx.cloud).delete(region, topic.Name);
  });
  return {};
}

export function listTopics(input: { NextToken?: string }, ctx: RequestContext) {
  const topics = topicTable(ctx.cloud)
    .list(ctx.region)
    .sort((a, b) => (a.TopicArn < b.TopicArn ? -1 : 1));
  const { items, next } = paginate(topics, {
    token: input.NextToken,
    max: undefined,
    defaultMax: PAGE,
    bind: {},
    badToken: () => snsErrors.invalidParameter('NextToken'),
  });
  return { Topics: items.map((t) => ({ TopicArn: t.TopicArn })), NextToken: next };
}

export function getTopicAttributes(input: { TopicArn: string }, ctx: RequestContext) {
  const topic = findTopic(ctx.cloud, input.TopicArn);
  if (!topic) throw snsErrors.topicNotFound();
  const subs = subscriptionTable(ctx.cloud)
    .list(topic.TopicArn.split(':')[3])
    .filter((s) => s.TopicArn === topic.TopicArn);
  return {
    Attributes: {
      ...topic.Attributes,
      TopicArn: topic.TopicArn,
      Owner: topic.TopicArn.split(':')[4],
      DisplayName: topic.Attributes.DisplayName ?? '',
      SubscriptionsConfirmed: String(subs.filter((s) => s.Confirmed).length),
      SubscriptionsPending: String(subs.filter((s) => !s.Confirmed).length),
      SubscriptionsDeleted: '0',
    },
  };
}
