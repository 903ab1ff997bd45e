import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureImage } from '../src/runtime/images.js';
import { fileSystemDir } from '../src/runtime/efs-server.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost, processList } from './support/host.js';
import { inInstance } from './support/instance-shell.js';
import { consoleOf, efsClientInstance, INSTALL_NFS4_MODULE, oneZoneEfsTemplate } from './support/efs-stack.js';
import { waitFor } from './support/wait.js';
import { cfn, settle } from './templates/support.js';

const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

/**
 * A program inside the instance that speaks NFSv4 to the mount target itself (the project's XDR module, the
 * instance's python3), claiming whatever uid it likes: `create DIR NAME UID` prints `ok UID:GID` (the new file's
 * owner as stored) or the errno's name; `lookup PATH` prints `ok` or the errno's name; `up PATH NAME` looks PATH up,
 * then its parent (LOOKUPP), then NAME there.
 */
const RAW_CLIENT = `import errno, sys
sys.path.insert(0, "/root")
from efs_nfs4 import Creator, Reader, Rpc, compound, nfs4_errno, putpath, xdr_opaque, xdr_u32
server, op = sys.argv[1:3]
rpc = Rpc(server)
def status(ops, n):
    code = nfs4_errno(Reader(rpc.call(0, 0, compound(ops, n))).results(n))
    return errno.errorcode[-code] if code else "ok"
if op == "create":
    parent, name, uid = sys.argv[3:6]
    made = Creator(rpc).create(parent.encode(), name.encode(), int(uid), int(uid), 0o644, False, 2)
    print(errno.errorcode[-made] if isinstance(made, int) else "ok %d:%d" % (made[4].uid, made[4].gid))
elif op == "lookup":
    print(status(*putpath(sys.argv[3].encode())))
elif op == "up":
    ops, n = putpath(sys.argv[3].encode())
    print(status(ops, n), status(ops + xdr_u32(16) + xdr_u32(15) + xdr_opaque(sys.argv[4].encode()), n + 2))
`;

function template() {
  return oneZoneEfsTemplate('10.62', {}, { Client: efsClientInstance() }, { Client: { Value: { Ref: 'Client' } } });
}

/**
 * Access points enforced by the mount target's NFS server, as EFS enforces them: each is an export of its own whose
 * path is its root directory and whose every request runs as its POSIX user, whatever the client claims; a program
 * in the instance that speaks NFS itself is held to it as halo's client is. Needs root.
 */
describe('EFS access points enforced by the NFS server', { skip: ROOT ? false : 'needs root: namespaces, nftables, FUSE' }, () => {
  let cloud: TestCloud;
  let out: Record<string, string> = {};
  let ap = '';
  const PATH = 'export PATH=/run/halo/bin:/usr/sbin:/usr/bin:/sbin:/bin;';
  const sh = (cmd: string) => inInstance(out.Client, `${PATH} ${cmd}`);
  const ok = (cmd: string) => {
    const r = sh(cmd);
    assert.equal(r.status, 0, `${cmd}: ${r.stdout}${r.stderr}`);
    return r.stdout.trim();
  };
  const refused = (cmd: string) => {
    const r = sh(cmd);
    assert.notEqual(r.status, 0, `${cmd} should fail: ${r.stdout}`);
    return r.stderr.trim();
  };
  const raw = (...args: string[]) => ok(`python3 /root/nfs-raw.py ${out.TargetIp} ${args.join(' ')}`);
  const efsMount = (opts: string, dir: string) => `mkdir -p ${dir} && mount -t efs -o ${opts} ${out.FileSystem}:/ ${dir}`;
  const createAccessPoint = (...args: string[]) =>
    cloud.awsOk('efs', 'create-access-point', '--file-system-id', out.FileSystem, ...args).AccessPointId as string;
  const readConsole = (id: string) => consoleOf(cloud.home, id);

  before(async () => {
    await ensureImage(process.env.HALO_IMAGE_CACHE as string);
    cloud = await TestCloud.start({ timeScale: 60, profile: 'fast' });
    cloud.awsOk('cloudformation', 'create-stack', '--stack-name', 'efs-ap', '--template-body', template());
    const stack = await settle(cfn(cloud), 'efs-ap');
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
    out = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    await waitFor(`boot of ${out.Client}`, () => (/boot finished/.test(readConsole(out.Client)) ? true : undefined), 120_000);
    ok(INSTALL_NFS4_MODULE);
    ok(`echo ${Buffer.from(RAW_CLIENT).toString('base64')} | base64 -d > /root/nfs-raw.py`);
    // The file system as its owner left it: a secret at the top, an application directory with a sibling file.
    ok(efsMount('tls', '/mnt/fs'));
    ok('echo top secret > /mnt/fs/secret && mkdir -p /mnt/fs/app && echo beside > /mnt/fs/app/sibling.txt');
  });
  after(async () => {
    if (cloud) await disposeAndCheckHost(cloud);
  });

  it('mount -t efs -o tls,accesspoint=…: only the root directory (made with its creation info), files owned by the POSIX user', () => {
    assert.match(
      refused(efsMount('accesspoint=fsap-0123456789abcdef0', '/mnt/ap')),
      /The "tls" option is required when mounting via "accesspoint"/,
    );
    assert.match(refused(efsMount('tls,accesspoint=fsap-12ab', '/mnt/ap')), /Access Point ID fsap-12ab is malformed/);
    ap = createAccessPoint(
      '--posix-user',
      'Uid=1000,Gid=1001',
      '--root-directory',
      'Path=/app/data,CreationInfo={OwnerUid=1000,OwnerGid=1001,Permissions=755}',
    );
    ok(efsMount(`tls,accesspoint=${ap}`, '/mnt/ap'));
    assert.equal(ok('stat -c %u:%g:%a /mnt/ap'), '1000:1001:755', 'made with its creation info at the first mount');
    assert.equal(ok('ls -A /mnt/ap'), '', 'only the root directory: nothing of the file system above it');
    // The client asks the server for the access point's export, and claims no POSIX user of its own: the server enforces it.
    const client = processList(' --target /mnt/ap ').find((p) => p.cmd.includes(`/clients/${out.Client}`));
    assert.match(client?.cmd ?? '', new RegExp(` --root /${ap}/? `), 'the client mounts the export of the access point');
    assert.doesNotMatch(client?.cmd ?? '', / --uid /);
    ok('echo by root > /mnt/ap/by-root && mkdir /mnt/ap/dir');
    assert.equal(ok('stat -c %u:%g /mnt/ap/by-root /mnt/ap/dir'), '1000:1001\n1000:1001', "the instance's root writes as the POSIX user");
    assert.equal(ok('stat -c %u:%g /mnt/fs/app/data/by-root'), '1000:1001', 'stored so: seen through the file system too');
    sh('chown 0:0 /mnt/ap/by-root');
    assert.equal(ok('stat -c %u:%g /mnt/ap/by-root'), '1000:1001', "a chown by the POSIX user cannot make a file root's");
    assert.equal(readFileSync(path.join(fileSystemDir(cloud.home, out.FileSystem), 'app', 'data', 'by-root'), 'utf8'), 'by root\n');
    ok('umount /mnt/ap');
  });

  it('a program speaking NFS itself through the access point is held to its root directory and its POSIX user', () => {
    assert.equal(raw('lookup', `/${out.FileSystem}/app/sibling.txt`), 'ok', 'the file system export names everything');
    assert.equal(raw('create', `/${ap}`, 'raw-root', '0'), 'ok 1000:1001', 'claiming uid 0, stored as the POSIX user');
    assert.equal(raw('create', `/${ap}/dir`, 'raw-other', '4242'), 'ok 1000:1001', 'any uid claimed is the POSIX user');
    assert.equal(ok('stat -c %u:%g /mnt/fs/app/data/raw-root'), '1000:1001');
    assert.equal(raw('lookup', `/${ap}/by-root`), 'ok');
    assert.equal(raw('up', `/${ap}`, 'sibling.txt'), 'ok ENOENT', "the root directory's parent is not reachable through it");
    assert.equal(raw('up', `/${ap}`, 'secret'), 'ok ENOENT');
    assert.equal(raw('lookup', `/${ap}/../secret`).startsWith('ok'), false);
  });

  it('the file system policy and the access point combine: a policy that allows clients only through the access point', async () => {
    const apArn = cloud.awsOk('efs', 'describe-access-points', '--access-point-id', ap).AccessPoints[0].AccessPointArn;
    ok('umount /mnt/fs');
    cloud.awsOk(
      'efs',
      'put-file-system-policy',
      '--file-system-id',
      out.FileSystem,
      '--policy',
      doc({
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        Resource: out.FileSystemArn,
        Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': apArn } },
      }),
    );
    // The servers apply a new policy once they reread their exports (AWS: it can take minutes).
    await waitFor('the policy on the server', () => (raw('lookup', `/${out.FileSystem}/app`) === 'ok' ? undefined : true), 20_000);
    assert.match(raw('create', `/${out.FileSystem}/app`, 'raw-outside', '0'), /^E/, 'the file system export: no ClientMount');
    assert.equal(raw('create', `/${ap}`, 'raw-inside', '0'), 'ok 1000:1001', 'through the access point: allowed');
    assert.match(refused(efsMount('tls', '/mnt/fs')), /access denied by server while mounting 127\.0\.0\.1:\//);
    ok(efsMount(`tls,accesspoint=${ap}`, '/mnt/ap'));
    ok('echo inside > /mnt/ap/mounted');
    assert.equal(ok('stat -c %u:%g /mnt/ap/mounted'), '1000:1001');
    ok('umount /mnt/ap');
    cloud.awsOk('efs', 'delete-file-system-policy', '--file-system-id', out.FileSystem);
    ok(efsMount('tls', '/mnt/fs'));
  });

  it('no creation info and no root directory: the mount fails until the directory is there; a deleted access point is no export', async () => {
    const bare = createAccessPoint('--root-directory', 'Path=/later');
    assert.match(refused(efsMount(`tls,accesspoint=${bare}`, '/mnt/bare')), /access denied by server while mounting 127\.0\.0\.1:\/$/m);
    assert.equal(raw('lookup', `/${bare}`), 'ENOENT');
    ok('mkdir /mnt/fs/later && echo here > /mnt/fs/later/f');
    ok(efsMount(`tls,accesspoint=${bare}`, '/mnt/bare'));
    assert.equal(ok('cat /mnt/bare/f'), 'here');
    ok('umount /mnt/bare');

    cloud.awsOk('efs', 'delete-access-point', '--access-point-id', ap);
    assert.equal(
      await waitFor('the export gone', () => (raw('lookup', `/${ap}`) === 'ok' ? undefined : raw('lookup', `/${ap}`)), 20_000),
      'ENOENT',
      "the server's export went with the access point",
    );
    assert.match(refused(efsMount(`tls,accesspoint=${ap}`, '/mnt/ap')), /access denied by server while mounting 127\.0\.0\.1:\/$/m);
    assert.equal(ok('cat /mnt/fs/app/data/mounted'), 'inside', 'the data stays in the file system');
    ok('umount /mnt/fs');
  });
});
