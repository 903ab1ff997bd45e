import type { Cloud } from '../../cloud.js';
import { errors } from './errors.js';
import { launchConfigurations, type GroupRecord, type LaunchTemplateSpec } from './state.js';

/** What the controller needs to know of one EC2 instance. */
export interface FleetInstance {
  InstanceId: string;
  State: string;
  InstanceType: string;
  AvailabilityZone: string;
  SubnetId?: string;
  ClientToken?: string;
  LaunchTime: number;
  GroupName?: string;
}

export interface LaunchRequest {
  group: GroupRecord;
  zone: string;
  subnetId?: string;
  clientToken: string;
  /** Launch with hibernation configured (the instances of a group whose warm pool keeps them Hibernated). */
  hibernation?: boolean;
}

export interface Launched {
  InstanceId: string;
  InstanceType: string;
  AvailabilityZone: string;
  SubnetId?: string;
  LaunchTemplate?: LaunchTemplateSpec;
}

/** The tag EC2 Auto Scaling puts on every instance it launches. */
export const GROUP_TAG = 'aws:autoscaling:groupName';

/**
 * EC2 as the controller sees it. The cloud's own EC2 answers through `invoke` (the same operations as the API);
 * unit tests on a virtual clock, which cannot run instances without root, hand the controller a fleet of their own.
 */
export interface Fleet {
  /** Runs one instance for the group in that zone (and subnet); throws EC2's AwsError when EC2 refuses. */
  launch(region: string, req: LaunchRequest): Promise<Launched>;
  /** Every instance of the region that carries the group tag, by id (terminated ones while EC2 still lists them). */
  groupInstances(region: string): Promise<Map<string, FleetInstance>>;
  /** The instances among these whose instance or system status check is impaired. */
  impaired(region: string, ids: string[]): Promise<Set<string>>;
  terminate(region: string, ids: string[]): Promise<void>;
  /** Removes the group tag from instances that leave their group (DetachInstances). */
  release(region: string, ids: string[]): Promise<void>;
  /** The state of instances by id (for AttachInstances); missing ones are absent. */
  describe(region: string, ids: string[]): Promise<Map<string, FleetInstance>>;
  /**
   * Calls back with a region whenever EC2 may show something new there (a state change, a round of status checks);
   * returns how to stop. A fleet without it is read afresh at every tick.
   */
  onChange?(fn: (region: string) => void): () => void;
}

interface Ec2Instance {
  InstanceId: string;
  InstanceType: string;
  State: { Name: string };
  Placement: { AvailabilityZone: string };
  SubnetId?: string;
  ClientToken?: string;
  LaunchTime: Date | string;
  Tags?: Array<{ Key: string; Value: string }>;
}

const toFleet = (i: Ec2Instance): FleetInstance => ({
  InstanceId: i.InstanceId,
  State: i.State.Name,
  InstanceType: i.InstanceType,
  AvailabilityZone: i.Placement.AvailabilityZone,
  SubnetId: i.SubnetId,
  ClientToken: i.ClientToken || undefined,
  LaunchTime: new Date(i.LaunchTime).getTime(),
  GroupName: i.Tags?.find((t) => t.Key === GROUP_TAG)?.Value,
});

/** The RunInstances input for one instance of a group: its launch configuration or template, in a zone. */
export function runInstancesInput(cloud: Cloud, region: string, req: LaunchRequest): Record<string, unknown> {
  const g = req.group;
  const tags = [
    { Key: GROUP_TAG, Value: g.AutoScalingGroupName },
    ...g.Tags.filter((t) => t.PropagateAtLaunch).map((t) => ({ Key: t.Key, Value: t.Value })),
  ];
  const base: Record<string, unknown> = {
    MinCount: 1,
    MaxCount: 1,
    ClientToken: req.clientToken,
    TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
    ...(req.hibernation ? { HibernationOptions: { Configured: true } } : {}),
  };
  const template = g.LaunchTemplate ?? g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  if (template) {
    return {
      ...base,
      LaunchTemplate: {
        LaunchTemplateId: template.LaunchTemplateId,
        LaunchTemplateName: template.LaunchTemplateName,
        Version: template.Version ?? '$Default',
      },
      ...(req.subnetId ? { SubnetId: req.subnetId } : { Placement: { AvailabilityZone: req.zone } }),
    };
  }
  const lc = g.LaunchConfigurationName ? launchConfigurations(cloud).get(region, g.LaunchConfigurationName) : undefined;
  if (!lc) throw errors.launchConfigurationNotFound(g.LaunchConfigurationName ?? '');
  const ids = lc.SecurityGroups.filter((s) => s.startsWith('sg-'));
  const names = lc.SecurityGroups.filter((s) => !s.startsWith('sg-'));
  const input: Record<string, unknown> = {
    ...base,
    ImageId: lc.ImageId,
    InstanceType: lc.InstanceType,
    KeyName: lc.KeyName || undefined,
    UserData: lc.UserData || undefined,
    MetadataOptions: lc.MetadataOptions,
    Monitoring: { Enabled: lc.InstanceMonitoring.Enabled },
    BlockDeviceMappings: lc.BlockDeviceMappings.length ? lc.BlockDeviceMappings : undefined,
    IamInstanceProfile: lc.IamInstanceProfile
      ? lc.IamInstanceProfile.startsWith('arn:')
        ? { Arn: lc.IamInstanceProfile }
        : { Name: lc.IamInstanceProfile }
      : undefined,
  };
  if (req.subnetId && lc.AssociatePublicIpAddress !== undefined) {
    input.NetworkInterfaces = [
      {
        DeviceIndex: 0,
        SubnetId: req.subnetId,
        Groups: ids.length ? ids : undefined,
        AssociatePublicIpAddress: lc.AssociatePublicIpAddress,
      },
    ];
  } else {
    if (req.subnetId) input.SubnetId = req.subnetId;
    else input.Placement = { AvailabilityZone: req.zone };
    if (ids.length) input.SecurityGroupIds = ids;
  }
  if (names.length) input.SecurityGroups = names;
  return input;
}

/** The cloud's own EC2, through `invoke`. */
export class Ec2Fleet implements Fleet {
  constructor(private readonly cloud: Cloud) {}

  private ec2<T>(region: string, op: string, input: unknown): Promise<T> {
    return this.cloud.invoke<T>('ec2', op, input, { region });
  }

  async launch(region: string, req: LaunchRequest): Promise<Launched> {
    const out = await this.ec2<{ Instances: Ec2Instance[] }>(region, 'RunInstances', runInstancesInput(this.cloud, region, req));
    const i = out.Instances[0];
    return { InstanceId: i.InstanceId, InstanceType: i.InstanceType, AvailabilityZone: i.Placement.AvailabilityZone, SubnetId: i.SubnetId };
  }

  private async list(region: string, filters: Array<{ Name: string; Values: string[] }>): Promise<Map<string, FleetInstance>> {
    const out = await this.ec2<{ Reservations: Array<{ Instances: Ec2Instance[] }> }>(region, 'DescribeInstances', { Filters: filters });
    const map = new Map<string, FleetInstance>();
    for (const r of out.Reservations) for (const i of r.Instances) map.set(i.InstanceId, toFleet(i));
    return map;
  }

  groupInstances(region: string): Promise<Map<string, FleetInstance>> {
    return this.list(region, [{ Name: 'tag-key', Values: [GROUP_TAG] }]);
  }

  describe(region: string, ids: string[]): Promise<Map<string, FleetInstance>> {
    return this.list(region, [{ Name: 'instance-id', Values: ids }]);
  }

  async impaired(region: string, ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const out = await this.ec2<{
      InstanceStatuses: Array<{ InstanceId: string; SystemStatus: { Status: string }; InstanceStatus: { Status: string } }>;
    }>(region, 'DescribeInstanceStatus', {});
    const wanted = new Set(ids);
    return new Set(
      out.InstanceStatuses.filter(
        (s) => wanted.has(s.InstanceId) && (s.SystemStatus.Status === 'impaired' || s.InstanceStatus.Status === 'impaired'),
      ).map((s) => s.InstanceId),
    );
  }

  async terminate(region: string, ids: string[]): Promise<void> {
    if (ids.length) await this.ec2(region, 'TerminateInstances', { InstanceIds: ids });
  }

  async release(region: string, ids: string[]): Promise<void> {
    if (ids.length) await this.ec2(region, 'DeleteTags', { Resources: ids, Tags: [{ Key: GROUP_TAG }] });
  }

  onChange(fn: (region: string) => void): () => void {
    const listener = (e: { region: string }) => fn(e.region);
    this.cloud.events.on('ec2.instanceStateChanged', listener);
    this.cloud.events.on('ec2.statusChecked', listener);
    return () => {
      this.cloud.events.off('ec2.instanceStateChanged', listener);
      this.cloud.events.off('ec2.statusChecked', listener);
    };
  }
}
