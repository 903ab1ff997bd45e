import type { Cloud } from '../../../cloud.js';
import { instanceCredentials } from '../../../auth/instance-credentials.js';
import type { MetaDoc, MetaTree } from '../../../runtime/imds.js';
import { findZone } from '../../../topology/regions.js';
import { publicNameShown } from './dns-names.js';
import { publicIpOf } from './instances.js';
import { targetLifecycleState } from './target-lifecycle-state.js';
import { instancesTable, privateDnsOf, publicDnsOf, type InstanceRecord } from './state.js';

async function roleNameOf(cloud: Cloud, region: string, r: InstanceRecord): Promise<string | undefined> {
  const name = r.IamInstanceProfile?.Name ?? r.IamInstanceProfile?.Arn?.split('/').pop();
  if (!name || !cloud.services.get('iam')?.operations.GetInstanceProfile) return undefined;
  try {
    const out = await cloud.invoke<{ InstanceProfile?: { Roles?: Array<{ RoleName: string }> } }>(
      'iam',
      'GetInstanceProfile',
      { InstanceProfileName: name },
      { region },
    );
    return out.InstanceProfile?.Roles?.[0]?.RoleName;
  } catch {
    return undefined;
  }
}

const iso = (v: unknown) => {
  const d = v instanceof Date ? v : new Date(v as string | number);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
};

/** The metadata of one instance as the metadata service shows it. */
export async function metadataDoc(cloud: Cloud, instanceId: string): Promise<MetaDoc | undefined> {
  const found = instancesTable(cloud.store)
    .listAll()
    .find((x) => x.value.InstanceId === instanceId);
  if (!found) return undefined;
  const { scope: region, value: r } = found;
  const scope = { cloud, region };
  const publicIp = publicIpOf(scope, r);
  const mac = r.MacAddress;
  const zone = findZone(r.AvailabilityZone);
  const local = privateDnsOf(r.PrivateIpAddress, region);
  const publicName = publicIp && publicNameShown(cloud, region, r.VpcId) ? publicDnsOf(publicIp, region) : undefined;
  const groups = r.SecurityGroups;
  const macTree: MetaTree = {
    'device-number': '0',
    'interface-id': r.NetworkInterfaceId,
    'local-hostname': local,
    'local-ipv4s': r.PrivateIpAddress,
    mac,
    'owner-id': r.OwnerId,
    'security-group-ids': groups.map((g) => g.GroupId).join('\n'),
    'security-groups': groups.map((g) => g.GroupName).join('\n'),
    'subnet-id': r.SubnetId,
    'vpc-id': r.VpcId,
  };
  if (publicIp) {
    if (publicName) macTree['public-hostname'] = publicName;
    macTree['public-ipv4s'] = publicIp;
  }
  const metaData: MetaTree = {
    'ami-id': r.ImageId,
    'ami-launch-index': String(r.AmiLaunchIndex),
    'ami-manifest-path': '(unknown)',
    hostname: local,
    'instance-action': 'none',
    'instance-id': r.InstanceId,
    'instance-life-cycle': 'on-demand',
    'instance-type': r.InstanceType,
    'local-hostname': local,
    'local-ipv4': r.PrivateIpAddress,
    mac,
    network: { interfaces: { macs: { [mac]: macTree } } },
    placement: {
      'availability-zone': r.AvailabilityZone,
      'availability-zone-id': zone?.zoneId ?? '',
      region,
    },
    'reservation-id': r.ReservationId,
    'security-groups': groups.map((g) => g.GroupName).join('\n'),
    services: { domain: 'amazonaws.com', partition: 'aws' },
  };
  if (publicIp) {
    metaData['public-ipv4'] = publicIp;
    if (publicName) metaData['public-hostname'] = publicName;
  }
  const group = r.Tags.find((t) => t.Key === 'aws:autoscaling:groupName')?.Value;
  if (group) {
    metaData.autoscaling = { 'target-lifecycle-state': () => targetLifecycleState(cloud, region, group, r.InstanceId) };
  }
  if (r.MetadataOptions.InstanceMetadataTags === 'enabled') {
    metaData.tags = { instance: Object.fromEntries(r.Tags.map((t) => [t.Key, t.Value])) };
  }
  const profile = r.IamInstanceProfile;
  if (profile?.Arn || profile?.Name) {
    const updated = iso(r.RunningSince ?? cloud.clock.now()) ?? '';
    const role = await roleNameOf(cloud, region, r);
    metaData.iam = {
      info: JSON.stringify(
        {
          Code: 'Success',
          LastUpdated: updated,
          InstanceProfileArn: profile.Arn ?? profile.Name,
          InstanceProfileId: `AIPA${r.InstanceId.slice(2, 19).toUpperCase()}`,
        },
        null,
        2,
      ),
      'security-credentials': role ? { [role]: () => credentialsOf(cloud, r) } : {},
    };
  }
  const identity = {
    accountId: r.OwnerId,
    architecture: 'x86_64',
    availabilityZone: r.AvailabilityZone,
    imageId: r.ImageId,
    instanceId: r.InstanceId,
    instanceType: r.InstanceType,
    pendingTime: r.LaunchTime.replace(/\.\d{3}Z$/, 'Z'),
    privateIp: r.PrivateIpAddress,
    region,
    version: '2017-09-30',
  };
  return {
    instanceId: r.InstanceId,
    httpTokens: r.MetadataOptions.HttpTokens,
    httpEndpoint: r.MetadataOptions.HttpEndpoint,
    now: () => cloud.clock.now(),
    metaData,
    dynamic: { 'instance-identity': { document: JSON.stringify(identity, null, 2) } },
    userData: r.UserData ? Buffer.from(r.UserData, 'base64') : undefined,
  };
}

/** Temporary credentials of the instance profile's role, from STS (auth/instance-credentials.ts), as the metadata service shows them. */
async function credentialsOf(cloud: Cloud, r: InstanceRecord): Promise<string | undefined> {
  const profile = r.IamInstanceProfile?.Arn ?? r.IamInstanceProfile?.Name ?? '';
  const c = instanceCredentials(cloud, profile, r.InstanceId);
  if (!c) return undefined;
  return JSON.stringify(
    {
      Code: 'Success',
      LastUpdated: iso(cloud.clock.now()),
      Type: 'AWS-HMAC',
      AccessKeyId: c.AccessKeyId,
      SecretAccessKey: c.SecretAccessKey,
      Token: c.Token,
      Expiration: iso(c.Expiration),
    },
    null,
    2,
  );
}
