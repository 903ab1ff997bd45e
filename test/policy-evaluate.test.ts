import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePolicy, PolicySyntaxError, type PolicyDocument, type Statement } from '../src/auth/policy/document.js';
import { evaluate, type AuthorizationRequest } from '../src/auth/policy/evaluate.js';
import { ipInCidr } from '../src/auth/policy/ip.js';
import { arnMatch, globMatch } from '../src/auth/policy/wildcard.js';

const doc = (...Statement: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const allow = (extra: Partial<Statement>): Statement => ({ Effect: 'Allow', Action: '*', Resource: '*', ...extra });
const deny = (extra: Partial<Statement>): Statement => ({ Effect: 'Deny', Action: '*', Resource: '*', ...extra });
const req = (action: string, resource = '*', context: AuthorizationRequest['context'] = {}): AuthorizationRequest => ({
  action,
  resource,
  context,
});
const EIP = 'arn:aws:ec2:us-east-1:123456789012:elastic-ip/eipalloc-1';

describe('policy evaluation: decisions', () => {
  it('no policy, or no matching statement, is an implicit deny', () => {
    assert.equal(evaluate([], req('ec2:AssociateAddress')), 'ImplicitDeny');
    assert.equal(evaluate([doc(allow({ Action: 'ec2:DescribeRegions' }))], req('ec2:DescribeKeyPairs')), 'ImplicitDeny');
  });

  it('an Allow allows; an explicit Deny in any policy wins over any Allow', () => {
    const allowAll = doc(allow({}));
    assert.equal(evaluate([allowAll], req('ec2:AssociateAddress')), 'Allow');
    assert.equal(evaluate([allowAll, doc(deny({ Action: 'ec2:AssociateAddress' }))], req('ec2:AssociateAddress')), 'ExplicitDeny');
    assert.equal(evaluate([doc(deny({ Action: 'ec2:AssociateAddress' })), allowAll], req('ec2:AssociateAddress')), 'ExplicitDeny');
    assert.equal(evaluate([allowAll, doc(deny({ Action: 'ec2:Terminate*' }))], req('ec2:AssociateAddress')), 'Allow');
  });

  it('a single statement object (not an array) is accepted', () => {
    assert.equal(evaluate([{ Version: '2012-10-17', Statement: allow({ Action: 'sts:*' }) }], req('sts:GetCallerIdentity')), 'Allow');
  });
});

describe('policy evaluation: Action and NotAction', () => {
  it('matches actions case-insensitively with * and ? wildcards', () => {
    const p = [doc(allow({ Action: ['EC2:describe*', 'iam:Get?ole'] }))];
    assert.equal(evaluate(p, req('ec2:DescribeInstances')), 'Allow');
    assert.equal(evaluate(p, req('iam:GetRole')), 'Allow');
    assert.equal(evaluate(p, req('iam:GetRoles')), 'ImplicitDeny');
    assert.equal(evaluate(p, req('ec2:RunInstances')), 'ImplicitDeny');
  });

  it('NotAction allows everything but the listed actions; in a Deny it denies everything else', () => {
    assert.equal(evaluate([doc(allow({ Action: undefined, NotAction: 'iam:*' }))], req('ec2:RunInstances')), 'Allow');
    assert.equal(evaluate([doc(allow({ Action: undefined, NotAction: 'iam:*' }))], req('iam:CreateRole')), 'ImplicitDeny');
    const p = [doc(allow({}), deny({ Action: undefined, NotAction: ['ec2:Describe*'] }))];
    assert.equal(evaluate(p, req('ec2:DescribeRegions')), 'Allow');
    assert.equal(evaluate(p, req('ec2:RunInstances')), 'ExplicitDeny');
  });
});

describe('policy evaluation: Resource and NotResource', () => {
  it('matches ARNs part by part; a wildcard does not span the colons', () => {
    assert.equal(arnMatch('arn:aws:ec2:*:*:elastic-ip/*', EIP), true);
    assert.equal(arnMatch('arn:aws:ec2:us-east-?:123456789012:elastic-ip/eipalloc-1', EIP), true);
    assert.equal(arnMatch('arn:aws:ec2:us-*', EIP), false);
    assert.equal(arnMatch('arn:aws:ec2:us-west-2:*:*', EIP), false);
    assert.equal(arnMatch('arn:aws:ssm:*:*:parameter/app/*', 'arn:aws:ssm:us-east-1:1:parameter/app/db/url'), true);
    assert.equal(arnMatch('*', EIP), true);
  });

  it('resource matching is case-sensitive', () => {
    assert.equal(evaluate([doc(allow({ Resource: 'arn:aws:ec2:*:*:Elastic-IP/*' }))], req('ec2:AssociateAddress', EIP)), 'ImplicitDeny');
    assert.equal(evaluate([doc(allow({ Resource: 'arn:aws:ec2:*:*:elastic-ip/*' }))], req('ec2:AssociateAddress', EIP)), 'Allow');
  });

  it('NotResource excludes the listed resources', () => {
    const p = [doc(allow({ Resource: undefined, NotResource: 'arn:aws:ssm:*:*:parameter/secret/*' }))];
    assert.equal(evaluate(p, req('ssm:GetParameter', 'arn:aws:ssm:us-east-1:1:parameter/secret/pw')), 'ImplicitDeny');
    assert.equal(evaluate(p, req('ssm:GetParameter', 'arn:aws:ssm:us-east-1:1:parameter/public/x')), 'Allow');
  });

  it('policy variables in resources take values from the context; without a value the statement does not apply', () => {
    const p = [doc(allow({ Resource: 'arn:aws:ssm:*:*:parameter/home/${aws:userid}/*' }))];
    const mine = 'arn:aws:ssm:us-east-1:1:parameter/home/AROAX:s1/key';
    assert.equal(evaluate(p, req('ssm:GetParameter', mine, { 'aws:userid': 'AROAX:s1' })), 'Allow');
    assert.equal(evaluate(p, req('ssm:GetParameter', mine, { 'aws:userid': 'AROAX:s2' })), 'ImplicitDeny');
    assert.equal(evaluate(p, req('ssm:GetParameter', mine)), 'ImplicitDeny');
    const old = [{ Version: '2008-10-17', Statement: [allow({ Resource: 'arn:aws:ssm:*:*:parameter/home/${aws:userid}/*' })] }];
    assert.equal(evaluate(old, req('ssm:GetParameter', mine, { 'aws:userid': 'AROAX:s1' })), 'ImplicitDeny');
    assert.equal(evaluate(old, req('ssm:GetParameter', 'arn:aws:ssm:us-east-1:1:parameter/home/${aws:userid}/key')), 'Allow');
  });

  it('policy variables in string conditions, with defaults', () => {
    const p = [doc(allow({ Condition: { StringEquals: { 'aws:PrincipalTag/team': "${aws:RequestTag/team, 'none'}" } } }))];
    assert.equal(evaluate(p, req('ec2:CreateTags', '*', { 'aws:PrincipalTag/team': 'ha', 'aws:RequestTag/team': 'ha' })), 'Allow');
    assert.equal(evaluate(p, req('ec2:CreateTags', '*', { 'aws:PrincipalTag/team': 'ha', 'aws:RequestTag/team': 'db' })), 'ImplicitDeny');
    assert.equal(evaluate(p, req('ec2:CreateTags', '*', { 'aws:PrincipalTag/team': 'none' })), 'Allow');
  });
});

describe('policy evaluation: conditions', () => {
  const check = (Condition: Statement['Condition'], context: AuthorizationRequest['context']) =>
    evaluate([doc(allow({ Condition }))], req('ec2:AssociateAddress', EIP, context)) === 'Allow';

  it('StringEquals / StringNotEquals are exact and case-sensitive; values of one key are alternatives', () => {
    assert.equal(
      check({ StringEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } }, { 'aws:RequestedRegion': 'eu-west-1' }),
      true,
    );
    assert.equal(check({ StringEquals: { 'aws:RequestedRegion': 'us-east-1' } }, { 'aws:RequestedRegion': 'US-EAST-1' }), false);
    assert.equal(
      check({ StringNotEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } }, { 'aws:RequestedRegion': 'eu-west-1' }),
      false,
    );
    assert.equal(check({ StringNotEquals: { 'aws:RequestedRegion': 'us-east-1' } }, { 'aws:RequestedRegion': 'us-west-2' }), true);
  });

  it('condition key names are case-insensitive', () => {
    assert.equal(check({ StringEquals: { 'AWS:requestedregion': 'us-east-1' } }, { 'aws:RequestedRegion': 'us-east-1' }), true);
  });

  it('IgnoreCase variants compare without case', () => {
    assert.equal(check({ StringEqualsIgnoreCase: { 'ec2:ResourceTag/env': 'PROD' } }, { 'ec2:ResourceTag/env': 'prod' }), true);
    assert.equal(check({ StringNotEqualsIgnoreCase: { 'ec2:ResourceTag/env': 'PROD' } }, { 'ec2:ResourceTag/env': 'prod' }), false);
  });

  it('StringLike / StringNotLike use * and ?', () => {
    assert.equal(check({ StringLike: { 's:k': 'web-*-?' } }, { 's:k': 'web-blue-1' }), true);
    assert.equal(check({ StringLike: { 's:k': 'web-*-?' } }, { 's:k': 'web-blue-10' }), false);
    assert.equal(check({ StringNotLike: { 's:k': 'web-*' } }, { 's:k': 'db-1' }), true);
    assert.equal(check({ StringNotLike: { 's:k': 'web-*' } }, { 's:k': 'web-1' }), false);
  });

  it('a missing key makes positive operators false and negated operators true', () => {
    assert.equal(check({ StringEquals: { 's:absent': 'x' } }, {}), false);
    assert.equal(check({ StringNotEquals: { 's:absent': 'x' } }, {}), true);
    assert.equal(check({ ArnNotLike: { 's:absent': 'arn:*' } }, {}), true);
    assert.equal(check({ NumericLessThan: { 's:absent': '3' } }, {}), false);
  });

  it('...IfExists holds when the key is missing and is checked when present', () => {
    assert.equal(check({ StringEqualsIfExists: { 'ec2:InstanceType': 't3.micro' } }, {}), true);
    assert.equal(check({ StringEqualsIfExists: { 'ec2:InstanceType': 't3.micro' } }, { 'ec2:InstanceType': 't3.micro' }), true);
    assert.equal(check({ StringEqualsIfExists: { 'ec2:InstanceType': 't3.micro' } }, { 'ec2:InstanceType': 'm5.large' }), false);
  });

  it('Null tests presence', () => {
    assert.equal(check({ Null: { 'aws:TokenIssueTime': 'true' } }, {}), true);
    assert.equal(check({ Null: { 'aws:TokenIssueTime': 'true' } }, { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z' }), false);
    assert.equal(check({ Null: { 'aws:TokenIssueTime': 'false' } }, { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z' }), true);
  });

  it('Numeric operators compare numbers, never strings', () => {
    assert.equal(check({ NumericEquals: { n: '10' } }, { n: '10.0' }), true);
    assert.equal(check({ NumericNotEquals: { n: 10 } }, { n: '10' }), false);
    assert.equal(check({ NumericLessThan: { n: '10' } }, { n: '9' }), true);
    assert.equal(check({ NumericLessThan: { n: '10' } }, { n: '10' }), false);
    assert.equal(check({ NumericLessThanEquals: { n: '10' } }, { n: '10' }), true);
    assert.equal(check({ NumericGreaterThan: { n: '9' } }, { n: '10' }), true);
    assert.equal(check({ NumericGreaterThanEquals: { n: '11' } }, { n: '10' }), false);
    assert.equal(check({ NumericEquals: { n: '10' } }, { n: 'ten' }), false);
  });

  it('Date operators accept ISO 8601 and epoch seconds', () => {
    const ctx = { 'aws:CurrentTime': '2026-11-26T02:00:00Z' };
    assert.equal(check({ DateLessThan: { 'aws:CurrentTime': '2026-12-01T00:00:00Z' } }, ctx), true);
    assert.equal(check({ DateGreaterThan: { 'aws:CurrentTime': '2026-12-01T00:00:00Z' } }, ctx), false);
    assert.equal(check({ DateGreaterThanEquals: { 'aws:CurrentTime': String(Date.parse('2026-11-26T02:00:00Z') / 1000) } }, ctx), true);
    assert.equal(check({ DateEquals: { 'aws:CurrentTime': '2026-11-26T02:00:00.000Z' } }, ctx), true);
    assert.equal(check({ DateNotEquals: { 'aws:CurrentTime': '2026-11-26T02:00:00Z' } }, ctx), false);
    assert.equal(check({ DateLessThanEquals: { 'aws:CurrentTime': '2026-11-26T01:59:59Z' } }, ctx), false);
  });

  it('Bool compares true/false, without case', () => {
    assert.equal(check({ Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'TRUE' }), true);
    assert.equal(check({ Bool: { 'aws:MultiFactorAuthPresent': true } }, { 'aws:MultiFactorAuthPresent': 'false' }), false);
  });

  it('IpAddress / NotIpAddress match IPv4 and IPv6 ranges', () => {
    assert.equal(check({ IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '10.0.0.0/16'] } }, { 'aws:SourceIp': '10.0.5.9' }), true);
    assert.equal(check({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, { 'aws:SourceIp': '203.0.114.1' }), false);
    assert.equal(check({ NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, { 'aws:SourceIp': '203.0.114.1' }), true);
    assert.equal(ipInCidr('2001:db8::1', '2001:db8::/32'), true);
    assert.equal(ipInCidr('2001:db9::1', '2001:db8::/32'), false);
    assert.equal(ipInCidr('127.0.0.1', '127.0.0.1'), true);
    assert.equal(ipInCidr('10.0.0.1', '2001:db8::/32'), false);
  });

  it('ArnEquals / ArnLike / ArnNotLike match ARNs part by part', () => {
    const role = 'arn:aws:iam::123456789012:role/app/web';
    assert.equal(check({ ArnEquals: { 'aws:PrincipalArn': role } }, { 'aws:PrincipalArn': role }), true);
    assert.equal(check({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/app/*' } }, { 'aws:PrincipalArn': role }), true);
    assert.equal(check({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/*' } }, { 'aws:PrincipalArn': role }), false);
    assert.equal(check({ ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/app/*' } }, { 'aws:PrincipalArn': role }), false);
    assert.equal(check({ ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::1:role/other' } }, { 'aws:PrincipalArn': role }), true);
  });

  it('ForAnyValue needs one context value to match; an absent key fails', () => {
    const c = { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env', 'team'] } };
    assert.equal(check(c, { 'aws:TagKeys': ['cost', 'team'] }), true);
    assert.equal(check(c, { 'aws:TagKeys': ['cost'] }), false);
    assert.equal(check(c, {}), false);
    assert.equal(check({ 'ForAnyValue:StringNotLike': { 'aws:TagKeys': 'env*' } }, { 'aws:TagKeys': ['env', 'cost'] }), true);
  });

  it('ForAllValues needs every context value to match; an absent key holds', () => {
    const c = { 'ForAllValues:StringLike': { 'aws:TagKeys': ['env', 'team*'] } };
    assert.equal(check(c, { 'aws:TagKeys': ['env', 'team-a'] }), true);
    assert.equal(check(c, { 'aws:TagKeys': ['env', 'cost'] }), false);
    assert.equal(check(c, {}), true);
    assert.equal(check({ 'ForAllValues:StringNotEquals': { 'aws:TagKeys': 'secret' } }, { 'aws:TagKeys': ['a', 'b'] }), true);
  });

  it('all operators and all keys of a block must hold', () => {
    const c = { StringEquals: { a: 'x', b: 'y' }, Bool: { c: 'true' } };
    assert.equal(check(c, { a: 'x', b: 'y', c: 'true' }), true);
    assert.equal(check(c, { a: 'x', b: 'z', c: 'true' }), false);
    assert.equal(check(c, { a: 'x', b: 'y', c: 'false' }), false);
  });

  it('a conditional Deny only denies when its condition holds', () => {
    const p = [doc(allow({}), deny({ Condition: { StringNotEquals: { 'aws:RequestedRegion': 'us-east-1' } } }))];
    assert.equal(evaluate(p, req('ec2:RunInstances', '*', { 'aws:RequestedRegion': 'us-east-1' })), 'Allow');
    assert.equal(evaluate(p, req('ec2:RunInstances', '*', { 'aws:RequestedRegion': 'eu-west-1' })), 'ExplicitDeny');
  });
});

describe('policy evaluation: principals in trust policies', () => {
  const trust = (Principal: Statement['Principal']) => [doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal })];
  const asRole = {
    aws: [
      'arn:aws:sts::123456789012:assumed-role/r/s',
      'arn:aws:iam::123456789012:role/r',
      '123456789012',
      'arn:aws:iam::123456789012:root',
    ],
  };

  it('matches service principals, account principals, role ARNs and *', () => {
    const ec2 = { action: 'sts:AssumeRole', resource: '*', principal: { service: 'ec2.amazonaws.com' } };
    assert.equal(evaluate(trust({ Service: ['ec2.amazonaws.com'] }), ec2), 'Allow');
    assert.equal(evaluate(trust({ Service: 'lambda.amazonaws.com' }), ec2), 'ImplicitDeny');
    const caller = { action: 'sts:AssumeRole', resource: '*', principal: asRole };
    assert.equal(evaluate(trust({ AWS: 'arn:aws:iam::123456789012:root' }), caller), 'Allow');
    assert.equal(evaluate(trust({ AWS: '123456789012' }), caller), 'Allow');
    assert.equal(evaluate(trust({ AWS: 'arn:aws:iam::123456789012:role/r' }), caller), 'Allow');
    assert.equal(evaluate(trust({ AWS: 'arn:aws:iam::999999999999:root' }), caller), 'ImplicitDeny');
    assert.equal(evaluate(trust('*'), caller), 'Allow');
    assert.equal(evaluate(trust({ Service: 'ec2.amazonaws.com' }), caller), 'ImplicitDeny');
  });
});

describe('policy documents: what IAM refuses to store', () => {
  const refuses = (text: string, kind: 'identity' | 'trust', message: RegExp) =>
    assert.throws(
      () => parsePolicy(text, kind),
      (err: unknown) => err instanceof PolicySyntaxError && message.test(err.message),
    );

  it('refuses invalid JSON, bad effects, missing actions and resources, unknown operators', () => {
    refuses('{', 'identity', /invalid Json/);
    refuses(JSON.stringify(doc({ Effect: 'Maybe' as 'Allow', Action: '*', Resource: '*' })), 'identity', /Syntax errors/);
    refuses(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Resource: '*' }] }), 'identity', /must contain actions/);
    refuses(
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:Get*' }] }),
      'identity',
      /must contain resources/,
    );
    refuses(JSON.stringify(doc(allow({ Condition: { StringSorta: { a: 'b' } } }))), 'identity', /Invalid Condition type : StringSorta/);
    refuses(JSON.stringify(doc(allow({ Action: 'GetObject' }))), 'identity', /prefaced by a vendor/);
    refuses(JSON.stringify({ Version: '2099-01-01', Statement: [allow({})] }), 'identity', /legacy parsing/);
    refuses(JSON.stringify(doc(allow({ NotAction: 'iam:*' }))), 'identity', /Syntax errors/);
    refuses(JSON.stringify(doc(allow({ Sid: 'a' }), allow({ Sid: 'a' }))), 'identity', /must be unique/);
    refuses(JSON.stringify(doc(allow({ Sid: 'not ok' }))), 'identity', /alpha-numeric/);
  });

  it('trust policies need a principal and no resource; identity policies no principal', () => {
    refuses(JSON.stringify(doc({ Effect: 'Allow', Action: 'sts:AssumeRole' })), 'trust', /Missing required field Principal/);
    refuses(
      JSON.stringify(doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: '*', Resource: '*' })),
      'trust',
      /prohibited field Resource/,
    );
    refuses(JSON.stringify(doc(allow({ Principal: '*' }))), 'identity', /should not specify a principal/);
    refuses(JSON.stringify(doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: 'bob' } })), 'trust', /Invalid principal/);
    assert.doesNotThrow(() =>
      parsePolicy(JSON.stringify(doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'ec2.amazonaws.com' } })), 'trust'),
    );
  });

  it('globMatch handles stars at every position and backtracking', () => {
    assert.equal(globMatch('*', ''), true);
    assert.equal(globMatch('a*b*c', 'aXXbYYbZc'), true);
    assert.equal(globMatch('a*b*c', 'aXXbYYbZ'), false);
    assert.equal(globMatch('??', 'abc'), false);
    assert.equal(globMatch('A*', 'abc', true), true);
  });
});
