import { paginate } from '../../protocol/paginate.js';
import { randomBytes, randomUUID } from 'node:crypto';
import type { RequestContext } from '../types.js';
import { deliver } from './delivery.js';
import { checkEndpoint } from './endpoints.js';
import { findTopic, subscriptionTable, type Subscription } from './model.js';
import { snsErrors } from './errors.js';

const PAGE = 100;

const visibleArn = (s: Subscription) => (s.Confirmed ? s.SubscriptionArn : 'PendingConfirmation');

export function subscribe(
  input: { TopicArn: string; Protocol: string; Endpoint?: string; ReturnSubscriptionArn?: boolean },
  ctx: RequestContext,
) {
  const topic = findTopic(ctx.cloud, input.TopicArn);
  if (!topic) throw snsErrors.topicNotFound();
  const protocol = input.Protocol.toLowerCase();
  checkEndpoint(protocol, input.Endpoint, ctx.principal);
  const region = topic.TopicArn.split(':')[3];
  const table = subscriptionTable(ctx.cloud);
  const existing = table
    .list(region)
    .find((s) => s.TopicArn === topic.TopicArn && s.Protocol === protocol && s.Endpoint === input.Endpoint);
  const sub: Subscription = existing ?? {
    SubscriptionArn: `${topic.TopicArn}:${randomUUID()}`,
    TopicArn: topic.TopicArn,
    Protocol: protocol as Subscription['Protocol'],
    Endpoint: input.Endpoint as string,
    Owner: ctx.accountId,
    Confirmed: false,
    Token: randomBytes(64).toString('hex'),
    CreatedAt: new Date(ctx.cloud.clock.now()).toISOString(),
  };
  if (!existing) table.insert(region, sub.SubscriptionArn, sub);
  if (!sub.Confirmed) {
    const message = `You have chosen to subscribe to the topic ${topic.TopicArn}.\nTo confirm the subscription, call ConfirmSubscription with the Token included in this message.`;
    void deliver(ctx.cloud, sub, {
      Type: 'SubscriptionConfirmation',
      MessageId: randomUUID(),
      Token: sub.Token,
      TopicArn: topic.TopicArn,
      Message: message,
    });
  }
  return { SubscriptionArn: input.ReturnSubscriptionArn || sub.Confirmed ? sub.SubscriptionArn : 'pending confirmation' };
}

export function confirmSubscription(input: { TopicArn: string; Token: string }, ctx: RequestContext) {
  const topic = findTopic(ctx.cloud, input.TopicArn);
  if (!topic) throw snsErrors.topicNotFound();
  const region = topic.TopicArn.split(':')[3];
  const sub = subscriptionTable(ctx.cloud)
    .list(region)
    .find((s) => s.TopicArn === topic.TopicArn && s.Token === input.Token);
  if (!sub) throw snsErrors.invalidParameter('Token');
  if (!sub.Confirmed) subscriptionTable(ctx.cloud).put(region, sub.SubscriptionArn, { ...sub, Confirmed: true });
  return { SubscriptionArn: sub.SubscriptionArn };
}

export function unsubscribe(input: { SubscriptionArn: string }, ctx: RequestContext) {
  const region = input.SubscriptionArn.split(':')[3] ?? ctx.region;
  if (!subscriptionTable(ctx.cloud).delete(region, input.SubscriptionArn)) {
    throw snsErrors.subscriptionNotFound();
  }
  return {};
}

function page(subs: Subscription[], token: string | undefined, bind: unknown) {
  subs.sort((a, b) => (a.SubscriptionArn < b.SubscriptionArn ? -1 : 1));
  const { items, next } = paginate(subs, {
    token,
    max: undefined,
    defaultMax: PAGE,
    bind,
    badToken: () => snsErrors.invalidParameter('NextToken'),
  });
  return {
    Subscriptions: items.map((s) => ({
      SubscriptionArn: visibleArn(s),
      Owner: s.Owner,
      Protocol: s.Protocol,
      Endpoint: s.Endpoint,
      TopicArn: s.TopicArn,
    })),
    NextToken: next,
  };
}

export function listSubscriptions(input: { NextToken?: string }, ctx: RequestContext) {
  return page(subscriptionTable(ctx.cloud).list(ctx.region), input.NextToken, {});
}

export function listSubscriptionsByTopic(input: { TopicArn: string; NextToken?: string }, ctx: RequestContext) {
  const topic = findTopic(ctx.cloud, input.TopicArn);
  if (!topic) throw snsErrors.topicNotFound();
  return page(
    subscriptionTable(ctx.cloud)
      .list(topic.TopicArn.split(':')[3])
      .filter((s) => s.TopicArn === topic.TopicArn),
    input.NextToken,
    { TopicArn: topic.TopicArn },
  );
}
