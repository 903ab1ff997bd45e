import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AssociateAddressCommand,
  DescribeAddressesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  DescribeInstancesCommand,
} from '@aws-sdk/client-ec2';
import { ensureImage } from '../src/runtime/images.js';
import { cloudTag, names } from '../src/runtime/names.js';
import { TestCloud } from '../test/support/cloud.js';
import type { BenchRow } from './types.js';
import { median } from './stats.js';

/**
 * EC2 figures, each against a floor measured in the same run:
 * - launch: RunInstances until the user data runs (its first line on the console), vs a bare network namespace +
 *   `unshare` sandbox running `true`; the parts a launch must have and the floor has not (a signed API call, a
 *   cgroup move, a loop mount) are timed apart and named in the row. With HALO_TRACE set, each launch's steps
 *   (the daemon's and the sandbox's, from its console) are printed on stderr;
 * - Elastic IP switch: AssociateAddress (AllowReassociation) until a new HTTP connection to the address reaches the
 *   new instance, vs one nft transaction that changes a map element;
 * - API under launch load: DescribeInstances p99 latency while 50 instances launch (RunInstances until every user
 *   data runs), vs its p99 with nothing launching, in the same run; a bare node:http server is polled alongside in
 *   both phases, so the row shows what the machine's saturated cores alone do to a server's p99;
 * - many at once: N instances (HALO_BENCH_INSTANCES, default 100) launched by one RunInstances, until every one is
 *   running and has finished its boot (a failure of any fails the bench), vs N times one launch;
 * - memory: proportional set size of everything in one idle instance's namespaces with those N instances running,
 *   vs a bare `unshare` sandbox running `sleep`.
 * Needs root; returns no rows otherwise.
 */
const ROUNDS = 5;
const LOAD_INSTANCES = 50;

function get(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(undefined);
    });
    req.on('error', () => resolve(undefined));
  });
}

function pss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function nsPids(ns: string): number[] {
  return spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean).map(Number);
}

/** A floor's command must have done its work: one that fails at once would make a floor that flatters. */
function succeeded(r: SpawnSyncReturns<string | Buffer>): void {
  if (r.status !== 0) throw new Error(`a floor's command failed (${r.status ?? r.signal}): ${String(r.stderr).slice(0, 500)}`);
}

/**
 * The floor of a launch: a network namespace and a sandbox as util-linux's tools make it (the namespaces a launch's
 * console keeper makes itself: PID, mount with the host's as masters, UTS, IPC), in it, running `true`.
 */
function bareSandbox(ns: string, command: string[]): number {
  const t0 = performance.now();
  succeeded(spawnSync('ip', ['netns', 'add', ns]));
  try {
    const unshare = ['unshare', '--pid', '--fork', '--mount', '--propagation', 'slave', '--uts', '--ipc', '--kill-child', '--'];
    succeeded(spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'nsenter', `--net=/run/netns/${ns}`, '--', ...unshare, ...command]));
    return performance.now() - t0;
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

/**
 * Parts of a launch the floor does not have, each timed alone (medians): a process's first move into a cgroup of
 * its own (on cgroup v1 it waits for an RCU grace period), a loop mount of an ext4 image.
 */
function launchParts(home: string): { cgroupMove: number; loopMount: number } {
  const cgroupMove: number[] = [];
  const loopMount: number[] = [];
  const dir = path.join(home, 'bench-parts');
  const img = path.join(dir, 'root.img');
  const mnt = path.join(dir, 'mnt');
  spawnSync('mkdir', ['-p', mnt]);
  spawnSync('truncate', ['-s', '1G', img]);
  spawnSync('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', 'lazy_itable_init=1,lazy_journal_init=1', img]);
  // A process's move into a new cgroup (the memory controller's, as an instance's first), timed inside the process.
  const memory = '/sys/fs/cgroup/memory';
  const cgroup = path.join(memory, `halo-bench-${process.pid}`);
  const move = `use Time::HiRes 'time'; my $t = time; open(my $f, '>', "$ARGV[0]/cgroup.procs") or die; print $f "0\\n"; close $f or die; printf "%.3f", (time - $t) * 1000;`;
  for (let i = 0; i < ROUNDS; i++) {
    if (existsSync(path.join(memory, 'cgroup.procs'))) {
      spawnSync('mkdir', [cgroup]);
      const m = spawnSync('/usr/bin/perl', ['-e', move, cgroup], { encoding: 'utf8' });
      spawnSync('rmdir', [cgroup]);
      succeeded(m);
      cgroupMove.push(Number(m.stdout));
    }
    const t = performance.now();
    const m = spawnSync('mount', ['-t', 'ext4', '-o', 'loop,nosuid,nodev,noinit_itable', img, mnt]);
    loopMount.push(performance.now() - t);
    succeeded(m);
    spawnSync('umount', [mnt]);
    // Apart, as launches are: a move right after another one does not wait.
    spawnSync('sleep', ['0.2']);
  }
  spawnSync('rm', ['-rf', dir]);
  return { cgroupMove: cgroupMove.length ? median(cgroupMove) : 0, loopMount: median(loopMount) };
}

/** CPU time spent by the whole machine so far (all cores, all processes, the kernel's too), from /proc/stat. */
function busyCpuMs(): number {
  const [, user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).map(Number);
  return ((user + nice + system + irq + softirq) * 1000) / 100; // in USER_HZ ticks: 100 a second on Linux
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))];

/** DescribeInstances latencies, `parallel` requests at a time, until `done` says stop (at least `min` samples). */
async function describeLatencies(ec2: EC2Client, ids: string[], parallel: number, done: () => boolean, min: number): Promise<number[]> {
  const out: number[] = [];
  const worker = async () => {
    while (!done() || out.length < min) {
      const t0 = performance.now();
      await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
      out.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

/** Latencies of a bare node:http server (bench/bare-server.ts), polled as describeLatencies polls the cloud. */
async function bareLatencies(port: number, parallel: number, done: () => boolean, min: number): Promise<number[]> {
  const out: number[] = [];
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end('Action=DescribeInstances');
    });
  const worker = async () => {
    while (!done() || out.length < min) {
      const t0 = performance.now();
      await once();
      out.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

/** A bare node:http server in its own process; its port and a stop. */
async function startBareServer(): Promise<{ port: number; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('./bare-server.js', import.meta.url)), JSON.stringify({ body: '<ok/>', contentType: 'text/xml' })],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const stop = () => child.kill('SIGTERM');
  process.once('exit', stop);
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  return { port: Number(line.toString().trim()), stop };
}

async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string, stepMs = 5): Promise<T> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(stepMs);
  }
  throw new Error(`bench: timed out waiting for ${what}`);
}

/** Whether an instance's console (under the cloud's instances directory) shows the marker yet. */
function consoleHas(instancesDir: string, id: string, marker: string): true | undefined {
  const file = path.join(instancesDir, id, 'console.log');
  return existsSync(file) && readFileSync(file, 'utf8').includes(marker) ? true : undefined;
}

/**
 * Resolves once an instance's console shows the marker, woken by the kernel (inotify on its directory, or on the
 * instances' directory until its own is made) rather than by a poll: a poll's own CPU would be taken from the launch
 * it times, on a machine whose cores a launch keeps busy. A look every 100 ms besides, should an event be missed.
 */
function consoleShows(instancesDir: string, id: string, marker: string, timeoutMs: number): Promise<void> {
  const dir = path.join(instancesDir, id);
  return new Promise((resolve, reject) => {
    let watcher: FSWatcher | undefined;
    let watching = '';
    let done = false;
    const finish = (err?: Error) => {
      done = true;
      watcher?.close();
      clearInterval(safety);
      clearTimeout(deadline);
      if (err) reject(err);
      else resolve();
    };
    const check = () => {
      if (done) return;
      if (consoleHas(instancesDir, id, marker)) return finish();
      const want = existsSync(dir) ? dir : instancesDir;
      if (want === watching) return;
      watcher?.close();
      watching = want;
      watcher = watch(want, check);
      check();
    };
    const safety = setInterval(check, 100);
    const deadline = setTimeout(() => finish(new Error(`bench: timed out waiting for ${marker} on ${id}'s console`)), timeoutMs);
    check();
  });
}

export async function benchEc2(): Promise<BenchRow[]> {
  if (process.getuid?.() !== 0) {
    console.error('bench ec2: skipped (needs root)');
    return [];
  }
  process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';
  await ensureImage(process.env.HALO_IMAGE_CACHE);
  const cloud = await TestCloud.start({ profile: 'instant', timeScale: 1 });
  const tag = cloudTag(cloud.home);
  // No keep-alive: a connection the server closes as idle while the client reuses it would fail a call (ECONNRESET).
  const ec2 = new EC2Client({ ...cloud.sdk, requestHandler: { httpAgent: new http.Agent({ keepAlive: false }) } });
  const rows: BenchRow[] = [];
  // Each figure as soon as it is measured (stderr), so that a later failure does not lose the earlier ones.
  const push = rows.push.bind(rows);
  rows.push = (...more: BenchRow[]) => {
    for (const r of more)
      console.error(`ec2 (measured): ${r.name} | ${r.value.toFixed(1)} ${r.unit} | ${r.floorName}: ${r.floor.toFixed(1)} ${r.unit}`);
    return push(...more);
  };
  const launched: string[] = [];
  try {
    const aws = (...args: string[]) => {
      const r = cloud.aws(...args);
      if (r.status !== 0) throw new Error(r.stderr);
      return r.json;
    };
    const vpc = aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16').Vpc.VpcId;
    const subnet = aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.0.0/24', '--availability-zone', 'us-east-1a').Subnet
      .SubnetId;
    const igw = aws('ec2', 'create-internet-gateway').InternetGateway.InternetGatewayId;
    aws('ec2', 'attach-internet-gateway', '--internet-gateway-id', igw, '--vpc-id', vpc);
    const sg = aws('ec2', 'create-security-group', '--vpc-id', vpc, '--group-name', 'bench', '--description', 'bench').GroupId;
    aws('ec2', 'authorize-security-group-ingress', '--group-id', sg, '--protocol', 'tcp', '--port', '8080', '--cidr', '0.0.0.0/0');
    const run = async (userData?: string, count = 1) => {
      const out = await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-00000000',
          InstanceType: 't3.micro',
          MinCount: count,
          MaxCount: count,
          SubnetId: subnet,
          SecurityGroupIds: [sg],
          UserData: userData ? Buffer.from(userData).toString('base64') : undefined,
        }),
      );
      const ids = (out.Instances ?? []).map((i) => i.InstanceId as string);
      launched.push(...ids);
      return ids;
    };
    const instancesDir = path.join(cloud.home, 'instances');
    // A first instance keeps the VPC's namespace up, as in a running VPC.
    const [anchor] = await run('#!/bin/sh\necho anchor-up\n');
    await waitFor(() => consoleHas(instancesDir, anchor, 'anchor-up'), 60_000, 'the first instance');

    const floors: number[] = [];
    const launches: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      floors.push(bareSandbox(`${names(tag).nsPrefix}bench`, ['true']));
      const busy0 = busyCpuMs();
      const t0 = performance.now();
      const [id] = await run(`#!/bin/sh\necho user-data-running-${i}\n`);
      await consoleShows(instancesDir, id, `user-data-running-${i}`, 60_000);
      cpu.push(busyCpuMs() - busy0);
      if (process.env.HALO_TRACE) {
        console.error(
          `[bench trace] ${id} asked ${(performance.timeOrigin + t0).toFixed(1)} user data seen ${(performance.timeOrigin + performance.now()).toFixed(1)}`,
        );
        // The sandbox's own steps, from its console (epoch ns at the end of each line).
        for (const line of readFileSync(path.join(cloud.home, 'instances', id, 'console.log'), 'utf8').split('\n')) {
          const m = /^(\[halo trace\] stage1 |\[halo-init\] )(.*) (\d{19})$/.exec(line);
          if (m)
            console.error(`[halo trace] ${id} ${m[1].includes('stage1') ? 'stage1' : 'init'}: ${m[2]} ${(Number(m[3]) / 1e6).toFixed(1)}`);
        }
      }
      launches.push(performance.now() - t0);
    }
    // What the floor does not do, and a launch must, measured apart now: the signed RunInstances call, a first cgroup
    // move and the loop mount of the root volume.
    const parts = launchParts(cloud.home);
    const signed: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = performance.now();
      await ec2.send(new DescribeInstancesCommand({ InstanceIds: [anchor] }));
      signed.push(performance.now() - t);
    }
    rows.push({
      name: `launch to user data running (median; beyond the floor, each measured apart now: a signed API call ${median(signed).toFixed(1)} ms; an instance's first cgroup move ${parts.cgroupMove.toFixed(1)} ms (kernel: on cgroup v1 a move waits for an RCU grace period when none happened lately; its console keeper, started ahead of the launch, begins it as it gets the launch, and the first stage's own move shares it while it mounts), the root volume's loop mount ${parts.loopMount.toFixed(1)} ms (kernel: loop attach, ext4 mount; kept: the root volume is a block device of its own, for its size limit and so that its files are never the host's); then the first stage's compile (perl, its program being the instance's), its other mounts (id-mapped layers, overlay, /proc, /dev, /run: system calls), pivot, seccomp, tini, the init's shell, the link brought up when the instance is running (one ip batch: nothing reaches it before) and the user data's own shell. Off that path: the sandbox's PID, mount, UTS and IPC namespaces are made before the launch by the spare keeper, whose interpreter then makes the instance's cgroups and its user and network namespaces and eth0 with one ip batch, where the floor runs ip netns add; the root volume is a spare made ahead; the firewall's nft runs beside the sandbox's start. The machine's CPU is the bound: a launch keeps its ${os.availableParallelism()} cores busy for ${(cpu.reduce((a, b) => a + b, 0) / cpu.length).toFixed(0)} ms of CPU in all (mean, every process of the host: the daemon, ip, nft, the perl processes, the kernel's namespace, link and mount work, the instance's init), where the floor's run takes one process start)`,
      value: median(launches),
      unit: 'ms',
      floorName: 'bare netns + unshare sandbox + true',
      floor: median(floors),
    });

    // The API while instances launch: the daemon must not stop answering while it sets up their hosts' side.
    // Beside it, the same polling of a bare node:http server: what the machine itself does to a server's latency
    // while the launches' processes take its cores (a share the daemon cannot give back).
    const bareServer = await startBareServer();
    let idling = true;
    const bareIdle = bareLatencies(bareServer.port, 2, () => !idling, 50);
    const idle = await describeLatencies(ec2, [anchor], 2, () => true, 400);
    idling = false;
    const bareIdleP99 = p99(await bareIdle);
    let launching = true;
    const loaded = describeLatencies(ec2, [anchor], 2, () => !launching, 50);
    const bareLoaded = bareLatencies(bareServer.port, 2, () => !launching, 50);
    const t0 = performance.now();
    const fifty = await run('#!/bin/sh\necho load-user-data-running\n', LOAD_INSTANCES);
    await waitFor(
      () => (fifty.every((id) => consoleHas(instancesDir, id, 'load-user-data-running')) ? true : undefined),
      300_000,
      `${LOAD_INSTANCES} instances`,
      20,
    ).finally(() => {
      launching = false;
    });
    const fiftyMs = performance.now() - t0;
    const underLoad = await loaded;
    const bareLoadedP99 = p99(await bareLoaded);
    bareServer.stop();
    rows.push({
      name: `DescribeInstances p99 while ${LOAD_INSTANCES} instances launch (${underLoad.length} calls over ${(fiftyMs / 1000).toFixed(1)} s; a bare node:http server polled alongside: p99 ${bareLoadedP99.toFixed(1)} ms under the same launches vs ${bareIdleP99.toFixed(1)} ms idle = ${(bareLoadedP99 / bareIdleP99).toFixed(1)}×, what the machine's load alone does to a server: the daemon's ratio cannot be much below it; the launches' set-up runs at a lower CPU weight than the API, all instances together at one busy process per core)`,
      value: p99(underLoad),
      unit: 'ms',
      floorName: `idle p99 (${idle.length} calls)`,
      floor: p99(idle),
    });
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: fifty }));
    launched.splice(launched.indexOf(fifty[0]), fifty.length);
    await waitFor(
      async () =>
        ((await ec2.send(new DescribeInstancesCommand({ InstanceIds: fifty }))).Reservations ?? []).every((r) =>
          r.Instances?.every((i) => i.State?.Name === 'terminated'),
        )
          ? true
          : undefined,
      120_000,
      'the 50 terminated',
      200,
    );

    // Elastic IP switch between two serving instances.
    const server = (name: string) =>
      `#!/bin/sh\nmkdir -p /srv && echo ${name} > /srv/index.html\ncd /srv && exec python3 -m http.server 8080\n`;
    const [a] = await run(server('A'));
    const [b] = await run(server('B'));
    const eip = aws('ec2', 'allocate-address', '--domain', 'vpc');
    const apiCalls: number[] = [];
    const switchTo = async (id: string, body: string) => {
      const t0 = performance.now();
      await ec2.send(new AssociateAddressCommand({ AllocationId: eip.AllocationId, InstanceId: id, AllowReassociation: true }));
      apiCalls.push(performance.now() - t0);
      await waitFor(
        async () => ((await get(`http://${eip.PublicIp}:8080/`))?.trim() === body ? true : undefined),
        30_000,
        `EIP on ${body}`,
        1,
      );
      return performance.now() - t0;
    };
    for (const [id, body] of [
      [a, 'A'],
      [b, 'B'],
    ]) {
      await waitFor(
        async () =>
          (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0]?.State?.Name === 'running'
            ? true
            : undefined,
        60_000,
        'running',
        50,
      );
      await switchTo(id, body);
    }
    const switches: number[] = [];
    apiCalls.length = 0;
    for (let i = 0; i < ROUNDS; i++) switches.push(await switchTo(i % 2 ? b : a, i % 2 ? 'B' : 'A'));
    // What the switch cannot lose: a signed API call's own round trip (the same client, a call that changes nothing),
    // and a new HTTP connection through the two DNATs to the server once the address is settled.
    const settledGets: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      await get(`http://${eip.PublicIp}:8080/`);
      settledGets.push(performance.now() - t0);
    }
    const signedCalls: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      await ec2.send(new DescribeAddressesCommand({ AllocationIds: [eip.AllocationId] }));
      signedCalls.push(performance.now() - t0);
    }
    const table = `halo_${tag}_bench`;
    succeeded(
      spawnSync('nft', ['-f', '-'], {
        input: `table ip ${table} {\n  map m { type ipv4_addr : ipv4_addr; elements = { 127.1.0.1 : 10.0.0.1 } }\n}\n`,
      }),
    );
    const nftFloor: number[] = [];
    try {
      for (let i = 0; i < ROUNDS; i++) {
        const t0 = performance.now();
        const r = spawnSync('nft', ['-f', '-'], {
          input: `flush map ip ${table} m\nadd element ip ${table} m { 127.1.0.1 : 10.0.0.${2 + i} }\n`,
        });
        nftFloor.push(performance.now() - t0);
        succeeded(r);
      }
    } finally {
      spawnSync('nft', ['delete', 'table', 'ip', table]);
    }
    rows.push({
      name: `Elastic IP switch to first answer from the new instance (median; of which the AssociateAddress call ${median(apiCalls).toFixed(1)} ms, where a signed call that changes nothing takes ${median(signedCalls).toFixed(1)} ms: the client's signing and HTTP round trip, which the floor does not pay; a new HTTP connection through the two DNATs to the settled address answers in ${median(settledGets).toFixed(1)} ms; the host's nft transaction (one process, as the floor's, through the daemon's command runner) starts inside the call, before its answer, and the first answer is seen within one request to the old instance after it lands: a poll of back-to-back requests)`,
      value: median(switches),
      unit: 'ms',
      floorName: 'one nft map transaction',
      floor: median(nftFloor),
    });

    // Many instances at once, then the memory of each with all of them running.
    const count = Number(process.env.HALO_BENCH_INSTANCES || 100);
    const tMany = performance.now();
    const many = await run(undefined, count);
    await waitFor(
      () => {
        const failed = many.find(
          (id) => consoleHas(instancesDir, id, 'ended unexpectedly') || consoleHas(instancesDir, id, 'launch failed'),
        );
        if (failed)
          throw new Error(
            `${failed} of ${count} failed:\n${readFileSync(path.join(cloud.home, 'instances', failed, 'console.log'), 'utf8')}`,
          );
        return many.every((id) => consoleHas(instancesDir, id, 'boot finished')) ? true : undefined;
      },
      600_000,
      `${count} instances`,
      200,
    );
    const manyMs = performance.now() - tMany;
    const states =
      (await ec2.send(new DescribeInstancesCommand({ InstanceIds: many }))).Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
    const notRunning = states.filter((i) => i.State?.Name !== 'running').map((i) => `${i.InstanceId} ${i.State?.Name}`);
    if (states.length !== count || notRunning.length)
      throw new Error(`bench: of ${count} instances launched at once, not running: ${notRunning.join(', ') || 'missing'}`);
    rows.push({
      name: `${count} instances launched by one RunInstances, all booted (s)`,
      value: manyMs / 1000,
      unit: 's',
      floorName: `${count} × one launch`,
      floor: (count * median(launches)) / 1000,
    });
    // Measured once the instances idle: the boot's last steps (the init's `systemctl default`, timers it starts) still
    // run a while after 'boot finished', longer when all of them share the machine. Settled = the same processes in
    // every instance for three looks in a row, half a second apart (at most a minute).
    const processesOf = () => many.map((id) => nsPids(names(tag).instanceNs(id)).join(' ')).join('\n');
    for (let last = '', same = 0, tries = 0; same < 3 && tries < 120; tries++) {
      await sleep(500);
      const now = processesOf();
      same = now === last ? same + 1 : 0;
      last = now;
    }
    const perInstance = many.map((id) => nsPids(names(tag).instanceNs(id)).reduce((sum, pid) => sum + pss(pid), 0));
    const bareNs = `${names(tag).nsPrefix}bare`;
    spawnSync('ip', ['netns', 'add', bareNs]);
    const bare = spawnSync(
      'sh',
      [
        '-c',
        `setpriv --pdeathsig KILL -- nsenter --net=/run/netns/${bareNs} -- unshare --pid --fork --mount --uts --ipc --kill-child -- sleep 30 & sleep 1; for p in $(ip netns pids ${bareNs}); do grep '^Pss:' /proc/$p/smaps_rollup; done; kill $!`,
      ],
      { encoding: 'utf8' },
    );
    spawnSync('ip', ['netns', 'del', bareNs]);
    const bareKb = [...bare.stdout.matchAll(/Pss:\s+(\d+)/g)].reduce((s, m) => s + Number(m[1]), 0);
    rows.push({
      name: `memory per instance with ${count} running (mean PSS)`,
      value: perInstance.reduce((s, x) => s + x, 0) / perInstance.length / 1024,
      unit: 'MB',
      floorName: 'bare unshare sandbox running sleep',
      floor: Math.max(bareKb, 1) / 1024,
    });
  } finally {
    if (launched.length) await ec2.send(new TerminateInstancesCommand({ InstanceIds: launched })).catch(() => undefined);
    ec2.destroy();
    await cloud.dispose();
  }
  return rows;
}
