import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeWarmPoolCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { ensureImage } from '../src/runtime/images.js';
import { cgroupsOfCloud } from '../src/runtime/limits.js';
import { cloudTag } from '../src/runtime/names.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';
import { inInstance } from './support/instance-shell.js';
import { waitFor } from './support/wait.js';
import { twoZoneNetwork } from './support/autoscaling-network.js';

/**
 * EC2 hibernation and the warm pools that use it, with real instances through the aws CLI and SDK v3 (HibernationOptions
 * from RunInstances, a launch template and a stack): a process
 * holding a counter and a random token in memory (nothing on disk) keeps both across stop --hibernate / start, while
 * the hibernated instance is unreachable; stop --hibernate of an instance not configured for it is refused as on AWS;
 * a daemon restart loses the frozen memory and the next start boots afresh. A Hibernated warm pool launches its
 * instances with hibernation configured, hibernates them, and resumes one for a scale-out (its process still there).
 * A Running warm pool's instance feeds no datapoint to the group's AWS/EC2 aggregate. Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';
const IMAGE = 'ami-1ecae776';

/** User data: a server on 8080 answering "<token> <count> <pid>"; token and count live only in the process's memory. */
const COUNTER = `#!/bin/sh
cat > /root/counter.py <<'EOF'
import http.server, os, secrets, threading, time
token = secrets.token_hex(8)
count = 0
def tick():
    global count
    while True:
        count += 1
        time.sleep(0.1)
threading.Thread(target=tick, daemon=True).start()
print('counter token', token, flush=True)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f'{token} {count} {os.getpid()}'.encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(('', 8080), H).serve_forever()
EOF
nohup python3 /root/counter.py >/proc/1/fd/1 2>&1 &
`;

interface Reading {
  token: string;
  count: number;
  pid: number;
}
const parse = (out: string): Reading | undefined => {
  const m = /^([0-9a-f]{16}) (\d+) (\d+)$/.exec(out.trim());
  return m ? { token: m[1], count: Number(m[2]), pid: Number(m[3]) } : undefined;
};

describe('EC2 hibernation and Hibernated warm pools with real instances', { skip: ROOT ? false : 'needs root' }, () => {
  let cloud: TestCloud;
  let asg: AutoScalingClient;
  let ec2: EC2Client;
  const ids: Record<string, string> = {};

  const describeOne = async (id: string) =>
    (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];
  const inState = (id: string, state: string, timeoutMs = 120_000) =>
    waitFor(`${id} ${state}`, async () => ((await describeOne(id))?.State?.Name === state ? true : undefined), timeoutMs);
  /** The counter as another instance of the VPC reads it over the network (undefined when nothing answers in 3 s). */
  const readFrom = (client: string, ip: string) => parse(shell(client, `curl -s -m 3 http://${ip}:8080/`));
  /** A command's output inside an instance ('' while its sandbox is not up yet). */
  const shell = (id: string, script: string) => {
    try {
      return inInstance(id, script).stdout;
    } catch {
      return '';
    }
  };
  /** What a test that waited in vain for the counter needs to tell where the path broke. */
  const explainCounter = (client: string, server: string, ip: string) => {
    const states = cloud
      .aws(
        'ec2',
        'describe-instances',
        '--instance-ids',
        client,
        server,
        '--query',
        'Reservations[].Instances[].[InstanceId,State.Name]',
        '--output',
        'text',
      )
      .stdout.trim();
    let curl: string;
    try {
      const r = inInstance(client, `curl -sS -m 3 http://${ip}:8080/ 2>&1; echo " curl exit $?"; ip -br addr`);
      curl = `${r.stdout}${r.stderr}`;
    } catch (err) {
      curl = `the client's shell: ${(err as Error).message}`;
    }
    const tail = (id: string) => consoleOf(id).split('\n').slice(-15).join('\n');
    const local = shell(server, 'curl -sS -m 3 http://127.0.0.1:8080/ 2>&1; echo " curl exit $?"');
    return `states: ${states}\nfrom the client: ${curl}\non the server itself: ${local}\nserver console:\n${tail(server)}\nclient console:\n${tail(client)}`;
  };
  const run = (...extra: string[]) =>
    cloud.awsOk(
      'ec2',
      'run-instances',
      '--image-id',
      IMAGE,
      '--instance-type',
      't2.micro',
      '--subnet-id',
      ids.subnetA,
      '--security-group-ids',
      ids.sg,
      ...extra,
    ).Instances[0] as { InstanceId: string; PrivateIpAddress: string };
  const consoleOf = (id: string) => cloud.aws('ec2', 'get-console-output', '--instance-id', id, '--output', 'text').stdout;

  before(async () => {
    await ensureImage(process.env.HALO_IMAGE_CACHE as string);
    cloud = await TestCloud.start({ timeScale: 60, profile: 'fast', hostsPerZone: 2 });
    asg = new AutoScalingClient(cloud.sdk);
    ec2 = new EC2Client(cloud.sdk);
    Object.assign(ids, twoZoneNetwork(cloud));
    cloud.awsOk(
      'ec2',
      'authorize-security-group-ingress',
      '--group-id',
      ids.sg,
      '--protocol',
      'tcp',
      '--port',
      '8080',
      '--cidr',
      '10.0.0.0/16',
    );
  });
  after(async () => {
    if (cloud) await disposeAndCheckHost(cloud);
  });

  it('run-instances --hibernation-options Configured=true is recorded and shown; stop --hibernate of an instance not configured is refused', async () => {
    const hib = run('--hibernation-options', 'Configured=true', '--user-data', COUNTER);
    const client = run();
    Object.assign(ids, { hib: hib.InstanceId, hibIp: hib.PrivateIpAddress, client: client.InstanceId });
    assert.equal((await describeOne(hib.InstanceId))?.HibernationOptions?.Configured, true);
    assert.equal((await describeOne(client.InstanceId))?.HibernationOptions?.Configured, false);
    const filtered = cloud.awsOk('ec2', 'describe-instances', '--filters', 'Name=hibernation-options.configured,Values=true');
    assert.deepEqual(
      filtered.Reservations.flatMap((r: { Instances: Array<{ InstanceId: string }> }) => r.Instances.map((i) => i.InstanceId)),
      [hib.InstanceId],
    );
    await inState(client.InstanceId, 'running');
    const refused = cloud.aws('ec2', 'stop-instances', '--instance-ids', client.InstanceId, '--hibernate');
    assert.notEqual(refused.status, 0);
    assert.match(
      refused.stderr,
      new RegExp(
        `\\(UnsupportedHibernationConfiguration\\).*The instance can't be hibernated because it was not configured at launch for hibernation: ${client.InstanceId}`,
      ),
    );
    assert.equal((await describeOne(client.InstanceId))?.State?.Name, 'running', 'nothing was stopped');
  });

  it('a launch template and an AWS::EC2::Instance carry HibernationOptions to the instance', async () => {
    cloud.awsOk(
      'ec2',
      'create-launch-template',
      '--launch-template-name',
      'hib-lt',
      '--launch-template-data',
      JSON.stringify({ ImageId: IMAGE, InstanceType: 't2.micro', HibernationOptions: { Configured: true } }),
    );
    const fromTemplate = cloud.awsOk(
      'ec2',
      'run-instances',
      '--launch-template',
      'LaunchTemplateName=hib-lt',
      '--subnet-id',
      ids.subnetA,
      '--security-group-ids',
      ids.sg,
    ).Instances[0].InstanceId as string;
    assert.equal((await describeOne(fromTemplate))?.HibernationOptions?.Configured, true);
    const template = {
      Resources: {
        Box: {
          Type: 'AWS::EC2::Instance',
          Properties: {
            ImageId: IMAGE,
            InstanceType: 't2.micro',
            SubnetId: ids.subnetB,
            SecurityGroupIds: [ids.sg],
            HibernationOptions: { Configured: true },
          },
        },
      },
    };
    cloud.awsOk('cloudformation', 'create-stack', '--stack-name', 'hib-stack', '--template-body', JSON.stringify(template));
    const status = await waitFor(
      'the stack',
      async () => {
        const st = cloud.awsOk('cloudformation', 'describe-stacks', '--stack-name', 'hib-stack').Stacks[0].StackStatus as string;
        return st.endsWith('_COMPLETE') || st.endsWith('_FAILED') ? st : undefined;
      },
      120_000,
    );
    assert.equal(status, 'CREATE_COMPLETE');
    const box = cloud.awsOk('cloudformation', 'describe-stack-resources', '--stack-name', 'hib-stack').StackResources[0]
      .PhysicalResourceId as string;
    assert.equal((await describeOne(box))?.HibernationOptions?.Configured, true);
    cloud.awsOk('cloudformation', 'delete-stack', '--stack-name', 'hib-stack');
    cloud.awsOk('ec2', 'terminate-instances', '--instance-ids', fromTemplate);
  });

  it("stop --hibernate keeps the processes' memory: unreachable while hibernated, the same process counts on after start", async () => {
    const first = await waitFor('the counter answering over the VPC', async () => readFrom(ids.client, ids.hibIp), 120_000).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${explainCounter(ids.client, ids.hib, ids.hibIp)}`);
      },
    );
    const stopped = await ec2.send(new StopInstancesCommand({ InstanceIds: [ids.hib], Hibernate: true }));
    assert.equal(stopped.StoppingInstances?.[0]?.CurrentState?.Name, 'stopping');
    const stopping = await describeOne(ids.hib);
    if (stopping?.State?.Name === 'stopping') assert.equal(stopping.StateReason?.Code, 'Client.UserInitiatedHibernate');
    await inState(ids.hib, 'stopped');
    const shown = await describeOne(ids.hib);
    assert.equal(shown?.StateReason?.Code, 'Client.UserInitiatedHibernate');
    assert.equal(shown?.StateReason?.Message, 'Client.UserInitiatedHibernate: User initiated hibernate');
    assert.equal(readFrom(ids.client, ids.hibIp), undefined, 'a hibernated instance is unreachable');
    cloud.awsOk('ec2', 'start-instances', '--instance-ids', ids.hib);
    await inState(ids.hib, 'running');
    const later = await waitFor('the counter answering after start', async () => readFrom(ids.client, ids.hibIp), 60_000);
    assert.equal(later.token, first.token, 'the token in memory survived');
    assert.equal(later.pid, first.pid, 'the same process');
    assert.ok(later.count > first.count, `the counter went on from ${first.count} (now ${later.count})`);
    assert.match(consoleOf(ids.hib), /resumed from hibernation/);
    assert.equal((consoleOf(ids.hib).match(/counter token/g) ?? []).length, 1, 'no second boot');
  });

  it('a Hibernated warm pool launches with hibernation configured, hibernates, and resumes its instance for a scale-out', async () => {
    cloud.awsOk(
      'autoscaling',
      'create-launch-configuration',
      '--launch-configuration-name',
      'hib-lc',
      '--image-id',
      IMAGE,
      '--instance-type',
      't2.micro',
      '--security-groups',
      ids.sg,
      '--user-data',
      COUNTER,
    );
    cloud.awsOk(
      'autoscaling',
      'create-auto-scaling-group',
      '--auto-scaling-group-name',
      'hib',
      '--launch-configuration-name',
      'hib-lc',
      '--min-size',
      '0',
      '--max-size',
      '1',
      '--desired-capacity',
      '0',
      '--vpc-zone-identifier',
      `${ids.subnetA},${ids.subnetB}`,
      '--health-check-grace-period',
      '0',
    );
    cloud.awsOk('autoscaling', 'put-warm-pool', '--auto-scaling-group-name', 'hib', '--min-size', '1', '--pool-state', 'Hibernated');
    const warmId = await waitFor(
      'a Warmed:Hibernated instance',
      async () =>
        (await asg.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: 'hib' }))).Instances?.find(
          (x) => x.LifecycleState === 'Warmed:Hibernated',
        )?.InstanceId,
      120_000,
    );
    const warm = await describeOne(warmId);
    assert.equal(warm?.State?.Name, 'stopped');
    assert.equal(warm?.HibernationOptions?.Configured, true);
    assert.equal(warm?.StateReason?.Code, 'Client.UserInitiatedHibernate');
    cloud.awsOk('autoscaling', 'set-desired-capacity', '--auto-scaling-group-name', 'hib', '--desired-capacity', '1');
    const inService = await waitFor(
      'the warm instance InService',
      async () =>
        (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['hib'] }))).AutoScalingGroups?.[0]?.Instances?.find(
          (i) => i.LifecycleState === 'InService',
        )?.InstanceId,
      120_000,
    );
    assert.equal(inService, warmId, 'the hibernated instance serves the scale-out');
    const reading = await waitFor('its counter', async () => parse(shell(warmId, 'curl -s -m 3 http://127.0.0.1:8080/')), 60_000);
    const text = consoleOf(warmId);
    assert.match(text, /hibernated: processes frozen/);
    assert.match(text, /resumed from hibernation/);
    // User data runs at the first boot only: a process started by it after the resume proves no boot happened since.
    assert.deepEqual(text.match(/counter token ([0-9a-f]{16})/g), [`counter token ${reading.token}`]);
    cloud.awsOk('autoscaling', 'delete-auto-scaling-group', '--auto-scaling-group-name', 'hib', '--force-delete');
  });

  it("a Running warm pool's instance is not aggregated into the group's AWS/EC2 metrics", async () => {
    cloud.awsOk(
      'autoscaling',
      'create-launch-configuration',
      '--launch-configuration-name',
      'metrics-lc',
      '--image-id',
      IMAGE,
      '--instance-type',
      't2.micro',
      '--security-groups',
      ids.sg,
    );
    cloud.awsOk(
      'autoscaling',
      'create-auto-scaling-group',
      '--auto-scaling-group-name',
      'metrics',
      '--launch-configuration-name',
      'metrics-lc',
      '--min-size',
      '1',
      '--max-size',
      '2',
      '--desired-capacity',
      '1',
      '--vpc-zone-identifier',
      `${ids.subnetA},${ids.subnetB}`,
    );
    cloud.awsOk('autoscaling', 'put-warm-pool', '--auto-scaling-group-name', 'metrics', '--min-size', '1', '--pool-state', 'Running');
    const warmId = await waitFor(
      'a Warmed:Running instance',
      async () =>
        (await asg.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: 'metrics' }))).Instances?.find(
          (x) => x.LifecycleState === 'Warmed:Running',
        )?.InstanceId,
      120_000,
    );
    const launched = Date.parse(cloud.awsOk('ec2', 'describe-instances', '--instance-ids', warmId).Reservations[0].Instances[0].LaunchTime);
    const stats = (dims: string[]) =>
      cloud.awsOk(
        'cloudwatch',
        'get-metric-statistics',
        '--namespace',
        'AWS/EC2',
        '--metric-name',
        'CPUUtilization',
        '--dimensions',
        ...dims,
        '--statistics',
        'SampleCount',
        '--period',
        '60',
        '--start-time',
        new Date(launched - 600_000).toISOString(),
        '--end-time',
        new Date(launched + 20 * 3_600_000).toISOString(),
      ).Datapoints as Array<{ Timestamp: string; SampleCount: number }>;
    // Both instances running, minutes after the warm one started: its own datapoints exist, the group's have one sample each.
    const own = await waitFor(
      'three datapoints of the warm instance',
      async () => {
        const d = stats([`Name=InstanceId,Value=${warmId}`]);
        return d.length >= 3 ? d : undefined;
      },
      120_000,
    );
    const ownTimes = new Set(own.map((d) => d.Timestamp));
    const group = stats(['Name=AutoScalingGroupName,Value=metrics']).filter((d) => ownTimes.has(d.Timestamp));
    assert.ok(group.length >= 2, JSON.stringify(group));
    for (const d of group) assert.equal(d.SampleCount, 1, `only the group's instance at ${d.Timestamp}`);
    cloud.awsOk('autoscaling', 'delete-auto-scaling-group', '--auto-scaling-group-name', 'metrics', '--force-delete');
  });

  it('a daemon restart loses the frozen memory: the next start boots the instance afresh', async () => {
    cloud.awsOk('ec2', 'stop-instances', '--instance-ids', ids.hib, '--hibernate');
    await inState(ids.hib, 'stopped');
    await cloud.stop();
    await cloud.restart();
    // The restarted daemon listens on another port.
    ec2 = new EC2Client(cloud.sdk);
    asg = new AutoScalingClient(cloud.sdk);
    const shown = await describeOne(ids.hib);
    assert.equal(shown?.State?.Name, 'stopped');
    assert.equal(shown?.StateReason?.Code, 'Client.UserInitiatedHibernate');
    cloud.awsOk('ec2', 'start-instances', '--instance-ids', ids.hib);
    await inState(ids.hib, 'running');
    await waitFor('the fresh boot noted on the console', async () =>
      /the hibernated memory is gone[^\n]*booting afresh/.test(consoleOf(ids.hib)) ? true : undefined,
    );
    // User data does not run again at a boot after the first: nothing serves the counter any more.
    await waitFor('the instance booted', async () => (shell(ids.hib, 'echo up').trim() === 'up' ? true : undefined), 60_000);
    assert.equal(parse(shell(ids.hib, 'curl -s -m 3 http://127.0.0.1:8080/')), undefined);
  });

  it('a daemon killed (-9) while an instance is hibernated: the next start clears its frozen processes and cgroups', async () => {
    cloud.awsOk('ec2', 'stop-instances', '--instance-ids', ids.hib, '--hibernate');
    await inState(ids.hib, 'stopped');
    const mine = () => cgroupsOfCloud(cloudTag(cloud.home)).filter((d) => d.endsWith(ids.hib));
    assert.ok(
      mine().some((d) => d.includes('/freezer/')),
      'frozen in its freezer cgroup',
    );
    await cloud.crash();
    await cloud.restart();
    ec2 = new EC2Client(cloud.sdk);
    asg = new AutoScalingClient(cloud.sdk);
    // A frozen task dies only once thawed: without the thaw its cgroups could not be removed.
    assert.deepEqual(mine(), []);
    cloud.awsOk('ec2', 'start-instances', '--instance-ids', ids.hib);
    await inState(ids.hib, 'running');
  });
});
