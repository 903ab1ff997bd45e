/** The IAM policy language's JSON shapes, and the checks IAM makes before it stores a document. */

export type OneOrMany<T> = T | T[];
export type PrincipalBlock = '*' | Record<string, OneOrMany<string>>;
export type ConditionBlock = Record<string, Record<string, OneOrMany<string | number | boolean>>>;

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: OneOrMany<string>;
  NotAction?: OneOrMany<string>;
  Resource?: OneOrMany<string>;
  NotResource?: OneOrMany<string>;
  Principal?: PrincipalBlock;
  NotPrincipal?: PrincipalBlock;
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: OneOrMany<Statement>;
}

/**
 * Identity policies (inline and managed) name no principal; trust policies name one and no resource; other
 * resource-based policies (a secret's, a file system's) name a principal and may name the resource.
 */
export type PolicyKind = 'identity' | 'trust' | 'resource';

export class PolicySyntaxError extends Error {}

export const listOf = <T>(value: OneOrMany<T> | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export const statementsOf = (doc: PolicyDocument): Statement[] => listOf(doc.Statement);

const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Principal',
  'NotPrincipal',
  'Condition',
]);

/** Parses a policy as IAM receives it (JSON text) and rejects what IAM rejects, with IAM's wording. */
export function parsePolicy(text: string, kind: PolicyKind): PolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new PolicySyntaxError('This policy contains invalid Json');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new PolicySyntaxError('Syntax errors in policy.');
  const { Version, Statement: statements } = doc as Record<string, unknown>;
  if (Version !== undefined && Version !== '2012-10-17' && Version !== '2008-10-17') {
    throw new PolicySyntaxError('The policy failed legacy parsing');
  }
  if (statements === undefined) throw new PolicySyntaxError('Syntax errors in policy.');
  const list = Array.isArray(statements) ? statements : [statements];
  for (const s of list) checkStatement(s, kind);
  const sids = list.map((s) => (s as Statement).Sid).filter((sid) => sid !== undefined);
  if (new Set(sids).size !== sids.length) throw new PolicySyntaxError('Statement IDs (SID) in a single policy must be unique.');
  return doc as PolicyDocument;
}

function checkStatement(s: unknown, kind: PolicyKind): void {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new PolicySyntaxError('Syntax errors in policy.');
  const st = s as Record<string, unknown>;
  for (const key of Object.keys(st)) if (!STATEMENT_KEYS.has(key)) throw new PolicySyntaxError('Syntax errors in policy.');
  if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw new PolicySyntaxError('Syntax errors in policy.');
  if (st.Action === undefined && st.NotAction === undefined) throw new PolicySyntaxError('Policy statement must contain actions.');
  for (const [a, b] of [
    ['Action', 'NotAction'],
    ['Resource', 'NotResource'],
    ['Principal', 'NotPrincipal'],
  ]) {
    if (st[a] !== undefined && st[b] !== undefined) throw new PolicySyntaxError('Syntax errors in policy.');
  }
  if (st.Sid !== undefined && (typeof st.Sid !== 'string' || !/^[a-zA-Z0-9]*$/.test(st.Sid))) {
    throw new PolicySyntaxError(
      'Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*',
    );
  }
  for (const key of ['Action', 'NotAction', 'Resource', 'NotResource']) {
    const v = st[key];
    if (v !== undefined && !isStringOrStrings(v)) throw new PolicySyntaxError('Syntax errors in policy.');
  }
  for (const action of [...listOf(st.Action as OneOrMany<string>), ...listOf(st.NotAction as OneOrMany<string>)]) {
    if (action !== '*' && !/^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]*$/.test(action)) {
      throw new PolicySyntaxError(`Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.`);
    }
  }
  if (kind === 'identity') {
    if (st.Principal !== undefined || st.NotPrincipal !== undefined)
      throw new PolicySyntaxError('Policy document should not specify a principal.');
    if (st.Resource === undefined && st.NotResource === undefined) throw new PolicySyntaxError('Policy statement must contain resources.');
  } else {
    if (kind === 'trust' && st.Resource !== undefined) throw new PolicySyntaxError('Has prohibited field Resource');
    if (kind === 'trust' && st.NotResource !== undefined) throw new PolicySyntaxError('Has prohibited field NotResource');
    if (st.Principal === undefined && st.NotPrincipal === undefined) throw new PolicySyntaxError('Missing required field Principal');
    checkPrincipal(st.Principal ?? st.NotPrincipal);
  }
  if (st.Condition !== undefined) checkCondition(st.Condition);
}

function isStringOrStrings(v: unknown): boolean {
  return typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'));
}

function checkPrincipal(p: unknown): void {
  if (p === '*') return;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new PolicySyntaxError('Syntax errors in policy.');
  for (const [type, value] of Object.entries(p)) {
    if (!['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(type))
      throw new PolicySyntaxError(`Invalid principal in policy: "${type}":${JSON.stringify(value)}`);
    if (!isStringOrStrings(value)) throw new PolicySyntaxError('Syntax errors in policy.');
    if (type === 'AWS') {
      for (const id of listOf(value as OneOrMany<string>)) {
        if (id !== '*' && !/^\d{12}$/.test(id) && !/^arn:aws:(iam|sts)::\d{12}:/.test(id)) {
          throw new PolicySyntaxError(`Invalid principal in policy: "AWS":"${id}"`);
        }
      }
    }
  }
}

/** Condition operators the policy language defines (without the IfExists suffix and the set qualifiers). */
export const CONDITION_OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Null',
]);

/** Splits `ForAnyValue:StringLikeIfExists` into its qualifier, base operator and IfExists flag. */
export function splitOperator(name: string): { qualifier?: 'ForAnyValue' | 'ForAllValues'; base: string; ifExists: boolean } | undefined {
  let rest = name;
  let qualifier: 'ForAnyValue' | 'ForAllValues' | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const q = rest.slice(0, colon);
    if (q !== 'ForAnyValue' && q !== 'ForAllValues') return undefined;
    qualifier = q;
    rest = rest.slice(colon + 1);
  }
  const ifExists = rest.endsWith('IfExists') && rest !== 'Null';
  const base = ifExists ? rest.slice(0, -'IfExists'.length) : rest;
  if (!CONDITION_OPERATORS.has(base) || (base === 'Null' && ifExists)) return undefined;
  return { qualifier, base, ifExists };
}

function checkCondition(c: unknown): void {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new PolicySyntaxError('Syntax errors in policy.');
  for (const [op, keys] of Object.entries(c)) {
    if (!splitOperator(op)) throw new PolicySyntaxError(`Invalid Condition type : ${op}`);
    if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) throw new PolicySyntaxError('Syntax errors in policy.');
    for (const v of Object.values(keys as Record<string, unknown>)) {
      const values = Array.isArray(v) ? v : [v];
      if (!values.every((x) => ['string', 'number', 'boolean'].includes(typeof x))) throw new PolicySyntaxError('Syntax errors in policy.');
    }
  }
}

/** The size IAM counts against its quotas: the document without whitespace. */
export const policySize = (text: string): number => text.replace(/\s+/g, '').length;
