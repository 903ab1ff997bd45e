import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportBlock, unionOf } from '../src/runtime/efs-exports.js';

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
    const block = exportBlock('/data/fs-1', {
      anyone: { mount: true, write: false, root: false },
      byAddress: new Map([
        ['10.0.1.9', { mount: false, write: false, root: false }],
        ['10.0.1.10', { mount: true, write: true, root: true }],
      ]),
    });
    assert.match(block, /^ {2}Access_Type = RO; Squash = Root_Squash; Anonymous_Uid = 65534; Anonymous_Gid = 65534;$/m);
    assert.match(block, /CLIENT \{ Clients = 10\.0\.1\.10; Protocols = 4; Access_Type = RW; Squash = No_Root_Squash;/);
    assert.match(block, /CLIENT \{ Clients = 10\.0\.1\.9; Protocols = 4; Access_Type = None; Squash = Root_Squash;/);
    assert.equal(block.match(/CLIENT \{/g)?.length, 2);
    assert.match(block, /Path = "\/data\/fs-1";/);
  });
});
