import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containsCidr, formatCidr, formatIp, overlaps, parseCidr, parseIp } from '../src/services/ec2/network/cidr.js';
import { protocolName, protocolNumber } from '../src/services/ec2/network/protocols.js';

describe('EC2 network: CIDR and protocol parsing', () => {
  it('parses dotted quads strictly', () => {
    assert.equal(parseIp('10.0.1.4'), (10 << 24) + 256 + 4);
    assert.equal(formatIp(parseIp('255.255.255.255') ?? 0), '255.255.255.255');
    for (const bad of ['10.0.1', '10.0.1.256', '010.0.0.1', '10.0.0.1 ', 'a.b.c.d']) assert.equal(parseIp(bad), undefined, bad);
  });

  it('parses blocks, strict about host bits unless asked to normalize', () => {
    assert.deepEqual(parseCidr('10.0.0.0/16'), { base: parseIp('10.0.0.0'), prefix: 16, size: 65536 });
    assert.equal(parseCidr('10.0.0.1/16'), undefined);
    assert.equal(formatCidr(parseCidr('10.0.0.1/16', false) ?? { base: 0, prefix: 0, size: 0 }), '10.0.0.0/16');
    assert.equal(formatCidr(parseCidr('0.0.0.0/0') ?? { base: 1, prefix: 1, size: 1 }), '0.0.0.0/0');
    assert.equal(parseCidr('203.0.113.7/32')?.size, 1);
    for (const bad of ['10.0.0.0/33', '10.0.0.0', '10.0.0.0/', '/16', '10.0.0.0/1a']) assert.equal(parseCidr(bad), undefined, bad);
  });

  it('knows containment and overlap', () => {
    const c = (text: string) => parseCidr(text) ?? assert.fail(text);
    assert.ok(containsCidr(c('10.0.0.0/16'), c('10.0.255.240/28')));
    assert.ok(!containsCidr(c('10.0.0.0/16'), c('10.1.0.0/24')));
    assert.ok(overlaps(c('10.0.0.0/24'), c('10.0.0.128/25')));
    assert.ok(!overlaps(c('10.0.0.0/24'), c('10.0.1.0/24')));
    assert.ok(overlaps(c('0.0.0.0/0'), c('192.168.0.0/16')));
  });

  it('reads protocols by name or number', () => {
    assert.deepEqual(
      ['tcp', 'TCP', '6', 'udp', '17', 'icmp', '1', 'all', '-1', '47'].map((p) => protocolNumber(p, 'protocol')),
      ['6', '6', '6', '17', '17', '1', '1', '-1', '-1', '47'],
    );
    assert.deepEqual(
      ['6', 'udp', '1', '-1', '47'].map((p) => protocolName(p, 'IpProtocol')),
      ['tcp', 'udp', 'icmp', '-1', '47'],
    );
    assert.throws(() => protocolNumber('256', 'protocol'), { name: 'InvalidParameterValue' });
    assert.throws(() => protocolNumber('bogus', 'protocol'), { name: 'InvalidParameterValue' });
  });
});
