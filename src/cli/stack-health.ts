import { DescribeAutoScalingGroupsCommand, DescribeWarmPoolCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeStackResourcesCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { buildbot } from '../../cdk/lib/workload/buildbot.js';
import type { CloudClients } from './cloud-clients.js';

export interface InstanceHealth {
  instanceId: string;
  state: string;
  zone?: string;
  publicIp?: string;
  /** Auto Scaling's view of a group member: lifecycle state (InService, Pending, Warmed:Stopped, ...) and health. */
  group?: string;
  lifecycle?: string;
  health?: string;
}

export interface StackHealth {
  name: string;
  status: string;
  statusReason?: string;
  outputs: Record<string, string>;
  tags: Record<string, string>;
  /** The CI server's URL: the stack's URL output, else a group instance's public address on the workload's port. */
  url?: string;
  /** The URL's answer now (GET with a short timeout). */
  probe?: { answering: boolean; httpStatus?: number; error?: string; ms: number };
  secret?: { arn: string; name: string };
  instances: InstanceHealth[];
  alarms: Array<{ name: string; state: string }>;
  /** Complete, answering, no alarm in ALARM. */
  healthy: boolean;
}

const PROBE_TIMEOUT_MS = 5000;

/** One GET of `url`: any HTTP answer below 500 counts as answering (buildbot redirects, a login page says 401). */
export async function probe(url: string): Promise<NonNullable<StackHealth['probe']>> {
  const started = Date.now();
  try {
    const r = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await r.arrayBuffer();
    return { answering: r.status < 500, httpStatus: r.status, ms: Date.now() - started };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    const name = (err as Error).name;
    return {
      answering: false,
      error: name === 'TimeoutError' ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s` : (cause ?? (err as Error).message),
      ms: Date.now() - started,
    };
  }
}

/** A stack of the cloud as a user sees it: through CloudFormation, EC2, Auto Scaling, CloudWatch and Secrets Manager. */
export async function stackHealth(c: CloudClients, stack: Stack): Promise<StackHealth> {
  const name = stack.StackName!;
  const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const tags = Object.fromEntries((stack.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  const resources =
    stack.StackStatus === 'DELETE_COMPLETE'
      ? []
      : ((await c.cfn.send(new DescribeStackResourcesCommand({ StackName: stack.StackId ?? name }))).StackResources ?? []);
  const ofType = (type: string) =>
    resources.filter((r) => r.ResourceType === type && r.PhysicalResourceId).map((r) => r.PhysicalResourceId!);

  const members = new Map<string, Pick<InstanceHealth, 'group' | 'lifecycle' | 'health'>>();
  for (const id of ofType('AWS::EC2::Instance')) members.set(id, {});
  const groups = ofType('AWS::AutoScaling::AutoScalingGroup');
  if (groups.length) {
    for (const g of (await c.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: groups }))).AutoScalingGroups ?? []) {
      for (const i of g.Instances ?? [])
        members.set(i.InstanceId!, { group: g.AutoScalingGroupName, lifecycle: i.LifecycleState, health: i.HealthStatus });
      if (!g.WarmPoolConfiguration) continue;
      const pool = await c.asg.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: g.AutoScalingGroupName }));
      for (const i of pool.Instances ?? [])
        members.set(i.InstanceId!, { group: g.AutoScalingGroupName, lifecycle: i.LifecycleState, health: i.HealthStatus });
    }
  }
  const instances: InstanceHealth[] = [];
  if (members.size) {
    const described = await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: [...members.keys()] }));
    for (const i of (described.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      instances.push({
        instanceId: i.InstanceId!,
        state: i.State?.Name ?? '?',
        zone: i.Placement?.AvailabilityZone,
        publicIp: i.PublicIpAddress,
        ...members.get(i.InstanceId!),
      });
    }
  }

  const alarmNames = ofType('AWS::CloudWatch::Alarm');
  const alarms = alarmNames.length
    ? ((await c.cw.send(new DescribeAlarmsCommand({ AlarmNames: alarmNames }))).MetricAlarms ?? []).map((a) => ({
        name: a.AlarmName!,
        state: a.StateValue ?? '?',
      }))
    : [];

  let url = Object.entries(outputs).find(([k, v]) => k === 'URL' && /^https?:\/\//.test(v))?.[1];
  if (!url) {
    const serving = instances.find((i) => i.state === 'running' && i.publicIp && (!i.group || i.lifecycle === 'InService'));
    if (serving) url = `http://${serving.publicIp}:${buildbot().port}`;
  }
  let secret: StackHealth['secret'];
  if (outputs.AdminPasswordSecret) {
    const described = await c.sm.send(new DescribeSecretCommand({ SecretId: outputs.AdminPasswordSecret })).catch(() => undefined);
    secret = { arn: outputs.AdminPasswordSecret, name: described?.Name ?? outputs.AdminPasswordSecret };
  }
  const complete = /^(CREATE|UPDATE)_COMPLETE$/.test(stack.StackStatus ?? '');
  const probed = url && complete ? await probe(url) : undefined;
  return {
    name,
    status: stack.StackStatus ?? '?',
    statusReason: stack.StackStatusReason,
    outputs,
    tags,
    url,
    probe: probed,
    secret,
    instances,
    alarms,
    healthy: complete && Boolean(probed?.answering) && !alarms.some((a) => a.state === 'ALARM'),
  };
}
