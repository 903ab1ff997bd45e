import type { RequestContext } from '../types.js';
import { efsErrors } from './errors.js';
import { findFileSystem, requireAvailable } from './file-systems.js';
import type { CreateAccessPointInput } from './generated/types.js';
import { newEfsId } from './ids.js';
import { nextTokenPage } from './paging.js';
import { accessPointArn, accessPoints, type AccessPointRecord } from './state.js';
import { checkTags } from './tags.js';

export function findAccessPoint(ctx: RequestContext, id: string): AccessPointRecord {
  const ap = accessPoints(ctx.cloud).get(ctx.region, id);
  if (!ap) throw efsErrors.accessPointNotFound(id);
  return ap;
}

export function accessPointView(ctx: RequestContext, ap: AccessPointRecord) {
  return {
    ClientToken: ap.ClientToken,
    Name: ap.Tags.find((t) => t.Key === 'Name')?.Value,
    Tags: ap.Tags,
    AccessPointId: ap.AccessPointId,
    AccessPointArn: accessPointArn(ctx.region, ap.OwnerId, ap.AccessPointId),
    FileSystemId: ap.FileSystemId,
    PosixUser: ap.PosixUser,
    RootDirectory: ap.RootDirectory,
    OwnerId: ap.OwnerId,
    LifeCycleState: 'available',
  };
}

/** RootDirectory.Path as EFS documents it: `/`, or one to four components, none starting with a dot or holding `$#<>;`|&?{}^*`. */
const ROOT_PATH = /^(\/|(\/(?!\.)[^$#<>;`|&?{}^*/\n]+){1,4})$/;

function checkRootDirectory(root: AccessPointRecord['RootDirectory']): void {
  if (!ROOT_PATH.test(root.Path) || root.Path.length > 100)
    throw efsErrors.badRequest(
      `Invalid root directory path '${root.Path}': '/' or up to four directories below it, at most 100 characters.`,
    );
  const perms = root.CreationInfo?.Permissions;
  if (perms !== undefined && !/^[0-7]{3,4}$/.test(perms))
    throw efsErrors.badRequest(`Invalid permissions '${perms}': give 3 or 4 octal digits.`);
}

export function createAccessPoint(input: CreateAccessPointInput, ctx: RequestContext) {
  const fs = findFileSystem(ctx, input.FileSystemId);
  const same = accessPoints(ctx.cloud)
    .list(ctx.region)
    .find((a) => a.ClientToken === input.ClientToken);
  if (same) {
    if (same.FileSystemId === fs.FileSystemId) return accessPointView(ctx, same);
    throw efsErrors.accessPointAlreadyExists(same.AccessPointId, input.ClientToken);
  }
  requireAvailable(ctx, fs);
  checkTags(input.Tags ?? []);
  const root = { Path: input.RootDirectory?.Path ?? '/', CreationInfo: input.RootDirectory?.CreationInfo };
  checkRootDirectory(root);
  const ap: AccessPointRecord = {
    AccessPointId: newEfsId('fsap'),
    FileSystemId: fs.FileSystemId,
    OwnerId: ctx.accountId,
    ClientToken: input.ClientToken,
    Tags: input.Tags ?? [],
    PosixUser: input.PosixUser,
    RootDirectory: root,
  };
  accessPoints(ctx.cloud).insert(ctx.region, ap.AccessPointId, ap);
  ctx.cloud.events.emit('efs.accessPointCreated', { region: ctx.region, fileSystemId: ap.FileSystemId, accessPointId: ap.AccessPointId });
  return accessPointView(ctx, ap);
}

export function describeAccessPoints(
  input: { MaxResults?: number; NextToken?: string; AccessPointId?: string; FileSystemId?: string },
  ctx: RequestContext,
) {
  if (input.AccessPointId !== undefined && input.FileSystemId !== undefined)
    throw efsErrors.badRequest('Specify either AccessPointId or FileSystemId, not both.');
  let all = accessPoints(ctx.cloud).list(ctx.region);
  if (input.AccessPointId !== undefined) all = [findAccessPoint(ctx, input.AccessPointId)];
  if (input.FileSystemId !== undefined) {
    findFileSystem(ctx, input.FileSystemId);
    all = all.filter((a) => a.FileSystemId === input.FileSystemId);
  }
  const page = nextTokenPage(all, input);
  return { AccessPoints: page.items.map((a) => accessPointView(ctx, a)), NextToken: page.next };
}

export function deleteAccessPoint(input: { AccessPointId: string }, ctx: RequestContext) {
  const ap = findAccessPoint(ctx, input.AccessPointId);
  accessPoints(ctx.cloud).delete(ctx.region, ap.AccessPointId);
  // The mount targets' servers drop its export: a new mount through it is refused, live ones lose access.
  ctx.cloud.events.emit('efs.accessPointDeleted', { region: ctx.region, fileSystemId: ap.FileSystemId, accessPointId: ap.AccessPointId });
  return {};
}
