import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { bindDisk, stage1Disks } from '../src/runtime/volumes.js';

const ROOT = process.getuid?.() === 0;

function ok(cmd: string, args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * The first stage finds the volume of an fstab line's UUID= among the instance's loop devices (volumes.ts
 * stage1Disks) by probing each device: blkid's cache keeps a loop device's old file system for minutes after the
 * device was reused for another volume (CI once booted an instance whose restored volume stayed unmounted so).
 */
describe('data volumes: an fstab UUID= finds its loop device', { skip: ROOT ? false : 'needs root: loop devices' }, () => {
  it('even when blkid has cached another file system for that device', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'halo-uuid-'));
    const [old, img] = [path.join(dir, 'old.img'), path.join(dir, 'disk.img')];
    const cache = { BLKID_FILE: path.join(dir, 'blkid.tab') };
    let loop = '';
    try {
      for (const [file, uuid] of [
        [old, '11111111-2222-4333-8444-555555555555'],
        [img, '66666666-7777-4888-9999-000000000000'],
      ]) {
        ok('truncate', ['-s', '16M', file]);
        ok('mkfs.ext4', ['-q', '-U', uuid, file], cache);
      }
      // A loop device read by blkid with one file system, then detached and attached to another, as a loop number
      // freed by one volume and taken by the next (another test may take the number in between: then again).
      for (let attempt = 0; attempt < 20 && !loop; attempt++) {
        const used = ok('losetup', ['--find', '--show', old]);
        assert.equal(ok('blkid', ['-o', 'value', '-s', 'UUID', used], cache), '11111111-2222-4333-8444-555555555555');
        ok('losetup', ['-d', used]);
        if (spawnSync('losetup', [used, img]).status === 0) loop = used;
      }
      assert.ok(loop, 'no loop device could be reused');
      assert.equal(
        ok('blkid', ['-o', 'value', '-s', 'UUID', loop], cache),
        '11111111-2222-4333-8444-555555555555',
        "blkid's cache still names the old file system",
      );
      // The loop device is attached already: bindDisk finds it (loopsOf) and gives its numbers and names.
      const disk = await bindDisk({ volumeId: 'vol-0123456789abcdef0', device: '/dev/sdf', file: img });
      assert.equal(disk.loop, loop);
      const root = path.join(dir, 'root');
      mkdirSync(path.join(root, 'dev'), { recursive: true });
      const script = path.join(dir, 'disks.sh');
      writeFileSync(script, `${stage1Disks([disk])}halo_loop_of UUID=66666666-7777-4888-9999-000000000000\n`);
      assert.equal(ok('/bin/sh', ['-e', script], { ...cache, R: root }), loop);
    } finally {
      if (loop) spawnSync('losetup', ['-d', loop]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
