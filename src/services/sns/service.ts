import type { OperationsTable, ServiceFactory } from '../types.js';
import type { SnsOperations } from './generated/types.js';
import { publish } from './publish.js';
import { confirmSubscription, listSubscriptions, listSubscriptionsByTopic, subscribe, unsubscribe } from './subscriptions.js';
import { createTopic, deleteTopic, getTopicAttributes, listTopics } from './topics.js';

/** A minimal SNS: standard topics, HTTP(S) subscribers on loopback, Publish, and a delivery log. */
export const snsService: ServiceFactory = () => ({
  signingName: 'sns',
  modelId: 'sns-2010-03-31',
  operations: {
    CreateTopic: createTopic,
    DeleteTopic: deleteTopic,
    ListTopics: listTopics,
    GetTopicAttributes: getTopicAttributes,
    Subscribe: subscribe,
    ConfirmSubscription: confirmSubscription,
    Unsubscribe: unsubscribe,
    ListSubscriptions: listSubscriptions,
    ListSubscriptionsByTopic: listSubscriptionsByTopic,
    Publish: publish,
  } satisfies OperationsTable<SnsOperations>,
});
