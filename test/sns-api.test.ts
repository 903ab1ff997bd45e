import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCloud } from './support/cloud.js';

describe('SNS through the real aws CLI', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('topics and subscriptions: create, list, attributes, unsubscribe, delete', () => {
    const a = cloud.aws('sns', 'create-topic', '--name', 'alpha').json.TopicArn;
    const b = cloud.aws('sns', 'create-topic', '--name', 'beta').json.TopicArn;
    assert.deepEqual(cloud.aws('sns', 'list-topics').json.Topics, [{ TopicArn: a }, { TopicArn: b }]);
    const sub = cloud.aws(
      'sns',
      'subscribe',
      '--topic-arn',
      a,
      '--protocol',
      'http',
      '--notification-endpoint',
      'http://127.0.0.1:9/none',
      '--return-subscription-arn',
    );
    assert.equal(sub.status, 0, sub.stderr);
    const listed = cloud.aws('sns', 'list-subscriptions').json.Subscriptions;
    assert.deepEqual(
      listed.map((s: any) => [s.SubscriptionArn, s.TopicArn, s.Protocol]),
      [['PendingConfirmation', a, 'http']],
    );
    const attrs = cloud.aws('sns', 'get-topic-attributes', '--topic-arn', a).json.Attributes;
    assert.deepEqual([attrs.TopicArn, attrs.SubscriptionsPending, attrs.SubscriptionsConfirmed], [a, '1', '0']);
    const published = cloud.aws('sns', 'publish', '--topic-arn', a, '--message', 'hello', '--subject', 'greeting');
    assert.equal(published.status, 0, published.stderr);
    assert.match(published.json.MessageId, /^[0-9a-f-]{36}$/);
    assert.equal(cloud.aws('sns', 'unsubscribe', '--subscription-arn', sub.json.SubscriptionArn).status, 0);
    assert.deepEqual(cloud.aws('sns', 'list-subscriptions-by-topic', '--topic-arn', a).json.Subscriptions, []);
    assert.equal(cloud.aws('sns', 'delete-topic', '--topic-arn', a).status, 0);
    assert.deepEqual(cloud.aws('sns', 'list-topics').json.Topics, [{ TopicArn: b }]);
    const gone = cloud.aws('sns', 'publish', '--topic-arn', a, '--message', 'x');
    assert.match(gone.stderr, /NotFound/);
    const remote = cloud.aws(
      'sns',
      'subscribe',
      '--topic-arn',
      b,
      '--protocol',
      'https',
      '--notification-endpoint',
      'https://example.com/hook',
    );
    assert.match(remote.stderr, /InvalidParameter/);
  });
});
