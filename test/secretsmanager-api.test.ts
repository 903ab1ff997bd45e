import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { TestCloud } from './support/cloud.js';
import { errorName } from './support/errors.js';
import { signRequest } from './support/sign.js';
import { waitFor } from './support/wait.js';

const DAY = 86_400_000;
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const policy = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

describe('Secrets Manager through the aws CLI and SDK v3', () => {
  let cloud: TestCloud;
  // A client per test: a keep-alive socket left idle for a minute while the CLI runs is closed by the daemon.
  const client = () => new SecretsManagerClient(cloud.sdk);
  const ok = (...args: string[]) => cloud.awsOk('secretsmanager', ...args);
  const fails = (code: string, ...args: string[]) => cloud.awsFails(code, 'secretsmanager', ...args);
  /** A timestamp as the aws CLI prints it (ISO 8601) or the SDK gives it, in epoch ms. */
  const ms = (v: string | number) => (typeof v === 'number' ? v * 1000 : Date.parse(v));
  /** The cloud's time, read from a throwaway secret's CreatedDate. */
  const cloudNow = () => {
    const name = `clock-${Math.random().toString(36).slice(2)}`;
    ok('create-secret', '--name', name);
    const created = ms(ok('describe-secret', '--secret-id', name).CreatedDate);
    ok('delete-secret', '--secret-id', name, '--force-delete-without-recovery');
    return created;
  };

  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('create-secret makes an ARN of the name and six random characters; tags and KmsKeyId are kept', () => {
    const made = ok(
      'create-secret',
      '--name',
      'prod/db-pass',
      '--secret-string',
      'hunter2',
      '--description',
      'Database Password',
      '--kms-key-id',
      'alias/my-key',
      '--tags',
      'Key=env,Value=prod',
      'Key=team,Value=ha',
    );
    assert.match(made.ARN, /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:prod\/db-pass-[A-Za-z0-9]{6}$/);
    assert.equal(made.Name, 'prod/db-pass');
    assert.match(made.VersionId, /^[0-9a-f-]{36}$/);
    const d = ok('describe-secret', '--secret-id', 'prod/db-pass');
    assert.equal(d.ARN, made.ARN);
    assert.equal(d.KmsKeyId, 'alias/my-key');
    assert.equal(d.Description, 'Database Password');
    assert.deepEqual(d.Tags, [
      { Key: 'env', Value: 'prod' },
      { Key: 'team', Value: 'ha' },
    ]);
    assert.deepEqual(d.VersionIdsToStages, { [made.VersionId]: ['AWSCURRENT'] });
    assert.equal(ok('get-secret-value', '--secret-id', made.ARN).SecretString, 'hunter2');
    assert.equal(ok('get-secret-value', '--secret-id', made.ARN.slice(0, -7)).SecretString, 'hunter2', 'a partial ARN names it too');
    fails('ResourceExistsException', 'create-secret', '--name', 'prod/db-pass', '--secret-string', 'x');
    fails('InvalidParameterException', 'create-secret', '--name', 'bad name', '--secret-string', 'x');
    fails('ResourceNotFoundException', 'get-secret-value', '--secret-id', 'no-such-secret');
    const text = fails('ResourceNotFoundException', 'describe-secret', '--secret-id', 'no-such-secret');
    assert.match(text, /Secrets Manager can't find the specified secret\./);
    const noValue = ok('create-secret', '--name', 'empty');
    assert.equal(noValue.VersionId, undefined);
    assert.match(fails('ResourceNotFoundException', 'get-secret-value', '--secret-id', 'empty'), /staging label: AWSCURRENT/);
  });

  it('speaks JSON 1.1: X-Amz-Target secretsmanager.<Op> in, application/x-amz-json-1.1 and __type errors out', async () => {
    const call = async (op: string, body: object) => {
      const req = await signRequest(
        {
          method: 'POST',
          endpoint: cloud.endpoint,
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `secretsmanager.${op}` },
          body: JSON.stringify(body),
        },
        { service: 'secretsmanager', region: cloud.region, accessKeyId: cloud.accessKeyId, secretAccessKey: cloud.secretAccessKey },
      );
      const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
      return { status: res.status, type: res.headers.get('content-type'), json: (await res.json()) as any };
    };
    const pw = await call('GetRandomPassword', { PasswordLength: 10 });
    assert.equal(pw.status, 200);
    assert.match(pw.type ?? '', /^application\/x-amz-json-1\.1/);
    assert.equal(pw.json.RandomPassword.length, 10);
    const missing = await call('DescribeSecret', { SecretId: 'nothing-here' });
    assert.equal(missing.status, 400);
    assert.match(missing.type ?? '', /^application\/x-amz-json-1\.1/);
    assert.equal(missing.json.__type, 'ResourceNotFoundException');
    assert.equal(missing.json.message, "Secrets Manager can't find the specified secret.");
  });

  it('ClientRequestToken makes CreateSecret and PutSecretValue idempotent; a reused token with another value is refused', async () => {
    const sm = client();
    const token = 'a'.repeat(32);
    const first = await sm.send(new CreateSecretCommand({ Name: 'idem', SecretString: 'v1', ClientRequestToken: token }));
    const again = await sm.send(new CreateSecretCommand({ Name: 'idem', SecretString: 'v1', ClientRequestToken: token }));
    assert.equal(again.ARN, first.ARN);
    assert.equal(first.VersionId, token);
    assert.equal(
      await errorName(sm.send(new CreateSecretCommand({ Name: 'idem', SecretString: 'v2', ClientRequestToken: token }))),
      'ResourceExistsException',
    );
    const t2 = 'b'.repeat(40);
    await sm.send(new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'v2', ClientRequestToken: t2 }));
    const retry = await sm.send(new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'v2', ClientRequestToken: t2 }));
    assert.deepEqual(retry.VersionStages, ['AWSCURRENT']);
    assert.equal(
      await errorName(sm.send(new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'v3', ClientRequestToken: t2 }))),
      'ResourceExistsException',
    );
    assert.equal(
      await errorName(sm.send(new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'v3', ClientRequestToken: 'short' }))),
      'ValidationException',
    );
    assert.equal(await errorName(sm.send(new PutSecretValueCommand({ SecretId: 'idem' }))), 'InvalidRequestException');
    assert.equal(
      await errorName(sm.send(new CreateSecretCommand({ Name: 'both', SecretString: 'a', SecretBinary: Buffer.from('b') }))),
      'InvalidParameterException',
    );
  });

  it('SecretBinary goes in and out as bytes', async () => {
    const sm = client();
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await sm.send(new CreateSecretCommand({ Name: 'binary', SecretBinary: bytes }));
    const got = await sm.send(new GetSecretValueCommand({ SecretId: 'binary' }));
    assert.deepEqual(Buffer.from(got.SecretBinary ?? []), bytes);
    assert.equal(got.SecretString, undefined);
    assert.equal(
      Buffer.from(ok('get-secret-value', '--secret-id', 'binary').SecretBinary, 'base64').toString('hex'),
      bytes.toString('hex'),
    );
  });

  it('put-secret-value moves AWSCURRENT; the version it leaves becomes AWSPREVIOUS; older ones keep no stage', () => {
    const v1 = ok('create-secret', '--name', 'rotating', '--secret-string', 'one').VersionId;
    const v2 = ok('put-secret-value', '--secret-id', 'rotating', '--secret-string', 'two');
    assert.deepEqual(v2.VersionStages, ['AWSCURRENT']);
    assert.equal(ok('get-secret-value', '--secret-id', 'rotating').SecretString, 'two');
    const prev = ok('get-secret-value', '--secret-id', 'rotating', '--version-stage', 'AWSPREVIOUS');
    assert.equal(prev.SecretString, 'one');
    assert.equal(prev.VersionId, v1);
    assert.deepEqual(prev.VersionStages, ['AWSPREVIOUS']);
    assert.equal(ok('get-secret-value', '--secret-id', 'rotating', '--version-id', v1).SecretString, 'one');
    const v3 = ok('update-secret', '--secret-id', 'rotating', '--secret-string', 'three', '--description', 'rotated').VersionId;
    assert.deepEqual(ok('describe-secret', '--secret-id', 'rotating').VersionIdsToStages, {
      [v2.VersionId]: ['AWSPREVIOUS'],
      [v3]: ['AWSCURRENT'],
    });
    assert.equal(ok('describe-secret', '--secret-id', 'rotating').Description, 'rotated');
    const listed = ok('list-secret-version-ids', '--secret-id', 'rotating').Versions.map((v: any) => v.VersionId);
    assert.deepEqual(listed.sort(), [v2.VersionId, v3].sort());
    assert.equal(ok('list-secret-version-ids', '--secret-id', 'rotating', '--include-deprecated').Versions.length, 3);
    // A custom label moves to the new version; AWSCURRENT stays where it was.
    const labelled = ok('put-secret-value', '--secret-id', 'rotating', '--secret-string', 'four', '--version-stages', 'STAGING');
    assert.deepEqual(labelled.VersionStages, ['STAGING']);
    assert.equal(ok('get-secret-value', '--secret-id', 'rotating').SecretString, 'three');
    assert.equal(ok('get-secret-value', '--secret-id', 'rotating', '--version-stage', 'STAGING').SecretString, 'four');
    assert.match(
      fails(
        'ResourceNotFoundException',
        'get-secret-value',
        '--secret-id',
        'rotating',
        '--version-id',
        '11111111-1111-1111-1111-111111111111',
      ),
      /VersionId/,
    );
    fails('ResourceNotFoundException', 'get-secret-value', '--secret-id', 'rotating', '--version-id', v1, '--version-stage', 'AWSCURRENT');
    assert.ok(ok('describe-secret', '--secret-id', 'rotating').LastAccessedDate, 'reads are recorded (by day)');
  });

  it('list-secrets filters by name, description, tag key and value, negation and all words; pages with NextToken', async () => {
    const sm = client();
    ok('create-secret', '--name', 'app/alpha', '--description', 'Alpha Service credentials', '--tags', 'Key=tier,Value=web');
    ok('create-secret', '--name', 'app/beta', '--description', 'beta worker', '--tags', 'Key=tier,Value=worker', 'Key=owner,Value=ops');
    ok('create-secret', '--name', 'other/gamma', '--description', 'something else');
    const names = (...args: string[]) =>
      ok('list-secrets', ...args)
        .SecretList.map((s: any) => s.Name)
        .sort();
    assert.deepEqual(names('--filters', 'Key=name,Values=app/'), ['app/alpha', 'app/beta']);
    assert.deepEqual(names('--filters', 'Key=name,Values=App/'), [], 'name is case-sensitive');
    assert.deepEqual(names('--filters', 'Key=description,Values=ALPHA'), ['app/alpha'], 'description is not');
    assert.deepEqual(names('--filters', 'Key=tag-key,Values=owner'), ['app/beta']);
    assert.deepEqual(names('--filters', 'Key=tag-value,Values=we'), ['app/alpha']);
    assert.deepEqual(names('--filters', 'Key=name,Values=app/', 'Key=tag-value,Values=!web'), ['app/beta']);
    assert.deepEqual(names('--filters', 'Key=all,Values=worker'), ['app/beta']);
    assert.deepEqual(names('--filters', 'Key=all,Values=gamma'), ['other/gamma']);
    assert.deepEqual(names('--filters', 'Key=name,Values=app/alpha,other'), ['app/alpha', 'other/gamma'], 'any value of a filter');
    const entry = ok('list-secrets', '--filters', 'Key=name,Values=app/alpha').SecretList[0];
    assert.deepEqual(entry.Tags, [{ Key: 'tier', Value: 'web' }]);
    assert.ok(entry.CreatedDate);

    const seen: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await sm.send(new ListSecretsCommand({ MaxResults: 1, NextToken, Filters: [{ Key: 'name', Values: ['app/'] }] }));
      assert.equal(page.SecretList?.length, 1);
      seen.push(page.SecretList![0].Name!);
      NextToken = page.NextToken;
    } while (NextToken);
    assert.deepEqual(seen.sort(), ['app/alpha', 'app/beta']);
    const first = await sm.send(new ListSecretsCommand({ MaxResults: 1 }));
    assert.equal(
      await errorName(
        sm.send(new ListSecretsCommand({ MaxResults: 1, NextToken: first.NextToken, Filters: [{ Key: 'name', Values: ['app/'] }] })),
      ),
      'InvalidNextTokenException',
    );
    assert.equal(await errorName(sm.send(new ListSecretsCommand({ MaxResults: 101 }))), 'ValidationException');
  });

  it("delete-secret schedules the deletion; restore-secret undoes it; the window ends on the cloud's clock", async () => {
    const sm = client();
    fails(
      'InvalidParameterException',
      'delete-secret',
      '--secret-id',
      'app/alpha',
      '--recovery-window-in-days',
      '7',
      '--force-delete-without-recovery',
    );
    assert.match(
      fails('InvalidParameterException', 'delete-secret', '--secret-id', 'app/alpha', '--recovery-window-in-days', '6'),
      /between 7 and 30/,
    );
    fails('InvalidParameterException', 'delete-secret', '--secret-id', 'app/alpha', '--recovery-window-in-days', '31');
    const before = cloudNow();
    const del = ok('delete-secret', '--secret-id', 'app/alpha');
    const after = cloudNow();
    const deletionDate = ms(del.DeletionDate);
    assert.ok(deletionDate >= before + 30 * DAY && deletionDate <= after + 30 * DAY, 'the default window is 30 days');
    assert.match(fails('InvalidRequestException', 'get-secret-value', '--secret-id', 'app/alpha'), /marked for deletion/);
    fails('InvalidRequestException', 'put-secret-value', '--secret-id', 'app/alpha', '--secret-string', 'x');
    fails('InvalidRequestException', 'delete-secret', '--secret-id', 'app/alpha');
    assert.ok(ok('describe-secret', '--secret-id', 'app/alpha').DeletedDate);
    assert.deepEqual(ok('list-secrets', '--filters', 'Key=name,Values=app/alpha').SecretList, []);
    assert.equal(ok('list-secrets', '--include-planned-deletion', '--filters', 'Key=name,Values=app/alpha').SecretList.length, 1);
    assert.match(fails('InvalidRequestException', 'create-secret', '--name', 'app/alpha'), /already scheduled for deletion/);
    ok('restore-secret', '--secret-id', 'app/alpha');
    assert.equal(ok('describe-secret', '--secret-id', 'app/alpha').DeletedDate, undefined);

    // The window's end on the cloud's clock is proven at a high time scale below and on a virtual clock.
    ok('delete-secret', '--secret-id', 'app/alpha', '--force-delete-without-recovery');
    fails('ResourceNotFoundException', 'describe-secret', '--secret-id', 'app/alpha');
    ok('create-secret', '--name', 'app/alpha', '--secret-string', 'again');

    await sm.send(new DeleteSecretCommand({ SecretId: 'app/beta', ForceDeleteWithoutRecovery: true }));
    assert.equal(await errorName(sm.send(new GetSecretValueCommand({ SecretId: 'app/beta' }))), 'ResourceNotFoundException');
  });

  it('get-random-password: 32 characters of every type by default, and every option', async () => {
    const sm = client();
    const pw = ok('get-random-password').RandomPassword as string;
    assert.equal(pw.length, 32);
    for (const re of [/[a-z]/, /[A-Z]/, /[0-9]/]) assert.match(pw, re);
    assert.ok(
      [...pw].some((c) => PUNCTUATION.includes(c)),
      pw,
    );
    assert.ok(!pw.includes(' '));
    const only = (args: string[], allowed: RegExp, length = 64) => {
      const p = ok('get-random-password', '--password-length', String(length), ...args).RandomPassword as string;
      assert.equal(p.length, length);
      assert.match(p, allowed, `${args.join(' ')}: ${p}`);
      return p;
    };
    only(['--exclude-punctuation', '--exclude-numbers', '--exclude-uppercase'], /^[a-z]+$/);
    only(['--exclude-punctuation', '--exclude-numbers', '--exclude-lowercase'], /^[A-Z]+$/);
    only(['--exclude-punctuation', '--exclude-uppercase', '--exclude-lowercase'], /^[0-9]+$/);
    only(
      ['--exclude-numbers', '--exclude-uppercase', '--exclude-lowercase', '--exclude-characters', '!"#$%&\'()*+,-./:;<=>?@[\\]^_'],
      /^[`{|}~]+$/,
    );
    only(['--exclude-characters', 'abcdefghijklmnopqrstuvwxyz0123456789', '--exclude-punctuation'], /^[A-Z]+$/);
    const spaced = only(
      ['--include-space', '--exclude-punctuation', '--exclude-numbers', '--exclude-uppercase', '--exclude-lowercase'],
      /^ +$/,
      8,
    );
    assert.equal(spaced, '        ');
    // RequireEachIncludedType (the default) puts one of each type even in a short password.
    for (let i = 0; i < 20; i++) {
      const p = (await sm.send(new GetRandomPasswordCommand({ PasswordLength: 4 }))).RandomPassword ?? '';
      assert.ok(/[a-z]/.test(p) && /[A-Z]/.test(p) && /[0-9]/.test(p) && [...p].some((c) => PUNCTUATION.includes(c)), p);
    }
    only(['--no-require-each-included-type'], /^.{3}$/, 3);
    assert.equal(await errorName(sm.send(new GetRandomPasswordCommand({ PasswordLength: 3 }))), 'InvalidParameterException');
    assert.equal(await errorName(sm.send(new GetRandomPasswordCommand({ PasswordLength: 0 }))), 'ValidationException');
    assert.equal(await errorName(sm.send(new GetRandomPasswordCommand({ PasswordLength: 4097 }))), 'ValidationException');
    const none = new GetRandomPasswordCommand({
      ExcludeLowercase: true,
      ExcludeUppercase: true,
      ExcludeNumbers: true,
      ExcludePunctuation: true,
    });
    assert.equal(await errorName(sm.send(none)), 'InvalidParameterException');
  });

  it('tag-resource / untag-resource, and resource policies are kept', () => {
    ok('tag-resource', '--secret-id', 'rotating', '--tags', 'Key=a,Value=1', 'Key=b,Value=2');
    ok('tag-resource', '--secret-id', 'rotating', '--tags', 'Key=a,Value=3');
    ok('untag-resource', '--secret-id', 'rotating', '--tag-keys', 'b');
    assert.deepEqual(ok('describe-secret', '--secret-id', 'rotating').Tags, [{ Key: 'a', Value: '3' }]);
    const doc = policy({
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:root' },
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
    });
    ok('put-resource-policy', '--secret-id', 'rotating', '--resource-policy', doc);
    assert.deepEqual(JSON.parse(ok('get-resource-policy', '--secret-id', 'rotating').ResourcePolicy), JSON.parse(doc));
    fails('MalformedPolicyDocumentException', 'put-resource-policy', '--secret-id', 'rotating', '--resource-policy', '{not json');
    const open = policy({ Effect: 'Allow', Principal: '*', Action: 'secretsmanager:GetSecretValue', Resource: '*' });
    fails('PublicPolicyException', 'put-resource-policy', '--secret-id', 'rotating', '--resource-policy', open, '--block-public-policy');
    ok('delete-resource-policy', '--secret-id', 'rotating');
    assert.equal(ok('get-resource-policy', '--secret-id', 'rotating').ResourcePolicy, undefined);
  });

  it("role credentials: GetSecretValue is allowed only on the secrets the role's policy names, by name or by ARN", async () => {
    const account = cloud.awsOk('sts', 'get-caller-identity').Account;
    const allowed = ok('create-secret', '--name', 'team/readable', '--secret-string', 'open sesame').ARN;
    ok('create-secret', '--name', 'team/hidden', '--secret-string', 'nope');
    cloud.awsOk(
      'iam',
      'create-role',
      '--role-name',
      'secret-reader',
      '--assume-role-policy-document',
      policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }),
    );
    cloud.awsOk(
      'iam',
      'put-role-policy',
      '--role-name',
      'secret-reader',
      '--policy-name',
      'read-one',
      '--policy-document',
      policy({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: allowed }),
    );
    const sts = new STSClient(cloud.sdk);
    const { Credentials: c } = await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/secret-reader`, RoleSessionName: 'reader' }),
    );
    const asRole = new SecretsManagerClient({
      ...cloud.sdk,
      credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! },
    });
    assert.equal(
      (await asRole.send(new GetSecretValueCommand({ SecretId: 'team/readable' }))).SecretString,
      'open sesame',
      'by name, checked against its ARN',
    );
    assert.equal((await asRole.send(new GetSecretValueCommand({ SecretId: allowed }))).SecretString, 'open sesame');
    const denied = await asRole.send(new GetSecretValueCommand({ SecretId: 'team/hidden' })).then(
      () => undefined,
      (err: Error) => err,
    );
    assert.equal(denied?.name, 'AccessDeniedException');
    assert.match(
      denied?.message ?? '',
      new RegExp(
        `is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:${account}:secret:team/hidden-[A-Za-z0-9]{6}`,
      ),
    );
    assert.equal(
      await errorName(asRole.send(new PutSecretValueCommand({ SecretId: 'team/readable', SecretString: 'x' }))),
      'AccessDeniedException',
    );
    assert.equal(await errorName(asRole.send(new CreateSecretCommand({ Name: 'team/new' }))), 'AccessDeniedException');
  });
});

describe("Secrets Manager's recovery window ends on the cloud's clock (time scale 100 000)", () => {
  let cloud: TestCloud;
  before(async () => {
    // 7 days of cloud time pass in about 6 s of wall time.
    cloud = await TestCloud.start({ timeScale: 100_000 });
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('a secret deleted with a 7-day window is readable by describe-secret until then, and gone after', async () => {
    cloud.awsOk('secretsmanager', 'create-secret', '--name', 'short-lived', '--secret-string', 's');
    const del = cloud.awsOk('secretsmanager', 'delete-secret', '--secret-id', 'short-lived', '--recovery-window-in-days', '7');
    const due = Date.parse(del.DeletionDate);
    const scheduled = cloud.awsOk('secretsmanager', 'describe-secret', '--secret-id', 'short-lived');
    assert.ok(Date.parse(scheduled.DeletedDate) < due, 'still there, scheduled');
    // The schedule is state, not a timer: it survives a restart of the daemon.
    await cloud.stop();
    await cloud.restart();
    await waitFor(
      'the deletion at the end of the window',
      () => (cloud.aws('secretsmanager', 'describe-secret', '--secret-id', 'short-lived').status !== 0 ? true : undefined),
      30_000,
    );
    cloud.awsFails('ResourceNotFoundException', 'secretsmanager', 'describe-secret', '--secret-id', 'short-lived');
    const again = cloud.awsOk('secretsmanager', 'create-secret', '--name', 'short-lived', '--secret-string', 't');
    const created = Date.parse(cloud.awsOk('secretsmanager', 'describe-secret', '--secret-id', again.ARN).CreatedDate);
    assert.ok(created >= due, `made again after the window (${new Date(created).toISOString()} >= ${new Date(due).toISOString()})`);
  });
});
