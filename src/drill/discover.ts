import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeStackResourcesCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAddressesCommand, DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import type { Clients } from './clients.js';

/** What a drill needs to know about a stack, found through CloudFormation, EC2 and Auto Scaling like a user would. */
export interface StackTarget {
  stack: string;
  outputs: Record<string, string>;
  parameters: Record<string, string>;
  tags: Record<string, string>;
  /** The service's base URL (no trailing slash), or undefined when only an address was found (see `address`). */
  url?: string;
  /** An Elastic IP or public IP when no URL output exists. */
  address?: string;
  instanceIds: string[];
  groupNames: string[];
  alarmNames: string[];
  elasticIps: string[];
}

export async function discoverStack(c: Clients, stack: string): Promise<StackTarget> {
  const described = (await c.cfn.send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0];
  if (!described) throw new Error(`no stack ${stack}`);
  const outputs = Object.fromEntries((described.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const parameters = Object.fromEntries((described.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']));
  const tags = Object.fromEntries((described.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  const resources = (await c.cfn.send(new DescribeStackResourcesCommand({ StackName: stack }))).StackResources ?? [];
  const ofType = (type: string) =>
    resources.filter((r) => r.ResourceType === type && r.PhysicalResourceId).map((r) => r.PhysicalResourceId as string);
  const target: StackTarget = {
    stack,
    outputs,
    parameters,
    tags,
    instanceIds: ofType('AWS::EC2::Instance'),
    groupNames: ofType('AWS::AutoScaling::AutoScalingGroup'),
    alarmNames: ofType('AWS::CloudWatch::Alarm'),
    elasticIps: ofType('AWS::EC2::EIP'),
  };
  target.instanceIds = await stackInstanceIds(c, target);
  const urlKey = Object.keys(outputs)
    .sort()
    .find((k) => /^https?:\/\//.test(outputs[k]));
  if (urlKey) target.url = outputs[urlKey].replace(/\/+$/, '');
  else if (target.elasticIps.length) target.address = target.elasticIps[0];
  else {
    const running = (await describeInstances(c, target.instanceIds)).find((i) => i.PublicIpAddress);
    target.address = running?.PublicIpAddress;
  }
  if (!target.url && !target.address) throw new Error(`stack ${stack} has no URL output, Elastic IP or public instance address to probe`);
  return target;
}

/** The stack's own instances and the current instances of its Auto Scaling groups. */
export async function stackInstanceIds(c: Clients, target: Pick<StackTarget, 'groupNames'> & { instanceIds: string[] }): Promise<string[]> {
  const ids = new Set(target.instanceIds);
  if (target.groupNames.length) {
    const groups =
      (await c.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: target.groupNames }))).AutoScalingGroups ?? [];
    for (const g of groups) for (const i of g.Instances ?? []) if (i.InstanceId) ids.add(i.InstanceId);
  }
  return [...ids];
}

export async function describeInstances(c: Clients, ids: string[]): Promise<Instance[]> {
  if (!ids.length) return [];
  const out = await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

/**
 * Where a stack without a URL output answers now: the public address of its newest running instance (the seed's
 * multi-AZ group gets a new address with each new instance).
 */
export async function currentAddress(c: Clients, target: StackTarget): Promise<string | undefined> {
  const ids = await stackInstanceIds(c, target);
  const running = (await describeInstances(c, ids)).filter((i) => i.State?.Name === 'running' && i.PublicIpAddress);
  running.sort((a, b) => (b.LaunchTime?.getTime() ?? 0) - (a.LaunchTime?.getTime() ?? 0));
  return running[0]?.PublicIpAddress;
}

/** The instance serving now: the Elastic IP's owner, else the newest running instance of the stack. */
export async function servingInstance(c: Clients, target: StackTarget): Promise<{ instanceId: string; zone?: string } | undefined> {
  let id: string | undefined;
  if (target.elasticIps.length) {
    id = (await c.ec2.send(new DescribeAddressesCommand({ PublicIps: [target.elasticIps[0]] }))).Addresses?.[0]?.InstanceId;
  }
  const candidates = await describeInstances(c, id ? [id] : await stackInstanceIds(c, target));
  const running = candidates
    .filter((i) => i.State?.Name === 'running')
    .sort((a, b) => (b.LaunchTime?.getTime() ?? 0) - (a.LaunchTime?.getTime() ?? 0));
  const chosen = running[0];
  return chosen?.InstanceId ? { instanceId: chosen.InstanceId, zone: chosen.Placement?.AvailabilityZone } : undefined;
}
