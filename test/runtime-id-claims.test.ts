import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ID_FIRST_BASE, ID_RANGE, IDS_DIR, IdClaims, idClaimsOf, releaseIdRanges } from '../src/runtime/userns.js';

const ROOT = process.getuid?.() === 0;
/** Tags no cloud has (a cloud's tag is 4 hex digits): this test's claims are found and removed by them. */
const tag = () => `t${randomBytes(4).toString('hex')}`;
const slotOf = (base: number) => (base - ID_FIRST_BASE) / ID_RANGE;

/** A pid that has ended: a claim naming it is an ended daemon's. */
function endedPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(String(r.stdout).trim());
}

/** A free slot number, written as another daemon would. */
function plantClaim(text: string): string {
  mkdirSync(IDS_DIR, { recursive: true });
  const taken = new Set(readdirSync(IDS_DIR));
  let n = 4000;
  while (taken.has(String(n))) n--;
  writeFileSync(path.join(IDS_DIR, String(n)), text, { flag: 'wx' });
  return String(n);
}

/**
 * The instances' id ranges (userns.ts IdClaims): claims are files shared by every cloud of the host, read once per
 * daemon; a cloud's next daemon finds its instances' claims again, another cloud's ended daemon's are freed.
 */
describe('id range claims', { skip: ROOT ? false : 'needs root: /run/halo/ids' }, () => {
  const tags: string[] = [];
  after(async () => {
    for (const t of tags) await releaseIdRanges(t);
  });

  it('gives launches at once distinct ranges, and a halt frees its own', async () => {
    const t = tag();
    tags.push(t);
    const claims = new IdClaims(t);
    const ids = Array.from({ length: 20 }, (_, i) => `i-${i}`);
    const bases = await Promise.all(ids.map((id) => claims.claim(id)));
    assert.equal(new Set(bases).size, ids.length, 'no two instances share a range');
    for (const [i, base] of bases.entries()) {
      assert.equal(readFileSync(path.join(IDS_DIR, String(slotOf(base))), 'utf8'), `${t} ${ids[i]} ${process.pid}`);
    }
    assert.equal(await claims.claim('i-3'), bases[3], 'a claim already held is the same range');
    await claims.release('i-3');
    assert.deepEqual(idClaimsOf(t, 'i-3'), [], 'its file is gone');
    assert.equal(idClaimsOf(t).length, ids.length - 1, 'the others stay');
  });

  it("finds its cloud's claims left by its previous daemon, and frees those of another cloud's ended daemon", async () => {
    const [mine, other] = [tag(), tag()];
    tags.push(mine, other);
    // The previous daemon's pid is a live one here (init's), so that no other cloud's daemon frees the claim first.
    const kept = plantClaim(`${mine} i-kept 1`);
    const freed = plantClaim(`${other} i-gone ${endedPid()}`);
    const claims = new IdClaims(mine);
    assert.equal(slotOf(await claims.claim('i-kept')), Number(kept), 'the same range as before the restart');
    assert.equal(readFileSync(path.join(IDS_DIR, kept), 'utf8'), `${mine} i-kept ${process.pid}`, 'now held by this daemon');
    assert.deepEqual(idClaimsOf(other), [], `the ended daemon's claim of another cloud (slot ${freed}) is freed`);
  });

  it('removes every claim of a cloud at its cleanup', async () => {
    const t = tag();
    const claims = new IdClaims(t);
    await Promise.all(['i-a', 'i-b'].map((id) => claims.claim(id)));
    assert.equal(idClaimsOf(t).length, 2);
    await releaseIdRanges(t);
    assert.deepEqual(idClaimsOf(t), []);
  });
});
