import type { Command } from 'commander';
import { haloHome } from '../daemon/home.js';
import { callControl } from '../runtime/control.js';
import { DEFAULT_PACKAGES, ensureImage, imageCacheDir } from '../runtime/images.js';
import { isRoot } from '../runtime/sh.js';
import { CliError, runningDaemon } from './cloud.js';

/**
 * `halo image build [--name N] [--packages a,b]`: builds (once, cached) a Debian image with the default packages and
 * the extra ones; when the cloud of this home runs, registers it as an AMI and prints its id.
 */
export async function imageBuild(flags: { name: string; packages?: string }): Promise<void> {
  if (!isRoot()) throw new CliError('building an image needs root (debootstrap)');
  if (!/^[a-z0-9][a-z0-9.-]{0,40}$/.test(flags.name)) throw new CliError('--name: lower-case letters, digits, dots and dashes (at most 41)');
  const extra = (flags.packages ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  for (const p of extra) if (!/^[a-z0-9][a-z0-9+.-]+$/.test(p)) throw new CliError(`not a Debian package name: ${p}`);
  const home = haloHome();
  const rootfs = await ensureImage(imageCacheDir(home), flags.name, extra, (line) => console.error(line));
  console.error(`image root filesystem: ${rootfs} (packages: ${[...DEFAULT_PACKAGES, ...extra].join(', ')})`);
  if (!runningDaemon(home)) {
    console.error("the cloud is not running: start it and run this again to register the image as an AMI");
    return;
  }
  const answer = await callControl(home, '/register-image', { name: flags.name, rootfs });
  if (!answer.ok) throw new CliError(answer.message);
  console.log(answer.message);
}

export function registerImageCommands(program: Command): void {
  program.command('image').description('images (AMIs) of the local cloud')
    .command('build')
    .description('build a Debian 12 image with extra packages and register it as an AMI of the running cloud')
    .option('--name <name>', 'image name', 'custom')
    .option('--packages <list>', 'extra Debian packages, comma-separated')
    .action(imageBuild);
}
