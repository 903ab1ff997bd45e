import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  SSMClient,
  type Parameter,
} from '@aws-sdk/client-ssm';
import { TestCloud } from './support/cloud.js';

describe('SSM Parameter Store through the AWS SDK v3 (JSON 1.1)', () => {
  let cloud: TestCloud;
  let ssm: SSMClient;
  before(async () => {
    cloud = await TestCloud.start();
    ssm = new SSMClient(cloud.sdk);
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('puts, reads, pages through a path and reports AWS error names', async () => {
    for (const n of ['a', 'b', 'c'])
      await ssm.send(new PutParameterCommand({ Name: `/svc/${n}`, Type: 'SecureString', Value: `secret-${n}` }));
    const got = await ssm.send(new GetParameterCommand({ Name: '/svc/b', WithDecryption: true }));
    assert.equal(got.Parameter?.Value, 'secret-b');
    assert.ok(got.Parameter?.LastModifiedDate instanceof Date);

    const seen: Parameter[] = [];
    let NextToken: string | undefined;
    do {
      const page = await ssm.send(new GetParametersByPathCommand({ Path: '/svc', MaxResults: 2, NextToken, WithDecryption: true }));
      assert.ok((page.Parameters?.length ?? 0) <= 2);
      seen.push(...(page.Parameters ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    assert.deepEqual(
      seen.map((p) => p.Value),
      ['secret-a', 'secret-b', 'secret-c'],
    );

    await assert.rejects(ssm.send(new PutParameterCommand({ Name: '/svc/a', Type: 'String', Value: 'x' })), {
      name: 'ParameterAlreadyExists',
    });
    await ssm.send(new DeleteParameterCommand({ Name: '/svc/a' }));
    await assert.rejects(ssm.send(new GetParameterCommand({ Name: '/svc/a' })), { name: 'ParameterNotFound' });
    await assert.rejects(ssm.send(new GetParametersByPathCommand({ Path: '/svc', MaxResults: 11 })), { name: 'ValidationException' });
  });
});
