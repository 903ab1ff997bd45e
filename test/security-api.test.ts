import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CloudFormationClient, CreateStackCommand, ValidateTemplateCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, ListMetricsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, type Credentials } from '@aws-sdk/client-sts';
import { readDaemonInfo } from '../src/daemon/home.js';
import { AWS_CLI, TestCloud } from './support/cloud.js';
import { signer, signRequest } from './support/sign.js';

/**
 * Issue 14, findings 1, 4 and 5: what an API client could make the cloud read, inflate or accept. Every attack is
 * sent as a real client sends it (SDK v3, the aws CLI, requests signed with the SDK's own SigV4 signer).
 */

const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
const JSON_10 = { 'content-type': 'application/x-amz-json-1.0' };
const describeRegions = 'Action=DescribeRegions&Version=2016-11-15';
const describeInstances = 'Action=DescribeInstances&Version=2016-11-15';
const getCallerIdentity = 'Action=GetCallerIdentity&Version=2011-06-15';
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const amzDate = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const DAY = 24 * 3600 * 1000;
const execFileAsync = promisify(execFile);

describe('security of the API: TemplateURL, compressed bodies, SigV4 (issue 14)', () => {
  let cloud: TestCloud;
  let role: Credentials;
  let account = '';
  /** A host-only HTTP service the cloud must not be made to fetch for a caller. */
  let secretServer: http.Server;
  let secretUrl = '';
  let secretHits = 0;
  let scratch = '';

  const admin = (service: string, region = 'us-east-1') => ({
    service,
    region,
    accessKeyId: cloud.accessKeyId,
    secretAccessKey: cloud.secretAccessKey,
  });
  const sdkAs = (creds: Credentials) => ({
    ...cloud.sdk,
    credentials: { accessKeyId: creds.AccessKeyId ?? '', secretAccessKey: creds.SecretAccessKey ?? '', sessionToken: creds.SessionToken },
  });

  async function send(signed: { url: string; method: string; headers: Record<string, string>; body?: string | Buffer }) {
    const body = Buffer.isBuffer(signed.body) ? new Uint8Array(signed.body) : signed.body;
    const res = await fetch(signed.url, { method: signed.method, headers: signed.headers, body, signal: AbortSignal.timeout(60_000) });
    const text = (await res.text()).replace(/&apos;/g, "'").replace(/&quot;/g, '"');
    return { status: res.status, text };
  }

  /** Signs a request whose body is bytes (a gzip body), with the SDK's signer, as the SDK signs a compressed body. */
  async function signBytes(body: Buffer, headers: Record<string, string>, creds = admin('monitoring')) {
    const url = new URL(cloud.endpoint);
    const signed = await signer(creds.service, creds.region, creds.accessKeyId, creds.secretAccessKey).sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: {},
      headers: { host: url.host, ...headers },
      body,
    });
    const out = { ...(signed.headers as Record<string, string>) };
    delete out.host;
    return { url: `${cloud.endpoint}/`, method: 'POST', headers: out, body };
  }

  /**
   * A header-signed request whose X-Amz-Date and credential scope are chosen separately (the SDK always makes them
   * agree): the canonical request is built here, the HMAC chain is the SDK's.
   */
  async function signWithScope(body: string, o: { xAmzDate: Date; scopeDate: Date; service: string; region: string }) {
    const url = new URL(cloud.endpoint);
    const headers: Record<string, string> = { 'content-type': FORM['content-type'], host: url.host, 'x-amz-date': amzDate(o.xAmzDate) };
    const names = Object.keys(headers).sort();
    const canonical = ['POST', '/', '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), sha256(body)].join('\n');
    const scope = `${amzDate(o.scopeDate).slice(0, 8)}/${o.region}/${o.service}/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', headers['x-amz-date'], scope, sha256(canonical)].join('\n');
    const signature = await signer(o.service, o.region, cloud.accessKeyId, cloud.secretAccessKey).sign(stringToSign, {
      signingDate: o.scopeDate,
      signingRegion: o.region,
      signingService: o.service,
    });
    delete headers.host;
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${cloud.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
    return { url: `${cloud.endpoint}/`, method: 'POST', headers, body };
  }

  /** A presigned GET with any X-Amz-Expires text (the SDK refuses to make the ones this test needs). */
  async function presignWithExpires(expires: string, signedAt: Date) {
    const url = new URL(cloud.endpoint);
    const scope = `${amzDate(signedAt).slice(0, 8)}/us-east-1/sts/aws4_request`;
    const query: Record<string, string> = {
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `${cloud.accessKeyId}/${scope}`,
      'X-Amz-Date': amzDate(signedAt),
      'X-Amz-Expires': expires,
      'X-Amz-SignedHeaders': 'host',
    };
    const cq = Object.keys(query)
      .sort()
      .map((k) => `${rfc3986(k)}=${rfc3986(query[k])}`)
      .join('&');
    const canonical = ['GET', '/', cq, `host:${url.host}`, '', 'host', sha256('')].join('\n');
    const stringToSign = ['AWS4-HMAC-SHA256', query['X-Amz-Date'], scope, sha256(canonical)].join('\n');
    const signature = await signer('sts', 'us-east-1', cloud.accessKeyId, cloud.secretAccessKey).sign(stringToSign, {
      signingDate: signedAt,
      signingRegion: 'us-east-1',
      signingService: 'sts',
    });
    return { url: `${cloud.endpoint}/?${cq}&X-Amz-Signature=${signature}`, method: 'GET', headers: {} };
  }

  /** The daemon's memory: current and peak resident set, in MB. */
  function daemonMemory(): { rss: number; peak: number } {
    const pid = readDaemonInfo(cloud.home)?.pid;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  }

  before(async () => {
    cloud = await TestCloud.start();
    scratch = mkdtempSync(path.join(os.tmpdir(), 'halo-sec-'));
    secretServer = http.createServer((req, res) => {
      secretHits++;
      if (req.url === '/template.yaml') res.end('Resources:\n  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}\n');
      else res.end('host-only-secret: s3cr3t-value-only-the-host-knows\n');
    });
    await new Promise<void>((resolve) => secretServer.listen(0, '127.0.0.1', resolve));
    secretUrl = `http://127.0.0.1:${(secretServer.address() as AddressInfo).port}/internal/credentials`;

    const iam = new IAMClient(cloud.sdk);
    account = (await new STSClient(cloud.sdk).send(new GetCallerIdentityCommand({}))).Account ?? '';
    const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'template-checker',
        AssumeRolePolicyDocument: doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'template-checker',
        PolicyName: 'templates',
        PolicyDocument: doc({ Effect: 'Allow', Action: ['cloudformation:ValidateTemplate', 'cloudformation:CreateStack'], Resource: '*' }),
      }),
    );
    role = (
      await new STSClient(cloud.sdk).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${account}:role/template-checker`,
          RoleSessionName: 'attacker',
        }),
      )
    ).Credentials as Credentials;
  });
  after(async () => {
    await new Promise((resolve) => secretServer?.close(resolve));
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    await cloud?.dispose();
  });

  describe('TemplateURL (finding 1)', () => {
    const refusedFor = async (creds: Credentials, TemplateURL: string) => {
      const cfn = new CloudFormationClient(sdkAs(creds));
      try {
        await cfn.send(new ValidateTemplateCommand({ TemplateURL }));
        return { name: 'no error', message: '' };
      } catch (err) {
        return { name: (err as Error).name, message: (err as Error).message };
      } finally {
        cfn.destroy();
      }
    };

    it("a role session naming file:// or a host URL is refused with AWS's error, nothing read or fetched", async () => {
      const hitsBefore = secretHits;
      const answers = [];
      for (const url of [
        'file:///etc/shadow',
        'file:///etc/passwd',
        'file:///no/such/file',
        'file:///etc',
        secretUrl,
        'https://127.0.0.1:1/x',
      ]) {
        const r = await refusedFor(role, url);
        assert.equal(r.name, 'ValidationError', `${url}: ${r.message}`);
        assert.equal(r.message, 'TemplateURL must be a supported URL.', url);
        answers.push(r.message);
      }
      assert.equal(new Set(answers).size, 1, 'an existing file, a missing one, a directory and a URL answer alike');
      assert.equal(secretHits, hitsBefore, 'the host-only service was never called');

      const cfn = new CloudFormationClient(sdkAs(role));
      await assert.rejects(
        cfn.send(new CreateStackCommand({ StackName: 'probe', TemplateURL: 'file:///etc/shadow' })),
        (err: Error) => err.name === 'ValidationError' && err.message === 'TemplateURL must be a supported URL.',
      );
      cfn.destroy();
    });

    it('the aws CLI with role credentials gets the same refusal for a host URL', async () => {
      const env = {
        ...cloud.env,
        AWS_ACCESS_KEY_ID: role.AccessKeyId,
        AWS_SECRET_ACCESS_KEY: role.SecretAccessKey,
        AWS_SESSION_TOKEN: role.SessionToken,
      };
      const hitsBefore = secretHits;
      // Run without blocking this process, so that the host-only service would answer if the cloud called it.
      const r = await execFileAsync(
        AWS_CLI,
        ['--endpoint-url', cloud.endpoint, 'cloudformation', 'validate-template', '--template-url', secretUrl],
        { env },
      ).then(
        () => ({ failed: false, stderr: '' }),
        (err: { stderr: string }) => ({ failed: true, stderr: err.stderr }),
      );
      assert.ok(r.failed);
      assert.match(r.stderr, /\(ValidationError\).*TemplateURL must be a supported URL\./);
      assert.doesNotMatch(r.stderr, /s3cr3t/);
      assert.equal(secretHits, hitsBefore);
    });

    it('the admin may read file:// and http(s), but errors never quote what is not a template, and unreadable = missing', async () => {
      const adminCreds = { AccessKeyId: cloud.accessKeyId, SecretAccessKey: cloud.secretAccessKey } as Credentials;
      const good = path.join(scratch, 'vpc.yaml');
      writeFileSync(
        good,
        'Parameters:\n  Cidr: {Type: String, Default: 10.0.0.0/16}\nResources:\n  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: !Ref Cidr}}\n',
      );
      const cfn = new CloudFormationClient(cloud.sdk);
      const ok = await cfn.send(new ValidateTemplateCommand({ TemplateURL: `file://${good}` }));
      assert.equal(ok.Parameters?.[0].ParameterKey, 'Cidr');
      const overHttp = await cfn.send(new ValidateTemplateCommand({ TemplateURL: new URL('/template.yaml', secretUrl).href }));
      assert.deepEqual(overHttp.Parameters, []);
      cfn.destroy();
      assert.equal((await refusedFor(role, new URL('/template.yaml', secretUrl).href)).message, 'TemplateURL must be a supported URL.');

      for (const url of ['file:///etc/shadow', 'file:///etc/passwd', secretUrl]) {
        const r = await refusedFor(adminCreds, url);
        assert.equal(r.name, 'ValidationError', `${url}: ${r.message}`);
        assert.equal(r.message, 'Template format error: unsupported structure.', url);
      }
      const answers = new Set<string>();
      for (const url of ['file:///no/such/file.yaml', `file://${scratch}`, 'file:///dev/zero', 'http://127.0.0.1:1/nothing-listens-here']) {
        const r = await refusedFor(adminCreds, url);
        assert.equal(r.name, 'ValidationError', `${url}: ${r.message}`);
        assert.doesNotMatch(r.message, /ENOENT|EISDIR|EACCES|ECONNREFUSED|no such/i);
        answers.add(r.message);
      }
      assert.deepEqual([...answers], ['TemplateURL must reference a valid S3 object to which you have access.']);
    });

    it('template format errors quote positions, not the text of a malformed template', async () => {
      const cfn = new CloudFormationClient(cloud.sdk);
      const answer = async (TemplateBody: string) => {
        try {
          await cfn.send(new ValidateTemplateCommand({ TemplateBody }));
          return 'no error';
        } catch (err) {
          return `${(err as Error).name}: ${(err as Error).message}`;
        }
      };
      assert.equal(await answer('{"Resources": SECRETVALUE}'), 'ValidationError: Template format error: JSON not well-formed.');
      assert.equal(
        await answer('{"Resources": {}} SECRETVALUE'),
        'ValidationError: Template format error: JSON not well-formed. (line 1,  column 19)',
      );
      assert.equal(
        await answer('Resources: 1\n]SECRETVALUE'),
        'ValidationError: Template format error: YAML not well-formed. (line 2, column 1)',
      );
      cfn.destroy();
    });
  });

  describe('compressed bodies (finding 4)', () => {
    /** ≈6 MB of gzip that inflates to 1.5 GiB: 24 members of 64 MiB of zeros, then incompressible padding. */
    const bomb = () => {
      const zeros = gzipSync(Buffer.alloc(64 << 20), { level: 9 });
      const members = Array.from({ length: 24 }, () => zeros);
      const padding = gzipSync(randomBytes(6_000_000 - zeros.length * members.length), { level: 0 });
      return Buffer.concat([...members, padding]);
    };
    const putMetric = { ...JSON_10, 'x-amz-target': 'GraniteServiceVersion20100801.PutMetricData', 'content-encoding': 'gzip' };

    it("a 6 MB gzip bomb is refused with RequestEntityTooLarge and the daemon's memory stays bounded", async (t) => {
      const body = bomb();
      assert.ok(body.length > 5_500_000 && body.length < 7_000_000, String(body.length));
      const before = daemonMemory();
      const r = await send(await signBytes(body, putMetric));
      const afterBomb = daemonMemory();
      t.diagnostic(
        `daemon RSS ${before.rss.toFixed(0)} → ${afterBomb.rss.toFixed(0)} MB, peak ${before.peak.toFixed(0)} → ${afterBomb.peak.toFixed(0)} MB`,
      );
      assert.ok(afterBomb.peak < 500, `daemon peak RSS ${afterBomb.peak} MB (was ${before.peak} MB before the bomb)`);
      assert.ok(afterBomb.rss < 500, `daemon RSS ${afterBomb.rss} MB`);
      assert.equal(r.status, 413, r.text);
      assert.deepEqual(JSON.parse(r.text), { __type: 'RequestEntityTooLarge', message: 'Request size exceeded 16777216 bytes.' });
      // Still answering.
      assert.equal(
        (await send(await signRequest({ method: 'POST', endpoint: cloud.endpoint, headers: FORM, body: getCallerIdentity }, admin('sts'))))
          .status,
        200,
      );
    });

    it("a plain body over the same 16 MiB limit gets the same AWS error, in the caller's protocol", async () => {
      const body = `${describeRegions}&Padding=${'a'.repeat(17 * 1024 * 1024)}`;
      const r = await send(await signRequest({ method: 'POST', endpoint: cloud.endpoint, headers: FORM, body }, admin('ec2')));
      assert.equal(r.status, 413, r.text.slice(0, 300));
      assert.match(
        r.text,
        /<Response><Errors><Error><Code>RequestEntityTooLarge<\/Code><Message>Request size exceeded 16777216 bytes.<\/Message>/,
      );
    });

    it('a compressed body with a bad signature (or none) is refused before it is inflated', async () => {
      const notGzip = Buffer.from('this is not gzip data at all');
      const forged = await signBytes(notGzip, putMetric, {
        ...admin('monitoring'),
        secretAccessKey: 'not-the-secret-key-at-all-0000000000000',
      });
      const r = await send(forged);
      assert.equal(r.status, 403, r.text);
      assert.equal(JSON.parse(r.text).__type, 'SignatureDoesNotMatch');
      const unsigned = await send({ url: `${cloud.endpoint}/`, method: 'POST', headers: putMetric, body: notGzip });
      assert.equal(unsigned.status, 403, unsigned.text);
      assert.equal(JSON.parse(unsigned.text).__type, 'MissingAuthenticationToken');
      const bombed = await send({ ...forged, body: bomb() });
      assert.equal(bombed.status, 403, bombed.text);
      assert.ok(daemonMemory().peak < 500);
      // The same bytes, correctly signed, are read (and found not to be gzip).
      const honest = await send(await signBytes(notGzip, putMetric));
      assert.equal(honest.status, 400, honest.text);
      assert.equal(JSON.parse(honest.text).__type, 'SerializationException');
    });

    it('SDK v3 PutMetricData with a gzip body still lands (after authentication)', async () => {
      const seen: string[] = [];
      const cw = new CloudWatchClient({ ...cloud.sdk, requestMinCompressionSizeBytes: 1 });
      cw.middlewareStack.add(
        (next) => async (args: any) => {
          seen.push(String(args.request.headers['content-encoding']));
          return next(args);
        },
        { step: 'finalizeRequest' },
      );
      await cw.send(new PutMetricDataCommand({ Namespace: 'Halo/Gzip', MetricData: [{ MetricName: 'Small', Value: 1 }] }));
      assert.deepEqual(seen, ['gzip']);
      assert.equal((await cw.send(new ListMetricsCommand({ Namespace: 'Halo/Gzip' }))).Metrics?.length, 1);
      cw.destroy();
    });
  });

  describe('SigV4 (finding 5)', () => {
    it('a body that does not hash to the declared x-amz-content-sha256 is refused with XAmzContentSHA256Mismatch', async () => {
      const signed = await signRequest(
        {
          method: 'POST',
          endpoint: cloud.endpoint,
          headers: { ...FORM, 'x-amz-content-sha256': sha256(describeRegions) },
          body: describeRegions,
        },
        admin('ec2'),
      );
      assert.equal((await send(signed)).status, 200, 'the honest request passes');
      const r = await send({ ...signed, body: describeInstances });
      assert.equal(r.status, 400, r.text);
      assert.match(
        r.text,
        /<Code>XAmzContentSHA256Mismatch<\/Code><Message>The provided 'x-amz-content-sha256' header does not match what was computed.<\/Message>/,
      );
    });

    it('UNSIGNED-PAYLOAD is refused (only S3 accepts it), in a header or a presigned URL', async () => {
      const signed = await signRequest(
        {
          method: 'POST',
          endpoint: cloud.endpoint,
          headers: { ...FORM, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
          body: describeInstances,
        },
        admin('ec2'),
      );
      const r = await send(signed);
      assert.equal(r.status, 403, r.text);
      assert.match(r.text, /<Code>SignatureDoesNotMatch<\/Code>/);
      const presigned = await signRequest(
        {
          method: 'GET',
          endpoint: cloud.endpoint,
          query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
          headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
        },
        admin('sts'),
        { presign: true, expiresIn: 300 },
      );
      assert.match(presigned.url, /X-Amz-Content-Sha256=UNSIGNED-PAYLOAD/i);
      const p = await send(presigned);
      assert.equal(p.status, 403, p.text);
      assert.match(p.text, /<Code>SignatureDoesNotMatch<\/Code>/);
    });

    it('presigned X-Amz-Expires must be an integer of at most 604800, and is enforced', async () => {
      const now = new Date();
      assert.equal((await send(await presignWithExpires('300', now))).status, 200, 'a well-formed presigned URL passes');
      const tenDaysAgo = new Date(Date.now() - 10 * DAY);
      for (const [expires, message] of [
        ['abc', 'X-Amz-Expires should be a number'],
        [
          '999999999',
          'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds',
        ],
        [
          '604801',
          'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds',
        ],
        ['-5', 'X-Amz-Expires must be non-negative'],
      ]) {
        for (const at of [now, tenDaysAgo]) {
          const r = await send(await presignWithExpires(expires, at));
          assert.equal(r.status, 400, `${expires}: ${r.text}`);
          assert.match(
            r.text,
            new RegExp(`<Code>AuthorizationQueryParametersError</Code><Message>${message.replace(/[()]/g, '\\$&')}</Message>`),
          );
        }
      }
      const week = await send(await presignWithExpires('604800', tenDaysAgo));
      assert.equal(week.status, 400, week.text);
      assert.match(week.text, /<Code>RequestExpired<\/Code>/);
      const zero = await send(await presignWithExpires('0', new Date(Date.now() - 2000)));
      assert.match(zero.text, /<Code>RequestExpired<\/Code>/);
    });

    it("the credential scope's date must be X-Amz-Date's date", async () => {
      const now = new Date();
      const ok = await send(await signWithScope(getCallerIdentity, { xAmzDate: now, scopeDate: now, service: 'sts', region: 'us-east-1' }));
      assert.equal(ok.status, 200, ok.text);
      const yesterday = new Date(now.getTime() - DAY);
      const r = await send(
        await signWithScope(getCallerIdentity, { xAmzDate: now, scopeDate: yesterday, service: 'sts', region: 'us-east-1' }),
      );
      assert.equal(r.status, 403, r.text);
      const [day, scopeDay] = [amzDate(now).slice(0, 8), amzDate(yesterday).slice(0, 8)];
      assert.ok(
        r.text.includes(
          `<Code>SignatureDoesNotMatch</Code><Message>Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDay}' != '${day}', from '${amzDate(now)}'.</Message>`,
        ),
        r.text,
      );
    });

    it('the credential scope must name the service the request calls and a real region', async () => {
      const wrongService = await signRequest(
        {
          method: 'POST',
          endpoint: cloud.endpoint,
          headers: { ...JSON_10, 'x-amz-target': 'GraniteServiceVersion20100801.ListMetrics' },
          body: '{}',
        },
        admin('sts'),
      );
      const r = await send(wrongService);
      assert.equal(r.status, 403, r.text);
      assert.deepEqual(JSON.parse(r.text), {
        __type: 'SignatureDoesNotMatch',
        message: "Credential should be scoped to correct service: 'monitoring'.",
      });

      const unknownService = await send(
        await signRequest({ method: 'POST', endpoint: cloud.endpoint, headers: FORM, body: describeRegions }, admin('lambda')),
      );
      assert.equal(unknownService.status, 403, unknownService.text);
      assert.match(
        unknownService.text,
        /<Code>SignatureDoesNotMatch<\/Code><Message>Credential should be scoped to correct service: 'ec2'.<\/Message>/,
      );

      for (const [service, body] of [
        ['sts', getCallerIdentity],
        ['ec2', describeRegions],
      ]) {
        const bad = await send(
          await signRequest({ method: 'POST', endpoint: cloud.endpoint, headers: FORM, body }, admin(service, 'mars-north-1')),
        );
        assert.equal(bad.status, 403, bad.text);
        assert.match(
          bad.text,
          /<Code>SignatureDoesNotMatch<\/Code><Message>Credential should be scoped to a valid region, not 'mars-north-1'.<\/Message>/,
        );
      }
      const sdk = new STSClient({ ...cloud.sdk, region: 'mars-north-1' });
      await assert.rejects(sdk.send(new GetCallerIdentityCommand({})), { name: 'SignatureDoesNotMatch' });
      sdk.destroy();
    });
  });
});
