import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetRoleCommand, IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { FastifyInstance } from 'fastify';
import { Cloud } from '../src/cloud.js';
import { VirtualClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { createFront } from '../src/server/front.js';
import { iamService } from '../src/services/iam/service.js';
import { instanceRoleCredentials, stsService } from '../src/services/sts/service.js';
import { Store } from '../src/store/db.js';

const MINUTE = 60_000;
const policy = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

/** The API front in this process on a virtual clock, so that session lifetimes can be run through. */
describe("role session credentials expire on the cloud's clock (SDK v3 against an in-process front)", () => {
  let home: string;
  let cloud: Cloud;
  let clock: VirtualClock;
  let app: FastifyInstance;
  let endpoint = '';
  const sdk = (c: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => ({
    endpoint,
    region: 'us-east-1',
    credentials: c,
    maxAttempts: 1,
  });

  before(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), 'halo-iam-expiry-'));
    clock = new VirtualClock(Math.floor(Date.now() / 1000) * 1000);
    cloud = new Cloud(new Store(path.join(home, 'state.db')), clock, timingProfile('instant'), { home, hostsPerZone: 1 });
    cloud.credentials.admin();
    for (const factory of [stsService, iamService]) cloud.register(factory);
    app = createFront(cloud);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const region = { region: 'us-east-1' };
    await cloud.invoke(
      'iam',
      'CreateRole',
      {
        RoleName: 'worker',
        AssumeRolePolicyDocument: policy({
          Effect: 'Allow',
          Principal: { AWS: cloud.accountId, Service: 'ec2.amazonaws.com' },
          Action: 'sts:AssumeRole',
        }),
      },
      region,
    );
    await cloud.invoke(
      'iam',
      'PutRolePolicy',
      { RoleName: 'worker', PolicyName: 'p', PolicyDocument: policy({ Effect: 'Allow', Action: 'iam:GetRole', Resource: '*' }) },
      region,
    );
    await cloud.invoke('iam', 'CreateInstanceProfile', { InstanceProfileName: 'worker' }, region);
    await cloud.invoke('iam', 'AddRoleToInstanceProfile', { InstanceProfileName: 'worker', RoleName: 'worker' }, region);
  });
  after(async () => {
    await app?.close();
    await cloud?.shutdown();
    rmSync(home, { recursive: true, force: true });
  });

  it('AssumeRole credentials work until DurationSeconds have passed, then answer ExpiredToken', async () => {
    const admin = cloud.credentials.admin();
    const sts = new STSClient(sdk({ accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey }));
    const out = await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${cloud.accountId}:role/worker`, RoleSessionName: 'short', DurationSeconds: 900 }),
    );
    assert.equal(out.Credentials?.Expiration?.getTime(), clock.now() + 15 * MINUTE);
    const session = {
      accessKeyId: out.Credentials?.AccessKeyId ?? '',
      secretAccessKey: out.Credentials?.SecretAccessKey ?? '',
      sessionToken: out.Credentials?.SessionToken,
    };
    const asRole = new STSClient(sdk(session));
    assert.equal((await asRole.send(new GetCallerIdentityCommand({}))).Arn, `arn:aws:sts::${cloud.accountId}:assumed-role/worker/short`);
    clock.advance(14 * MINUTE);
    await asRole.send(new GetCallerIdentityCommand({}));
    clock.advance(2 * MINUTE);
    await assert.rejects(asRole.send(new GetCallerIdentityCommand({})), { name: 'ExpiredToken' });
  });

  it('instance role credentials are allowed what the role allows for six hours of cloud time', async () => {
    const creds = instanceRoleCredentials(cloud, 'worker', 'i-0abc');
    const iam = new IAMClient(sdk({ accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey, sessionToken: creds.Token }));
    assert.equal((await iam.send(new GetRoleCommand({ RoleName: 'worker' }))).Role?.RoleName, 'worker');
    await assert.rejects(iam.send(new ListRolesCommand({})), { name: 'AccessDenied' });
    clock.advance(6 * 60 * MINUTE + MINUTE);
    await assert.rejects(iam.send(new GetRoleCommand({ RoleName: 'worker' })), { name: 'ExpiredToken' });
    const renewed = instanceRoleCredentials(cloud, 'worker', 'i-0abc');
    assert.notEqual(renewed.AccessKeyId, creds.AccessKeyId);
    const fresh = new IAMClient(
      sdk({ accessKeyId: renewed.AccessKeyId, secretAccessKey: renewed.SecretAccessKey, sessionToken: renewed.Token }),
    );
    assert.equal((await fresh.send(new GetRoleCommand({ RoleName: 'worker' }))).Role?.RoleName, 'worker');
  });
});
