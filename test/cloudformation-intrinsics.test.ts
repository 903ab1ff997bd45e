import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AwsError } from '../src/protocol/errors.js';
import { cidrSubnets } from '../src/services/cloudformation/template/cidr.js';
import { evaluate, type Scope } from '../src/services/cloudformation/template/intrinsics.js';
import { parseTemplateBody } from '../src/services/cloudformation/template/parse.js';
import { resolveParameters } from '../src/services/cloudformation/template/parameters.js';
import { validateTemplate } from '../src/services/cloudformation/template/validate.js';
import { runInGraph } from '../src/services/cloudformation/template/graph.js';
import { templateBody } from './templates/support.js';

function scope(over: Partial<Scope> = {}): Scope {
  const conditions: Record<string, unknown> = {
    IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
    NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
  };
  const s: Scope = {
    region: 'us-east-1',
    params: {
      'AWS::Region': 'us-east-1',
      'AWS::AccountId': '123456789012',
      'AWS::StackName': 'st',
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      Env: 'prod',
      Subnets: ['a', 'b'],
    },
    mappings: { RegionMap: { 'us-east-1': { AMI: 'ami-1ecae776' } } },
    condition: (name) => evaluate(conditions[name], s, true) as boolean,
    ref: (id) => (id === 'VPC' ? 'vpc-0123' : undefined),
    getAtt: (id, att) => {
      if (id === 'VPC' && att === 'CidrBlock') return '10.0.0.0/16';
      throw new AwsError('ValidationError', `no ${id}.${att}`);
    },
    zones: (region) => ['a', 'b', 'c'].map((z) => `${region}${z}`),
    importValue: (name) => `imported:${name}`,
    ...over,
  };
  return s;
}

const ev = (v: unknown) => evaluate(v, scope());

describe('intrinsic functions', () => {
  it('Ref of parameters, pseudo parameters and resources; AWS::NoValue removes the property', () => {
    assert.equal(ev({ Ref: 'AWS::Region' }), 'us-east-1');
    assert.equal(ev({ Ref: 'VPC' }), 'vpc-0123');
    assert.deepEqual(ev({ Ref: 'Subnets' }), ['a', 'b']);
    assert.deepEqual(ev({ A: { Ref: 'AWS::NoValue' }, B: [1, { Ref: 'AWS::NoValue' }, 2] }), { B: [1, 2] });
  });
  it('Fn::GetAtt in both forms', () => {
    assert.equal(ev({ 'Fn::GetAtt': ['VPC', 'CidrBlock'] }), '10.0.0.0/16');
    assert.equal(ev({ 'Fn::GetAtt': 'VPC.CidrBlock' }), '10.0.0.0/16');
  });
  it('Fn::Join, Fn::Select, Fn::Split, Fn::GetAZs', () => {
    assert.equal(
      ev({ 'Fn::Join': ['', ['arn:aws:automate:', { Ref: 'AWS::Region' }, ':ec2:recover']] }),
      'arn:aws:automate:us-east-1:ec2:recover',
    );
    assert.equal(ev({ 'Fn::Select': ['1', { 'Fn::GetAZs': '' }] }), 'us-east-1b');
    assert.deepEqual(ev({ 'Fn::GetAZs': 'eu-west-1' }), ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    assert.deepEqual(ev({ 'Fn::Split': [',', 'x,y,,z'] }), ['x', 'y', '', 'z']);
    assert.throws(() => ev({ 'Fn::Select': [5, ['a']] }), /Fn::Select cannot select nonexistent value at index 5/);
  });
  it('Fn::Sub in both forms, with ${!Literal}', () => {
    assert.equal(
      ev({ 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc/${VPC} ${VPC.CidrBlock} ${!Literal}' }),
      'arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0123 10.0.0.0/16 ${Literal}',
    );
    assert.equal(ev({ 'Fn::Sub': ['${Name}-${AWS::StackName}', { Name: { 'Fn::Select': [0, { Ref: 'Subnets' }] } }] }), 'a-st');
  });
  it('Fn::FindInMap, Fn::Base64, Fn::Cidr', () => {
    assert.equal(ev({ 'Fn::FindInMap': ['RegionMap', { Ref: 'AWS::Region' }, 'AMI'] }), 'ami-1ecae776');
    assert.throws(() => ev({ 'Fn::FindInMap': ['RegionMap', 'mars-1', 'AMI'] }), /Unable to get mapping for RegionMap::mars-1::AMI/);
    assert.equal(ev({ 'Fn::Base64': '#!/bin/bash\n' }), Buffer.from('#!/bin/bash\n').toString('base64'));
    assert.deepEqual(ev({ 'Fn::Cidr': ['10.0.0.0/16', 3, 8] }), ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24']);
    assert.deepEqual(cidrSubnets('192.168.0.0/24', 2, 6), ['192.168.0.0/26', '192.168.0.64/26']);
    assert.throws(() => cidrSubnets('10.0.0.0/24', 5, 6), /cannot hold 5 blocks/);
  });
  it('conditions: Fn::If, Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition', () => {
    assert.equal(ev({ 'Fn::If': ['IsProd', 'big', 'small'] }), 'big');
    assert.equal(ev({ 'Fn::If': ['NotProd', 'big', 'small'] }), 'small');
    assert.deepEqual(ev({ P: { 'Fn::If': ['NotProd', 'big', { Ref: 'AWS::NoValue' }] } }), {});
    const c = (v: unknown) => evaluate(v, scope(), true);
    assert.equal(c({ 'Fn::And': [{ Condition: 'IsProd' }, { 'Fn::Equals': ['10', 10] }] }), true);
    assert.equal(c({ 'Fn::Or': [{ Condition: 'NotProd' }, { 'Fn::Equals': ['a', 'b'] }] }), false);
    assert.equal(c({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Env' }, 'dev'] }] }), true);
  });
  it('Fn::ImportValue reads the export', () => {
    assert.equal(ev({ 'Fn::ImportValue': { 'Fn::Sub': '${AWS::StackName}-Vpc' } }), 'imported:st-Vpc');
  });
  it('an unknown function is a template error', () => {
    assert.throws(() => ev({ 'Fn::Nope': 1 }), /Encountered unsupported function: Fn::Nope/);
  });
});

describe('template parsing and validation', () => {
  it('YAML short forms mean the same as the JSON long forms', () => {
    const t = parseTemplateBody(templateBody('short-forms.yaml'));
    assert.deepEqual(t.Resources.Subnet.Properties, {
      VpcId: { Ref: 'VPC' },
      CidrBlock: { 'Fn::Select': [0, { 'Fn::Cidr': [{ 'Fn::GetAtt': ['VPC', 'CidrBlock'] }, 2, 8] }] },
      AvailabilityZone: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] },
      Tags: [{ Key: 'Name', Value: { 'Fn::Sub': '${AWS::StackName}-subnet' } }],
    });
    assert.deepEqual(t.Outputs?.Joined.Value, {
      'Fn::If': ['Always', { 'Fn::Join': ['-', [{ 'Fn::Base64': 'x' }, { 'Fn::ImportValue': 'y' }]] }, { Ref: 'AWS::NoValue' }],
    });
    assert.equal(t.AWSTemplateFormatVersion, '2010-09-09');
  });
  it('reports bad JSON and bad YAML with their position', () => {
    assert.throws(
      () => parseTemplateBody('{\n  "Resources": {,\n}'),
      /Template format error: JSON not well-formed. \(line 2, {2}column 17\)/,
    );
    assert.throws(
      () => parseTemplateBody('Resources:\n  A: [1,\nB: }'),
      /Template format error: YAML not well-formed. \(line 3, column \d+\)/,
    );
  });
  it("refuses cycles with AWS's message, naming the resources", () => {
    const t = parseTemplateBody(templateBody('cycle.json'));
    assert.throws(() => validateTemplate(t), { name: 'ValidationError', message: 'Circular dependency between resources: [A, B, C]' });
  });
  it('refuses Ref to a missing logical id, unknown functions, missing Resources, Transform', () => {
    const v = (body: object) => () => validateTemplate(parseTemplateBody(JSON.stringify(body)));
    assert.throws(
      v({ Resources: { A: { Type: 'AWS::EC2::VPC', Properties: { X: { Ref: 'Nope' } } } } }),
      /Template format error: Unresolved resource dependencies \[Nope\] in the Resources block of the template/,
    );
    assert.throws(
      v({ Resources: { A: { Type: 'AWS::EC2::VPC', Properties: { X: { 'Fn::Nope': 'x' } } } } }),
      /Encountered unsupported function: Fn::Nope/,
    );
    assert.throws(v({ Parameters: {} }), /At least one Resources member must be defined/);
    assert.throws(
      v({ Transform: 'AWS::Serverless-2016-10-31', Resources: { A: { Type: 'AWS::EC2::VPC' } } }),
      /does not support Transform/,
    );
    assert.throws(v({ Resources: { A: { Type: 'AWS::EC2::VPC', DependsOn: 'Z' } } }), /Unresolved resource dependencies \[Z\]/);
    assert.throws(
      v({ Resources: { A: { Type: 'AWS::EC2::VPC', Properties: { X: { 'Fn::GetAtt': ['Z', 'Arn'] } } } } }),
      /Fn::GetAtt references undefined resource Z/,
    );
    assert.throws(v({ Resources: { A: { Type: 'AWS::EC2::VPC', Condition: 'Nope' } } }), /Unresolved condition dependency Nope/);
  });
  it('finds dependencies in Ref, GetAtt, Sub and DependsOn', () => {
    const { deps } = validateTemplate(parseTemplateBody(templateBody('short-forms.yaml')));
    assert.deepEqual([...(deps.get('Subnet') ?? [])], ['VPC']);
    assert.deepEqual([...(deps.get('Group') ?? [])].sort(), ['Subnet', 'VPC']);
  });
});

describe('parameters', () => {
  const checks = {
    region: 'us-east-1',
    invoke: async () => {
      throw new Error('not used');
    },
  };
  const defs = {
    Password: { Type: 'String', AllowedPattern: '[a-zA-Z0-9]*', MinLength: '8', MaxLength: '42', NoEcho: 'true' },
    Size: { Type: 'Number', MinValue: 1, MaxValue: 10, Default: 2 },
    Env: { Type: 'String', AllowedValues: ['dev', 'prod'], Default: 'dev' },
    Ports: { Type: 'List<Number>', Default: '22,80' },
  };
  const resolve = (
    given: Array<{ ParameterKey: string; ParameterValue?: string; UsePreviousValue?: boolean }>,
    previous?: Record<string, string>,
  ) => resolveParameters(defs, given, previous, checks);
  it('applies defaults and keeps NoEcho', async () => {
    const r = await resolve([{ ParameterKey: 'Password', ParameterValue: 'abcdefgh1' }]);
    assert.deepEqual(
      r.map((p) => [p.key, p.value, p.noEcho]),
      [
        ['Password', 'abcdefgh1', true],
        ['Size', '2', false],
        ['Env', 'dev', false],
        ['Ports', '22,80', false],
      ],
    );
  });
  it('names the constraint that failed', async () => {
    await assert.rejects(resolve([]), /Parameters: \[Password\] must have values/);
    await assert.rejects(
      resolve([{ ParameterKey: 'Password', ParameterValue: 'short' }]),
      /Parameter 'Password' must contain at least 8 characters/,
    );
    await assert.rejects(
      resolve([{ ParameterKey: 'Password', ParameterValue: 'has spaces in it' }]),
      /Parameter 'Password' must match pattern \[a-zA-Z0-9\]\*/,
    );
    await assert.rejects(
      resolve([
        { ParameterKey: 'Password', ParameterValue: 'abcdefgh1' },
        { ParameterKey: 'Size', ParameterValue: '11' },
      ]),
      /Parameter 'Size' must be a number not greater than 10/,
    );
    await assert.rejects(
      resolve([
        { ParameterKey: 'Password', ParameterValue: 'abcdefgh1' },
        { ParameterKey: 'Size', ParameterValue: 'x' },
      ]),
      /Parameter 'Size' must be a number/,
    );
    await assert.rejects(
      resolve([
        { ParameterKey: 'Password', ParameterValue: 'abcdefgh1' },
        { ParameterKey: 'Env', ParameterValue: 'qa' },
      ]),
      /Parameter 'Env' must be one of AllowedValues/,
    );
    await assert.rejects(
      resolve([
        { ParameterKey: 'Password', ParameterValue: 'abcdefgh1' },
        { ParameterKey: 'Ports', ParameterValue: '22,x' },
      ]),
      /Parameter 'Ports' must be a number/,
    );
    await assert.rejects(resolve([{ ParameterKey: 'Nope', ParameterValue: 'x' }]), /Parameters: \[Nope\] do not exist in the template/);
  });
  it('UsePreviousValue takes the previous value, and only when there is one', async () => {
    const r = await resolve([{ ParameterKey: 'Password', UsePreviousValue: true }], { Password: 'previous123' });
    assert.equal(r[0].value, 'previous123');
    await assert.rejects(
      resolve([{ ParameterKey: 'Password', UsePreviousValue: true }]),
      /Cannot specify usePreviousValue as true for a parameter key not in the previous template/,
    );
  });
});

describe('running along the graph', () => {
  it('starts each node once its dependencies are done, in parallel, and stops starting new ones after a failure', async () => {
    const deps = new Map([
      ['A', new Set<string>()],
      ['B', new Set<string>()],
      ['C', new Set(['A', 'B'])],
      ['D', new Set(['C'])],
    ]);
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    await runInGraph(['A', 'B', 'C', 'D'], deps, async (id) => {
      running++;
      peak = Math.max(peak, running);
      log.push(`start ${id}`);
      await new Promise((r) => setImmediate(r));
      running--;
      log.push(`end ${id}`);
    });
    assert.equal(peak, 2);
    assert.ok(log.indexOf('start C') > log.indexOf('end A') && log.indexOf('start C') > log.indexOf('end B'));
    const r = await runInGraph(['A', 'B', 'C', 'D'], deps, async (id) => {
      if (id === 'A') throw new Error('boom');
    });
    assert.deepEqual(r, { failed: ['A'], notStarted: ['C', 'D'] });
  });
});
