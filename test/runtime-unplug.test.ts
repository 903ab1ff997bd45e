import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanHostByTag, footprint, isClean } from '../src/runtime/cleanup.js';
import { cloudTag, instanceLink, names, slotNet } from '../src/runtime/names.js';
import { createVpcNet, plugInstance, unplugInstance, type VpcNet } from '../src/runtime/network.js';

/**
 * Unplugging an instance whose VPC-side link is already gone (the kernel removes a veth pair with the instance's
 * namespace, on its own time, so the link is often gone when its `link del` runs) touches nothing else of the VPC.
 * iproute2 reads a name it cannot find that looks like `if<n>` as interface index n: a link named after an id whose
 * tail begins with f and a digit once removed the VPC's uplink (index 2) or another instance's link, and with them
 * every public and Elastic IP of the VPC. Checked with real packets through both links. Needs root.
 */
const ROOT = process.getuid?.() === 0;

/** An instance id whose last 13 characters begin with f and the index: its link, named `i` + them, read as `if<index>`. */
const idNamingIndex = (index: number) => `i-0000${`f${index}`.padEnd(13, 'a')}`;

describe('runtime: unplugging a gone instance', { skip: ROOT ? false : 'needs root: network namespaces' }, () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'halo-unplug-'));
  const tag = cloudTag(home);
  const n = names(tag);
  const kept = 'i-0000000000000000e';
  let vpc: VpcNet;

  const ifindex = (link: string) =>
    Number(/^(\d+):/.exec(spawnSync('ip', ['-n', vpc.ns, '-o', 'link', 'show', link], { encoding: 'utf8' }).stdout)?.[1]);
  /** A TCP connection attempt from a namespace (the host's without one): answered (accepted or refused) or not. */
  const answers = (ns: string | undefined, ip: string) =>
    spawnSync(
      ns ? 'ip' : process.execPath,
      [
        ...(ns ? ['netns', 'exec', ns, process.execPath] : []),
        '-e',
        `const s=require('net').connect(1,'${ip}');s.setTimeout(2000);s.on('connect',()=>process.exit(0));s.on('timeout',()=>process.exit(2));s.on('error',e=>process.exit(e.code==='ECONNREFUSED'?0:3));`,
      ],
      { timeout: 5000 },
    ).status === 0;
  const uplinkAnswers = () => answers(undefined, slotNet(vpc.slot).vpc);
  const instancePathAnswers = () => answers(n.instanceNs(kept), '10.0.1.1');

  before(async () => {
    await cleanHostByTag(tag);
    vpc = await createVpcNet(tag, 'vpc-0000000000000000e');
    await plugInstance(tag, vpc, { instanceId: kept, privateIp: '10.0.1.4', subnetCidr: '10.0.1.0/24', mac: '02:00:00:00:00:0e' });
  });

  after(async () => {
    await cleanHostByTag(tag);
    rmSync(home, { recursive: true, force: true });
    assert.ok(isClean(footprint(tag)), JSON.stringify(footprint(tag)));
  });

  it('leaves the uplink and the other instances linked, and their traffic flowing', async () => {
    assert.ok(uplinkAnswers(), 'the host reaches the VPC namespace through its uplink');
    assert.ok(instancePathAnswers(), 'the instance reaches its gateway through its link');
    const targets = [ifindex('up0'), ifindex(instanceLink(kept))];
    assert.ok(
      targets.every((i) => i > 1),
      `interface indexes ${targets.join(', ')}`,
    );
    for (const index of targets) await unplugInstance(tag, vpc, idNamingIndex(index));
    assert.ok(ifindex('up0') > 1, 'the uplink is still there');
    assert.ok(ifindex(instanceLink(kept)) > 1, "the other instance's link is still there");
    assert.ok(uplinkAnswers(), 'the host still reaches the VPC namespace');
    assert.ok(instancePathAnswers(), 'the other instance still reaches its gateway');
  });
});
