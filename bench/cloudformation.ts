import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Cloud } from '../src/cloud.js';
import { ScaledClock } from '../src/clock/clock.js';
import { timingProfile } from '../src/clock/profiles.js';
import { cloudformationService } from '../src/services/cloudformation/service.js';
import { ec2Service } from '../src/services/ec2/service.js';
import { dependents } from '../src/services/cloudformation/template/graph.js';
import { parseTemplateBody } from '../src/services/cloudformation/template/parse.js';
import { validateTemplate } from '../src/services/cloudformation/template/validate.js';
import { Store } from '../src/store/db.js';
import { callCount, recordProviderCalls, Replayer } from './replay.js';
import type { BenchRow } from './types.js';
import { median } from './stats.js';

const REGION = 'us-east-1';
const ROUNDS = 101;
/** Rounds run first and not counted: the first calls of each path compile and warm caches for whichever side comes next. */
const WARMUP = 2;
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

async function settle(cfn: Invoke, stackId: string): Promise<string> {
  for (;;) {
    const { Stacks } = await cfn('DescribeStacks', { StackName: stackId });
    const status = Stacks[0].StackStatus as string;
    if (!status.endsWith('_IN_PROGRESS')) return status;
    // Polled at every turn of the event loop: a timer's period (1 ms at least) would add its own wait to the stack's time.
    await nextTurn();
  }
}

/**
 * Collects the young generation (V8's minor collection). Run before each timed span: otherwise the garbage of the
 * bench's own work between spans (the recordings' copies, the event listing) fills it and the collection falls, in
 * this order of work, in the stack's creation nearly every time (16 of 16 collections inside a timed span, a few ms
 * each on a loaded machine). Each span then pays for collecting what it allocates itself, as far as that fills it.
 */
const collectYoung: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (opts: { type: 'minor' | 'major' }) => void;
  return () => gc({ type: 'minor' });
})();

/**
 * Creation and deletion time (wall, instant profile, in-process) of a 30-resource networking stack, against the
 * very calls the stack's providers made, made again by hand through the EC2 API in the same run: the same
 * operations with the same inputs (this run's ids in place of the stack's), each resource's calls in order and
 * resources as parallel as the template's dependencies allow (a careful script). Medians of 101 rounds after two
 * uncounted ones (a round takes about 15 ms: on a shared machine many land on another process's burst, and the
 * median of nine moved by a third from run to run); the row also gives the spread of the ratio within a round.
 */
export async function benchCloudFormation(rounds = ROUNDS): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'halo-bench-cfn-'));
  const cloud = new Cloud(new Store(path.join(dir, 'state.db')), new ScaledClock(1), timingProfile('instant'), {
    home: dir,
    hostsPerZone: 2,
  });
  try {
    cloud.credentials.admin();
    cloud.register(ec2Service);
    cloud.register(cloudformationService);
    // Every EC2 operation run, to check that the recording holds every call the stack made.
    let ec2Calls = 0;
    const invoke = cloud.invoke.bind(cloud);
    cloud.invoke = ((service: string, operation: string, input: unknown, opts: { region: string }) => {
      if (service === 'ec2') ec2Calls++;
      return invoke(service, operation, input, opts);
    }) as typeof cloud.invoke;
    const cfn: Invoke = (op, input) => cloud.invoke('cloudformation', op, input, { region: REGION });
    const template = networkTemplate() as { Resources: Record<string, { Type: string }> };
    const body = JSON.stringify(template);
    const types = Object.values(template.Resources).map((r) => r.Type);
    const { deps } = validateTemplate(parseTemplateBody(body));
    const ids = Object.keys(template.Resources);
    const times = { stackCreate: [] as number[], stackDelete: [] as number[], handCreate: [] as number[], handDelete: [] as number[] };
    // CPU time of the process over the same spans: on a shared machine it varies far less than wall time.
    const cpu = { stackCreate: [] as number[], stackDelete: [] as number[], handCreate: [] as number[], handDelete: [] as number[] };
    const calls = { stackCreate: 0, stackDelete: 0, handCreate: 0, handDelete: 0 };
    const events = { create: 0, delete: 0 };
    const timed = async <T>(key: keyof typeof times, fn: () => Promise<T>): Promise<T> => {
      collectYoung();
      const t = performance.now();
      const c = process.cpuUsage();
      const out = await fn();
      times[key].push(performance.now() - t);
      const used = process.cpuUsage(c);
      cpu[key].push((used.user + used.system) / 1000);
      return out;
    };
    const stackCalls = async <T>(key: 'stackCreate' | 'stackDelete', fn: () => Promise<T>) => {
      const before = ec2Calls;
      const { result, recording } = await recordProviderCalls(types, () => timed(key, fn));
      calls[key] = callCount(recording);
      if (ec2Calls - before !== calls[key]) throw new Error(`bench: the stack ran ${ec2Calls - before} EC2 calls, ${calls[key]} recorded`);
      return { result, recording };
    };
    for (let round = 0; round < WARMUP + rounds; round++) {
      if (round === WARMUP) for (const series of [...Object.values(times), ...Object.values(cpu)]) series.length = 0;
      const create = await stackCalls('stackCreate', async () => {
        const { StackId } = await cfn('CreateStack', { StackName: `bench-${round}`, TemplateBody: body });
        return { StackId: StackId as string, status: await settle(cfn, StackId) };
      });
      if (create.result.status !== 'CREATE_COMPLETE') throw new Error(`bench stack ended ${create.result.status}`);
      const StackId = create.result.StackId;
      const remove = await stackCalls('stackDelete', async () => {
        await cfn('DeleteStack', { StackName: StackId });
        return settle(cfn, StackId);
      });
      if (remove.result !== 'DELETE_COMPLETE') throw new Error(`bench stack deletion ended ${remove.result}`);
      const hand = new Replayer((service, operation, input) => cloud.invoke(service, operation, input, { region: REGION }));
      hand.prepare(create.recording);
      hand.prepare(remove.recording);
      calls.handCreate = await timed('handCreate', () => hand.replay(create.recording, deps));
      calls.handDelete = await timed('handDelete', () => hand.replay(remove.recording, dependents(ids, deps)));
      // The stack's events, counted once (the last round's): what the engine wrote at each status change.
      if (round < WARMUP + rounds - 1) continue;
      const statuses: string[] = [];
      let NextToken: string | undefined;
      do {
        const page = (await cfn('DescribeStackEvents', { StackName: StackId, NextToken })) as {
          StackEvents: Array<{ ResourceStatus: string }>;
          NextToken?: string;
        };
        statuses.push(...page.StackEvents.map((e) => e.ResourceStatus));
        NextToken = page.NextToken;
      } while (NextToken);
      events.create = statuses.filter((status) => status.startsWith('CREATE_')).length;
      events.delete = statuses.length - events.create;
    }
    const cpuNote = (stack: keyof typeof cpu, hand: keyof typeof cpu) =>
      `CPU ${median(cpu[stack]).toFixed(1)} vs ${median(cpu[hand]).toFixed(1)} ms`;
    // How much the ratio moves from round to round: its quartiles over the rounds (each round's two sides ran together).
    const spread = (stack: keyof typeof times, hand: keyof typeof times) => {
      const ratios = times[stack].map((t, i) => t / times[hand][i]).sort((a, b) => a - b);
      const at = (q: number) => ratios[Math.floor(q * (ratios.length - 1))].toFixed(2);
      return `ratio within a round ${at(0.25)}–${at(0.75)} (quartiles of ${ratios.length})`;
    };
    // What stays beyond the calls is the engine's bookkeeping, which a script does not do but AWS does too.
    const rest = (n: number) =>
      `the rest: template checks, and the stack's record (its resources and their properties) with ${n} stack events written at each status change`;
    return [
      {
        name: `create 30-resource network stack (wall, instant; ${calls.stackCreate} EC2 calls by the stack, ${calls.handCreate} by hand; ${cpuNote('stackCreate', 'handCreate')}; ${spread('stackCreate', 'handCreate')}; ${rest(events.create)})`,
        value: median(times.stackCreate),
        unit: 'ms',
        floorName: 'the same calls by hand, as parallel as the dependencies allow',
        floor: median(times.handCreate),
      },
      {
        name: `delete 30-resource network stack (wall, instant; ${calls.stackDelete} EC2 calls by the stack, ${calls.handDelete} by hand; ${cpuNote('stackDelete', 'handDelete')}; ${spread('stackDelete', 'handDelete')}; ${rest(events.delete)})`,
        value: median(times.stackDelete),
        unit: 'ms',
        floorName: 'the same calls by hand, as parallel as the dependencies allow',
        floor: median(times.handDelete),
      },
    ];
  } finally {
    await cloud.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}
