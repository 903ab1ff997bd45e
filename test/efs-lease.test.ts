import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ganeshaConfig, nfsLease } from '../src/runtime/efs-server.js';

/**
 * The NFSv4 lease of a mount target runs on the cloud's clock: 60 AWS s, so a client cut off by a drill (a dark
 * zone, a partition) holds its locks as long in AWS time at every time scale, down to a floor of 10 wall seconds; the
 * clients renew four times per lease. A drill at time scale 10 measured 710 AWS s for Resilient's az-outage with the
 * lease on the wall (60 s = 600 AWS s of a dead client's locks), 194 with it on the clock.
 */
describe('the NFS lease on the cloud clock', () => {
  it('60 AWS s at any time scale, never under 10 wall seconds; renewed four times per lease', () => {
    assert.deepEqual(nfsLease(1), { leaseSeconds: 60, renewSeconds: 15 });
    assert.deepEqual(nfsLease(2), { leaseSeconds: 30, renewSeconds: 7 });
    assert.deepEqual(nfsLease(10), { leaseSeconds: 10, renewSeconds: 2 });
    assert.deepEqual(nfsLease(60), { leaseSeconds: 10, renewSeconds: 2 });
    assert.deepEqual(nfsLease(0.5), { leaseSeconds: 120, renewSeconds: 30 });
  });

  it("is the server's lease", () => {
    const exports = {
      fileSystemId: 'fs-1',
      fileSystem: { anyone: { mount: true, write: true, root: true }, byAddress: new Map() },
      accessPoints: [],
    };
    assert.match(ganeshaConfig('10.0.0.4', '/data', '/state', exports, 10), /NFSV4 \{[^}]*Lease_Lifetime = 10;/);
  });
});
