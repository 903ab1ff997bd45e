import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ec2Errors } from '../errors.js';
import { copyTree, readBuiltImage } from '../../../runtime/images.js';
import { withRootUpper } from '../../../runtime/root-disk.js';
import { runtimeOf } from '../../../runtime/runtime.js';
import { DEFAULT_REGION } from '../../../topology/regions.js';
import type { RequestContext } from '../../types.js';
import { applyFilters, tagsFor, type Filter, type TagSpecs as ModelTagSpecs } from '../filters.js';
import { newId } from '../ids.js';
import { findInstances } from './instances.js';
import { boot, getInstance, serially, setState } from './lifecycle.js';
import {
  AMI_ID,
  DEFAULT_IMAGE_ID,
  DEFAULT_IMAGE_NAME,
  DEFAULT_ROOT_VOLUME_GIB,
  imagesTable,
  instancesTable,
  type ImageRecord,
} from './state.js';
import { ec2Page, type Ec2PageInput } from '../paging.js';

function defaultImage(ctx: RequestContext): ImageRecord {
  return {
    ImageId: DEFAULT_IMAGE_ID,
    Name: DEFAULT_IMAGE_NAME,
    Description: "halo's default image: Debian 12 minbase with bash, curl, wget, python3, iproute2, systemctl and the aws CLI",
    OwnerId: ctx.accountId,
    State: 'available',
    CreationDate: '2026-01-01T00:00:00.000Z',
    Layers: [],
    Tags: [],
  };
}

function describeImage(i: ImageRecord) {
  return {
    ImageId: i.ImageId,
    Name: i.Name,
    Description: i.Description,
    OwnerId: i.OwnerId,
    ImageOwnerAlias: i.ImageId === DEFAULT_IMAGE_ID ? 'amazon' : undefined,
    State: i.State,
    StateReason: i.StateReason,
    CreationDate: i.CreationDate,
    Architecture: 'x86_64',
    ImageType: 'machine',
    Public: i.ImageId === DEFAULT_IMAGE_ID,
    RootDeviceName: '/dev/xvda',
    RootDeviceType: 'ebs',
    VirtualizationType: 'hvm',
    Hypervisor: 'xen',
    EnaSupport: true,
    PlatformDetails: 'Linux/UNIX',
    UsageOperation: 'RunInstances',
    BlockDeviceMappings: [
      {
        DeviceName: '/dev/xvda',
        Ebs: {
          DeleteOnTermination: true,
          SnapshotId: i.SnapshotId,
          VolumeSize: i.RootVolumeSize ?? DEFAULT_ROOT_VOLUME_GIB,
          VolumeType: 'gp2',
          Encrypted: false,
        },
      },
    ],
    Tags: i.Tags.length ? i.Tags : undefined,
  };
}

/**
 * CreateImage: the instance's writable layer (its root volume) is copied as a new read-only layer on top of the
 * instance's own image layers. Without NoReboot the instance's processes are stopped cleanly first and it boots
 * again afterwards, as AWS reboots it; with NoReboot the layer is copied live.
 */
export async function createImage(
  input: {
    InstanceId: string;
    Name: string;
    Description?: string;
    NoReboot?: boolean;
    TagSpecifications?: ModelTagSpecs;
  },
  ctx: RequestContext,
) {
  const [r] = findInstances(ctx, [input.InstanceId]);
  if (!['running', 'stopped'].includes(r.State.Name)) throw ec2Errors.instanceNotRunningOrStopped(r.InstanceId);
  if (!/^[a-zA-Z0-9()[\] ./\-'@_]{3,128}$/.test(input.Name)) {
    throw ec2Errors.imageNameMalformed();
  }
  const images = imagesTable(ctx.cloud.store).list(ctx.region);
  if (images.some((i) => i.Name === input.Name && i.State !== 'deregistered')) {
    throw ec2Errors.imageNameInUse(input.Name, String(images.find((i) => i.Name === input.Name)?.ImageId));
  }
  const rt = runtimeOf(ctx.cloud);
  const imageId = newId('ami');
  const dir = path.join(ctx.cloud.config.home, 'images', imageId);
  const layer = path.join(dir, 'layer');
  const base =
    r.ResolvedImageId === DEFAULT_IMAGE_ID
      ? [await rt.defaultImage()]
      : (imagesTable(ctx.cloud.store).get(ctx.region, r.ResolvedImageId)?.Layers ?? [await rt.defaultImage()]);
  const record: ImageRecord = {
    ImageId: imageId,
    Name: input.Name,
    Description: input.Description,
    OwnerId: ctx.accountId,
    State: 'pending',
    CreationDate: new Date(ctx.cloud.clock.now()).toISOString(),
    Layers: [layer, ...base],
    OwnLayer: dir,
    SourceInstanceId: r.InstanceId,
    RootVolumeId: r.RootVolumeId,
    SnapshotId: newId('snap'),
    RootVolumeSize: r.RootVolumeSize ?? DEFAULT_ROOT_VOLUME_GIB,
    Tags: tagsFor('image', input.TagSpecifications),
  };
  imagesTable(ctx.cloud.store).put(ctx.region, imageId, record);
  const region = ctx.region;
  const cloud = ctx.cloud;
  // The layer keeps the instance's setuid files and file capabilities (they are part of the AMI): its directory is
  // root's alone (0700), so they give no one on the host anything.
  const copy = async (live: boolean) => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    await withRootUpper(rt.volumeDir(r.RootVolumeId), (upper) => copyTree(upper, layer, { live }));
  };
  const finish = async (failure?: Error) => {
    if (failure) rt.appendConsole(r.InstanceId, `[halo] create-image ${imageId} failed: ${failure.message}`);
    await cloud.clock.sleep(cloud.profile.steps.imagePendingToAvailable);
    const cur = imagesTable(cloud.store).get(region, imageId);
    if (cur && cur.State === 'pending')
      imagesTable(cloud.store).put(region, imageId, {
        ...cur,
        State: failure ? 'failed' : 'available',
        ...(failure && {
          StateReason: { Code: 'Server.InternalError', Message: 'Server.InternalError: the copy of the root volume failed' },
        }),
      });
  };
  const copied = (live: boolean) =>
    copy(live).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
  const wasRunning = r.State.Name === 'running';
  if (wasRunning && !input.NoReboot) {
    void serially(cloud, r.InstanceId, async () => {
      rt.appendConsole(r.InstanceId, `[halo] create-image ${imageId}: stopping the instance's processes for a consistent copy`);
      await rt.halt(r.InstanceId, 5000);
      const failure = await copied(false);
      // It boots again as after a reboot (pending, then running).
      if (getInstance(cloud, region, r.InstanceId)?.State.Name === 'running') setState(cloud, region, r.InstanceId, 'pending', ['running']);
      void finish(failure);
    }).then(() => boot(cloud, region, r.InstanceId));
  } else {
    void copied(wasRunning).then(finish);
  }
  return { ImageId: imageId };
}

export function describeImages(
  input: {
    ImageIds?: string[];
    Owners?: string[];
    ExecutableUsers?: string[];
    Filters?: Filter[];
    IncludeDeprecated?: boolean;
  } & Ec2PageInput,
  ctx: RequestContext,
) {
  const own = imagesTable(ctx.cloud.store)
    .list(ctx.region)
    .filter((i) => i.State !== 'deregistered');
  let all = [defaultImage(ctx), ...own];
  for (const id of input.ImageIds ?? []) {
    if (!AMI_ID.test(id)) throw ec2Errors.imageIdMalformed(id);
    if (!all.some((i) => i.ImageId === id)) throw ec2Errors.imageIdNotFound(id);
  }
  if (input.ImageIds?.length) all = all.filter((i) => input.ImageIds?.includes(i.ImageId));
  if (input.Owners?.length) {
    all = all.filter((i) =>
      input.Owners?.some(
        (o) => (o === 'self' && i.ImageId !== DEFAULT_IMAGE_ID) || o === i.OwnerId || (o === 'amazon' && i.ImageId === DEFAULT_IMAGE_ID),
      ),
    );
  }
  all = applyFilters(
    all,
    input.Filters,
    {
      'image-id': (i) => i.ImageId,
      name: (i) => i.Name,
      state: (i) => i.State,
      'owner-id': (i) => i.OwnerId,
      description: (i) => i.Description,
      architecture: () => 'x86_64',
      'root-device-type': () => 'ebs',
      'virtualization-type': () => 'hvm',
      'image-type': () => 'machine',
      'is-public': (i) => String(i.ImageId === DEFAULT_IMAGE_ID),
    },
    (i) => i.Tags,
  );
  const page = ec2Page(all, input, 'ImageIds');
  return { Images: page.items.map(describeImage), NextToken: page.NextToken };
}

export function deregisterImage(input: { ImageId: string }, ctx: RequestContext) {
  if (!AMI_ID.test(input.ImageId)) throw ec2Errors.imageIdMalformed(input.ImageId);
  const image = imagesTable(ctx.cloud.store).get(ctx.region, input.ImageId);
  if (!image || image.State === 'deregistered') {
    throw ec2Errors.imageIdNotFound(input.ImageId);
  }
  imagesTable(ctx.cloud.store).delete(ctx.region, input.ImageId);
  // Instances still booting from its layers keep them; the files go once no live instance uses the image.
  const inUse = instancesTable(ctx.cloud.store)
    .list(ctx.region)
    .some((i) => i.ResolvedImageId === image.ImageId && i.State.Name !== 'terminated');
  if (!inUse && image.OwnLayer) rmSync(image.OwnLayer, { recursive: true, force: true });
  return { Return: true };
}

/** AMI names as EC2 accepts them (for registerBuiltImage). */
const AMI_NAME = /^[a-zA-Z0-9()[\] ./\-'@_]{3,128}$/;
const AMI_NAME_RULE = 'AMI names must be between 3 and 128 characters long, and may contain letters, numbers, ( ) . - / and _';

/**
 * RegisterImage for `halo image build` (through the control socket): `dir` is an image cache entry (a layer of
 * packages on the default image, or a whole root filesystem), registered as an available AMI of this account named
 * `name` with the entry's layers. The cache entry is shared: deregistering the AMI does not delete it. As EC2 does
 * for RegisterImage and CreateImage, a name already used by an image of the region is refused
 * (InvalidAMIName.Duplicate), also when that image has the very same layers.
 */
export function registerBuiltImage(cloud: RequestContext['cloud'], name: string, dir: string, region = DEFAULT_REGION): string {
  if (!AMI_NAME.test(name)) throw new Error(`InvalidAMIName.Malformed: ${AMI_NAME_RULE} (got '${name}')`);
  if (!path.isAbsolute(dir) || !existsSync(dir)) throw new Error(`no built image at ${dir}`);
  // A whole root filesystem given directly (as before layers) is read from its cache entry.
  const image = readBuiltImage(dir) ?? (path.basename(dir) === 'rootfs' ? readBuiltImage(path.dirname(dir)) : undefined);
  if (!image)
    throw new Error(`${dir} is not a complete image of the image cache (no 'ready' marker, or its base image is gone): build it again`);
  const missing = image.layers.filter((l) => !existsSync(l));
  if (missing.length) throw new Error(`the image's layers are missing: ${missing.join(', ')}`);
  if (name === DEFAULT_IMAGE_NAME)
    throw new Error(
      `InvalidAMIName.Duplicate: AMI name ${name} is already in use by AMI ${DEFAULT_IMAGE_ID} (halo's default image); choose another --name`,
    );
  const taken = imagesTable(cloud.store)
    .list(region)
    .find((i) => i.Name === name && i.State !== 'deregistered');
  if (taken) {
    const same = taken.Layers.length === image.layers.length && taken.Layers.every((l, k) => l === image.layers[k]);
    throw new Error(
      `InvalidAMIName.Duplicate: AMI name ${name} is already in use by AMI ${taken.ImageId}` +
        (same ? ` (built from these same packages: launch ${taken.ImageId} as it is)` : '') +
        `; choose another --name, or deregister it first (aws ec2 deregister-image --image-id ${taken.ImageId})`,
    );
  }
  const imageId = newId('ami');
  const what =
    image.layers.length > 1
      ? `Debian 12 minbase (halo's default image) + ${image.packages.join(', ')}`
      : `Debian 12 minbase with ${image.packages.join(', ')}`;
  imagesTable(cloud.store).put(region, imageId, {
    ImageId: imageId,
    Name: name,
    Description: `halo image build: ${what}`,
    OwnerId: cloud.accountId,
    State: 'available',
    CreationDate: new Date(cloud.clock.now()).toISOString(),
    Layers: image.layers,
    SnapshotId: newId('snap'),
    Tags: [],
  });
  return imageId;
}
