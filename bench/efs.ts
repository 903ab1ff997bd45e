import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureImage } from '../src/runtime/images.js';
import { footprint } from '../src/runtime/cleanup.js';
import { cloudTag, names } from '../src/runtime/names.js';
import { TestCloud } from '../test/support/cloud.js';
import { median } from './stats.js';
import type { BenchRow } from './types.js';

/**
 * EFS from inside an instance, against the instance's own disk in the same run: sequential write + fsync (64 MiB in
 * 1 MiB blocks) and small-file creation (500 files of 1 KiB). The goal is at least a third of the disk's figure.
 * Needs root; returns no rows otherwise.
 */
const SEQ_MIB = 64;
const SMALL_FILES = 500;
const ROUNDS = 5;
/** What the shell waits for per file (src/runtime/README.md, "Small files"): to make it, then to remove it. */
const FUSE_REQUESTS_PER_FILE = '6 + 2';
const WAITED_CALLS_PER_FILE = '2 + 1';

/** The machine's CPU time (USER_HZ ticks), all of it and the idle part, from /proc/stat. */
function cpuTimes(): { total: number; idle: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { total: fields.reduce((a, b) => a + b, 0), idle: fields[3] + (fields[4] ?? 0) };
}

const idleShare = (a: { total: number; idle: number }, b: { total: number; idle: number }) =>
  b.total > a.total ? (b.idle - a.idle) / (b.total - a.total) : 0;

/** Microseconds of one wake-up round trip between two processes (a pipe each way), pinned to cores a and b. */
function wakeRoundTrip(a: number, b: number): number {
  const py = `
import os, time
n = 20000
r1, w1 = os.pipe(); r2, w2 = os.pipe()
if os.fork() == 0:
    os.sched_setaffinity(0, {${b}})
    for _ in range(n): os.read(r1, 1); os.write(w2, b'x')
    os._exit(0)
os.sched_setaffinity(0, {${a}})
t = time.perf_counter()
for _ in range(n): os.write(w1, b'x'); os.read(r2, 1)
print((time.perf_counter() - t) / n * 1e6)
os.wait()
`;
  const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wake round trip: ${r.stderr}`);
  return Number(r.stdout.trim());
}

/**
 * Why small files are slow here, measured: a wake-up round trip across cores against one on a single core, and the
 * same small-file run with the shell, the EFS client and the NFS server all on core 0 (the cloud's EFS processes are
 * given back every core after).
 */
function smallFilesBound(home: string, smallOnOneCore: () => number): string {
  const across = wakeRoundTrip(0, 1);
  const same = wakeRoundTrip(0, 0);
  const pids = footprint(cloudTag(home)).efsProcesses.map(String);
  const masks = pids.map((pid) => /affinity mask: (\w+)/.exec(spawnSync('taskset', ['-p', pid], { encoding: 'utf8' }).stdout)?.[1]);
  const pin = (mask: (i: number) => string | undefined) =>
    pids.forEach((pid, i) => {
      const m = mask(i);
      if (m) spawnSync('taskset', ['-a', '-p', m, pid], { stdio: 'ignore' });
    });
  const oneCore: number[] = [];
  pin(() => '1');
  try {
    for (let round = 0; round < ROUNDS; round++) oneCore.push(smallOnOneCore());
  } finally {
    pin((i) => masks[i]);
  }
  return `: a wake-up round trip between two processes takes ${across.toFixed(0)} µs across cores and ${same.toFixed(0)} µs on one core here; with the shell, the client and the NFS server on one core (no idle waits) the same run makes ${median(oneCore).toFixed(0)} files/s, the rest being the calls' own CPU (NFS server, client, kernel)`;
}

export async function benchEfs(): Promise<BenchRow[]> {
  if (process.getuid?.() !== 0) return [];
  process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';
  await ensureImage(process.env.HALO_IMAGE_CACHE);
  const cloud = await TestCloud.start({ profile: 'instant' });
  try {
    const aws = (...args: string[]) => cloud.awsOk(...args);
    const vpc = aws('ec2', 'create-vpc', '--cidr-block', '10.60.0.0/16').Vpc.VpcId;
    const subnet = aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.60.1.0/24', '--availability-zone', 'us-east-1a').Subnet
      .SubnetId;
    const sg = aws('ec2', 'create-security-group', '--vpc-id', vpc, '--group-name', 'nfs', '--description', 'nfs').GroupId;
    aws('ec2', 'authorize-security-group-ingress', '--group-id', sg, '--protocol', 'tcp', '--port', '2049', '--source-group', sg);
    const fs = aws('efs', 'create-file-system', '--creation-token', 'bench').FileSystemId;
    aws('efs', 'create-mount-target', '--file-system-id', fs, '--subnet-id', subnet, '--security-groups', sg);
    const userData = `#!/bin/sh\nmkdir -p /mnt/efs\nmount -t efs ${fs}:/ /mnt/efs && echo efs-mounted\n`;
    const id = aws(
      'ec2',
      'run-instances',
      '--image-id',
      'ami-1ecae776',
      '--subnet-id',
      subnet,
      '--security-group-ids',
      sg,
      '--user-data',
      userData,
    ).Instances[0].InstanceId;
    const consoleFile = path.join(cloud.home, 'instances', id, 'console.log');
    for (let i = 0; i < 600; i++) {
      let text = '';
      try {
        text = readFileSync(consoleFile, 'utf8');
      } catch {
        // not booted yet
      }
      if (/efs-mounted/.test(text)) break;
      if (/user data exited with status [1-9]/.test(text) || i === 599) throw new Error(`the instance did not mount EFS:\n${text}`);
      await sleep(200);
    }
    const ns = names(cloudTag(cloud.home)).instanceNs(id);
    const init = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
      .stdout.split(/\s+/)
      .filter(Boolean)
      .find((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('tini');
        } catch {
          return false;
        }
      });
    if (!init) throw new Error('no init in the instance');
    /** Seconds a shell command takes inside the instance (the nsenter around it costs a few milliseconds). */
    const timed = (cmd: string, oneCore = false): number => {
      const enter = ['nsenter', '-t', init, '-U', '-m', '-u', '-i', '-n', '-p', '-r', '-w', '--', '/bin/sh', '-c', cmd];
      const t0 = performance.now();
      const r = oneCore
        ? spawnSync('taskset', ['-c', '0', ...enter], { encoding: 'utf8' })
        : spawnSync(enter[0], enter.slice(1), { encoding: 'utf8' });
      const seconds = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
      return seconds;
    };
    const seq = (dir: string) => SEQ_MIB / timed(`dd if=/dev/zero of=${dir}/seq bs=1M count=${SEQ_MIB} conv=fsync && rm ${dir}/seq`);
    // The shell's own echo: the figure is the file system's, not the cost of starting a process per file.
    const smallCmd = (dir: string) =>
      `mkdir -p ${dir}/small && cd ${dir}/small && k=$(head -c 768 /dev/zero | tr '\\0' x) && i=0; while [ $i -lt ${SMALL_FILES} ]; do echo "$k$k" > f$i; i=$((i+1)); done; sync; cd / && rm -r ${dir}/small`;
    const small = (dir: string, oneCore = false) => SMALL_FILES / timed(smallCmd(dir), oneCore);
    // Rounds in turns, EFS then disk, so that both see the same moments of a shared machine; medians.
    const seqEfs: number[] = [];
    const seqDisk: number[] = [];
    const smallEfs: number[] = [];
    const smallDisk: number[] = [];
    const idle: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      seqEfs.push(seq('/mnt/efs'));
      seqDisk.push(seq('/root'));
      const before = cpuTimes();
      smallEfs.push(small('/mnt/efs'));
      idle.push(idleShare(before, cpuTimes()));
      smallDisk.push(small('/root'));
    }
    const why = os.availableParallelism() > 1 ? smallFilesBound(cloud.home, () => small('/mnt/efs', true)) : '';
    return [
      {
        name: `EFS sequential write + fsync (${SEQ_MIB} MiB; median of ${ROUNDS} rounds, in turns with the disk's)`,
        value: median(seqEfs),
        unit: 'MiB/s',
        floorName: 'instance disk',
        floor: median(seqDisk),
      },
      {
        name: `EFS small-file creation (${SMALL_FILES} × 1 KiB, then removed; median of ${ROUNDS} rounds, in turns with the disk's; the shell waits for each file's ${FUSE_REQUESTS_PER_FILE} FUSE requests and ${WAITED_CALLS_PER_FILE} NFS calls over the network path one after another, and the machine's CPUs idle ${(100 * median(idle)).toFixed(0)}% of the time meanwhile${why})`,
        value: median(smallEfs),
        unit: 'files/s',
        floorName: 'instance disk',
        floor: median(smallDisk),
      },
    ];
  } finally {
    await cloud.dispose();
  }
}
