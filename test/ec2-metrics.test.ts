import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { footprint, isClean } from '../src/runtime/cleanup.js';
import { ensureImage } from '../src/runtime/images.js';
import { cloudTag } from '../src/runtime/names.js';
import { readUsage } from '../src/runtime/usage.js';
import { TestCloud } from './support/cloud.js';
import { get, waitFor } from './support/wait.js';

/**
 * AWS/EC2 instance metrics measured for real (CPU time of the instance's processes, its eth0 counters), through the
 * real aws CLI: a busy instance against an idle one, bytes downloaded from and uploaded to an instance, basic
 * (5-minute) and detailed (1-minute) monitoring, MonitorInstances/UnmonitorInstances. Needs root. Time scale 60: a
 * minute of cloud time per wall second.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';
const SCALE = 60;
const MB = 1024 * 1024;

/** Processes whose command line names this path (the sandboxes' first stage does). */
function processesOf(needle: string): Array<{ pid: number; cmd: string }> {
  const found: Array<{ pid: number; cmd: string }> = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) found.push({ pid: Number(pid), cmd });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** Idle instance: a file to download on 8080, a sink on 8081 that reads an upload to its end and answers its size. */
const IDLE_USER_DATA = `#!/bin/sh
mkdir -p /srv && head -c ${6 * MB} /dev/zero > /srv/big
cat > /srv/sink.py <<'EOF'
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 8081))
s.listen(4)
while True:
    c, _ = s.accept()
    n = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        n += len(d)
    c.sendall(str(n).encode())
    c.close()
EOF
nohup python3 /srv/sink.py >/dev/null 2>&1 &
nohup python3 -m http.server 8080 --directory /srv >/dev/null 2>&1 &
echo "idle ready"
`;

/** Busy instance: one shell loop that never sleeps. */
const BUSY_USER_DATA = `#!/bin/sh
( while :; do :; done ) >/dev/null 2>&1 &
echo "busy ready"
`;

/** Sends `bytes` to host:port, half-closes, and returns what the sink answers (the count it read). */
function upload(host: string, port: number, bytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let answer = '';
    sock.on('data', (d) => { answer += d; });
    sock.on('end', () => resolve(answer));
    sock.on('error', reject);
    sock.on('connect', () => {
      const chunk = Buffer.alloc(MB, 7);
      for (let i = 0; i < bytes / MB; i++) sock.write(chunk);
      sock.end();
    });
    sock.setTimeout(30_000, () => { sock.destroy(); reject(new Error('upload timed out')); });
  });
}

interface Point { Timestamp: string; Average?: number; Sum?: number; SampleCount?: number; Unit?: string }

describe('EC2 instance metrics from real measurements', { skip: ROOT ? false : 'needs root: instances run in namespaces (CI runs as root)' }, () => {
  let cloud: TestCloud;
  let tag = '';
  const ids: Record<string, string> = {};
  const started = Date.now();
  const aws = (...args: string[]) => cloud.awsOk(...args);
  const instance = (id: string) => aws('ec2', 'describe-instances', '--instance-ids', id).Reservations[0].Instances[0];
  /** Datapoints of one metric of one instance, oldest first (cloud time runs ahead of wall time: a wide window). */
  const points = (id: string, metric: string, period = 60, stat = 'Average'): Point[] => {
    const out = aws('cloudwatch', 'get-metric-statistics', '--namespace', 'AWS/EC2', '--metric-name', metric,
      '--dimensions', `Name=InstanceId,Value=${id}`, '--statistics', stat, '--period', String(period),
      '--start-time', new Date(started - 3_600_000).toISOString(), '--end-time', new Date(started + 20 * 3_600_000).toISOString());
    return (out.Datapoints as Point[]).sort((a, b) => Date.parse(a.Timestamp) - Date.parse(b.Timestamp));
  };
  const gaps = (ps: Point[]) => ps.slice(1).map((p, i) => (Date.parse(p.Timestamp) - Date.parse(ps[i].Timestamp)) / 1000);

  before(async () => {
    await ensureImage(process.env.HALO_IMAGE_CACHE as string);
    cloud = await TestCloud.start({ timeScale: SCALE, profile: 'instant' });
    tag = cloudTag(cloud.home);
    ids.vpc = aws('ec2', 'create-vpc', '--cidr-block', '10.8.0.0/16').Vpc.VpcId;
    ids.subnet = aws('ec2', 'create-subnet', '--vpc-id', ids.vpc, '--cidr-block', '10.8.1.0/24', '--availability-zone', 'us-east-1a').Subnet.SubnetId;
    ids.igw = aws('ec2', 'create-internet-gateway').InternetGateway.InternetGatewayId;
    aws('ec2', 'attach-internet-gateway', '--internet-gateway-id', ids.igw, '--vpc-id', ids.vpc);
    ids.sg = aws('ec2', 'create-security-group', '--vpc-id', ids.vpc, '--group-name', 'web', '--description', 'web').GroupId;
    aws('ec2', 'authorize-security-group-ingress', '--group-id', ids.sg, '--protocol', 'tcp', '--port', '8080-8081', '--cidr', '0.0.0.0/0');
    const launch = (name: string, userData: string, ...extra: string[]) => {
      const file = path.join(cloud.home, `${name}.sh`);
      writeFileSync(file, userData);
      return aws('ec2', 'run-instances', '--image-id', 'ami-1ecae776', '--instance-type', 't3.micro', '--subnet-id', ids.subnet,
        '--security-group-ids', ids.sg, '--user-data', `file://${file}`, ...extra).Instances[0];
    };
    const idle = launch('idle', IDLE_USER_DATA);
    const busy = launch('busy', BUSY_USER_DATA);
    ids.idle = idle.InstanceId;
    ids.busy = busy.InstanceId;
    assert.equal(idle.Monitoring.State, 'disabled', 'basic monitoring by default');
    const eip = aws('ec2', 'allocate-address', '--domain', 'vpc');
    ids.eip = eip.PublicIp;
    for (const id of [ids.idle, ids.busy]) await waitFor(`${id} running`, () => (instance(id).State.Name === 'running' ? true : undefined));
    aws('ec2', 'associate-address', '--instance-id', ids.idle, '--allocation-id', eip.AllocationId);
    await waitFor('the idle instance serving 8080', () => get(`http://${ids.eip}:8080/`));
  });

  after(async () => {
    if (!cloud) return;
    const home = cloud.home;
    await cloud.dispose();
    const fp = footprint(tag);
    assert.ok(isClean(fp), `the host still holds halo objects of this cloud: ${JSON.stringify(fp)}`);
    assert.deepEqual(processesOf(home), [], 'processes of this cloud are still running');
  });

  it('basic monitoring: 5-minute points; a busy instance reads clearly more CPUUtilization than an idle one', async () => {
    const both = await waitFor('three 5-minute CPU points of each instance', () => {
      const busy = points(ids.busy, 'CPUUtilization');
      const idle = points(ids.idle, 'CPUUtilization');
      return busy.length >= 3 && idle.length >= 3 ? { busy, idle } : undefined;
    }, 60_000);
    for (const ps of [both.busy, both.idle]) {
      for (const p of ps) assert.equal(Date.parse(p.Timestamp) % 300_000, 0, `on the 5-minute grid: ${p.Timestamp}`);
      for (const g of gaps(ps)) assert.equal(g % 300, 0, `5 minutes apart under basic monitoring, got ${g} s`);
      assert.ok(ps.every((p) => p.Unit === 'Percent'), JSON.stringify(ps));
    }
    // The same periods, the first (boot) period of each left out.
    const common = both.busy.slice(1).filter((p) => both.idle.some((q) => q.Timestamp === p.Timestamp)).map((p) => p.Timestamp);
    assert.ok(common.length >= 1, 'periods in common');
    const mean = (ps: Point[]) => {
      const xs = ps.filter((p) => common.includes(p.Timestamp)).map((p) => p.Average as number);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    const busy = mean(both.busy);
    const idle = mean(both.idle);
    console.log(`CPUUtilization over ${common.length} common 5-minute periods: busy ${busy.toFixed(1)} %, idle ${idle.toFixed(1)} %`);
    assert.ok(busy > 2 * idle && busy > idle + 5, `busy ${busy} % against idle ${idle} %`);
    assert.ok(busy <= 100);

    const listed = aws('cloudwatch', 'list-metrics', '--namespace', 'AWS/EC2').Metrics as Array<{ MetricName: string; Dimensions: Array<{ Name: string; Value: string }> }>;
    for (const id of [ids.idle, ids.busy]) {
      for (const name of ['CPUUtilization', 'NetworkIn', 'NetworkOut', 'NetworkPacketsIn', 'NetworkPacketsOut']) {
        assert.ok(listed.some((m) => m.MetricName === name && m.Dimensions.length === 1 && m.Dimensions[0].Name === 'InstanceId' && m.Dimensions[0].Value === id),
          `${name} of ${id} listed`);
      }
    }
  });

  it('a download from the instance shows in its NetworkOut, an upload to it in its NetworkIn and NetworkPacketsIn', async () => {
    const sum = (metric: string) => points(ids.idle, metric, 60, 'Sum').reduce((a, p) => a + (p.Sum as number), 0);
    const beforeOut = points(ids.idle, 'NetworkOut', 60, 'Sum');
    const beforeIn = points(ids.idle, 'NetworkIn', 60, 'Sum');
    const before = { out: sum('NetworkOut'), in: sum('NetworkIn'), pin: sum('NetworkPacketsIn'), count: beforeOut.length };
    // Idle periods (after boot) carry little traffic: the status checks' TCP probes.
    for (const p of beforeOut.slice(1)) assert.ok((p.Sum as number) < MB, `an idle period sent ${p.Sum} bytes`);
    for (const p of beforeIn.slice(1)) assert.ok((p.Sum as number) < MB, `an idle period received ${p.Sum} bytes`);
    assert.ok(beforeOut.every((p) => p.Unit === 'Bytes'));

    const curl = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{size_download}', `http://${ids.eip}:8080/big`], { encoding: 'utf8' });
    assert.equal(curl.stdout, String(6 * MB), curl.stderr);
    assert.equal(await upload(ids.eip, 8081, 5 * MB), String(5 * MB));

    const count = points(ids.idle, 'NetworkOut').length;
    await waitFor('one more 5-minute period published', () => (points(ids.idle, 'NetworkOut').length >= count + 1 ? true : undefined), 60_000);
    const grownOut = sum('NetworkOut') - before.out;
    const grownIn = sum('NetworkIn') - before.in;
    const grownPackets = sum('NetworkPacketsIn') - before.pin;
    console.log(`after 6 MB down and 5 MB up: NetworkOut +${grownOut} B, NetworkIn +${grownIn} B, NetworkPacketsIn +${grownPackets}`);
    assert.ok(grownOut >= 6 * MB && grownOut < 8 * MB, `NetworkOut grew by ${grownOut}`);
    assert.ok(grownIn >= 5 * MB && grownIn < 7 * MB, `NetworkIn grew by ${grownIn}`);
    assert.ok(grownPackets > 0, 'packets counted');
    const packets = points(ids.idle, 'NetworkPacketsIn', 60, 'Sum');
    assert.ok(packets.every((p) => p.Unit === 'Count'));
  });

  it('MonitorInstances: pending, then enabled and 1-minute points; UnmonitorInstances: disabling, then disabled and 5-minute points', async () => {
    const on = aws('ec2', 'monitor-instances', '--instance-ids', ids.busy).InstanceMonitorings;
    assert.deepEqual(on, [{ InstanceId: ids.busy, Monitoring: { State: 'pending' } }]);
    await waitFor('monitoring enabled', () => (instance(ids.busy).Monitoring.State === 'enabled' ? true : undefined), 20_000);
    const enabled = aws('ec2', 'describe-instances', '--filters', 'Name=monitoring-state,Values=enabled').Reservations
      .flatMap((r: { Instances: Array<{ InstanceId: string }> }) => r.Instances.map((i) => i.InstanceId));
    assert.deepEqual(enabled, [ids.busy]);
    assert.equal(instance(ids.idle).Monitoring.State, 'disabled');

    const n = points(ids.busy, 'CPUUtilization').length;
    const detailed = await waitFor('four 1-minute points', () => {
      const ps = points(ids.busy, 'CPUUtilization');
      return ps.length >= n + 5 ? ps.slice(n + 1) : undefined;
    }, 30_000);
    assert.deepEqual(gaps(detailed), detailed.slice(1).map(() => 60), `1 minute apart: ${detailed.map((p) => p.Timestamp).join(' ')}`);
    assert.ok(detailed.every((p) => (p.Average as number) > 5), `the busy loop keeps showing: ${detailed.map((p) => p.Average).join(' ')}`);
    // NetworkPacketsIn stays a 5-minute metric under detailed monitoring.
    const pk = points(ids.busy, 'NetworkPacketsIn');
    for (const g of gaps(pk)) assert.equal(g % 300, 0, `packets 5 minutes apart, got ${g} s`);
    // The idle instance kept basic monitoring meanwhile.
    for (const g of gaps(points(ids.idle, 'CPUUtilization'))) assert.equal(g % 300, 0);

    const off = aws('ec2', 'unmonitor-instances', '--instance-ids', ids.busy).InstanceMonitorings;
    assert.deepEqual(off, [{ InstanceId: ids.busy, Monitoring: { State: 'disabling' } }]);
    await waitFor('monitoring disabled', () => (instance(ids.busy).Monitoring.State === 'disabled' ? true : undefined), 20_000);
    const m = points(ids.busy, 'CPUUtilization').length;
    const basic = await waitFor('two more 5-minute points', () => {
      const ps = points(ids.busy, 'CPUUtilization');
      return ps.length >= m + 3 ? ps.slice(m + 1) : undefined;
    }, 30_000);
    for (const g of gaps(basic)) assert.equal(g, 300, `5 minutes apart again: ${basic.map((p) => p.Timestamp).join(' ')}`);
    cloud.awsFails('InvalidInstanceID.NotFound', 'ec2', 'monitor-instances', '--instance-ids', 'i-0123456789abcdef0');
  });

  it('RunInstances with Monitoring.Enabled=true publishes 1-minute points from the start', async () => {
    const file = path.join(cloud.home, 'quiet.sh');
    writeFileSync(file, '#!/bin/sh\necho quiet\n');
    const run = aws('ec2', 'run-instances', '--image-id', 'ami-1ecae776', '--subnet-id', ids.subnet, '--monitoring', 'Enabled=true',
      '--user-data', `file://${file}`).Instances[0];
    ids.watched = run.InstanceId;
    assert.equal(run.Monitoring.State, 'pending');
    const ps = await waitFor('three 1-minute points', () => {
      const p = points(ids.watched, 'NetworkOut', 60, 'Sum');
      return p.length >= 4 ? p : undefined;
    }, 30_000);
    assert.equal(instance(ids.watched).Monitoring.State, 'enabled');
    for (const g of gaps(ps.slice(1))) assert.equal(g, 60);
    aws('ec2', 'terminate-instances', '--instance-ids', ids.watched);
  });

  it('one pass over 20 running instances reads every one of them in a few milliseconds', async () => {
    aws('ec2', 'run-instances', '--image-id', 'ami-1ecae776', '--subnet-id', ids.subnet, '--count', '18', '--user-data', 'file://' + path.join(cloud.home, 'quiet.sh'));
    const inits = await waitFor('20 sandboxes', () => {
      const m = new Map<string, number>();
      for (const p of processesOf(path.join(cloud.home, 'instances'))) {
        const id = /instances\/(i-[0-9a-f]+)\/stage1\.sh/.exec(p.cmd)?.[1];
        if (!id || !p.cmd.startsWith('unshare')) continue;
        const child = readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, 'utf8').trim().split(/\s+/)[0];
        if (child) m.set(id, Number(child));
      }
      return m.size >= 20 ? m : undefined;
    }, 60_000);
    readUsage(inits);
    const runs: number[] = [];
    let got = 0;
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      got = readUsage(inits).size;
      runs.push(performance.now() - t0);
    }
    runs.sort((a, b) => a - b);
    const procs = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).length;
    console.log(`one pass over ${got} instances (${procs} host processes): median ${runs[5].toFixed(2)} ms, max ${runs[9].toFixed(2)} ms`);
    assert.equal(got, inits.size);
  });
});
