import { ec2Errors } from '../errors.js';
import type { VolumeType } from './state.js';

/** Sizes (GiB), IOPS and throughput EC2 accepts per volume type (EC2 API reference, CreateVolume). */
const LIMITS: Record<VolumeType, { size: [number, number]; iops?: [number, number]; iopsPerGiB?: number }> = {
  standard: { size: [1, 1024] },
  gp2: { size: [1, 16384] },
  gp3: { size: [1, 16384], iops: [3000, 16000], iopsPerGiB: 500 },
  io1: { size: [4, 16384], iops: [100, 64000], iopsPerGiB: 50 },
  io2: { size: [4, 65536], iops: [100, 256000], iopsPerGiB: 1000 },
  st1: { size: [125, 16384] },
  sc1: { size: [125, 16384] },
};

export interface VolumeShape {
  VolumeType: VolumeType;
  Size: number;
  Iops?: number;
  Throughput?: number;
}

/** Checks a CreateVolume request's type, size, IOPS and throughput; fills in EC2's defaults. */
export function volumeShape(
  input: { VolumeType?: string; Size?: number; Iops?: number; Throughput?: number },
  snapshotSize?: number,
): VolumeShape {
  const type = (input.VolumeType ?? 'gp2') as VolumeType;
  const limits = LIMITS[type];
  if (!limits) throw ec2Errors.invalidVolumeType(String(input.VolumeType));
  const size = input.Size ?? snapshotSize;
  if (size === undefined) throw ec2Errors.missingParameter('size or snapshotId');
  if (!Number.isInteger(size) || size < limits.size[0] || size > limits.size[1]) {
    throw ec2Errors.volumeSizeOutOfRange(size, type, limits.size[0], limits.size[1]);
  }
  if (snapshotSize !== undefined && size < snapshotSize) {
    throw ec2Errors.volumeSmallerThanSnapshot(size, snapshotSize);
  }
  let iops = input.Iops;
  if (iops !== undefined && !limits.iops) {
    throw ec2Errors.iopsNotSupported(type);
  }
  if (limits.iops) {
    if (iops === undefined && (type === 'io1' || type === 'io2')) throw ec2Errors.missingParameter(`iops for ${type} volumes.`);
    iops ??= limits.iops[0];
    if (!Number.isInteger(iops) || iops < limits.iops[0] || iops > limits.iops[1]) {
      throw ec2Errors.iopsOutOfRange(iops, type, limits.iops[0], limits.iops[1]);
    }
    const max = size * (limits.iopsPerGiB as number);
    if (iops > max && iops > limits.iops[0]) {
      throw ec2Errors.iopsRatioTooHigh((iops / size).toFixed(1), String(limits.iopsPerGiB));
    }
  }
  let throughput = input.Throughput;
  if (throughput !== undefined && type !== 'gp3') throw ec2Errors.throughputNotSupported(type);
  if (type === 'gp3') {
    throughput ??= 125;
    if (!Number.isInteger(throughput) || throughput < 125 || throughput > 1000) {
      throw ec2Errors.throughputOutOfRange(throughput);
    }
    if (throughput > (iops as number) / 4) throw ec2Errors.throughputRatioTooHigh((throughput / (iops as number)).toFixed(3));
  }
  // gp2 reports its baseline: 3 IOPS per GiB, at least 100 and at most 16000.
  if (type === 'gp2') iops = Math.min(16000, Math.max(100, size * 3));
  return { VolumeType: type, Size: size, Iops: iops, Throughput: throughput };
}

/** Device names EC2 accepts for an EBS volume on a Linux instance (EC2 User Guide, device naming). */
const DEVICE = /^\/dev\/(sd[b-z]|sd[b-z][1-9]|sd[b-z]1[0-5]|xvd[b-z]|xvd[b-c][a-z]|xvdd[a-x])$/;
export const ROOT_DEVICES = ['/dev/xvda', '/dev/sda1', '/dev/sda'];

export function checkDevice(device: string): void {
  if (!DEVICE.test(device) && !ROOT_DEVICES.includes(device)) {
    throw ec2Errors.invalidDeviceName(device, device);
  }
}

/** Two names are one attachment point when they name the same disk (/dev/sdf and /dev/xvdf). */
export function sameAttachmentPoint(a: string, b: string): boolean {
  const norm = (d: string) => (ROOT_DEVICES.includes(d) ? 'root' : d.replace(/^\/dev\/(sd|xvd)/, ''));
  return norm(a) === norm(b);
}
