import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportBlocks, unionOf } from '../src/runtime/efs-exports.js';

/** How EFS's grants become nfs-ganesha's export rules (the root test efs-policies proves the server holds clients to them). */
describe('EFS grants as NFS server export rules', () => {
  it('several mounts of one address get the union of their grants; write and root count only with mount', () => {
    assert.deepEqual(
      unionOf([
        { mount: true, write: false, root: false },
        { mount: true, write: true, root: false },
      ]),
      { mount: true, write: true, root: false },
    );
    assert.deepEqual(unionOf([{ mount: false, write: true, root: true }]), { mount: false, write: false, root: false });
    assert.deepEqual(unionOf([]), { mount: false, write: false, root: false });
  });

  it('no ClientMount is no access, no ClientWrite read-only, no ClientRootAccess root squashed to 65534; one CLIENT block per address', () => {
    const block = exportBlocks('/data/fs-1', {
      fileSystemId: 'fs-1',
      fileSystem: {
        anyone: { mount: true, write: false, root: false },
        byAddress: new Map([
          ['10.0.1.9', { mount: false, write: false, root: false }],
          ['10.0.1.10', { mount: true, write: true, root: true }],
        ]),
      },
      accessPoints: [],
    });
    assert.match(block, /^ {2}Access_Type = RO; Squash = Root_Squash; Anonymous_Uid = 65534; Anonymous_Gid = 65534;$/m);
    assert.match(block, /CLIENT \{ Clients = 10\.0\.1\.10; Protocols = 4; Access_Type = RW; Squash = No_Root_Squash;/);
    assert.match(block, /CLIENT \{ Clients = 10\.0\.1\.9; Protocols = 4; Access_Type = None; Squash = Root_Squash;/);
    assert.equal(block.match(/CLIENT \{/g)?.length, 2);
    assert.match(block, /Path = "\/data\/fs-1";\n {2}Pseudo = \/fs-1;/);
  });

  it('an access point is an export of its own: its root directory, its pseudo path, every caller squashed to its POSIX user', () => {
    const full = { mount: true, write: true, root: true };
    const none = { mount: false, write: false, root: false };
    const block = exportBlocks('/data/fs-1', {
      fileSystemId: 'fs-1',
      fileSystem: { anyone: full, byAddress: new Map() },
      accessPoints: [
        {
          accessPointId: 'fsap-1',
          exportId: 2,
          dir: '/data/fs-1/app',
          posixUser: { Uid: 1000, Gid: 1001 },
          rules: { anyone: none, byAddress: new Map([['10.0.1.9', full]]) },
        },
        { accessPointId: 'fsap-2', exportId: 3, dir: '/data/fs-1', rules: { anyone: full, byAddress: new Map() } },
        {
          accessPointId: 'fsap-3',
          exportId: 4,
          dir: '/data/fs-1/root-user',
          posixUser: { Uid: 0, Gid: 0 },
          rules: { anyone: { mount: true, write: true, root: false }, byAddress: new Map() },
        },
        { accessPointId: 'fsap-4', exportId: 5, dir: '/data/fs-1/a"b', rules: { anyone: full, byAddress: new Map() } },
      ],
    });
    const exports = block.split(/^EXPORT /m).filter(Boolean);
    assert.equal(exports.length, 4, 'a root directory the configuration cannot quote is not exported');
    assert.match(exports[1], /Export_Id = 2;\n {2}Path = "\/data\/fs-1\/app";\n {2}Pseudo = \/fsap-1;/);
    assert.match(exports[1], /^ {2}Access_Type = None; Squash = All_Squash; Anonymous_Uid = 1000; Anonymous_Gid = 1001;$/m);
    assert.match(
      exports[1],
      /CLIENT \{ Clients = 10\.0\.1\.9; Protocols = 4; Access_Type = RW; Squash = All_Squash; Anonymous_Uid = 1000; Anonymous_Gid = 1001; \}/,
    );
    assert.match(
      exports[2],
      /Pseudo = \/fsap-2;\n {2}Access_Type = RW; Squash = No_Root_Squash;/,
      'no POSIX user: the grant as for the file system',
    );
    assert.match(
      exports[3],
      /Squash = All_Squash; Anonymous_Uid = 65534; Anonymous_Gid = 65534;/,
      'POSIX user root without ClientRootAccess',
    );
  });
});
