import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureImage } from '../src/runtime/images.js';
import { cloudTag, names } from '../src/runtime/names.js';
import { TestCloud } from '../test/support/cloud.js';
import type { BenchRow } from './types.js';

/**
 * EFS from inside an instance, against the instance's own disk in the same run: sequential write + fsync (64 MiB in
 * 1 MiB blocks) and small-file creation (500 files of 1 KiB). The goal is at least a third of the disk's figure.
 * Needs root; returns no rows otherwise.
 */
const SEQ_MIB = 64;
const SMALL_FILES = 500;

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
    const timed = (cmd: string): number => {
      const t0 = performance.now();
      const r = spawnSync('nsenter', ['-t', init, '-U', '-m', '-u', '-i', '-n', '-p', '-r', '-w', '--', '/bin/sh', '-c', cmd], {
        encoding: 'utf8',
      });
      const seconds = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
      return seconds;
    };
    const seq = (dir: string) => SEQ_MIB / timed(`dd if=/dev/zero of=${dir}/seq bs=1M count=${SEQ_MIB} conv=fsync && rm ${dir}/seq`);
    // The shell's own echo: the figure is the file system's, not the cost of starting a process per file.
    const small = (dir: string) =>
      SMALL_FILES /
      timed(
        `mkdir -p ${dir}/small && cd ${dir}/small && k=$(head -c 768 /dev/zero | tr '\\0' x) && i=0; while [ $i -lt ${SMALL_FILES} ]; do echo "$k$k" > f$i; i=$((i+1)); done; sync; cd / && rm -r ${dir}/small`,
      );
    return [
      {
        name: 'EFS sequential write + fsync (64 MiB)',
        value: seq('/mnt/efs'),
        unit: 'MiB/s',
        floorName: 'instance disk',
        floor: seq('/root'),
      },
      {
        name: `EFS small-file creation (${SMALL_FILES} × 1 KiB)`,
        value: small('/mnt/efs'),
        unit: 'files/s',
        floorName: 'instance disk',
        floor: small('/root'),
      },
    ];
  } finally {
    await cloud.dispose();
  }
}
