import type { Command } from 'commander';
import { haloHome } from '../daemon/home.js';
import { callControl } from '../runtime/control.js';
import {
  DEBIAN_PACKAGE,
  DEFAULT_PACKAGES,
  PackageInstallError,
  ensurePackageLayer,
  imageCacheDir,
  listBuiltImages,
} from '../runtime/images.js';
import { isRoot, runSync } from '../runtime/sh.js';
import { findRegion } from '../topology/regions.js';
import { CliError, runningDaemon } from './cloud.js';

/**
 * HALO_IMAGE_CACHE when set, else the cache the running daemon boots from (so that its default image is not built a
 * second time), else the home's own.
 */
function cacheFor(home: string): string {
  return process.env.HALO_IMAGE_CACHE ? imageCacheDir(home) : (runningDaemon(home)?.imageCache ?? imageCacheDir(home));
}

/** AMI names as EC2 accepts them (CreateImage/RegisterImage). */
const AMI_NAME = /^[a-zA-Z0-9()[\] ./\-'@_]{3,128}$/;

/**
 * `halo image build --name N --packages a,b`: builds (once per image cache) a layer with the packages on top of the
 * default image, then, when the cloud of this home runs, registers it as an AMI named N and prints its id.
 */
export async function imageBuild(flags: { name: string; packages?: string; region?: string }): Promise<void> {
  if (!AMI_NAME.test(flags.name)) {
    throw new CliError(`--name '${flags.name}': an AMI name has 3 to 128 characters: letters, digits, spaces and ( ) [ ] . / - ' @ _`);
  }
  const packages = (flags.packages ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (!packages.length)
    throw new CliError('--packages: name at least one Debian package to add to the default image, e.g. --packages jq,bc');
  const bad = packages.filter((p) => !DEBIAN_PACKAGE.test(p));
  if (bad.length) throw new CliError(`--packages: not Debian package names: ${bad.join(', ')} (lower-case letters, digits, + - .)`);
  if (!isRoot()) throw new CliError('building an image needs root (overlay mounts and a chroot): run it with sudo');
  const home = haloHome();
  const daemon = runningDaemon(home);
  const region = flags.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? daemon?.region;
  if (region && !findRegion(region)) throw new CliError(`--region ${region}: not a region of this cloud (see aws ec2 describe-regions)`);
  const cache = cacheFor(home);
  let image;
  try {
    image = await ensurePackageLayer(cache, packages, (line) => console.error(line));
  } catch (err) {
    if (err instanceof PackageInstallError)
      throw new CliError(
        `${err.message}\nnothing was added to the image cache ${cache}; check the package names (apt-cache search <word> on a Debian machine)`,
      );
    throw err;
  }
  console.error(
    `${image.reused ? 'reusing the cached' : 'built the'} layer ${image.layers[0]} (${image.versions.join(', ') || image.packages.join(', ')}) on ${image.layers.slice(1).join(', ')}`,
  );
  if (!daemon) {
    console.error(
      `the cloud of ${home} is not running: start it ('halo cloud start --detach') and run this command again to register the image as an AMI (the build is cached)`,
    );
    return;
  }
  const answer = await callControl(home, '/register-image', { name: flags.name, rootfs: image.dir, region });
  if (!answer.ok) {
    const dup = /InvalidAMIName\.Duplicate/.test(answer.message);
    throw new CliError(
      dup ? `the image is built but not registered: ${answer.message}` : `the image is built but the cloud refused it: ${answer.message}`,
    );
  }
  console.error(
    `registered as ${answer.message} (name '${flags.name}'); launch it: aws ec2 run-instances --image-id ${answer.message} ...`,
  );
  console.log(answer.message);
}

/** `halo image list`: the images of the image cache (the default image and the package layers on it). */
export function imageList(flags: { json?: boolean }): void {
  const cache = cacheFor(haloHome());
  const images = listBuiltImages(cache);
  if (flags.json) {
    console.log(
      JSON.stringify(
        images.map(({ key, layers, packages, versions, builtAt }) => ({ key, layers, packages, versions, builtAt })),
        null,
        2,
      ),
    );
    return;
  }
  if (!images.length) {
    console.log(`no image in ${cache} yet (the default image is built at the first instance or by 'halo image build')`);
    return;
  }
  console.log(`images in ${cache}:`);
  for (const i of images) {
    const layer = i.layers.length > 1;
    const size = runSync('du', ['-sh', i.layers[0]], { allowFail: true, timeoutMs: 60_000 }).stdout.split('\t')[0] || '?';
    const what = layer
      ? `+ ${i.packages.join(', ')} on ${i.layers
          .slice(1)
          .map((l) => l.split('/').slice(-2, -1)[0])
          .join(', ')}`
      : `whole root filesystem${sameSet(i.packages, DEFAULT_PACKAGES) ? ' (the default image)' : ''}`;
    console.log(`  ${i.key}  ${size}  built ${i.builtAt}  ${what}`);
  }
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('images (AMIs) of the local cloud');
  image
    .command('build')
    .description('add Debian packages to the default image as a new layer and register it as an AMI of the running cloud')
    .requiredOption('--name <name>', 'the AMI name')
    .requiredOption('--packages <list>', 'Debian packages, comma-separated')
    .option('--region <region>', "the region of the AMI (default: AWS_REGION, AWS_DEFAULT_REGION, else the cloud's region)")
    .action(imageBuild);
  image.command('list').description('the images built on this machine (the image cache)').option('--json', 'as JSON').action(imageList);
}
