import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloudWatchClient, DescribeAlarmsCommand, ListMetricsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CreateVolumeCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateRoleCommand, IAMClient, ListPoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { signRequest } from './support/sign.js';
import { TestCloud } from './support/cloud.js';

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** The error an SDK v3 call fails with: its code and message. */
async function failure(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (err) {
    return { code: (err as Error).name, message: (err as Error).message };
  }
  return { code: 'no error', message: '' };
}

/**
 * Validation from the service models (required, type, length, range, enum, pattern) with AWS's message per
 * protocol: awsQuery (IAM, through the aws CLI and SDK v3), JSON 1.0 (CloudWatch through SDK v3), EC2 query.
 * Raw signed requests where a client would stop the request first.
 */
describe('validation from the service models', () => {
  let cloud: TestCloud;
  let raw: (service: string, body: string, headers: Record<string, string>) => Promise<{ status: number; text: string }>;
  before(async () => {
    cloud = await TestCloud.start();
    raw = async (service, body, headers) => {
      const creds = { service, region: cloud.region, accessKeyId: cloud.accessKeyId, secretAccessKey: cloud.secretAccessKey };
      const signed = await signRequest({ method: 'POST', endpoint: cloud.endpoint, headers, body }, creds);
      const res = await fetch(signed.url, { method: signed.method, headers: signed.headers, body: signed.body });
      return { status: res.status, text: await res.text() };
    };
  });
  after(async () => {
    await cloud?.dispose();
  });

  it("awsQuery (IAM): required, type, length, range, enum, pattern in Coral's words", async () => {
    const iam = new IAMClient({ ...cloud.sdk, region: 'us-east-1' });
    const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
    const missing = await raw('iam', 'Action=CreateRole&Version=2010-05-08&AssumeRolePolicyDocument=%7B%7D', FORM);
    assert.equal(missing.status, 400);
    assert.match(
      missing.text,
      /<Code>ValidationError<\/Code><Message>1 validation error detected: Value null at &apos;roleName&apos; failed to satisfy constraint: Member must not be null<\/Message>/,
    );
    const typed = await raw('iam', 'Action=ListRoles&Version=2010-05-08&MaxItems=many', FORM);
    assert.match(typed.text, /<Code>InvalidParameterValue<\/Code>/);

    const long = 'r'.repeat(65);
    const byCli = cloud.awsFails('ValidationError', 'iam', 'create-role', '--role-name', long, '--assume-role-policy-document', TRUST);
    assert.match(
      byCli,
      new RegExp(
        `1 validation error detected: Value '${long}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64`,
      ),
    );
    assert.deepEqual(await failure(iam.send(new ListRolesCommand({ MaxItems: 0 }))), {
      code: 'ValidationError',
      message:
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
    });
    assert.deepEqual(await failure(iam.send(new ListPoliciesCommand({ Scope: 'Everything' as 'All' }))), {
      code: 'ValidationError',
      message:
        "1 validation error detected: Value 'Everything' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]",
    });
    assert.deepEqual(
      await failure(
        iam.send(new CreateRoleCommand({ RoleName: 'a b', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'k', Value: 'v'.repeat(257) }] })),
      ),
      {
        code: 'ValidationError',
        message:
          "2 validation errors detected: Value 'a b' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+; " +
          `Value '${'v'.repeat(257)}' at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256`,
      },
    );
  });

  it('JSON 1.0 (CloudWatch): length, range, enum, pattern as ValidationError; a wrong type as SerializationException', async () => {
    const cw = new CloudWatchClient(cloud.sdk);
    const alarm = {
      AlarmName: 'a',
      Namespace: 'N',
      MetricName: 'M',
      Statistic: 'Average' as const,
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold' as const,
    };
    const name = 'n'.repeat(256);
    assert.equal(
      (await failure(cw.send(new PutMetricAlarmCommand({ ...alarm, AlarmName: name })))).message,
      `1 validation error detected: Value '${name}' at 'alarmName' failed to satisfy constraint: Member must have length less than or equal to 255`,
    );
    assert.equal(
      (await failure(cw.send(new DescribeAlarmsCommand({ MaxRecords: 101 })))).message,
      "1 validation error detected: Value '101' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
    assert.equal(
      (await failure(cw.send(new PutMetricAlarmCommand({ ...alarm, Statistic: 'Mean' as 'Average' })))).message,
      "1 validation error detected: Value 'Mean' at 'statistic' failed to satisfy constraint: Member must satisfy enum value set: [SampleCount, Average, Sum, Minimum, Maximum]",
    );
    assert.equal(
      (await failure(cw.send(new ListMetricsCommand({ Namespace: ':bad' })))).message,
      "1 validation error detected: Value ':bad' at 'namespace' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:].*",
    );
    const JSON_HEADERS = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'GraniteServiceVersion20100801.DescribeAlarms' };
    const typed = await raw('monitoring', JSON.stringify({ MaxRecords: 'ten' }), JSON_HEADERS);
    assert.equal(typed.status, 400);
    assert.deepEqual(JSON.parse(typed.text), {
      __type: 'SerializationException',
      message: 'STRING_VALUE can not be converted to an Integer',
    });
    const wire = await raw('monitoring', JSON.stringify({ MaxRecords: 101 }), JSON_HEADERS);
    assert.equal(wire.status, 400);
    assert.deepEqual(JSON.parse(wire.text), {
      __type: 'ValidationError',
      message:
        "1 validation error detected: Value '101' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100",
    });
    const none = await raw('monitoring', JSON.stringify({ AlarmName: 'x' }), {
      ...JSON_HEADERS,
      'x-amz-target': 'GraniteServiceVersion20100801.PutMetricAlarm',
    });
    assert.equal(JSON.parse(none.text).__type, 'MissingParameter');
    const byCli = cloud.awsFails('ValidationError', 'cloudwatch', 'describe-alarms', '--state-value', 'SOMETIMES');
    assert.match(
      byCli,
      /Value 'SOMETIMES' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: \[OK, ALARM, INSUFFICIENT_DATA\]/,
    );
  });

  it('EC2 query: its own codes (MissingParameter, InvalidParameterValue) for required, type, range and enum', async () => {
    const ec2 = new EC2Client(cloud.sdk);
    assert.deepEqual(await failure(ec2.send(new DescribeVpcsCommand({ MaxResults: 1 }))), {
      code: 'InvalidParameterValue',
      message: 'Value ( 1 ) for parameter maxResults is invalid. Expecting a value greater than 5.',
    });
    assert.deepEqual(
      await failure(ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${cloud.region}a`, Size: 1, VolumeType: 'fast' as 'gp3' }))),
      {
        code: 'InvalidParameterValue',
        message: "Invalid value 'fast' for VolumeType.",
      },
    );
    const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
    const missing = await raw('ec2', 'Action=CreateKeyPair&Version=2016-11-15', FORM);
    assert.match(missing.text, /<Code>MissingParameter<\/Code><Message>The request must contain the parameter KeyName<\/Message>/);
    const typed = await raw('ec2', 'Action=DescribeVpcs&Version=2016-11-15&MaxResults=few', FORM);
    assert.match(typed.text, /<Code>InvalidParameterValue<\/Code>/);
  });
});
