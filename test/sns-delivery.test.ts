import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { deliveryLog } from '../src/services/sns/delivery.js';
import { iamService } from '../src/services/iam/service.js';
import { snsService } from '../src/services/sns/service.js';
import { Store } from '../src/store/db.js';

const REGION = 'us-east-1';

describe('SNS HTTP delivery on the virtual clock', () => {
  let cloud: Cloud;
  let clock: VirtualClock;
  let server: Server;
  let url = '';
  const bodies: any[] = [];
  /** Status codes the subscriber answers with, in order (then 200). */
  const answers: number[] = [];

  before(async () => {
    clock = new VirtualClock();
    cloud = new Cloud(new Store(':memory:'), clock, timingProfile('instant'), { home: os.tmpdir(), hostsPerZone: 2 });
    cloud.credentials.admin();
    cloud.register(snsService);
    cloud.register(iamService);
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => {
        text += c;
      });
      req.on('end', () => {
        bodies.push({ headers: req.headers, body: JSON.parse(text) });
        res.statusCode = answers.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    server.close();
    await cloud.shutdown();
  });

  const sns = (op: string, input: unknown) => cloud.invoke('sns', op, input, { region: REGION });
  const waitFor = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await sleep(10);
    assert.ok(check(), 'condition not reached in 2 s');
  };

  it('confirms, publishes, retries a failing subscriber on the clock, and logs every attempt', async () => {
    const { TopicArn } = await sns('CreateTopic', { Name: 'deliveries' });
    assert.deepEqual(await sns('CreateTopic', { Name: 'deliveries' }), { TopicArn }, 'CreateTopic is idempotent');
    const sub = await sns('Subscribe', { TopicArn, Protocol: 'http', Endpoint: url, ReturnSubscriptionArn: true });
    await waitFor(() => bodies.length === 1);
    assert.equal(bodies[0].body.Type, 'SubscriptionConfirmation');
    const before = await sns('Publish', { TopicArn, Message: 'not yet' });
    assert.ok(before.MessageId);
    await sleep(50);
    assert.equal(bodies.length, 1, 'an unconfirmed subscription receives nothing');
    assert.deepEqual(await sns('ConfirmSubscription', { TopicArn, Token: bodies[0].body.Token }), { SubscriptionArn: sub.SubscriptionArn });

    answers.push(500, 503);
    const { MessageId } = await sns('Publish', {
      TopicArn,
      Subject: 'hello',
      Message: JSON.stringify({ default: 'plain', http: 'for http' }),
      MessageStructure: 'json',
    });
    // An attempt is logged just before the retry's timer is set: only then may the clock move on.
    const attempts = () => deliveryLog(cloud, TopicArn).filter((r) => r.messageId === MessageId).length;
    await waitFor(() => attempts() === 1);
    clock.advance(20_000);
    await waitFor(() => attempts() === 2);
    clock.advance(20_000);
    await waitFor(() => bodies.length === 4);
    const last = bodies[3];
    assert.equal(last.headers['x-amz-sns-message-type'], 'Notification');
    assert.equal(last.headers['x-amz-sns-subscription-arn'], sub.SubscriptionArn);
    assert.deepEqual(
      [last.body.Type, last.body.MessageId, last.body.TopicArn, last.body.Subject, last.body.Message],
      ['Notification', MessageId, TopicArn, 'hello', 'for http'],
    );
    await waitFor(() => deliveryLog(cloud, TopicArn).filter((r) => r.messageId === MessageId).length === 3);
    const log = deliveryLog(cloud, TopicArn).filter((r) => r.messageId === MessageId);
    assert.deepEqual(
      log.map((r) => [r.attempt, r.status]),
      [
        [1, 500],
        [2, 503],
        [3, 200],
      ],
    );
    assert.equal(log[1].ts - log[0].ts, 20_000);
  });

  it("a principal other than the admin subscribes only the cloud's public addresses; one no running instance holds is unreachable", async () => {
    await cloud.invoke(
      'iam',
      'CreateRole',
      {
        RoleName: 'notifier',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      },
      { region: REGION },
    );
    await cloud.invoke(
      'iam',
      'PutRolePolicy',
      {
        RoleName: 'notifier',
        PolicyName: 'sns',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sns:*', Resource: '*' }] }),
      },
      { region: REGION },
    );
    const account = cloud.accountId;
    const principal = {
      type: 'assumed-role' as const,
      accountId: account,
      arn: `arn:aws:sts::${account}:assumed-role/notifier/i-0123456789abcdef0`,
      userId: 'AROAEXAMPLE:i-0123456789abcdef0',
      roleArn: `arn:aws:iam::${account}:role/notifier`,
      roleName: 'notifier',
    };
    const asRole = (op: string, input: unknown) => cloud.invoke('sns', op, input, { region: REGION, principal });
    const { TopicArn } = await asRole('CreateTopic', { Name: 'from-an-instance' });
    const seen = bodies.length;
    // The host's loopback services (this test's server, the daemon's API port, the metadata address) are not the cloud's Internet.
    for (const endpoint of [
      url,
      'http://localhost:4570/',
      'http://[::1]:80/',
      'http://127.0.0.1:22/',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.1.5/',
    ]) {
      await assert.rejects(asRole('Subscribe', { TopicArn, Protocol: 'http', Endpoint: endpoint }), { code: 'InvalidParameter' }, endpoint);
    }
    await sleep(50);
    assert.equal(bodies.length, seen, 'no request reached a host loopback endpoint');
    // A public address (the pool, 127.100.0.0/16) is accepted; without a running instance holding it, nothing connects.
    const sub = await asRole('Subscribe', {
      TopicArn,
      Protocol: 'http',
      Endpoint: 'http://127.100.0.9:8080/hook',
      ReturnSubscriptionArn: true,
    });
    const attempts = () => deliveryLog(cloud, TopicArn).filter((r) => r.subscriptionArn === sub.SubscriptionArn);
    await waitFor(() => attempts().length === 1);
    clock.advance(20_000);
    await waitFor(() => attempts().length === 2);
    clock.advance(20_000);
    await waitFor(() => attempts().length === 3);
    assert.deepEqual(
      attempts().map((r) => [r.attempt, r.status]),
      [
        [1, 0],
        [2, 0],
        [3, 0],
      ],
    );
    assert.match(attempts()[0].error ?? '', /no running instance has this public address/);
  });

  it('refuses endpoints off the loopback and protocols other than http(s)', async () => {
    const { TopicArn } = await sns('CreateTopic', { Name: 'strict' });
    await assert.rejects(sns('Subscribe', { TopicArn, Protocol: 'https', Endpoint: 'https://example.com/hook' }), {
      code: 'InvalidParameter',
    });
    await assert.rejects(sns('Subscribe', { TopicArn, Protocol: 'email', Endpoint: 'ops@example.com' }), { code: 'InvalidParameter' });
    await assert.rejects(sns('Subscribe', { TopicArn, Protocol: 'http', Endpoint: 'https://127.0.0.1/x' }), { code: 'InvalidParameter' });
    await assert.rejects(sns('Publish', { TopicArn: `${TopicArn}-gone`, Message: 'x' }), { code: 'NotFound' });
    await assert.rejects(sns('CreateTopic', { Name: 'orders.fifo' }), { code: 'InvalidParameter' });
  });
});
