import type { RequestContext } from '../types.js';
import { efsErrors } from './errors.js';
import type { CreateFileSystemInput, DescribeFileSystemsInput } from './generated/types.js';
import { newEfsId } from './ids.js';
import { markerPage } from './paging.js';
import { accessPoints, fileSystemArn, fileSystems, lifeCycleState, mountTargets, type FileSystemRecord } from './state.js';
import { checkTags } from './tags.js';

const PERFORMANCE_MODES = ['generalPurpose', 'maxIO'];
const THROUGHPUT_MODES = ['bursting', 'provisioned', 'elastic'];
/** The size AWS reports for an empty file system (its metadata). */
const EMPTY_SIZE = 6144;

export function findFileSystem(ctx: RequestContext, id: string): FileSystemRecord {
  const fs = fileSystems(ctx.cloud).get(ctx.region, id);
  if (!fs) throw efsErrors.fileSystemNotFound(id);
  return fs;
}

export function requireAvailable(ctx: RequestContext, fs: FileSystemRecord): void {
  const state = lifeCycleState(ctx.cloud, fs.AvailableAt);
  if (state !== 'available') throw efsErrors.incorrectFileSystemLifeCycleState(fs.FileSystemId, state);
}

export function fileSystemView(ctx: RequestContext, fs: FileSystemRecord) {
  const now = ctx.cloud.clock.now();
  return {
    OwnerId: fs.OwnerId,
    CreationToken: fs.CreationToken,
    FileSystemId: fs.FileSystemId,
    FileSystemArn: fileSystemArn(ctx.region, fs.OwnerId, fs.FileSystemId),
    CreationTime: new Date(fs.CreationTime),
    LifeCycleState: lifeCycleState(ctx.cloud, fs.AvailableAt),
    Name: fs.Tags.find((t) => t.Key === 'Name')?.Value,
    NumberOfMountTargets: mountTargets(ctx.cloud)
      .list(ctx.region)
      .filter((m) => m.FileSystemId === fs.FileSystemId).length,
    SizeInBytes: { Value: EMPTY_SIZE, Timestamp: new Date(now), ValueInIA: 0, ValueInStandard: EMPTY_SIZE, ValueInArchive: 0 },
    PerformanceMode: fs.PerformanceMode,
    Encrypted: fs.Encrypted,
    KmsKeyId: fs.KmsKeyId,
    ThroughputMode: fs.ThroughputMode,
    ProvisionedThroughputInMibps: fs.ProvisionedThroughputInMibps,
    AvailabilityZoneName: fs.AvailabilityZoneName,
    AvailabilityZoneId: fs.AvailabilityZoneId,
    Tags: fs.Tags,
    FileSystemProtection: { ReplicationOverwriteProtection: fs.ReplicationOverwriteProtection },
  };
}

function checkThroughput(mode: string, provisioned: number | undefined): void {
  if (!THROUGHPUT_MODES.includes(mode))
    throw efsErrors.badRequest(`Invalid throughput mode '${mode}'. Valid modes are: ${THROUGHPUT_MODES.join(', ')}.`);
  if (mode === 'provisioned' && provisioned === undefined)
    throw efsErrors.badRequest('Provisioned throughput mode requires ProvisionedThroughputInMibps.');
  if (mode !== 'provisioned' && provisioned !== undefined)
    throw efsErrors.badRequest('ProvisionedThroughputInMibps can only be set in provisioned throughput mode.');
  if (provisioned !== undefined && !(provisioned >= 1)) throw efsErrors.badRequest('ProvisionedThroughputInMibps must be at least 1.0.');
}

export async function createFileSystem(input: CreateFileSystemInput, ctx: RequestContext) {
  if (input.CreationToken.length < 1 || input.CreationToken.length > 64)
    throw efsErrors.badRequest('CreationToken must be between 1 and 64 characters long.');
  const existing = fileSystems(ctx.cloud)
    .list(ctx.region)
    .find((f) => f.CreationToken === input.CreationToken);
  if (existing) throw efsErrors.fileSystemAlreadyExists(existing.FileSystemId, existing.CreationToken);
  const performance = input.PerformanceMode ?? 'generalPurpose';
  if (!PERFORMANCE_MODES.includes(performance))
    throw efsErrors.badRequest(`Invalid performance mode '${performance}'. Valid modes are: ${PERFORMANCE_MODES.join(', ')}.`);
  const throughput = input.ThroughputMode ?? 'bursting';
  checkThroughput(throughput, input.ProvisionedThroughputInMibps);
  if (input.KmsKeyId !== undefined && !input.Encrypted) throw efsErrors.badRequest('KmsKeyId can only be given when Encrypted is true.');
  if (performance === 'maxIO' && (throughput === 'elastic' || input.AvailabilityZoneName)) {
    throw efsErrors.badRequest('Max I/O performance mode is not supported with Elastic throughput or One Zone storage.');
  }
  checkTags(input.Tags ?? []);
  let zoneId: string | undefined;
  if (input.AvailabilityZoneName !== undefined) {
    const zones = await ctx.cloud.invoke<{ AvailabilityZones: Array<{ ZoneName: string; ZoneId: string }> }>(
      'ec2',
      'DescribeAvailabilityZones',
      {},
      { region: ctx.region },
    );
    const zone = zones.AvailabilityZones.find((z) => z.ZoneName === input.AvailabilityZoneName);
    if (!zone) throw efsErrors.badRequest(`Availability zone '${input.AvailabilityZoneName}' does not exist in region ${ctx.region}.`);
    zoneId = zone.ZoneId;
  }
  const now = ctx.cloud.clock.now();
  const fs: FileSystemRecord = {
    FileSystemId: newEfsId('fs'),
    OwnerId: ctx.accountId,
    CreationToken: input.CreationToken,
    CreationTime: now,
    AvailableAt: now + ctx.cloud.profile.steps.fileSystemCreating,
    PerformanceMode: performance,
    ThroughputMode: throughput,
    ProvisionedThroughputInMibps: input.ProvisionedThroughputInMibps,
    Encrypted: input.Encrypted ?? false,
    KmsKeyId: input.Encrypted ? (input.KmsKeyId ?? `arn:aws:kms:${ctx.region}:${ctx.accountId}:alias/aws/elasticfilesystem`) : undefined,
    AvailabilityZoneName: input.AvailabilityZoneName,
    AvailabilityZoneId: zoneId,
    ReplicationOverwriteProtection: 'ENABLED',
    Tags: input.Tags ?? [],
    LifecyclePolicies: [],
    BackupStatus: input.Backup ? 'ENABLED' : '',
  };
  fileSystems(ctx.cloud).insert(ctx.region, fs.FileSystemId, fs);
  ctx.cloud.events.emit('efs.fileSystemCreated', { region: ctx.region, fileSystemId: fs.FileSystemId });
  return fileSystemView(ctx, fs);
}

export function describeFileSystems(input: DescribeFileSystemsInput, ctx: RequestContext) {
  if (input.CreationToken !== undefined && input.FileSystemId !== undefined) {
    throw efsErrors.badRequest('Specify either CreationToken or FileSystemId, not both.');
  }
  let all = fileSystems(ctx.cloud).list(ctx.region);
  if (input.FileSystemId !== undefined) all = [findFileSystem(ctx, input.FileSystemId)];
  if (input.CreationToken !== undefined) all = all.filter((f) => f.CreationToken === input.CreationToken);
  const page = markerPage(all, input);
  return { Marker: input.Marker, FileSystems: page.items.map((f) => fileSystemView(ctx, f)), NextMarker: page.next };
}

export function updateFileSystem(
  input: { FileSystemId: string; ThroughputMode?: string; ProvisionedThroughputInMibps?: number },
  ctx: RequestContext,
) {
  const fs = findFileSystem(ctx, input.FileSystemId);
  requireAvailable(ctx, fs);
  const mode = input.ThroughputMode ?? fs.ThroughputMode;
  const provisioned = input.ProvisionedThroughputInMibps ?? (mode === 'provisioned' ? fs.ProvisionedThroughputInMibps : undefined);
  checkThroughput(mode, provisioned);
  const updated = { ...fs, ThroughputMode: mode, ProvisionedThroughputInMibps: provisioned };
  fileSystems(ctx.cloud).put(ctx.region, fs.FileSystemId, updated);
  return fileSystemView(ctx, updated);
}

export function deleteFileSystem(input: { FileSystemId: string }, ctx: RequestContext) {
  const fs = findFileSystem(ctx, input.FileSystemId);
  if (
    mountTargets(ctx.cloud)
      .list(ctx.region)
      .some((m) => m.FileSystemId === fs.FileSystemId)
  )
    throw efsErrors.fileSystemInUse(fs.FileSystemId);
  for (const ap of accessPoints(ctx.cloud).list(ctx.region)) {
    if (ap.FileSystemId === fs.FileSystemId) accessPoints(ctx.cloud).delete(ctx.region, ap.AccessPointId);
  }
  fileSystems(ctx.cloud).delete(ctx.region, fs.FileSystemId);
  ctx.cloud.events.emit('efs.fileSystemDeleted', { region: ctx.region, fileSystemId: fs.FileSystemId });
  return {};
}
