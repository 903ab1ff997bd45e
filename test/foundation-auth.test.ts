import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCloud } from './support/cloud.js';
import { signRequest } from './support/sign.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
const describeRegions = 'Action=DescribeRegions&Version=2016-11-15';
const getCallerIdentity = 'Action=GetCallerIdentity&Version=2011-06-15';

describe('SigV4 on every request', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  const creds = (service: string, secret?: string) => ({
    service,
    region: 'us-east-1',
    accessKeyId: cloud.accessKeyId,
    secretAccessKey: secret ?? cloud.secretAccessKey,
  });

  async function send(
    service: string,
    body: string,
    opts: { secret?: string; signingDate?: Date; presign?: boolean; expiresIn?: number } = {},
  ) {
    const signed = await signRequest({ method: 'POST', endpoint: cloud.endpoint, headers: FORM, body }, creds(service, opts.secret), opts);
    const res = await fetch(signed.url, { method: signed.method, headers: signed.headers, body: signed.body });
    return { status: res.status, text: await res.text(), requestId: res.headers.get('x-amzn-requestid') };
  }

  it('accepts a correctly signed request', async () => {
    const r = await send('ec2', describeRegions);
    assert.equal(r.status, 200, r.text);
    assert.match(
      r.text,
      /<DescribeRegionsResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/"><requestId>[0-9a-f-]{36}<\/requestId>/,
    );
  });

  it('refuses a wrong secret key with SignatureDoesNotMatch', async () => {
    for (const [service, body] of [
      ['ec2', describeRegions],
      ['sts', getCallerIdentity],
    ]) {
      const r = await send(service, body, { secret: 'not-the-secret-key-at-all-0000000000000' });
      assert.equal(r.status, 403, r.text);
      assert.match(r.text, /<Code>SignatureDoesNotMatch<\/Code>/);
      assert.ok(r.requestId);
    }
  });

  it('refuses an unsigned request with MissingAuthenticationToken', async () => {
    const res = await fetch(cloud.endpoint, { method: 'POST', headers: FORM, body: getCallerIdentity });
    assert.equal(res.status, 403);
    const text = await res.text();
    assert.match(
      text,
      /<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code>/,
    );
    const ec2 = await fetch(cloud.endpoint, { method: 'POST', headers: FORM, body: describeRegions });
    assert.match(await ec2.text(), /<Response><Errors><Error><Code>MissingAuthenticationToken<\/Code>/);
  });

  it('refuses a 20-minute-old signature with RequestExpired', async () => {
    const r = await send('sts', getCallerIdentity, { signingDate: new Date(Date.now() - 20 * 60 * 1000) });
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /<Code>RequestExpired<\/Code>/);
  });

  it('refuses an unknown access key (InvalidClientTokenId; AuthFailure for EC2)', async () => {
    const signed = await signRequest(
      { method: 'POST', endpoint: cloud.endpoint, headers: FORM, body: getCallerIdentity },
      { service: 'sts', region: 'us-east-1', accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' },
    );
    const res = await fetch(signed.url, { method: 'POST', headers: signed.headers, body: signed.body });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /<Code>InvalidClientTokenId<\/Code>/);
  });

  it('refuses a malformed Authorization header with IncompleteSignature', async () => {
    const res = await fetch(cloud.endpoint, {
      method: 'POST',
      headers: {
        ...FORM,
        authorization: `AWS4-HMAC-SHA256 Credential=${cloud.accessKeyId}/20261126/us-east-1/sts/aws4_request`,
        'x-amz-date': '20261126T000000Z',
      },
      body: getCallerIdentity,
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /<Code>IncompleteSignature<\/Code>/);
  });

  it('accepts presigned (query-string) signatures and refuses expired ones', async () => {
    const fresh = await signRequest(
      { method: 'GET', endpoint: cloud.endpoint, query: { Action: 'GetCallerIdentity', Version: '2011-06-15' } },
      creds('sts'),
      { presign: true, expiresIn: 300 },
    );
    const ok = await fetch(fresh.url, { headers: fresh.headers });
    const okText = await ok.text();
    assert.equal(ok.status, 200, okText);
    assert.match(okText, /<Account>\d{12}<\/Account>/);
    const old = await signRequest(
      { method: 'GET', endpoint: cloud.endpoint, query: { Action: 'GetCallerIdentity', Version: '2011-06-15' } },
      creds('sts'),
      { presign: true, expiresIn: 60, signingDate: new Date(Date.now() - 5 * 60 * 1000) },
    );
    const expired = await fetch(old.url, { headers: old.headers });
    assert.equal(expired.status, 400);
    assert.match(await expired.text(), /<Code>RequestExpired<\/Code>/);
  });

  it("answers an unknown action with InvalidAction and a missing parameter with the model's error", async () => {
    const unknown = await send('ec2', 'Action=DescribeUnicorns&Version=2016-11-15');
    assert.equal(unknown.status, 400);
    assert.match(unknown.text, /<Code>InvalidAction<\/Code>/);
    const missing = await send('ec2', 'Action=CreateKeyPair&Version=2016-11-15');
    assert.equal(missing.status, 400);
    assert.match(missing.text, /<Code>MissingParameter<\/Code><Message>The request must contain the parameter KeyName<\/Message>/);
    const badInt = await send('ec2', 'Action=DescribeKeyPairs&Version=2016-11-15&DryRun=maybe');
    assert.match(badInt.text, /<Code>InvalidParameterValue<\/Code>/);
    const noAction = await send('sts', 'Version=2011-06-15');
    assert.match(noAction.text, /<Code>MissingAction<\/Code>/);
  });

  it('answers CloudWatch in JSON 1.0 with query-compatible errors', async () => {
    const signed = await signRequest(
      {
        method: 'POST',
        endpoint: cloud.endpoint,
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'GraniteServiceVersion20100801.NoSuchOperation',
          'x-amzn-query-mode': 'true',
        },
        body: '{}',
      },
      creds('monitoring'),
    );
    const res = await fetch(signed.url, { method: 'POST', headers: signed.headers, body: signed.body });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-amzn-query-error'), 'UnknownOperationException;Sender');
    assert.deepEqual(await res.json(), { __type: 'UnknownOperationException', message: 'Unknown operation NoSuchOperation.' });
  });
});
