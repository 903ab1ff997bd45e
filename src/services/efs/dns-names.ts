import type { Cloud } from '../../cloud.js';
import type { NameAnswer, NameProvider, NameQuestion } from '../../runtime/dns.js';
import { mountTargets, type MountTargetRecord } from './state.js';

/**
 * EFS's names in a VPC's Amazon-provided DNS, as AWS publishes them:
 * - `fs-x.efs.REGION.amazonaws.com`: the mount target of the file system in the asking instance's zone;
 * - `ZONE.fs-x.efs.REGION.amazonaws.com`: the mount target in that zone.
 * Only mount targets of the asker's VPC answer; a zone without one has no record (NXDOMAIN), as on AWS.
 */
export function efsName(q: NameQuestion, targets: readonly MountTargetRecord[]): NameAnswer | undefined {
  const suffix = `.efs.${q.region}.amazonaws.com`;
  if (!q.name.endsWith(suffix)) return undefined;
  const labels = q.name.slice(0, -suffix.length).split('.');
  const [zone, fileSystemId] = labels.length === 2 ? labels : [q.zone, labels[0]];
  if (labels.length > 2 || !/^fs-[0-9a-f]+$/.test(fileSystemId)) return undefined;
  const target = targets.find((t) => t.FileSystemId === fileSystemId && t.VpcId === q.vpcId && t.AvailabilityZoneName === zone);
  return target ? { a: [target.IpAddress] } : undefined;
}

export const efsNameProvider =
  (cloud: Cloud): NameProvider =>
  (q) =>
    efsName(q, mountTargets(cloud).list(q.region));
