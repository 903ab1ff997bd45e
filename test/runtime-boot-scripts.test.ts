import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureImage } from '../src/runtime/images.js';
import { TestCloud } from './support/cloud.js';
import { waitFor } from './support/wait.js';
import { disposeAndCheckHost } from './support/host.js';

/**
 * The instance's init as cloud-init behaves: the executable scripts of /var/lib/cloud/scripts/per-boot run at every
 * boot (how a rebooted or recovered server starts its services again), and user data runs once per instance (an
 * instance of an image made from another's disk runs its own user data). Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

describe('per-boot scripts and user data once per instance', { skip: ROOT ? false : 'needs root: instances run in namespaces' }, () => {
  let cloud: TestCloud;
  let subnet: string;
  const aws = (...args: string[]) => {
    const r = cloud.aws(...args);
    assert.equal(r.status, 0, r.stderr || r.stdout);
    return r.json;
  };
  const consoleOf = (id: string): string => aws('ec2', 'get-console-output', '--instance-id', id).Output ?? '';
  const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'g')) ?? []).length;

  before(async () => {
    await ensureImage(process.env.HALO_IMAGE_CACHE as string);
    cloud = await TestCloud.start({ timeScale: 60, profile: 'instant' });
    const vpc = aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16').Vpc.VpcId;
    subnet = aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.1.0/24', '--availability-zone', 'us-east-1a').Subnet
      .SubnetId;
  });
  after(async () => {
    if (cloud) await disposeAndCheckHost(cloud);
  });

  it('a per-boot script runs again after a reboot; the user data does not, but does on an instance of the image', async () => {
    const file = path.join(cloud.home, 'ud.sh');
    writeFileSync(
      file,
      [
        '#!/bin/bash',
        'echo "user data ran"',
        'install -d /var/lib/cloud/scripts/per-boot',
        'printf \'#!/bin/sh\\necho "per-boot ran"\\n\' > /var/lib/cloud/scripts/per-boot/hello.sh',
        'chmod 0755 /var/lib/cloud/scripts/per-boot/hello.sh',
        'printf \'#!/bin/sh\\necho "not executable ran"\\n\' > /var/lib/cloud/scripts/per-boot/plain.sh',
        'sync',
        '',
      ].join('\n'),
    );
    const id = aws(
      'ec2',
      'run-instances',
      '--image-id',
      'ami-1ecae776',
      '--instance-type',
      't2.micro',
      '--subnet-id',
      subnet,
      '--user-data',
      `file://${file}`,
    ).Instances[0].InstanceId as string;
    await waitFor('the user data', () => (/user data exited with status 0/.test(consoleOf(id)) ? true : undefined), 120_000);
    assert.equal(count(consoleOf(id), /per-boot ran/), 0, 'the first boot had no per-boot script yet');

    aws('ec2', 'reboot-instances', '--instance-ids', id);
    const rebooted = await waitFor(
      'the per-boot script after the reboot',
      () => {
        const t = consoleOf(id);
        return /per-boot script \S+hello\.sh exited with status 0/.test(t) ? t : undefined;
      },
      120_000,
    );
    assert.equal(count(rebooted, /per-boot ran/), 1);
    assert.equal(count(rebooted, /user data ran/), 1, 'user data runs once per instance');
    assert.equal(count(rebooted, /not executable ran/), 0, 'only executable scripts run');

    const image = aws('ec2', 'create-image', '--instance-id', id, '--name', 'with-per-boot', '--no-reboot').ImageId as string;
    await waitFor(
      'the image',
      () => (aws('ec2', 'describe-images', '--image-ids', image).Images[0].State === 'available' ? true : undefined),
      120_000,
    );
    const copy = aws(
      'ec2',
      'run-instances',
      '--image-id',
      image,
      '--instance-type',
      't2.micro',
      '--subnet-id',
      subnet,
      '--user-data',
      `file://${file}`,
    ).Instances[0].InstanceId as string;
    const fresh = await waitFor(
      "the new instance's user data",
      () => {
        const t = consoleOf(copy);
        return /user data exited with status 0/.test(t) ? t : undefined;
      },
      120_000,
    );
    assert.equal(count(fresh, /user data ran/), 1, 'a new instance of the image runs its user data');
    assert.equal(count(fresh, /per-boot ran/), 1, 'and the per-boot script of the image, before it');
    assert.ok(fresh.indexOf('per-boot ran') < fresh.indexOf('user data ran'));
    aws('ec2', 'terminate-instances', '--instance-ids', id, copy);
  });
});
