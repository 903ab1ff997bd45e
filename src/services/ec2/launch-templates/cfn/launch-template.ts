import { isAwsError } from '../../../../protocol/errors.js';
import { registerProvider } from '../../../cloudformation/providers/registry.js';
import type { ProviderContext, Props, ResourceProvider } from '../../../cloudformation/providers/types.js';
import { bool, given, num, str } from '../../../cloudformation/providers/values.js';
import type { LaunchTemplate, LaunchTemplateData } from '../../generated/types.js';

/** A launch template as DescribeLaunchTemplates and CreateLaunchTemplate show it. */
type Described = LaunchTemplate;

/** Members of launch template data that are booleans or numbers on the API, which a template may give as strings. */
const BOOLEANS = new Set([
  'AssociatePublicIpAddress',
  'AssociateCarrierIpAddress',
  'DeleteOnTermination',
  'Enabled',
  'DisableApiTermination',
  'DisableApiStop',
  'EbsOptimized',
  'Encrypted',
  'Configured',
  'Primary',
  'EnableResourceNameDnsARecord',
  'EnableResourceNameDnsAAAARecord',
  'PrimaryIpv6',
  'EnaSrdEnabled',
  'EnaSrdUdpEnabled',
  'RequireHibernateSupport',
]);
const NUMBERS = new Set([
  'DeviceIndex',
  'HttpPutResponseHopLimit',
  'VolumeSize',
  'Iops',
  'Throughput',
  'Ipv6AddressCount',
  'SecondaryPrivateIpAddressCount',
  'NetworkCardIndex',
  'CoreCount',
  'ThreadsPerCore',
  'PartitionNumber',
  'Count',
  'Ipv4PrefixCount',
  'Ipv6PrefixCount',
  'BlockDurationMinutes',
]);

/** A template's LaunchTemplateData with its booleans and numbers typed as the EC2 API has them. */
export function typedData(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => typedData(v, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, typedData(v, k)]));
  }
  if (BOOLEANS.has(key)) return bool(value);
  if (NUMBERS.has(key)) return num(value);
  return value;
}

const templateTags = (p: Props) =>
  ((p.TagSpecifications ?? []) as Props[])
    .filter((s) => s.ResourceType === 'launch-template')
    .flatMap((s) => ((s.Tags ?? []) as Props[]).map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? '') })));

const attributes = (t: Described) => ({
  LaunchTemplateId: t.LaunchTemplateId,
  DefaultVersionNumber: String(t.DefaultVersionNumber),
  LatestVersionNumber: String(t.LatestVersionNumber),
});

async function describe(ctx: ProviderContext, id: string): Promise<Described | undefined> {
  try {
    const out = await ctx.invoke('ec2', 'DescribeLaunchTemplates', { LaunchTemplateIds: [id] });
    return out.LaunchTemplates?.[0];
  } catch (err) {
    if (isAwsError(err, 'InvalidLaunchTemplateId.NotFound')) return undefined;
    throw err;
  }
}

/**
 * The template's LaunchTemplateData as CreateLaunchTemplate(Version) takes it. Its members are many and nested, so
 * they are not read one by one: `invoke` holds the whole value to the model (type, enum, range) as the API would.
 */
const launchTemplateData = (p: Props) => typedData(p.LaunchTemplateData) as LaunchTemplateData;

/**
 * AWS::EC2::LaunchTemplate through the launch-template operations. Ref is the id. A change of LaunchTemplateData or
 * VersionDescription creates a new version with the template's whole data; as on AWS, CloudFormation does not
 * change the default version (GetAtt LatestVersionNumber names the new one).
 */
export const launchTemplateProvider: ResourceProvider = {
  type: 'AWS::EC2::LaunchTemplate',
  required: ['LaunchTemplateData'],
  replaceOn: ['LaunchTemplateName'],
  async create(p: Props, ctx) {
    const tags = [...templateTags(p), ...ctx.stackTags];
    const out = await ctx.invoke('ec2', 'CreateLaunchTemplate', {
      LaunchTemplateName: str(p.LaunchTemplateName) ?? ctx.physicalName(128),
      VersionDescription: str(p.VersionDescription),
      LaunchTemplateData: launchTemplateData(p),
      TagSpecifications: tags.length ? [{ ResourceType: 'launch-template', Tags: tags }] : undefined,
    });
    const template = given(out.LaunchTemplate, 'LaunchTemplate');
    return { physicalId: given(template.LaunchTemplateId, 'LaunchTemplateId'), attributes: attributes(template) };
  },
  async update(id, p, previous, ctx) {
    const changed = (k: string) => JSON.stringify(p[k]) !== JSON.stringify(previous[k]);
    if (changed('LaunchTemplateData') || changed('VersionDescription')) {
      await ctx.invoke('ec2', 'CreateLaunchTemplateVersion', {
        LaunchTemplateId: id,
        VersionDescription: str(p.VersionDescription),
        LaunchTemplateData: launchTemplateData(p),
      });
    }
    if (changed('TagSpecifications')) {
      const now = templateTags(p);
      const gone = templateTags(previous).filter((t) => !now.some((n) => n.Key === t.Key));
      if (gone.length) await ctx.invoke('ec2', 'DeleteTags', { Resources: [id], Tags: gone.map((t) => ({ Key: t.Key })) });
      if (now.length) await ctx.invoke('ec2', 'CreateTags', { Resources: [id], Tags: now });
    }
    const t = await describe(ctx, id);
    if (!t) throw new Error(`Launch template ${id} no longer exists`);
    return { physicalId: id, attributes: attributes(t) };
  },
  async read(id, _p, ctx) {
    const t = await describe(ctx, id);
    return t ? attributes(t) : undefined;
  },
  async delete(id, _p, ctx) {
    try {
      await ctx.invoke('ec2', 'DeleteLaunchTemplate', { LaunchTemplateId: id });
    } catch (err) {
      if (isAwsError(err, 'InvalidLaunchTemplateId.NotFound') || isAwsError(err, 'InvalidLaunchTemplateId.Malformed')) return;
      throw err;
    }
  },
};

registerProvider(launchTemplateProvider);
