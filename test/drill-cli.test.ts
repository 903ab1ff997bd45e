import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dataLoss } from '../src/drill/engine.js';
import { TestCloud } from './support/cloud.js';

describe('drill RPO arithmetic', () => {
  it('no write missing: RPO 0', () => {
    assert.deepEqual(
      dataLoss(
        [
          { seq: 1, wall: 1000 },
          { seq: 2, wall: 2000 },
        ],
        new Set([1, 2]),
        2500,
        30,
      ),
      { lost: [], rpoSeconds: 0 },
    );
  });
  it('writes lost back to a snapshot: from the first lost one to the fault, in AWS seconds', () => {
    // Acknowledged at wall 1 s, 2 s, 3 s; the fault at 4 s; the store came back with write 1 only (the snapshot's).
    const r = dataLoss(
      [
        { seq: 1, wall: 1000 },
        { seq: 2, wall: 2000 },
        { seq: 3, wall: 3000 },
      ],
      new Set([1]),
      4000,
      30,
    );
    assert.deepEqual(r.lost, [2, 3]);
    assert.equal(r.rpoSeconds, 60, '2 wall seconds at scale 30');
  });
  it('a lost write acknowledged after the fault stretches the span to it', () => {
    assert.equal(
      dataLoss(
        [
          { seq: 1, wall: 1000 },
          { seq: 2, wall: 5000 },
        ],
        new Set(),
        2000,
        10,
      ).rpoSeconds,
      40,
    );
  });
});

describe('halo drill refuses what it cannot measure', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start({ timeScale: 20, profile: 'fast' });
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('an unknown scenario, a missing --stack, and a missing stack', () => {
    const unknown = cloud.halo('drill', 'meteor-strike', '--stack', 's');
    assert.notEqual(unknown.status, 0);
    assert.match(
      unknown.stderr,
      /unknown scenario 'meteor-strike': one of instance-crash, host-failure, az-outage, terminate, network-partition/,
    );
    const noStack = cloud.halo('drill', 'host-failure');
    assert.match(noStack.stderr, /--stack NAME/);
    const missing = cloud.halo('drill', 'host-failure', '--stack', 'no-such-stack', '--json');
    assert.equal(missing.status, 1, missing.stderr);
    assert.match(missing.stderr, /drill host-failure on no-such-stack: .*no-such-stack/);
  });

  it('--profile and --time-scale must be those of the running cloud', () => {
    const scale = cloud.halo('drill', 'host-failure', '--stack', 's', '--time-scale', '99');
    assert.notEqual(scale.status, 0);
    assert.match(scale.stderr, /the running cloud runs at time scale 20, not 99/);
    const profile = cloud.halo('drill', 'host-failure', '--stack', 's', '--profile', 'aws-typical');
    assert.match(profile.stderr, /the running cloud uses profile fast, not aws-typical/);
  });

  it('--limit and objectives are numbers of seconds', () => {
    const r = cloud.halo('drill', 'host-failure', '--stack', 's', '--rto-objective', 'soon');
    assert.match(r.stderr, /--rto-objective must be a number of AWS seconds \(got 'soon'\)/);
  });

  it("a matrix of the CDK app's stacks on a cloud without their image: refused at once, saying how to make it", () => {
    const out = path.join(cloud.home, 'matrix');
    const r = cloud.halo('drill', 'matrix', '--out', out, '--stacks', 'Resilient,MultiAz', '--scenarios', 'terminate');
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /the matrix deploys Resilient, MultiAz on the image 'halo-ci', which this cloud does not have: run 'halo up'/);
    assert.equal(existsSync(out), false, 'no report of runs that could not be measured');
  });
});

describe('the drill prober', () => {
  it('keeps checking while the service hangs: every check of one timeout span goes out, each waiting out its own timeout', async () => {
    const { createServer } = await import('node:http');
    const { Prober } = await import('../src/drill/probe.js');
    const { journalWorkload } = await import('../src/drill/workload.js');
    let requests = 0;
    const server = createServer(() => {
      requests++;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const changes: boolean[] = [];
    // 20 ms: one AWS second at time scale 50. The checks of one timeout span (3 s: 150 of them) are made at once,
    // as a timer would make them over 3 s while none has answered yet.
    const prober = new Prober(
      journalWorkload(() => `http://127.0.0.1:${port}`),
      20,
      (up) => changes.push(up),
    );
    after(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    const span = prober.timeoutMs / prober.intervalMs;
    assert.equal(span, 150);
    for (let i = 0; i < span; i++) prober.check();
    const deadline = Date.now() + 20_000;
    while (requests < span && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(requests, span, 'every check reached the hanging service');
    assert.deepEqual(changes, [], 'no answer yet: neither up nor down before the checks time out');
    // Once they time out, the service counts as down.
    while (prober.samples.length < span && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(changes, [false]);
    assert.ok(prober.samples.every((s) => !s.ok));
  });
});
