import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadModel } from '../src/protocol/model.js';
import { parseQueryInput } from '../src/protocol/query-parse.js';
import { parseJsonInput, serializeJson } from '../src/protocol/json.js';
import { serializeXml } from '../src/protocol/xml.js';
import { checkRequired } from '../src/protocol/validate.js';

const ec2 = loadModel('ec2-2016-11-15');
const monitoring = loadModel('monitoring-2010-08-01');
const iam = loadModel('iam-2010-05-08');

describe('query protocols read input from the service model', () => {
  it('ec2: flattened lists of structures under capitalized location names', () => {
    const params = new Map([
      ['Action', 'DescribeInstances'],
      ['Filter.1.Name', 'tag:Name'],
      ['Filter.1.Value.1', 'jenkins-multiaz'],
      ['Filter.2.Name', 'instance-state-code'],
      ['Filter.2.Value.1', '16'],
      ['Filter.2.Value.2', '80'],
      ['InstanceId.1', 'i-1'],
      ['MaxResults', '10'],
      ['DryRun', 'false'],
    ]);
    const input = parseQueryInput(ec2, ec2.operations.DescribeInstances.input, params, 'ec2');
    assert.deepEqual(input, {
      Filters: [
        { Name: 'tag:Name', Values: ['jenkins-multiaz'] },
        { Name: 'instance-state-code', Values: ['16', '80'] },
      ],
      InstanceIds: ['i-1'],
      MaxResults: 10,
      DryRun: false,
    });
  });

  it('awsQuery: member lists, nested structures and numbers', () => {
    const params = new Map([
      ['AlarmName', 'a'],
      ['EvaluationPeriods', '5'],
      ['ComparisonOperator', 'GreaterThanThreshold'],
      ['Threshold', '0.5'],
      ['Dimensions.member.1.Name', 'InstanceId'],
      ['Dimensions.member.1.Value', 'i-1'],
      ['AlarmActions.member.1', 'arn:aws:automate:us-east-1:ec2:recover'],
    ]);
    const input = parseQueryInput(monitoring, monitoring.operations.PutMetricAlarm.input, params, 'query');
    assert.deepEqual(input, {
      AlarmName: 'a',
      EvaluationPeriods: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0.5,
      Dimensions: [{ Name: 'InstanceId', Value: 'i-1' }],
      AlarmActions: ['arn:aws:automate:us-east-1:ec2:recover'],
    });
  });

  it('refuses a value of the wrong type with InvalidParameterValue', () => {
    assert.throws(
      () => parseQueryInput(monitoring, monitoring.operations.PutMetricAlarm.input, new Map([['EvaluationPeriods', 'five']]), 'query'),
      { code: 'InvalidParameterValue' },
    );
  });

  it('required members: ec2 MissingParameter, awsQuery ValidationError', () => {
    assert.throws(() => checkRequired(ec2, ec2.operations.CreateKeyPair.input, {}, 'ec2'), {
      code: 'MissingParameter',
      message: 'The request must contain the parameter KeyName',
    });
    assert.throws(() => checkRequired(iam, iam.operations.GetRole.input, {}, 'query'), {
      code: 'ValidationError',
      message: "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null",
    });
  });
});

describe('serialization follows the model', () => {
  it('ec2 XML: item lists, location names, request id first', () => {
    const xml = serializeXml(
      ec2,
      ec2.operations.DescribeRegions,
      { Regions: [{ Endpoint: 'ec2.us-east-1.amazonaws.com', RegionName: 'us-east-1', Bogus: 'x' }] },
      'rid',
      'ec2',
    );
    assert.equal(
      xml,
      '<?xml version="1.0" encoding="UTF-8"?>\n<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>rid</requestId>' +
        '<regionInfo><item><regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint><regionName>us-east-1</regionName></item></regionInfo></DescribeRegionsResponse>',
    );
  });

  it('awsQuery XML: result wrapper, member lists, escaping, timestamps', () => {
    const xml = serializeXml(
      iam,
      iam.operations.GetRole,
      {
        Role: {
          Path: '/',
          RoleName: 'r<&>',
          RoleId: 'AROA1',
          Arn: 'arn',
          CreateDate: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
          Tags: [{ Key: 'k', Value: 'v' }],
        },
      },
      'rid',
      'query',
    );
    assert.equal(
      xml,
      '<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role><Path>/</Path><RoleName>r&lt;&amp;&gt;</RoleName>' +
        '<RoleId>AROA1</RoleId><Arn>arn</Arn><CreateDate>2026-01-02T03:04:05.000Z</CreateDate><Tags><member><Key>k</Key><Value>v</Value></member></Tags></Role>' +
        '</GetRoleResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetRoleResponse>',
    );
  });

  it('JSON: epoch-second timestamps both ways, type errors as SerializationException', () => {
    const input = parseJsonInput(
      monitoring,
      monitoring.operations.GetMetricStatistics.input,
      Buffer.from(
        JSON.stringify({
          Namespace: 'AWS/EC2',
          MetricName: 'CPUUtilization',
          StartTime: 1767225600,
          EndTime: 1767229200,
          Period: 60,
          Statistics: ['Average'],
        }),
      ),
    );
    assert.deepEqual(input.StartTime, new Date(Date.UTC(2026, 0, 1)));
    assert.throws(() => parseJsonInput(monitoring, monitoring.operations.GetMetricStatistics.input, Buffer.from('{"Period":"sixty"}')), {
      code: 'SerializationException',
    });
    assert.throws(() => parseJsonInput(monitoring, monitoring.operations.GetMetricStatistics.input, Buffer.from('{oops')), {
      code: 'SerializationException',
    });
    const out = serializeJson(monitoring, monitoring.operations.GetMetricStatistics.output, {
      Label: 'x',
      Datapoints: [{ Timestamp: new Date(Date.UTC(2026, 0, 1)), Average: 1 }],
    });
    assert.equal(out, '{"Label":"x","Datapoints":[{"Timestamp":1767225600,"Average":1}]}');
  });
});
