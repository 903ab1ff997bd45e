import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../cloud.js';
import type { RequestContext } from '../types.js';
import { deliver } from './delivery.js';
import { findTopic, parseTopicArn, subscriptionTable } from './model.js';
import { snsErrors } from './errors.js';

const MAX_MESSAGE_BYTES = 256 * 1024;

/**
 * Publishes to a topic in-process (CloudWatch alarm actions use it): delivers to every confirmed subscription in
 * the background and returns the message id. `delivered` settles when every delivery has succeeded or given up.
 */
export function publishToTopic(
  cloud: Cloud,
  topicArn: string,
  message: string,
  subject?: string,
): { MessageId: string; delivered: Promise<boolean[]> } {
  const topic = findTopic(cloud, topicArn);
  if (!topic) throw snsErrors.topicNotFound();
  const { region } = parseTopicArn(topicArn);
  const messageId = randomUUID();
  const subs = subscriptionTable(cloud)
    .list(region)
    .filter((s) => s.TopicArn === topic.TopicArn && s.Confirmed);
  const delivered = Promise.all(
    subs.map((s) =>
      deliver(cloud, s, { Type: 'Notification', MessageId: messageId, TopicArn: topic.TopicArn, Subject: subject, Message: message }),
    ),
  );
  return { MessageId: messageId, delivered };
}

export function publish(
  input: { TopicArn?: string; TargetArn?: string; PhoneNumber?: string; Message: string; Subject?: string; MessageStructure?: string },
  ctx: RequestContext,
) {
  if (input.PhoneNumber !== undefined) throw snsErrors.invalidParameter('PhoneNumber Reason: SMS is not supported by this cloud');
  const arn = input.TopicArn ?? input.TargetArn;
  if (!arn) throw snsErrors.invalidParameter('TopicArn or TargetArn Reason: no value for required parameter');
  if (!input.Message) throw snsErrors.invalidParameter('Message Reason: Empty message');
  if (Buffer.byteLength(input.Message) > MAX_MESSAGE_BYTES) throw snsErrors.invalidParameter('Message too long');
  if (input.Subject !== undefined && (input.Subject.length === 0 || input.Subject.length > 100 || /[^\x20-\x7e]/.test(input.Subject))) {
    throw snsErrors.invalidParameter('Subject Reason: must be 1 to 100 printable ASCII characters without line breaks');
  }
  let message = input.Message;
  if (input.MessageStructure !== undefined) {
    if (input.MessageStructure !== 'json') throw snsErrors.invalidParameter('MessageStructure Reason: must be json');
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(input.Message) as Record<string, unknown>;
    } catch {
      throw snsErrors.invalidParameter('Message Structure - JSON message body failed to parse');
    }
    if (typeof doc?.default !== 'string') throw snsErrors.invalidParameter('Message Structure - No default entry in JSON message body');
    // http and https subscribers get their own entry when there is one (both protocols are served alike here).
    message = typeof doc.http === 'string' ? doc.http : typeof doc.https === 'string' ? doc.https : doc.default;
  }
  parseTopicArn(arn);
  const { MessageId } = publishToTopic(ctx.cloud, arn, message, input.Subject);
  return { MessageId };
}
