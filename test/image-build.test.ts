import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureImage, layerKey } from '../src/runtime/images.js';
import { HALO_MAIN, TestCloud } from './support/cloud.js';
import { waitFor } from './support/wait.js';
import { disposeAndCheckHost, processesOf } from './support/host.js';

/**
 * `halo image build` end to end, as root: a layer with jq built on the default image by the real CLI, registered
 * with the running cloud, listed by the real aws CLI, and an instance of it that really runs jq (while one of the
 * default image has no jq). The default image is shared with the other tests (HALO_IMAGE_CACHE, default
 * /var/cache/halo-images); the layer is built from scratch on every run in a temporary image cache whose default
 * image entry is a link to the shared one, so the test does not depend on what an earlier run left in the cache.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';
const SHARED_CACHE = process.env.HALO_IMAGE_CACHE;

/** Lines of the host's mount table that name `needle`. */
function hostMounts(...needles: string[]): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter((l) => needles.some((n) => l.includes(n)));
}

/** The entries of a cache directory with the `ready` marker of each (what a build may change). */
function cacheState(cache: string): Record<string, string> {
  const state: Record<string, string> = {};
  for (const entry of readdirSync(cache).sort()) {
    const ready = path.join(cache, entry, 'ready');
    state[entry] = existsSync(ready) ? readFileSync(ready, 'utf8') : '(no ready marker)';
  }
  return state;
}

describe(
  'halo image build: a layer of Debian packages registered as an AMI',
  { skip: ROOT ? false : 'needs root: overlay mounts, chroot, namespaces' },
  () => {
    let cloud: TestCloud;
    let cache = '';
    let subnet = '';
    let defaultRootfs = '';
    let amiId = '';
    const ok = (r: { status: number; stderr: string; stdout: string; json?: any }) => {
      assert.equal(r.status, 0, r.stderr || r.stdout);
      return r;
    };
    const aws = (...args: string[]) => ok(cloud.aws(...args)).json;
    /** The real halo CLI with this cloud's home and the test's image cache. */
    const halo = (home: string, ...args: string[]) => {
      const r = spawnSync(process.execPath, [HALO_MAIN, ...args], {
        env: { ...cloud.env, HALO_HOME: home, HALO_IMAGE_CACHE: cache },
        encoding: 'utf8',
        timeout: 15 * 60_000,
      });
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    const consoleOf = (id: string): string => aws('ec2', 'get-console-output', '--instance-id', id).Output ?? '';
    const state = (id: string) => aws('ec2', 'describe-instances', '--instance-ids', id).Reservations[0].Instances[0].State.Name as string;

    before(async () => {
      defaultRootfs = await ensureImage(SHARED_CACHE);
      cache = mkdtempSync(path.join(os.tmpdir(), 'halo-image-cache-'));
      // The default image is shared (a link to its entry in the shared cache); the layer is built here.
      const baseEntry = path.basename(path.dirname(defaultRootfs));
      symlinkSync(path.dirname(defaultRootfs), path.join(cache, baseEntry));
      cloud = await TestCloud.start({ timeScale: 60, profile: 'instant' });
      const vpc = aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16').Vpc.VpcId;
      subnet = aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.1.0/24', '--availability-zone', 'us-east-1a').Subnet
        .SubnetId;
    });

    after(async () => {
      try {
        if (cloud) {
          const home = cloud.home;
          await disposeAndCheckHost(cloud);
          assert.deepEqual(hostMounts(home), [], 'mounts of the cloud are left on the host');
        }
        if (cache) {
          assert.deepEqual(processesOf(cache), [], 'processes of the image build are still running');
          assert.deepEqual(hostMounts(cache, 'halo-image-build', SHARED_CACHE), [], 'mounts of the build are left on the host');
        }
      } finally {
        if (cache) rmSync(cache, { recursive: true, force: true });
      }
    });

    it('builds a layer with jq on the default image and registers it: describe-images lists it', () => {
      assert.ok(!existsSync(path.join(defaultRootfs, 'usr/bin/jq')), 'the default image must not have jq for this test to mean anything');
      const r = halo(cloud.home, 'image', 'build', '--name', 'with-jq', '--packages', 'jq');
      assert.equal(r.status, 0, r.stderr);
      amiId = r.stdout.trim();
      assert.match(amiId, /^ami-[0-9a-f]{17}$/, r.stdout);
      assert.match(r.stderr, /built the layer/, 'a fresh cache builds the layer');
      assert.match(r.stderr, /jq 1\.6/, 'the installed version is reported');

      // The cache entry: the overlay upper directory with jq and its library, small, apt lists and downloads gone.
      const entry = path.join(cache, layerKey(['jq']));
      const layer = path.join(entry, 'layer');
      assert.ok(existsSync(path.join(layer, 'usr/bin/jq')), 'jq is in the layer');
      assert.ok(!existsSync(path.join(layer, 'usr/bin/curl')), 'the layer holds only what apt changed');
      assert.deepEqual(readdirSync(path.join(layer, 'var/lib/apt/lists')), [], 'apt lists are cleaned');
      assert.deepEqual(
        readdirSync(path.join(layer, 'var/cache/apt/archives')).filter((f) => f.endsWith('.deb')),
        [],
        'downloaded packages are cleaned',
      );
      const du = Number(spawnSync('du', ['-sk', layer], { encoding: 'utf8' }).stdout.split('\t')[0]);
      assert.ok(du > 0 && du < 20_000, `the layer is small (${du} KB)`);
      assert.deepEqual(JSON.parse(readFileSync(path.join(entry, 'image.json'), 'utf8')).packages, ['jq']);
      // Whiteouts of the upper directory are kept: the build removes dpkg's backup of its status file (which the
      // default image has), so the layer holds a whiteout (a 0:0 character device) there.
      const whiteout = statSync(path.join(layer, 'var/lib/dpkg/status-old'));
      assert.ok(whiteout.isCharacterDevice() && whiteout.rdev === 0, 'a whiteout is kept in the layer');
      assert.ok(existsSync(path.join(defaultRootfs, 'var/lib/dpkg/status-old')));
      assert.deepEqual(
        Object.keys(cacheState(cache)).filter((e) => /\.(lock|build-\d+)$/.test(e)),
        [],
        'no lock or build directory is left',
      );
      assert.deepEqual(hostMounts(cache, 'halo-image-build'), [], 'the build mounted nothing on the host');
      assert.ok(!existsSync(path.join(defaultRootfs, 'usr/bin/jq')), 'the default image is unchanged');

      const images = aws('ec2', 'describe-images', '--owners', 'self').Images as any[];
      const mine = images.find((i) => i.ImageId === amiId);
      assert.ok(mine, `describe-images --owners self lists ${amiId}: ${JSON.stringify(images)}`);
      assert.equal(mine.Name, 'with-jq');
      assert.equal(mine.State, 'available');
      assert.equal(mine.Architecture, 'x86_64');
      assert.equal(mine.ImageType, 'machine');
      assert.equal(mine.RootDeviceType, 'ebs');
      assert.match(mine.Description, /jq/);
      const byName = aws('ec2', 'describe-images', '--filters', 'Name=name,Values=with-jq').Images as any[];
      assert.deepEqual(
        byName.map((i) => i.ImageId),
        [amiId],
      );
    });

    it('an instance of the new image runs jq from its user data; an instance of the default image has no jq', async () => {
      const ud = path.join(cloud.home, 'jq.sh');
      writeFileSync(
        ud,
        '#!/bin/sh\necho "jq says: $(jq --version 2>&1)"\necho "jq sum: $(echo \'{"a":41}\' | jq .a+1 2>&1)"\necho "status-old: $(ls /var/lib/dpkg/status-old 2>&1)"\necho "jq done"\n',
      );
      const defaultImageId = (aws('ec2', 'describe-images', '--owners', 'amazon').Images as any[])[0].ImageId as string;
      const ids: Record<string, string> = {};
      for (const [key, image] of [
        ['layered', amiId],
        ['plain', defaultImageId],
      ]) {
        ids[key] = aws(
          'ec2',
          'run-instances',
          '--image-id',
          image,
          '--instance-type',
          't3.micro',
          '--subnet-id',
          subnet,
          '--user-data',
          `file://${ud}`,
        ).Instances[0].InstanceId;
      }
      const layered = await waitFor(
        'the user data of the instance with jq',
        () => (consoleOf(ids.layered).includes('jq done') ? consoleOf(ids.layered) : undefined),
        120_000,
      );
      const plain = await waitFor(
        'the user data of the default instance',
        () => (consoleOf(ids.plain).includes('jq done') ? consoleOf(ids.plain) : undefined),
        120_000,
      );
      assert.match(layered, /jq says: jq-1\.6/, layered);
      assert.match(layered, /jq sum: 42/, layered);
      assert.doesNotMatch(plain, /jq says: jq-/, plain);
      assert.match(plain, /jq says: .*not found/, plain);
      // The layer's whiteout hides the default image's file in the instance.
      assert.match(layered, /status-old: ls: cannot access '\/var\/lib\/dpkg\/status-old': No such file/, layered);
      assert.match(plain, /status-old: \/var\/lib\/dpkg\/status-old\n/, plain);
      aws('ec2', 'terminate-instances', '--instance-ids', ids.layered, ids.plain);
      for (const id of Object.values(ids)) await waitFor(`${id} terminated`, () => (state(id) === 'terminated' ? true : undefined), 60_000);
    });

    it('builds again from the cache; the same name is refused as a duplicate (as EC2 does), another name registers', () => {
      const before = cacheState(cache);
      const again = halo(cloud.home, 'image', 'build', '--name', 'with-jq', '--packages', 'jq');
      assert.notEqual(again.status, 0, 'a duplicate name must fail');
      assert.match(again.stderr, /reusing the cached layer/);
      assert.match(again.stderr, /InvalidAMIName\.Duplicate/);
      assert.match(again.stderr, new RegExp(`in use by AMI ${amiId}`));
      assert.match(again.stderr, /deregister-image --image-id/, 'the error says what to do');
      assert.deepEqual(cacheState(cache), before, 'the cached layer was reused, not rebuilt');

      const other = halo(cloud.home, 'image', 'build', '--name', 'jq tools (2)', '--packages', 'jq');
      assert.equal(other.status, 0, other.stderr);
      const otherId = other.stdout.trim();
      assert.match(otherId, /^ami-[0-9a-f]{17}$/);
      assert.notEqual(otherId, amiId);
      assert.deepEqual(cacheState(cache), before);
      const names = (aws('ec2', 'describe-images', '--owners', 'self').Images as any[]).map((i) => i.Name).sort();
      assert.deepEqual(names, ['jq tools (2)', 'with-jq']);
      // Deregistering an AMI of a build keeps the shared cache entry.
      aws('ec2', 'deregister-image', '--image-id', otherId);
      assert.ok(existsSync(path.join(cache, layerKey(['jq']), 'layer/usr/bin/jq')));
      assert.deepEqual(
        (aws('ec2', 'describe-images', '--owners', 'self').Images as any[]).map((i) => i.ImageId),
        [amiId],
      );
      // Its name is free again.
      const renamed = halo(cloud.home, 'image', 'build', '--name', 'jq tools (2)', '--packages', 'jq');
      assert.equal(renamed.status, 0, renamed.stderr);
      assert.notEqual(renamed.stdout.trim(), otherId);
      aws('ec2', 'deregister-image', '--image-id', renamed.stdout.trim());
      // The name is taken per region: --region registers the same build, under the same name, in another one.
      const west = halo(cloud.home, 'image', 'build', '--name', 'with-jq', '--packages', 'jq', '--region', 'eu-west-1');
      assert.equal(west.status, 0, west.stderr);
      assert.deepEqual(
        (aws('ec2', 'describe-images', '--owners', 'self', '--region', 'eu-west-1').Images as any[]).map((i) => [i.ImageId, i.Name]),
        [[west.stdout.trim(), 'with-jq']],
      );
      aws('ec2', 'deregister-image', '--image-id', west.stdout.trim(), '--region', 'eu-west-1');
      const nowhere = halo(cloud.home, 'image', 'build', '--name', 'with-jq', '--packages', 'jq', '--region', 'xx-nowhere-1');
      assert.notEqual(nowhere.status, 0);
      assert.match(nowhere.stderr, /not a region of this cloud/);
    });

    it('a package apt cannot find, or a malformed name, is a clear CLI error and leaves the cache as it was', () => {
      const before = cacheState(cache);
      const missing = halo(cloud.home, 'image', 'build', '--name', 'broken', '--packages', 'jq,halo-no-such-package');
      assert.equal(missing.status, 1, missing.stderr);
      assert.match(missing.stderr, /apt-get could not install .*Unable to locate package halo-no-such-package/);
      assert.match(missing.stderr, /nothing was added to the image cache/);
      assert.deepEqual(cacheState(cache), before, 'no entry, lock or build directory is left');
      assert.deepEqual(hostMounts(cache, 'halo-image-build'), [], 'the failed build mounted nothing on the host');
      assert.deepEqual(processesOf(cache), [], 'the failed build left no process');

      const malformed = halo(cloud.home, 'image', 'build', '--name', 'broken', '--packages', 'Not_A_Package');
      assert.equal(malformed.status, 1);
      assert.match(malformed.stderr, /not Debian package names: Not_A_Package/);
      const badName = halo(cloud.home, 'image', 'build', '--name', 'x', '--packages', 'jq');
      assert.equal(badName.status, 1);
      assert.match(badName.stderr, /--name 'x'/);
      assert.deepEqual(cacheState(cache), before);
      assert.deepEqual(
        (aws('ec2', 'describe-images', '--owners', 'self').Images as any[]).map((i) => i.Name),
        ['with-jq'],
        'nothing was registered',
      );
    });

    it('without a running cloud, builds (here: from the cache) and says how to register; halo image list shows the layer', () => {
      const idle = mkdtempSync(path.join(os.tmpdir(), 'halo-idle-home-'));
      try {
        const r = halo(idle, 'image', 'build', '--name', 'with-jq', '--packages', 'jq');
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), '', 'no AMI id without a cloud');
        assert.match(r.stderr, /not running: start it .* run this command again to register/);
        const list = halo(idle, 'image', 'list', '--json');
        assert.equal(list.status, 0, list.stderr);
        const rows = JSON.parse(list.stdout) as Array<{ key: string; packages: string[]; layers: string[] }>;
        const row = rows.find((x) => x.key === layerKey(['jq']));
        assert.ok(row, list.stdout);
        assert.deepEqual(row.packages, ['jq']);
        assert.equal(row.layers.length, 2);
        assert.equal(
          path.basename(path.dirname(row.layers[1])),
          path.basename(path.dirname(defaultRootfs)),
          'the layer sits on the default image',
        );
      } finally {
        rmSync(idle, { recursive: true, force: true });
      }
    });
  },
);
