import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

type Call = (op: string, input: unknown) => Promise<any>;

/**
 * An HTTP endpoint on loopback subscribed to a new SNS topic and confirmed through SNS itself: it records every
 * delivery (the confirmation request first). `arrived(n)` waits until n deliveries are in (exactly n when asked).
 */
export async function snsEndpoint(sns: Call, topicName: string) {
  const bodies: any[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      bodies.push(JSON.parse(text));
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const arrived = async (n: number, exactly = false) => {
    for (let i = 0; i < 300 && bodies.length < n; i++) await sleep(10);
    const seen = JSON.stringify(bodies.map((b) => b.Subject ?? b.Type));
    if (exactly) assert.equal(bodies.length, n, seen);
    else assert.ok(bodies.length >= n, `${n} deliveries: ${seen}`);
  };
  try {
    const { TopicArn } = await sns('CreateTopic', { Name: topicName });
    await sns('Subscribe', { TopicArn, Protocol: 'http', Endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
    await arrived(1, true);
    await sns('ConfirmSubscription', { TopicArn, Token: bodies[0].Token });
    return { TopicArn: TopicArn as string, bodies, arrived, close: () => server.close() };
  } catch (err) {
    server.close();
    throw err;
  }
}
