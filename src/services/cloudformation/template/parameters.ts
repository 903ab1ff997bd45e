import { isAwsError } from '../../../protocol/errors.js';
import { cfnErrors } from '../errors.js';
import { findRegion, zonesOf } from '../../../topology/regions.js';

export interface GivenParameter {
  ParameterKey?: string;
  ParameterValue?: string;
  UsePreviousValue?: boolean;
}

export interface ResolvedParameter {
  key: string;
  /** The value as given (for SSM types: the parameter's name). */
  value: string;
  /** For SSM parameter types: the value read from Parameter Store. */
  resolved?: string;
  noEcho: boolean;
}

/** Service look-ups the AWS-specific parameter types need. */
export interface ParameterChecks {
  region: string;
  invoke(service: string, operation: string, input: unknown): Promise<unknown>;
}

/** A member of the template's Parameters section, as written (values are checked where they are used). */
export interface ParameterDefinition {
  Type?: unknown;
  Default?: unknown;
  NoEcho?: unknown;
  AllowedValues?: unknown;
  AllowedPattern?: unknown;
  ConstraintDescription?: unknown;
  MinLength?: unknown;
  MaxLength?: unknown;
  MinValue?: unknown;
  MaxValue?: unknown;
}

const AWS_TYPES: Record<string, ((v: string, c: ParameterChecks) => Promise<boolean>) | RegExp> = {
  'AWS::EC2::KeyPair::KeyName': (v, c) => exists(() => c.invoke('ec2', 'DescribeKeyPairs', { KeyNames: [v] })),
  'AWS::EC2::VPC::Id': (v, c) => exists(() => c.invoke('ec2', 'DescribeVpcs', { VpcIds: [v] })),
  'AWS::EC2::Subnet::Id': (v, c) => exists(() => c.invoke('ec2', 'DescribeSubnets', { SubnetIds: [v] })),
  'AWS::EC2::SecurityGroup::Id': (v, c) => exists(() => c.invoke('ec2', 'DescribeSecurityGroups', { GroupIds: [v] })),
  'AWS::EC2::SecurityGroup::GroupName': (v, c) => exists(() => c.invoke('ec2', 'DescribeSecurityGroups', { GroupNames: [v] })),
  'AWS::EC2::Instance::Id': (v, c) => exists(() => c.invoke('ec2', 'DescribeInstances', { InstanceIds: [v] })),
  'AWS::EC2::Volume::Id': (v, c) => exists(() => c.invoke('ec2', 'DescribeVolumes', { VolumeIds: [v] })),
  'AWS::EC2::AvailabilityZone::Name': async (v, c) => zonesOf(findRegion(c.region)!).some((z) => z.zoneName === v),
  'AWS::EC2::Image::Id': /^ami-[0-9a-f]{8,17}$/,
  'AWS::Route53::HostedZone::Id': /^[A-Z0-9]{1,32}$/,
};

/** Types whose value is checked by the given service look-up or pattern; `List<...>` of them too. */
export function isKnownType(type: string): boolean {
  if (['String', 'Number', 'List<Number>', 'CommaDelimitedList'].includes(type)) return true;
  if (ssmType(type)) return true;
  const inner = /^List<(.+)>$/.exec(type)?.[1];
  return (inner ?? type) in AWS_TYPES;
}

function ssmType(type: string): string | undefined {
  return /^AWS::SSM::Parameter::(?:Name|Value<(.+)>)$/.exec(type) ? type : undefined;
}

async function exists(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (err) {
    if (isAwsError(err) && /NotFound|Malformed|InvalidParameterValue/.test(err.code)) return false;
    throw err;
  }
}

/** Checks the Parameters section's own shape (at validation time). */
export function checkParameterDefinitions(defs: Record<string, ParameterDefinition | undefined>): void {
  if (typeof defs !== 'object' || Array.isArray(defs)) throw cfnErrors.templateFormat('Parameters must be an object');
  for (const [key, def] of Object.entries(defs)) {
    if (!def || typeof def !== 'object') throw cfnErrors.templateFormat(`Invalid parameter ${key}: must be an object`);
    if (!def.Type) throw cfnErrors.templateFormat('Every Parameters object must contain a Type member.');
    if (!isKnownType(String(def.Type))) throw cfnErrors.templateFormat(`Unrecognized parameter type: ${String(def.Type)}`);
  }
}

/**
 * Resolves the stack's parameters: the given values, UsePreviousValue (on update), then defaults; checks every
 * constraint and AWS-specific type, as CloudFormation does before it creates anything.
 */
export async function resolveParameters(
  defs: Record<string, ParameterDefinition>,
  given: GivenParameter[],
  previous: Record<string, string> | undefined,
  checks: ParameterChecks,
): Promise<ResolvedParameter[]> {
  const byKey = new Map<string, GivenParameter>();
  for (const p of given) if (p.ParameterKey) byKey.set(p.ParameterKey, p);
  const unknown = [...byKey.keys()].filter((k) => !(k in defs));
  if (unknown.length) throw cfnErrors.validation(`Parameters: [${unknown.join(', ')}] do not exist in the template`);

  const missing: string[] = [];
  const values: Array<{ key: string; def: ParameterDefinition; value: string }> = [];
  for (const [key, def] of Object.entries(defs)) {
    const g = byKey.get(key);
    let value: string | undefined;
    if (g?.UsePreviousValue) {
      if (g.ParameterValue !== undefined)
        throw cfnErrors.validation(
          `Invalid input for parameter key ${key}. Cannot specify usePreviousValue as true and non empty value for a parameter`,
        );
      if (!previous || !(key in previous))
        throw cfnErrors.validation(
          `Invalid input for parameter key ${key}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`,
        );
      value = previous[key];
    } else if (g?.ParameterValue !== undefined) {
      value = g.ParameterValue;
    } else if (def.Default !== undefined) {
      value = Array.isArray(def.Default) ? def.Default.join(',') : String(def.Default);
    }
    if (value === undefined) missing.push(key);
    else values.push({ key, def, value });
  }
  if (missing.length) throw cfnErrors.validation(`Parameters: [${missing.join(', ')}] must have values`);

  // Every value's own constraints first, then the look-ups of AWS-specific and SSM types.
  for (const { key, def, value } of values) checkConstraints(key, def, value);
  const out: ResolvedParameter[] = [];
  for (const { key, def, value } of values) {
    const type = String(def.Type);
    let resolved: string | undefined;
    if (ssmType(type) && type !== 'AWS::SSM::Parameter::Name') resolved = await readSsm(key, value, checks);
    else await checkAwsType(key, type, value, checks);
    out.push({ key, value, resolved, noEcho: String(def.NoEcho) === 'true' });
  }
  return out;
}

function checkConstraints(key: string, def: ParameterDefinition, value: string): void {
  const type = String(def.Type);
  const fail = (what: string) => {
    throw cfnErrors.validation(
      def.ConstraintDescription
        ? `Parameter '${key}' failed to satisfy constraint: ${String(def.ConstraintDescription)}`
        : `Parameter '${key}' ${what}`,
    );
  };
  const items = type === 'String' || type === 'Number' ? [value] : value.split(',').map((s) => s.trim());
  for (const item of items) {
    if (type === 'Number' || type === 'List<Number>') {
      if (item === '' || !Number.isFinite(Number(item))) throw cfnErrors.validation(`Parameter '${key}' must be a number`);
      if (def.MinValue !== undefined && Number(item) < Number(def.MinValue)) fail(`must be a number not less than ${String(def.MinValue)}`);
      if (def.MaxValue !== undefined && Number(item) > Number(def.MaxValue))
        fail(`must be a number not greater than ${String(def.MaxValue)}`);
    }
    if (Array.isArray(def.AllowedValues) && !def.AllowedValues.map(String).includes(item)) fail('must be one of AllowedValues');
  }
  if (type === 'String') {
    if (def.MinLength !== undefined && value.length < Number(def.MinLength))
      fail(`must contain at least ${String(def.MinLength)} characters`);
    if (def.MaxLength !== undefined && value.length > Number(def.MaxLength))
      fail(`must contain at most ${String(def.MaxLength)} characters`);
    if (def.AllowedPattern !== undefined) {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${String(def.AllowedPattern)})$`, 'u');
      } catch {
        throw cfnErrors.validation(`Parameter '${key}' has an invalid AllowedPattern ${String(def.AllowedPattern)}`);
      }
      if (!re.test(value)) fail(`must match pattern ${String(def.AllowedPattern)}`);
    }
  }
}

async function checkAwsType(key: string, type: string, value: string, checks: ParameterChecks): Promise<void> {
  const inner = /^List<(.+)>$/.exec(type)?.[1];
  const check = AWS_TYPES[inner ?? type];
  if (!check) return;
  const items = inner
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [value];
  for (const item of items) {
    const ok = check instanceof RegExp ? check.test(item) : await check(item, checks);
    if (!ok) throw cfnErrors.validation(`Parameter validation failed: parameter value ${item} for parameter name ${key} does not exist.`);
  }
}

async function readSsm(key: string, name: string, checks: ParameterChecks): Promise<string> {
  try {
    const r = (await checks.invoke('ssm', 'GetParameter', { Name: name })) as { Parameter?: { Value?: string } };
    return r.Parameter?.Value ?? '';
  } catch (err) {
    if (isAwsError(err, 'ParameterNotFound')) throw cfnErrors.ssmParameterUnavailable(name);
    throw cfnErrors.validation(`Parameter ${key}: cannot read SSM parameter ${name}: ${(err as Error).message}`);
  }
}

/** The value a parameter gives to Ref: a list for List<...> and CommaDelimitedList, else a string. */
export function refValue(type: string, p: ResolvedParameter): string | string[] {
  const v = p.resolved ?? p.value;
  if (
    type === 'CommaDelimitedList' ||
    type.startsWith('List<') ||
    /^AWS::SSM::Parameter::Value<List</.test(type) ||
    type === 'AWS::SSM::Parameter::Value<CommaDelimitedList>'
  ) {
    return v === '' ? [] : v.split(',').map((s) => s.trim());
  }
  return v;
}
