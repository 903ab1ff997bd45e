import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { resolveDynamicRefs } from '../src/services/cloudformation/engine/dynamic-refs.js';
import { secretsmanagerService } from '../src/services/secretsmanager/service.js';
import { Store } from '../src/store/db.js';

const DAY = 86_400_000;

describe('Secrets Manager on a virtual clock', () => {
  let home: string;
  let cloud: Cloud;
  let clock: VirtualClock;
  const sm = (op: string, input: object) => cloud.invoke('secretsmanager', op, input, { region: 'us-east-1' });

  before(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'halo-sm-unit-'));
    clock = new VirtualClock(Date.UTC(2026, 11, 1));
    cloud = new Cloud(new Store(path.join(home, 'state.db')), clock, timingProfile('instant'), { home, hostsPerZone: 1 });
    cloud.register(secretsmanagerService);
  });
  after(async () => {
    await cloud.shutdown();
    rmSync(home, { recursive: true, force: true });
  });

  it('a deletion takes effect exactly when the recovery window ends, not a millisecond before', async () => {
    await sm('CreateSecret', { Name: 'windowed', SecretString: 'v' });
    const out = await sm('DeleteSecret', { SecretId: 'windowed', RecoveryWindowInDays: 10 });
    assert.equal(out.DeletionDate.getTime(), clock.now() + 10 * DAY);
    clock.advance(10 * DAY - 1);
    assert.equal((await sm('DescribeSecret', { SecretId: 'windowed' })).DeletedDate.getTime(), Date.UTC(2026, 11, 1));
    await assert.rejects(sm('CreateSecret', { Name: 'windowed' }), { code: 'InvalidRequestException' });
    clock.advance(1);
    await assert.rejects(sm('DescribeSecret', { SecretId: 'windowed' }), { code: 'ResourceNotFoundException' });
    await assert.rejects(sm('RestoreSecret', { SecretId: 'windowed' }), { code: 'ResourceNotFoundException' });
    assert.ok((await sm('CreateSecret', { Name: 'windowed' })).ARN);
  });

  it('the default window is 30 days; a restore inside it keeps the secret for good', async () => {
    await sm('CreateSecret', { Name: 'kept', SecretString: 'v' });
    const { DeletionDate } = await sm('DeleteSecret', { SecretId: 'kept' });
    assert.equal(DeletionDate.getTime(), clock.now() + 30 * DAY);
    clock.advance(29 * DAY);
    await sm('RestoreSecret', { SecretId: 'kept' });
    clock.advance(60 * DAY);
    assert.equal((await sm('GetSecretValue', { SecretId: 'kept' })).SecretString, 'v');
  });

  it('LastAccessedDate is the day of the last read', async () => {
    clock.advance(DAY / 2);
    await sm('GetSecretValue', { SecretId: 'kept' });
    const day = Math.floor(clock.now() / DAY) * DAY;
    assert.equal((await sm('DescribeSecret', { SecretId: 'kept' })).LastAccessedDate.getTime(), day);
  });

  it('{{resolve:secretsmanager:...}} reads a JSON key, a version stage or id, by name or by ARN', async () => {
    const { ARN, VersionId } = await sm('CreateSecret', {
      Name: 'db',
      SecretString: JSON.stringify({ username: 'admin', password: 'p$&1' }),
    });
    await sm('PutSecretValue', { SecretId: 'db', SecretString: JSON.stringify({ username: 'admin', password: 'second' }) });
    const invoke = (service: string, op: string, input: unknown) => cloud.invoke(service, op, input, { region: 'us-east-1' });
    const resolve = (text: string) => resolveDynamicRefs(text, invoke);
    assert.equal(await resolve('{{resolve:secretsmanager:db:SecretString:password}}'), 'second');
    assert.equal(
      await resolve('pw={{resolve:secretsmanager:db:SecretString:password:AWSPREVIOUS}};'),
      'pw=p$&1;',
      'a `$&` in a value stays as it is',
    );
    assert.equal(await resolve(`{{resolve:secretsmanager:${ARN}:SecretString:password::${VersionId}}}`), 'p$&1');
    assert.equal(await resolve(`{{resolve:secretsmanager:${ARN}}}`), JSON.stringify({ username: 'admin', password: 'second' }));
    assert.equal(
      await resolve('{{resolve:secretsmanager:db}}-{{resolve:secretsmanager:db:SecretString:username}}'),
      `${JSON.stringify({ username: 'admin', password: 'second' })}-admin`,
    );
    await assert.rejects(resolve('{{resolve:secretsmanager:db:SecretString:nokey}}'), { code: 'ValidationError' });
    await assert.rejects(resolve('{{resolve:secretsmanager:db:SecretBinary}}'), { code: 'ValidationError' });
    await assert.rejects(resolve('{{resolve:secretsmanager:db:SecretString:password:AWSCURRENT:x}}'), { code: 'ValidationError' });
    await assert.rejects(
      resolve('{{resolve:secretsmanager:missing}}'),
      (err: any) => err.code === 'ValidationError' && /can't find the specified secret/.test(err.message),
    );
  });
});
