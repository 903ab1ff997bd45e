import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { StackRun } from '../src/services/cloudformation/engine/run.js';
import { registerProvider } from '../src/services/cloudformation/providers/registry.js';
import { recoverInterruptedStacks } from '../src/services/cloudformation/engine/recover.js';
import { readStack, saveStack, wholeStacks } from '../src/services/cloudformation/engine/stack-store.js';
import { appendEvents, stackEvents } from '../src/services/cloudformation/engine/event-store.js';
import { findStack, findSummary, type StackEvent, type StackRecord } from '../src/services/cloudformation/engine/state.js';
import { runInGraph } from '../src/services/cloudformation/template/graph.js';
import { Store } from '../src/store/db.js';

function record(status: string): StackRecord {
  return {
    StackId: `arn:aws:cloudformation:us-east-1:123456789012:stack/s-${status.toLowerCase()}/0`,
    StackName: `s-${status.toLowerCase()}`,
    region: 'us-east-1',
    CreationTime: new Date(0).toISOString(),
    StackStatus: status,
    DisableRollback: false,
    Capabilities: [],
    Tags: [],
    NotificationARNs: [],
    TimeoutInMinutes: 2,
    templateBody: '{}',
    parameters: [],
    outputs: [],
    imports: [],
    resources: { A: { logicalId: 'A', type: 'AWS::SSM::Parameter', status: 'CREATE_IN_PROGRESS', timestamp: new Date(0).toISOString() } },
  };
}

describe("the stack engine's timing rules (virtual clock)", () => {
  let dir: string;
  let cloud: Cloud;
  let clock: VirtualClock;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'halo-cfn-engine-'));
    clock = new VirtualClock();
    cloud = new Cloud(new Store(path.join(dir, 'state.db')), clock, timingProfile('instant'), { home: dir, hostsPerZone: 1 });
  });
  after(async () => {
    cloud.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a resource still being made when another fails is cancelled, and what it makes later is handed back for deletion', async () => {
    const run = new StackRun(cloud, record('CREATE_IN_PROGRESS'), { Resources: {} });
    let finish: (v: string) => void = () => undefined;
    const work = new Promise<string>((resolve) => {
      finish = resolve;
    });
    const late: string[] = [];
    const guarded = run.guarded(work, 'creation', (v) => late.push(v));
    run.cancel();
    await assert.rejects(guarded, { message: 'Resource creation cancelled' });
    finish('vpc-late');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(late, ['vpc-late']);
    await assert.rejects(run.guarded(Promise.resolve(1), 'creation'), /cancelled/, 'nothing new runs after a cancellation');
  });

  it("TimeoutInMinutes fails work that outlives it, on the cloud's clock", async () => {
    const run = new StackRun(cloud, record('CREATE_IN_PROGRESS'), { Resources: {} });
    run.startDeadline();
    const pending = run.guarded(new Promise(() => undefined), 'creation');
    clock.advance(119_000);
    const early = await Promise.race([
      pending.then(
        () => 'done',
        () => 'failed',
      ),
      new Promise((r) => setImmediate(() => r('waiting'))),
    ]);
    assert.equal(early, 'waiting');
    clock.advance(1_000);
    await assert.rejects(pending, /Resource creation cancelled: the stack's TimeoutInMinutes \(2\) was exceeded/);
    assert.equal(await run.guarded(Promise.resolve('quick'), 'creation'), 'quick');
  });

  it('a stack left in progress by a stopped daemon is marked failed at the next start', () => {
    for (const status of ['CREATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'DELETE_IN_PROGRESS']) {
      const s = record(status);
      saveStack({ cloud }, s);
    }
    recoverInterruptedStacks(cloud);
    const after = Object.fromEntries(
      wholeStacks({ cloud }, 'us-east-1').map((s) => [s.StackName, [s.StackStatus, s.StackStatusReason, s.resources.A.status]]),
    );
    assert.deepEqual(after, {
      's-create_in_progress': ['CREATE_FAILED', 'The halo cloud stopped during this operation', 'CREATE_FAILED'],
      's-update_complete_cleanup_in_progress': ['UPDATE_COMPLETE', undefined, 'CREATE_FAILED'],
      's-delete_in_progress': ['DELETE_FAILED', 'The halo cloud stopped during this operation', 'CREATE_FAILED'],
    });
    const events = stackEvents({ cloud }, record('CREATE_IN_PROGRESS').StackId).map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}`);
    assert.deepEqual(events, ['A CREATE_FAILED', 's-create_in_progress CREATE_FAILED']);
  });

  it('a stack is found by its name through the key: the live one among deleted ones of that name, never one whose name only starts with it', () => {
    const ctx = { cloud, region: 'eu-west-3', accountId: '123456789012' };
    const put = (name: string, n: number, status: string) => {
      const s = { ...record(status), StackName: name, region: 'eu-west-3' };
      s.StackId = `arn:aws:cloudformation:eu-west-3:123456789012:stack/${name}/${n}`;
      saveStack({ cloud }, s);
    };
    put('web', 1, 'DELETE_COMPLETE');
    put('webapp', 2, 'CREATE_COMPLETE');
    assert.equal(findStack(ctx, 'web'), undefined);
    put('web', 3, 'CREATE_COMPLETE');
    put('web', 4, 'DELETE_COMPLETE');
    assert.equal(findStack(ctx, 'web')?.StackId, 'arn:aws:cloudformation:eu-west-3:123456789012:stack/web/3');
    assert.equal(findStack(ctx, 'webapp')?.StackId, 'arn:aws:cloudformation:eu-west-3:123456789012:stack/webapp/2');
    assert.equal(findStack(ctx, 'we'), undefined);
    assert.equal(findStack({ ...ctx, accountId: '210987654321' }, 'web'), undefined);
  });

  it('a resource starts when the last resource it needs completes, in template order; after a failure nothing new starts', async () => {
    const gates = new Map<string, { open: () => void; fail: () => void }>();
    const started: string[] = [];
    const work = (id: string) =>
      new Promise<void>((open, reject) => {
        started.push(id);
        gates.set(id, { open, fail: () => reject(new Error(`${id} failed`)) });
      });
    const deps = new Map([
      ['C', new Set(['A', 'B'])],
      ['D', new Set(['A'])],
      ['E', new Set(['C'])],
      ['F', new Set(['D'])],
    ]);
    const turn = () => new Promise((r) => setImmediate(r));
    const result = runInGraph(['A', 'B', 'C', 'D', 'E', 'F'], deps, work);
    assert.deepEqual(started, ['A', 'B']);
    gates.get('A')?.open();
    await turn();
    assert.deepEqual(started, ['A', 'B', 'D'], 'D needs only A; C still waits for B');
    gates.get('B')?.open();
    await turn();
    assert.deepEqual(started, ['A', 'B', 'D', 'C']);
    gates.get('C')?.fail();
    await turn();
    gates.get('D')?.open();
    await turn();
    assert.deepEqual(started, ['A', 'B', 'D', 'C'], 'F, ready after the failure, is not started');
    assert.deepEqual(await result, { failed: ['C'], notStarted: ['E', 'F'] });
  });

  it('stack events read back as they were recorded, in every stored form, and a record written whole still reads and saves', () => {
    const stack = { ...record('UPDATE_IN_PROGRESS'), StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/ev/1', StackName: 'ev' };
    const base = { StackId: stack.StackId, StackName: 'ev', ResourceType: 'AWS::EC2::VPC' };
    const at = (n: number) => new Date(n * 1000).toISOString();
    const resource = (logical: string, status: string, n: number, props?: string, extra: object = {}) => ({
      ...base,
      EventId: `${logical}-${status}-${at(n)}-ab12cd`,
      LogicalResourceId: logical,
      PhysicalResourceId: `vpc-${n}`,
      Timestamp: at(n),
      ResourceStatus: status,
      ...extra,
      ...(props === undefined ? {} : { ResourceProperties: props }),
    });
    const events = [
      {
        ...base,
        ResourceType: 'AWS::CloudFormation::Stack',
        EventId: 'uuid-1',
        LogicalResourceId: 'ev',
        PhysicalResourceId: stack.StackId,
        Timestamp: at(1),
        ResourceStatus: 'UPDATE_IN_PROGRESS',
        ResourceStatusReason: 'User Initiated',
      },
      resource('Vpc', 'UPDATE_IN_PROGRESS', 2, '{"CidrBlock":"10.1.0.0/16"}', {
        ResourceStatusReason: 'Requested update requires the creation of a new physical resource; hence creating one.',
      }),
      resource('Vpc', 'UPDATE_IN_PROGRESS', 3, '{"CidrBlock":"10.1.0.0/16"}', { ResourceStatusReason: 'Resource creation Initiated' }),
      resource('Vpc', 'DELETE_IN_PROGRESS', 4, '{"CidrBlock":"10.0.0.0/16"}'),
      resource('Vpc', 'UPDATE_COMPLETE', 5, '{"CidrBlock":"10.1.0.0/16"}'),
      { ...resource('Gone', 'DELETE_COMPLETE', 6), PhysicalResourceId: undefined },
    ];
    // Written by a later save: the resource's properties as its latest event in an earlier row gave them.
    const later = [
      resource('Vpc', 'DELETE_IN_PROGRESS', 7, '{"CidrBlock":"10.1.0.0/16"}'),
      resource('Vpc', 'DELETE_COMPLETE', 8, '{"CidrBlock":"10.1.0.0/16"}'),
    ];
    const expected = [...events, ...later].map((e) => JSON.parse(JSON.stringify(e)) as StackEvent);
    appendEvents({ cloud }, stack, events.slice(0, 3));
    appendEvents({ cloud }, stack, events.slice(3));
    appendEvents({ cloud }, stack, later);
    assert.deepEqual(stackEvents({ cloud }, stack.StackId), expected);
    const stored = cloud.store.table<{ fields: unknown[][] }>('cloudformation.event').list(stack.StackId);
    assert.deepEqual(
      stored.at(-1)?.fields.map((f) => f[7]),
      [1, 1],
      "the last save's events hold no properties text: an earlier row holds it",
    );
    // Another cloud on the same store (a restart) knows nothing of what was written: it writes the text again.
    const restarted = new Cloud(cloud.store, clock, timingProfile('instant'), { home: dir, hostsPerZone: 1 });
    appendEvents({ cloud: restarted }, stack, [resource('Vpc', 'UPDATE_IN_PROGRESS', 9, '{"CidrBlock":"10.1.0.0/16"}')]);
    assert.equal(
      cloud.store.table<{ fields: unknown[][] }>('cloudformation.event').list(stack.StackId).at(-1)?.fields[0][7],
      '{"CidrBlock":"10.1.0.0/16"}',
    );
    assert.equal(stackEvents({ cloud }, stack.StackId).at(-1)?.ResourceProperties, '{"CidrBlock":"10.1.0.0/16"}');
    // Rows of the earlier forms: one whole event, and a save's events as whole objects.
    const rows = cloud.store.table<object>('cloudformation.event');
    const old = { ...stack, StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/ev/0' };
    const whole = expected.map((e) => ({ ...e, StackId: old.StackId }));
    rows.insert(old.StackId, 'a', whole[0]);
    rows.insert(old.StackId, 'b', { stackName: 'ev', events: whole.slice(1).map(({ StackId: _i, StackName: _n, ...e }) => e) });
    assert.deepEqual(stackEvents({ cloud }, old.StackId), whole);
    // A record stored whole in one row (before the template and the resources had rows of their own).
    cloud.store.table<StackRecord>('cloudformation.stack').put(old.region, old.StackId, old);
    assert.deepEqual(readStack({ cloud }, old.region, old.StackId), old);
    const changed = { ...readStack({ cloud }, old.region, old.StackId)!, StackStatus: 'UPDATE_COMPLETE' };
    saveStack({ cloud }, changed);
    assert.deepEqual(readStack({ cloud }, old.region, old.StackId), changed);
    assert.equal(findSummary({ cloud, region: old.region, accountId: '123456789012' }, old.StackId)?.StackStatus, 'UPDATE_COMPLETE');
  });

  it('a record handed back is used as it is only while the rows hold what it was saved as', () => {
    const saved = {
      ...record('CREATE_COMPLETE'),
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/kept/0',
      StackName: 'kept',
    };
    saveStack({ cloud }, saved);
    assert.equal(readStack({ cloud }, saved.region, saved.StackId, saved), saved);
    // Another record object of the stack changes a row: the rows are read again, and the one handed back is not used.
    const other = readStack({ cloud }, saved.region, saved.StackId)!;
    assert.notEqual(other, saved);
    other.resources.A.status = 'UPDATE_COMPLETE';
    saveStack({ cloud }, other);
    const read = readStack({ cloud }, saved.region, saved.StackId, saved)!;
    assert.notEqual(read, saved);
    assert.equal(read.resources.A.status, 'UPDATE_COMPLETE');
    other.StackStatus = 'UPDATE_COMPLETE';
    saveStack({ cloud }, other, true);
    assert.equal(readStack({ cloud }, saved.region, saved.StackId, read)?.StackStatus, 'UPDATE_COMPLETE');
    other.templateBody = '{"Resources":{}}';
    saveStack({ cloud }, other, true);
    assert.equal(readStack({ cloud }, saved.region, saved.StackId, read)?.templateBody, '{"Resources":{}}');
  });

  it('a save that fails writes no event, and the events saved after it still carry their properties', () => {
    const stack = {
      ...record('CREATE_IN_PROGRESS'),
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/failing/0',
      StackName: 'failing',
    };
    const run = new StackRun(cloud, stack, { Resources: {} });
    const a = stack.resources.A;
    a.props = { Name: 'p' };
    run.setResourceStatus(a, 'CREATE_IN_PROGRESS');
    run.save();
    // A value JSON cannot write makes the stack's record fail after its events were written in the same transaction.
    a.props = { Name: 'q' };
    stack.outputs = [{ OutputKey: 'Bad', OutputValue: 1n as unknown as string }];
    run.setResourceStatus(a, 'CREATE_IN_PROGRESS', 'Resource creation Initiated');
    assert.throws(() => run.save(), /BigInt/);
    stack.outputs = [];
    run.setResourceStatus(a, 'CREATE_COMPLETE');
    run.save();
    assert.deepEqual(
      stackEvents({ cloud }, stack.StackId).map((e) => [e.ResourceStatus, e.ResourceProperties]),
      [
        ['CREATE_IN_PROGRESS', '{"Name":"p"}'],
        ['CREATE_COMPLETE', '{"Name":"q"}'],
      ],
    );
  });

  it('a type another issue brings fails with a clear reason until its provider registers; an unknown type names itself', () => {
    const run = new StackRun(cloud, record('CREATE_IN_PROGRESS'), { Resources: {} });
    assert.throws(() => run.provider('AWS::CloudWatch::Alarm'), /halo does not support resource type AWS::CloudWatch::Alarm yet/);
    assert.throws(() => run.provider('AWS::Foo::Bar'), /Unrecognized resource type: AWS::Foo::Bar/);
    const alarm = { type: 'AWS::CloudWatch::Alarm', create: async () => ({ physicalId: 'a' }), delete: async () => undefined };
    registerProvider(alarm);
    assert.equal(run.provider('AWS::CloudWatch::Alarm'), alarm);
  });
});
