import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readDaemonInfo } from '../src/daemon/home.js';
import { ensureImage } from '../src/runtime/images.js';
import { cgroupDirs, cgroupName, INSTANCES_CPU_SHARES, SET_UP_CPU_SHARES } from '../src/runtime/limits.js';
import { cloudTag } from '../src/runtime/names.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost, processList } from './support/host.js';
import { waitFor } from './support/wait.js';

/**
 * CPU priority on the host (limits.ts): a launch's host commands and its sandbox's set-up run in the cloud's
 * provisioning cgroup at a low weight, so that the API answers first; the instance's own processes run in its own
 * cgroup (1024 per vCPU), from its init on, inside the cloud's `instances` cgroup, whose weight bounds all instances
 * together, however many run. Needs root and the cgroup v1 cpu controller.
 */
const ROOT = process.getuid?.() === 0;
const CPU = existsSync('/sys/fs/cgroup/cpu/cgroup.procs');
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

/** The cpu cgroup of a process, as /proc/<pid>/cgroup names it (undefined once it ended). */
function cpuCgroupOf(pid: number): string | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .find((l) => l.split(':')[1]?.split(',').includes('cpu'));
    return line?.split(':')[2];
  } catch {
    return undefined;
  }
}

describe('launches yield the CPU to the API', { skip: ROOT && CPU ? false : 'needs root and the cgroup v1 cpu controller' }, () => {
  let cloud: TestCloud;
  let subnet: string;
  const aws = (...args: string[]) => {
    const r = cloud.aws(...args);
    assert.equal(r.status, 0, r.stderr || r.stdout);
    return r.json;
  };
  const consoleOf = (id: string): string => aws('ec2', 'get-console-output', '--instance-id', id).Output ?? '';

  before(async () => {
    await ensureImage(process.env.HALO_IMAGE_CACHE as string);
    cloud = await TestCloud.start({ profile: 'instant' });
    const vpc = aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16').Vpc.VpcId;
    subnet = aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.1.0/24', '--availability-zone', 'us-east-1a').Subnet
      .SubnetId;
  });
  after(async () => {
    if (cloud) await disposeAndCheckHost(cloud);
  });

  it('host commands and the set-up in the provisioning cgroup; the instance in its own, at its full share', async () => {
    const id = aws(
      'ec2',
      'run-instances',
      '--image-id',
      'ami-1ecae776',
      '--instance-type',
      't3.micro',
      '--subnet-id',
      subnet,
      '--user-data',
      '#!/bin/sh\nsleep 300 &\necho "workload started"\n',
    ).Instances[0].InstanceId as string;
    await waitFor('the user data', () => (/workload started/.test(consoleOf(id)) ? true : undefined), 120_000);

    const tag = cloudTag(cloud.home);
    const provisioning = `/${cgroupName(tag, 'provisioning')}`;
    const provisioningDir = path.join('/sys/fs/cgroup/cpu', provisioning);
    assert.equal(Number(readFileSync(path.join(provisioningDir, 'cpu.shares'), 'utf8')), SET_UP_CPU_SHARES);
    assert.ok(SET_UP_CPU_SHARES < 1024, 'all launches together weigh less than the API (a nice-0 process)');

    // The daemon's host command runner (what starts every ip, nft, mount and sandbox) lives there: what it starts too.
    const daemonPid = readDaemonInfo(cloud.home)?.pid;
    const parentOf = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1];
    const runner = processList('halo-host-runner').find((p) => parentOf(p.pid) === String(daemonPid));
    assert.ok(runner, 'the daemon has a host command runner');
    assert.equal(cpuCgroupOf(runner.pid), provisioning);
    assert.notEqual(cpuCgroupOf(daemonPid as number), provisioning, 'the daemon itself keeps its own weight');

    // The sandbox's first stage sets itself up there, then joins the instance's cpu cgroup before the pivot.
    const stage1 = readFileSync(path.join(cloud.home, 'instances', id, 'stage1.pl'), 'utf8');
    const [cpuDir] = cgroupDirs(tag, id).filter((d) => d.startsWith('/sys/fs/cgroup/cpu/'));
    const joinsFirst = stage1.split('\n').find((l) => l.includes('writefile("$_/cgroup.procs"')) ?? '';
    assert.ok(joinsFirst.includes(provisioningDir) && !joinsFirst.includes(cpuDir), joinsFirst);
    const join = stage1.indexOf(path.join(cpuDir, 'cgroup.procs'));
    assert.ok(join > 0 && join < stage1.indexOf('pivot_root'), 'joins its own cpu cgroup before the pivot');

    // Every process of the instance (its init, its user data's sleep) is in its own cpu cgroup, at 1024 per vCPU.
    assert.equal(Number(readFileSync(path.join(cpuDir, 'cpu.shares'), 'utf8')), 2048, 't3.micro: 2 vCPUs');
    const quota = Number(readFileSync(path.join(cpuDir, 'cpu.cfs_quota_us'), 'utf8'));
    const period = Number(readFileSync(path.join(cpuDir, 'cpu.cfs_period_us'), 'utf8'));
    assert.equal(quota, period * Math.min(2, os.availableParallelism()), 'a CFS quota of its vCPUs (at most the machine has)');
    const memoryDir = cgroupDirs(tag, id).find((d) => d.startsWith('/sys/fs/cgroup/memory/')) as string;
    assert.equal(Number(readFileSync(path.join(memoryDir, 'memory.limit_in_bytes'), 'utf8')), 1024 ** 3, 't3.micro: 1 GiB');
    const pidsDir = cgroupDirs(tag, id).find((d) => d.startsWith('/sys/fs/cgroup/pids/'));
    if (pidsDir) assert.match(readFileSync(path.join(pidsDir, 'pids.max'), 'utf8').trim(), /^\d+$/, 'a process limit');
    const pids = readFileSync(path.join(memoryDir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    const sleeper = pids.find((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep\u0000300');
      } catch {
        return false;
      }
    });
    assert.ok(sleeper, `the user data's sleep among the instance's processes ${pids.join(' ')}`);
    // Beside the daemon (which keeps its own cgroup): the cloud's instances cgroup, and the instance's inside it.
    const instances = path.posix.join(cpuCgroupOf(daemonPid as number) ?? '/', cgroupName(tag, 'instances'));
    const own = path.posix.join(instances, cgroupName(tag, id));
    assert.equal(cpuDir, path.join('/sys/fs/cgroup/cpu', own));
    assert.equal(Number(readFileSync(path.join('/sys/fs/cgroup/cpu', instances, 'cpu.shares'), 'utf8')), INSTANCES_CPU_SHARES);
    assert.ok(INSTANCES_CPU_SHARES <= 1024 * os.availableParallelism(), 'all instances together weigh at most a busy process per core');
    for (const pid of pids) {
      const cg = cpuCgroupOf(pid);
      if (cg !== undefined) assert.equal(cg, own, `pid ${pid}`);
    }
    assert.deepEqual(
      readFileSync(path.join(provisioningDir, 'cgroup.procs'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(Number)
        .filter((p) => pids.includes(p)),
      [],
      'nothing of the instance is left in the provisioning cgroup',
    );
  });
});
