import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cloud } from '../src/cloud.js';
import { ScaledClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { cloudformationService } from '../src/services/cloudformation/service.js';
import { ec2Service } from '../src/services/ec2/service.js';
import { Store } from '../src/store/db.js';
import type { BenchRow } from './types.js';

const REGION = 'us-east-1';
const ROUNDS = 5;
const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d'];
const RULES: Array<[number, boolean, string, number, number]> = [
  [10, false, '6', 22, 22],
  [11, false, '6', 80, 80],
  [12, false, '6', 443, 443],
  [20, false, '17', 123, 123],
  [40, false, '6', 1024, 65535],
  [41, false, '17', 1024, 65535],
  [10, true, '6', 0, 65535],
  [11, true, '17', 0, 65535],
];

/** A 30-resource networking template: VPC, gateway, routes, four subnets with their associations, an ACL and its rules, groups. */
export function networkTemplate(): object {
  const r: Record<string, object> = {
    VPC: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16', EnableDnsHostnames: true } },
    Gateway: { Type: 'AWS::EC2::InternetGateway' },
    Attachment: { Type: 'AWS::EC2::VPCGatewayAttachment', Properties: { VpcId: { Ref: 'VPC' }, InternetGatewayId: { Ref: 'Gateway' } } },
    Routes: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: { Ref: 'VPC' } } },
    Default: {
      Type: 'AWS::EC2::Route',
      DependsOn: 'Attachment',
      Properties: { RouteTableId: { Ref: 'Routes' }, DestinationCidrBlock: '0.0.0.0/0', GatewayId: { Ref: 'Gateway' } },
    },
    Acl: { Type: 'AWS::EC2::NetworkAcl', Properties: { VpcId: { Ref: 'VPC' } } },
    Web: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'web', VpcId: { Ref: 'VPC' } } },
    App: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'app', VpcId: { Ref: 'VPC' } } },
    WebIn: {
      Type: 'AWS::EC2::SecurityGroupIngress',
      Properties: { GroupId: { Ref: 'Web' }, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' },
    },
    AppIn: {
      Type: 'AWS::EC2::SecurityGroupIngress',
      Properties: { GroupId: { Ref: 'App' }, IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: { Ref: 'Web' } },
    },
  };
  AZS.forEach((az, i) => {
    r[`Subnet${i}`] = {
      Type: 'AWS::EC2::Subnet',
      Properties: { VpcId: { Ref: 'VPC' }, CidrBlock: `10.0.${i}.0/24`, AvailabilityZone: az },
    };
    r[`SubnetRoutes${i}`] = {
      Type: 'AWS::EC2::SubnetRouteTableAssociation',
      Properties: { SubnetId: { Ref: `Subnet${i}` }, RouteTableId: { Ref: 'Routes' } },
    };
    r[`SubnetAcl${i}`] = {
      Type: 'AWS::EC2::SubnetNetworkAclAssociation',
      Properties: { SubnetId: { Ref: `Subnet${i}` }, NetworkAclId: { Ref: 'Acl' } },
    };
  });
  RULES.forEach(([n, egress, protocol, from, to], i) => {
    r[`Rule${i}`] = {
      Type: 'AWS::EC2::NetworkAclEntry',
      Properties: {
        NetworkAclId: { Ref: 'Acl' },
        RuleNumber: n,
        Egress: egress,
        Protocol: protocol,
        RuleAction: 'allow',
        CidrBlock: '0.0.0.0/0',
        PortRange: { From: from, To: to },
      },
    };
  });
  return { Resources: r };
}

type Invoke = (operation: string, input: object) => Promise<any>;

/** The same 30 resources through the EC2 API, one call after another (what a careful script would do). */
async function createByHand(ec2: Invoke): Promise<() => Promise<void>> {
  const { Vpc } = await ec2('CreateVpc', { CidrBlock: '10.0.0.0/16' });
  await ec2('ModifyVpcAttribute', { VpcId: Vpc.VpcId, EnableDnsHostnames: { Value: true } });
  const { InternetGateway } = await ec2('CreateInternetGateway', {});
  await ec2('AttachInternetGateway', { VpcId: Vpc.VpcId, InternetGatewayId: InternetGateway.InternetGatewayId });
  const { RouteTable } = await ec2('CreateRouteTable', { VpcId: Vpc.VpcId });
  await ec2('CreateRoute', {
    RouteTableId: RouteTable.RouteTableId,
    DestinationCidrBlock: '0.0.0.0/0',
    GatewayId: InternetGateway.InternetGatewayId,
  });
  const { NetworkAcl } = await ec2('CreateNetworkAcl', { VpcId: Vpc.VpcId });
  const web = await ec2('CreateSecurityGroup', { GroupName: 'web', Description: 'web', VpcId: Vpc.VpcId });
  const app = await ec2('CreateSecurityGroup', { GroupName: 'app', Description: 'app', VpcId: Vpc.VpcId });
  await ec2('AuthorizeSecurityGroupIngress', {
    GroupId: web.GroupId,
    IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
  });
  await ec2('AuthorizeSecurityGroupIngress', {
    GroupId: app.GroupId,
    IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: web.GroupId }] }],
  });
  const subnets: string[] = [];
  for (const [i, az] of AZS.entries()) {
    const { Subnet } = await ec2('CreateSubnet', { VpcId: Vpc.VpcId, CidrBlock: `10.0.${i}.0/24`, AvailabilityZone: az });
    subnets.push(Subnet.SubnetId);
    await ec2('AssociateRouteTable', { SubnetId: Subnet.SubnetId, RouteTableId: RouteTable.RouteTableId });
    const { NetworkAcls } = await ec2('DescribeNetworkAcls', { Filters: [{ Name: 'association.subnet-id', Values: [Subnet.SubnetId] }] });
    const assoc = NetworkAcls[0].Associations.find((a: { SubnetId: string }) => a.SubnetId === Subnet.SubnetId);
    await ec2('ReplaceNetworkAclAssociation', { AssociationId: assoc.NetworkAclAssociationId, NetworkAclId: NetworkAcl.NetworkAclId });
  }
  for (const [n, egress, protocol, from, to] of RULES) {
    await ec2('CreateNetworkAclEntry', {
      NetworkAclId: NetworkAcl.NetworkAclId,
      RuleNumber: n,
      Egress: egress,
      Protocol: protocol,
      RuleAction: 'allow',
      CidrBlock: '0.0.0.0/0',
      PortRange: { From: from, To: to },
    });
  }
  return async () => {
    for (const id of subnets) await ec2('DeleteSubnet', { SubnetId: id });
    await ec2('DeleteSecurityGroup', { GroupId: app.GroupId });
    await ec2('DeleteSecurityGroup', { GroupId: web.GroupId });
    await ec2('DeleteNetworkAcl', { NetworkAclId: NetworkAcl.NetworkAclId });
    await ec2('DeleteRoute', { RouteTableId: RouteTable.RouteTableId, DestinationCidrBlock: '0.0.0.0/0' });
    await ec2('DeleteRouteTable', { RouteTableId: RouteTable.RouteTableId });
    await ec2('DetachInternetGateway', { VpcId: Vpc.VpcId, InternetGatewayId: InternetGateway.InternetGatewayId });
    await ec2('DeleteInternetGateway', { InternetGatewayId: InternetGateway.InternetGatewayId });
    await ec2('DeleteVpc', { VpcId: Vpc.VpcId });
  };
}

async function settle(cfn: Invoke, stackId: string): Promise<string> {
  for (;;) {
    const { Stacks } = await cfn('DescribeStacks', { StackName: stackId });
    const status = Stacks[0].StackStatus as string;
    if (!status.endsWith('_IN_PROGRESS')) return status;
    await sleep(1);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Creation and deletion time (wall, instant profile, in-process) of a 30-resource networking stack, against the
 * same resources made and deleted one by one through the EC2 API in the same run. Medians of five rounds.
 */
export async function benchCloudFormation(): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'halo-bench-cfn-'));
  const cloud = new Cloud(new Store(path.join(dir, 'state.db')), new ScaledClock(1), timingProfile('instant'), {
    home: dir,
    hostsPerZone: 2,
  });
  try {
    cloud.credentials.admin();
    cloud.register(ec2Service);
    cloud.register(cloudformationService);
    // Every EC2 operation run (by the bench or by the stack's providers), to set the stack's calls beside the hand's.
    let ec2Calls = 0;
    const invoke = cloud.invoke.bind(cloud);
    cloud.invoke = ((service: string, operation: string, input: unknown, opts: { region: string }) => {
      if (service === 'ec2') ec2Calls++;
      return invoke(service, operation, input, opts);
    }) as typeof cloud.invoke;
    const calls = { stackCreate: 0, stackDelete: 0, apiCreate: 0, apiDelete: 0 };
    const ec2: Invoke = (op, input) => cloud.invoke('ec2', op, input, { region: REGION });
    const cfn: Invoke = (op, input) => cloud.invoke('cloudformation', op, input, { region: REGION });
    const body = JSON.stringify(networkTemplate());
    const times = { stackCreate: [] as number[], stackDelete: [] as number[], apiCreate: [] as number[], apiDelete: [] as number[] };
    const counted = async <T>(key: keyof typeof calls, fn: () => Promise<T>): Promise<T> => {
      const before = ec2Calls;
      const t = performance.now();
      const out = await fn();
      times[key].push(performance.now() - t);
      calls[key] = ec2Calls - before;
      return out;
    };
    for (let round = 0; round < ROUNDS; round++) {
      const { StackId, created } = await counted('stackCreate', async () => {
        const { StackId } = await cfn('CreateStack', { StackName: `bench-${round}`, TemplateBody: body });
        return { StackId: StackId as string, created: await settle(cfn, StackId) };
      });
      if (created !== 'CREATE_COMPLETE') throw new Error(`bench stack ended ${created}`);
      const deleted = await counted('stackDelete', async () => {
        await cfn('DeleteStack', { StackName: StackId });
        return settle(cfn, StackId);
      });
      if (deleted !== 'DELETE_COMPLETE') throw new Error(`bench stack deletion ended ${deleted}`);
      const remove = await counted('apiCreate', () => createByHand(ec2));
      await counted('apiDelete', remove);
    }
    return [
      {
        name: `create 30-resource network stack (wall, instant; ${calls.stackCreate} EC2 operations run vs ${calls.apiCreate} by hand: the rest is the engine's own work, template evaluation, stack events and their store writes)`,
        value: median(times.stackCreate),
        unit: 'ms',
        floorName: 'same resources one by one via the API',
        floor: median(times.apiCreate),
      },
      {
        name: `delete 30-resource network stack (wall, instant; ${calls.stackDelete} EC2 operations run vs ${calls.apiDelete} by hand)`,
        value: median(times.stackDelete),
        unit: 'ms',
        floorName: 'same resources one by one via the API',
        floor: median(times.apiDelete),
      },
    ];
  } finally {
    await cloud.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}
