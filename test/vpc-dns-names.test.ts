import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { addressOfReverse, answerQuery, reverseName, type Asker, type NameProvider } from '../src/runtime/dns.js';
import { renderVpcRuleset } from '../src/runtime/firewall.js';
import { resolverAddress } from '../src/runtime/network.js';
import { resolvConf } from '../src/runtime/sandbox.js';
import { ec2Name, type NamedInstance } from '../src/services/ec2/compute/dns-names.js';
import { efsName } from '../src/services/efs/dns-names.js';
import type { MountTargetRecord } from '../src/services/efs/state.js';

/** The name rules of the VPC's Amazon-provided DNS and its wire answers, without root or instances. */
const east: Asker = { region: 'us-east-1', vpcId: 'vpc-a', instanceId: 'i-1', zone: 'us-east-1a' };
const west: Asker = { region: 'eu-west-1', vpcId: 'vpc-a', instanceId: 'i-1', zone: 'eu-west-1a' };
const instances: NamedInstance[] = [
  { vpcId: 'vpc-a', privateIp: '10.0.1.20' },
  { vpcId: 'vpc-a', privateIp: '10.0.0.30', publicIp: '127.100.0.5' },
  { vpcId: 'vpc-b', privateIp: '10.0.1.40', publicIp: '127.100.0.6' },
  { vpcId: 'vpc-c', privateIp: '10.0.1.50', publicIp: '127.100.0.7' },
];
const hostnames = (vpcId: string) => vpcId !== 'vpc-c';
const ask = (who: Asker, name: string) => ec2Name({ ...who, name }, instances, hostnames);

describe('VPC DNS: EC2 name rules', () => {
  it("private names: ec2.internal in us-east-1, REGION.compute.internal elsewhere, for instances of the asker's VPC", () => {
    assert.deepEqual(ask(east, 'ip-10-0-1-20.ec2.internal'), { a: ['10.0.1.20'] });
    assert.deepEqual(ask(west, 'ip-10-0-1-20.eu-west-1.compute.internal'), { a: ['10.0.1.20'] });
    assert.equal(ask(west, 'ip-10-0-1-20.ec2.internal'), undefined, "another region's domain");
    assert.equal(ask(east, 'ip-10-0-1-40.ec2.internal'), undefined, 'an instance of another VPC');
    assert.equal(ask(east, 'ip-10-0-1-99.ec2.internal'), undefined, 'no instance has that address');
    assert.equal(ask(east, 'ip-10-0-1-256.ec2.internal'), undefined);
  });

  it('PTR of a private IP names the instance', () => {
    assert.equal(reverseName('10.0.1.20'), '20.1.0.10.in-addr.arpa');
    assert.equal(addressOfReverse('20.1.0.10.in-addr.arpa'), '10.0.1.20');
    assert.equal(addressOfReverse('1.0.10.in-addr.arpa'), undefined);
    assert.deepEqual(ask(east, '20.1.0.10.in-addr.arpa'), { ptr: ['ip-10-0-1-20.ec2.internal'] });
    assert.deepEqual(ask(west, '30.0.0.10.in-addr.arpa'), { ptr: ['ip-10-0-0-30.eu-west-1.compute.internal'] });
  });

  it("public names resolve to the private IP inside the owner's VPC, to the public IP elsewhere, and exist only with DNS hostnames", () => {
    assert.deepEqual(ask(east, 'ec2-127-100-0-5.compute-1.amazonaws.com'), { a: ['10.0.0.30'] });
    assert.deepEqual(ask(east, 'ec2-127-100-0-6.compute-1.amazonaws.com'), { a: ['127.100.0.6'] });
    assert.deepEqual(ask(west, 'ec2-127-100-0-5.eu-west-1.compute.amazonaws.com'), { a: ['10.0.0.30'] });
    assert.equal(ask(east, 'ec2-127-100-0-7.compute-1.amazonaws.com'), undefined, 'its VPC has DNS hostnames off');
    assert.equal(ask(east, 'ec2-127-100-0-9.compute-1.amazonaws.com'), undefined, 'no instance holds it');
  });
});

describe('VPC DNS: answers on the wire', () => {
  const providers: NameProvider[] = [
    (q) => ec2Name(q, instances, hostnames),
    (q) => (q.name === 'fs-1.efs.us-east-1.amazonaws.com' ? { a: [q.zone === 'us-east-1a' ? '10.0.1.100' : '10.0.2.100'] } : undefined),
  ];
  const query = (name: string, type: 'A' | 'AAAA' | 'PTR' | 'MX') =>
    packet.encode({
      type: 'query',
      id: 42,
      flags: packet.RECURSION_DESIRED,
      questions: [{ type, name, class: 'IN' }],
    });
  /** What dns-packet decodes (its types leave out the response code). */
  interface Decoded {
    id?: number;
    flags?: number;
    rcode: string;
    questions?: packet.Question[];
    answers?: Array<{ type: string; data: unknown }>;
  }
  const answer = (name: string, type: 'A' | 'AAAA' | 'PTR' | 'MX', who = east) =>
    packet.decode(answerQuery(query(name, type), who, providers) as Buffer) as unknown as Decoded;

  it('A and PTR records; the same id and question; recursion available', () => {
    const a = answer('ip-10-0-1-20.ec2.internal', 'A');
    assert.equal(a.id, 42);
    assert.equal(a.rcode, 'NOERROR');
    assert.deepEqual(
      a.answers?.map((r) => [r.type, r.data]),
      [['A', '10.0.1.20']],
    );
    assert.deepEqual(a.questions, [{ name: 'ip-10-0-1-20.ec2.internal', type: 'A', class: 'IN' }]);
    assert.ok(((a.flags ?? 0) & packet.RECURSION_AVAILABLE) !== 0);
    assert.deepEqual(
      answer('20.1.0.10.in-addr.arpa', 'PTR').answers?.map((r) => r.data),
      ['ip-10-0-1-20.ec2.internal'],
    );
    assert.deepEqual(
      answer('IP-10-0-1-20.EC2.INTERNAL.', 'A').answers?.map((r) => r.data),
      ['10.0.1.20'],
      'names are case-insensitive',
    );
  });

  it('a known name without records of the type asked: NOERROR, no answers (so resolvers go on to A)', () => {
    const aaaa = answer('ip-10-0-1-20.ec2.internal', 'AAAA');
    assert.equal(aaaa.rcode, 'NOERROR');
    assert.equal(aaaa.answers?.length, 0);
  });

  it('any other name: NXDOMAIN', () => {
    for (const name of ['example.com', 'ip-10-0-1-99.ec2.internal', 'localhost']) assert.equal(answer(name, 'A').rcode, 'NXDOMAIN', name);
    assert.equal(answer('example.com', 'MX').rcode, 'NXDOMAIN');
  });

  it("names of other services' providers may depend on the asker's zone", () => {
    assert.deepEqual(
      answer('fs-1.efs.us-east-1.amazonaws.com', 'A').answers?.map((r) => r.data),
      ['10.0.1.100'],
    );
    assert.deepEqual(
      answer('fs-1.efs.us-east-1.amazonaws.com', 'A', { ...east, zone: 'us-east-1b' }).answers?.map((r) => r.data),
      ['10.0.2.100'],
    );
  });

  it('a response or garbage gets no answer', () => {
    assert.equal(answerQuery(Buffer.from('nonsense'), east, providers), undefined);
    const response = packet.encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'example.com' }], answers: [] });
    assert.equal(answerQuery(response, east, providers), undefined);
  });
});

describe("VPC DNS: the instance's resolver and the VPC namespace", () => {
  it('the resolver is at the VPC base + 2', () => {
    assert.equal(resolverAddress('10.0.0.0/16'), '10.0.0.2');
    assert.equal(resolverAddress('172.31.0.0/16'), '172.31.0.2');
    assert.equal(resolverAddress('192.168.4.16/28'), '192.168.4.18');
  });

  it("/etc/resolv.conf names the VPC resolver and the region's search domain", () => {
    assert.match(
      resolvConf({ nameserver: '10.0.0.2', dnsDomain: 'ec2.internal' }),
      /^search ec2\.internal\n(.*\n)*nameserver 10\.0\.0\.2\n$/,
    );
    assert.equal(resolvConf({}), '');
  });

  it('the VPC namespace sends DNS for base + 2 to 169.254.169.253 and lets it out past groups and ACLs', () => {
    const rules = renderVpcRuleset({ ports: [], groups: new Map(), acls: new Map(), resolver: '10.0.0.2' });
    assert.match(rules, /ip daddr 10\.0\.0\.2 meta l4proto \{ udp, tcp \} th dport 53 dnat ip to 169\.254\.169\.253/);
    assert.match(rules, /oifname "up0" ip daddr 169\.254\.169\.253 meta l4proto \{ udp, tcp \} th dport 53 accept/);
    assert.doesNotMatch(renderVpcRuleset({ ports: [], groups: new Map(), acls: new Map() }), /dport 53 dnat/);
  });
});

describe('VPC DNS: EFS names', () => {
  const target = (zone: string, ip: string, vpcId = 'vpc-a') =>
    ({ FileSystemId: 'fs-0123abcd', VpcId: vpcId, AvailabilityZoneName: zone, IpAddress: ip }) as MountTargetRecord;
  const targets = [target('us-east-1a', '10.0.1.9'), target('us-east-1b', '10.0.2.9'), target('us-east-1c', '10.5.3.9', 'vpc-b')];
  const efs = (who: Asker, name: string) => efsName({ ...who, name }, targets);
  it("the file system's name gives the mount target of the asker's zone; ZONE.fs-x that zone's; none elsewhere", () => {
    assert.deepEqual(efs(east, 'fs-0123abcd.efs.us-east-1.amazonaws.com'), { a: ['10.0.1.9'] });
    assert.deepEqual(efs({ ...east, zone: 'us-east-1b' }, 'fs-0123abcd.efs.us-east-1.amazonaws.com'), { a: ['10.0.2.9'] });
    assert.deepEqual(efs(east, 'us-east-1b.fs-0123abcd.efs.us-east-1.amazonaws.com'), { a: ['10.0.2.9'] });
    assert.equal(efs({ ...east, zone: 'us-east-1d' }, 'fs-0123abcd.efs.us-east-1.amazonaws.com'), undefined, 'no mount target in the zone');
    assert.equal(efs(east, 'us-east-1c.fs-0123abcd.efs.us-east-1.amazonaws.com'), undefined, 'a mount target of another VPC');
    assert.equal(efs(east, 'fs-0123abcd.efs.eu-west-1.amazonaws.com'), undefined, 'another region');
    assert.equal(efs(east, 'fs-99999999.efs.us-east-1.amazonaws.com'), undefined, 'another file system');
    assert.equal(efs(east, 'ip-10-0-1-20.ec2.internal'), undefined, 'not an EFS name');
  });
});
