import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderHostMaps, type HostMaps } from '../src/runtime/firewall.js';
import { Coalescer } from '../src/runtime/queues.js';

/**
 * What an Elastic IP switch costs the host (no root needed): the events of one change are one application, and the
 * application carries only what changed.
 */
describe('Host address maps: one application per change, only what changed', () => {
  it('asks made in one turn of the event loop share one application; an ask after it began gets the next one', async () => {
    const coalescer = new Coalescer();
    let applications = 0;
    const apply = async () => {
      applications++;
      await new Promise((resolve) => setTimeout(resolve, 10));
    };
    // An Elastic IP moved: its old association ended and its new one began, both announced at once.
    const first = coalescer.request('host', apply);
    const second = coalescer.request('host', apply);
    assert.equal(first, second);
    await new Promise((resolve) => setTimeout(resolve, 1));
    assert.equal(applications, 1);
    // Asked while it runs: the state may have changed since it read it, so one more follows.
    const third = coalescer.request('host', apply);
    await Promise.all([first, third]);
    assert.equal(applications, 2);
  });

  it('renders only the parts that differ from what the table holds, nothing when nothing does', () => {
    const applied: HostMaps = {
      publicMap: [['127.100.0.9', '198.18.1.3']],
      online: [['198.18.1.3', '127.100.0.9']],
      tokenTtl: [
        ['198.18.1.3', 3],
        ['198.18.1.4', 3],
      ],
    };
    assert.equal(renderHostMaps('halo_t', applied, applied), '');
    const moved: HostMaps = { ...applied, publicMap: [['127.100.0.9', '198.18.1.4']], online: [['198.18.1.4', '127.100.0.9']] };
    const script = renderHostMaps('halo_t', moved, applied);
    assert.match(script, /flush map ip halo_t public\nadd element ip halo_t public \{ 127\.100\.0\.9 : 198\.18\.1\.4 \}/);
    assert.match(script, /flush set ip halo_t online/);
    assert.doesNotMatch(script, /token_ttl/);
    // Without what the table holds (its first application, or after a failed one): everything.
    const whole = renderHostMaps('halo_t', moved);
    for (const part of ['public', 'online', 'online_public', 'token_ttl'])
      assert.match(whole, new RegExp(`flush \\w+ ip halo_t ${part}\\b`));
  });
});
