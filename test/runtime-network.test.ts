import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NetworkAclEntryRecord, SecurityGroupRuleRecord } from '../src/services/ec2/network/state.js';
import { cleanHostByTag, footprint, isClean } from '../src/runtime/cleanup.js';
import { claimPublicPool } from '../src/daemon/public-pool.js';
import { renderHostRuleset, renderVpcRuleset, type FirewallPort } from '../src/runtime/firewall.js';
import { API_PORT_IN_INSTANCE, cloudTag, instanceLink, names } from '../src/runtime/names.js';
import { createVpcNet, plugInstance, type VpcNet } from '../src/runtime/network.js';
import { nft, run } from '../src/runtime/sh.js';
import { Store } from '../src/store/db.js';

/**
 * The VPC network of the runtime on real traffic, without sandboxes: instance namespaces wired into a VPC
 * namespace, security groups (stateful, group references, egress) and network ACLs (stateless, in order) applied
 * by nftables, checked with real TCP connections between namespaces. Needs root.
 */
const ROOT = process.getuid?.() === 0;

const rule = (r: Partial<SecurityGroupRuleRecord> & { IsEgress: boolean; IpProtocol: string }): SecurityGroupRuleRecord => ({
  SecurityGroupRuleId: 'sgr-x',
  Tags: [],
  ...r,
});
const allowAll = (egress: boolean): NetworkAclEntryRecord => ({
  RuleNumber: 100,
  Egress: egress,
  Protocol: '-1',
  RuleAction: 'allow',
  CidrBlock: '0.0.0.0/0',
});

describe(
  'runtime network: security groups and network ACLs on real traffic',
  { skip: ROOT ? false : 'needs root: network namespaces and nftables (CI runs as root)' },
  () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'halo-rtnet-'));
    const tag = cloudTag(home);
    const n = names(tag);
    let vpc: VpcNet;
    let other: VpcNet;
    const servers: ChildProcess[] = [];
    const ports: FirewallPort[] = [];
    const groups = new Map<string, SecurityGroupRuleRecord[]>();
    const acls = new Map<string, NetworkAclEntryRecord[]>();

    const apply = () => nft(vpc.ns, renderVpcRuleset({ ports, groups, acls }));
    /** A TCP connection from one instance namespace to an address and port: true when it is answered. */
    const connects = (fromInstance: string, ip: string, port: number): boolean => {
      const r = spawnSync(
        'ip',
        [
          'netns',
          'exec',
          n.instanceNs(fromInstance),
          process.execPath,
          '-e',
          `const s=require('net').connect(${port},'${ip}');s.setTimeout(1500);s.on('data',d=>{process.stdout.write(d);s.destroy();process.exit(0)});s.on('timeout',()=>process.exit(2));s.on('error',()=>process.exit(3));`,
        ],
        { encoding: 'utf8', timeout: 5000 },
      );
      return r.status === 0 && r.stdout.includes('halo');
    };
    const serve = (instanceId: string, port: number) => {
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          n.instanceNs(instanceId),
          process.execPath,
          '-e',
          `require('net').createServer(s=>s.end('halo ${instanceId}\\n')).listen(${port})`,
        ],
        { stdio: 'ignore' },
      );
      servers.push(child);
    };

    before(async () => {
      await cleanHostByTag(tag);
      vpc = await createVpcNet(tag, 'vpc-0000000000000000a');
      const plug = async (instanceId: string, privateIp: string, subnetId: string, subnetCidr: string, groupIds: string[], into = vpc) => {
        const alias = await plugInstance(tag, into, {
          instanceId,
          privateIp,
          subnetCidr,
          mac: `02:00:00:00:00:${(ports.length + 1).toString(16).padStart(2, '0')}`,
        });
        if (into === vpc) ports.push({ instanceId, link: instanceLink(instanceId), privateIp, alias, subnetId, groupIds });
      };
      await plug('i-0000000000000000a', '10.0.1.4', 'subnet-a', '10.0.1.0/24', ['sg-web']);
      await plug('i-0000000000000000b', '10.0.1.5', 'subnet-a', '10.0.1.0/24', ['sg-app']);
      await plug('i-0000000000000000c', '10.0.2.4', 'subnet-b', '10.0.2.0/24', ['sg-other']);
      // A second VPC with the same CIDR: its 10.0.1.4 is another machine.
      other = await createVpcNet(tag, 'vpc-0000000000000000b');
      await plug('i-0000000000000000d', '10.0.1.9', 'subnet-d', '10.0.1.0/24', [], other);
      groups.set('sg-web', [rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, ReferencedGroupId: 'sg-app' })]);
      groups.set('sg-app', [rule({ IsEgress: true, IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' })]);
      groups.set('sg-other', [rule({ IsEgress: true, IpProtocol: 'tcp', FromPort: 9999, ToPort: 9999, CidrIpv4: '0.0.0.0/0' })]);
      acls.set('subnet-a', [allowAll(false), allowAll(true)]);
      acls.set('subnet-b', [allowAll(false), allowAll(true)]);
      await apply();
      serve('i-0000000000000000a', 8080);
      serve('i-0000000000000000a', 9999);
      for (
        let i = 0;
        i < 100 && !(connects('i-0000000000000000a', '127.0.0.1', 8080) && connects('i-0000000000000000a', '127.0.0.1', 9999));
        i++
      )
        await sleep(100);
    });

    after(async () => {
      for (const s of servers) s.kill('SIGKILL');
      await cleanHostByTag(tag);
      rmSync(home, { recursive: true, force: true });
      assert.ok(isClean(footprint(tag)), JSON.stringify(footprint(tag)));
    });

    it('a rule naming a group admits its members only; replies pass without egress rules (stateful)', async () => {
      assert.equal(connects('i-0000000000000000b', '10.0.1.4', 8080), true, 'member of sg-app reaches 8080');
      assert.equal(connects('i-0000000000000000b', '10.0.1.4', 9999), false, '9999 is not open');
      assert.equal(connects('i-0000000000000000d', '10.0.1.4', 8080), false, 'the other VPC, with the same CIDR, does not reach this one');
    });

    it('egress rules of the sender apply, and group membership changes take effect', async () => {
      groups.set('sg-other', [rule({ IsEgress: true, IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' })]);
      await apply();
      assert.equal(connects('i-0000000000000000c', '10.0.1.4', 8080), false, 'not a member of sg-app');
      groups.set('sg-other', [rule({ IsEgress: true, IpProtocol: 'tcp', FromPort: 9999, ToPort: 9999, CidrIpv4: '0.0.0.0/0' })]);
      const c = ports.find((p) => p.instanceId === 'i-0000000000000000c') as FirewallPort;
      c.groupIds = ['sg-other', 'sg-app'];
      await apply();
      assert.equal(connects('i-0000000000000000c', '10.0.1.4', 8080), true, 'member now, and sg-app allows all egress');
      c.groupIds = ['sg-other'];
      await apply();
      assert.equal(connects('i-0000000000000000c', '10.0.1.4', 8080), false, 'egress of sg-other allows only 9999');
    });

    it('network ACLs apply at the subnet edge in rule order, statelessly', async () => {
      const c = ports.find((p) => p.instanceId === 'i-0000000000000000c') as FirewallPort;
      c.groupIds = ['sg-other', 'sg-app'];
      acls.set('subnet-a', [
        { RuleNumber: 10, Egress: false, Protocol: '6', RuleAction: 'deny', CidrBlock: '10.0.2.0/24', PortRange: { From: 8080, To: 8080 } },
        allowAll(false),
        allowAll(true),
      ]);
      await apply();
      assert.equal(connects('i-0000000000000000c', '10.0.1.4', 8080), false, 'denied by rule 10 from subnet b');
      assert.equal(connects('i-0000000000000000b', '10.0.1.4', 8080), true, 'same subnet: the ACL does not apply');
      acls.set('subnet-a', [
        { RuleNumber: 5, Egress: false, Protocol: '6', RuleAction: 'allow', CidrBlock: '10.0.2.0/24', PortRange: { From: 8080, To: 8080 } },
        { RuleNumber: 10, Egress: false, Protocol: '6', RuleAction: 'deny', CidrBlock: '10.0.2.0/24', PortRange: { From: 8080, To: 8080 } },
        allowAll(false),
        // Stateless: without an outbound rule for the replies, nothing comes back.
      ]);
      await apply();
      assert.equal(connects('i-0000000000000000c', '10.0.1.4', 8080), false, 'replies are denied by the outbound default');
      acls.set('subnet-a', [
        { RuleNumber: 5, Egress: false, Protocol: '6', RuleAction: 'allow', CidrBlock: '10.0.2.0/24', PortRange: { From: 8080, To: 8080 } },
        { RuleNumber: 10, Egress: false, Protocol: '6', RuleAction: 'deny', CidrBlock: '10.0.2.0/24', PortRange: { From: 8080, To: 8080 } },
        allowAll(false),
        allowAll(true),
      ]);
      await apply();
      assert.equal(connects('i-0000000000000000c', '10.0.1.4', 8080), true, 'rule 5 comes first');
    });

    it('nothing routes out of a VPC namespace but to the metadata address', async () => {
      const routes = spawnSync('ip', ['-n', vpc.ns, 'route', 'show'], { encoding: 'utf8' }).stdout;
      assert.doesNotMatch(routes, /default/);
      assert.equal(connects('i-0000000000000000b', '1.1.1.1', 80), false);
    });
  },
);

describe(
  'runtime network: public addresses between instances, through the host',
  { skip: ROOT ? false : 'needs root: network namespaces and nftables (CI runs as root)' },
  () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'halo-rtpub-'));
    const tag = cloudTag(home);
    const n = names(tag);
    const store = new Store(path.join(home, 'state.db'));
    const pool = claimPublicPool(store, home);
    const base = pool.cidr.replace(/\.0\/24$/, '');
    const servers: ChildProcess[] = [];
    const vpcs: Array<{ net: VpcNet; ports: FirewallPort[] }> = [];
    const groups = new Map<string, SecurityGroupRuleRecord[]>();
    const acls = new Map<string, NetworkAclEntryRecord[]>();
    /** instance id → public address (instances without one are absent). */
    const publicIps = new Map<string, string>();
    const aliases = new Map<string, string>();
    let online: string[] = [];

    const applyVpcs = () =>
      Promise.all(vpcs.map((v) => nft(v.net.ns, renderVpcRuleset({ ports: v.ports, groups, acls, publicPool: pool.cidr }))));
    const applyHost = () =>
      nft(
        undefined,
        renderHostRuleset({
          table: n.hostTable,
          linkPrefix: n.hostLinkPrefix,
          imdsPort: 1,
          apiPortInInstance: API_PORT_IN_INSTANCE,
          publicPool: pool.cidr,
          publicMap: [...publicIps].map(([id, ip]) => [ip, aliases.get(id) as string]),
          online: online.map((id) => [aliases.get(id) as string, publicIps.get(id) as string]),
          tokenTtl: [],
        }),
      );
    /** What a server in an instance answers (it names itself and the address it sees the client at), or undefined. */
    const fetchFrom = (fromInstance: string, ip: string, port: number): string | undefined => {
      const r = spawnSync(
        'ip',
        [
          'netns',
          'exec',
          n.instanceNs(fromInstance),
          process.execPath,
          '-e',
          `const s=require('net').connect(${port},'${ip}');s.setTimeout(1500);s.on('data',d=>{process.stdout.write(d);s.destroy();process.exit(0)});s.on('timeout',()=>process.exit(2));s.on('error',()=>process.exit(3));`,
        ],
        { encoding: 'utf8', timeout: 5000 },
      );
      return r.status === 0 ? r.stdout.trim() : undefined;
    };

    before(async () => {
      await cleanHostByTag(tag);
      const plug = async (
        vpc: { net: VpcNet; ports: FirewallPort[] },
        instanceId: string,
        privateIp: string,
        groupIds: string[],
        publicIp?: string,
      ) => {
        const alias = await plugInstance(tag, vpc.net, {
          instanceId,
          privateIp,
          subnetCidr: '10.0.1.0/24',
          mac: `02:00:00:00:01:${(aliases.size + 1).toString(16).padStart(2, '0')}`,
        });
        vpc.ports.push({ instanceId, link: instanceLink(instanceId), privateIp, alias, subnetId: `subnet-${vpc.net.vpcId}`, groupIds });
        aliases.set(instanceId, alias);
        if (publicIp) publicIps.set(instanceId, publicIp);
        servers.push(
          spawn(
            'ip',
            [
              'netns',
              'exec',
              n.instanceNs(instanceId),
              process.execPath,
              '-e',
              `require('net').createServer(s=>s.end('halo ${instanceId} sees '+s.remoteAddress.replace('::ffff:','')+'\\n')).listen(8080)`,
            ],
            { stdio: 'ignore' },
          ),
        );
      };
      const one = { net: await createVpcNet(tag, 'vpc-00000000000000001', pool.cidr), ports: [] };
      const two = { net: await createVpcNet(tag, 'vpc-00000000000000002', pool.cidr), ports: [] };
      vpcs.push(one, two);
      await plug(one, 'i-000000000000000e1', '10.0.1.4', ['sg-open'], `${base}.11`);
      await plug(one, 'i-000000000000000f1', '10.0.1.5', ['sg-open'], `${base}.12`);
      // The same private address as e1, in another VPC.
      await plug(two, 'i-000000000000000a2', '10.0.1.4', ['sg-narrow'], `${base}.21`);
      await plug(two, 'i-000000000000000b2', '10.0.1.6', ['sg-open']);
      online = ['i-000000000000000e1', 'i-000000000000000f1', 'i-000000000000000a2'];
      const egressAll = rule({ IsEgress: true, IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' });
      groups.set('sg-open', [egressAll, rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, CidrIpv4: '0.0.0.0/0' })]);
      // Admits e1's *private* address only: traffic that comes through public addresses carries e1's public one.
      groups.set('sg-narrow', [
        egressAll,
        rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, CidrIpv4: '10.0.1.4/32' }),
      ]);
      await applyVpcs();
      await applyHost();
      for (const ip of publicIps.values()) await run('ip', ['addr', 'replace', `${ip}/32`, 'dev', 'lo', 'label', n.loLabel]);
      for (let i = 0; i < 100 && !fetchFrom('i-000000000000000b2', '127.0.0.1', 8080); i++) await sleep(100);
    });

    after(async () => {
      for (const s of servers) s.kill('SIGKILL');
      await cleanHostByTag(tag);
      pool.release();
      store.db.close();
      rmSync(home, { recursive: true, force: true });
      assert.ok(isClean(footprint(tag)), JSON.stringify(footprint(tag)));
    });

    it("an instance reaches another one's public address in its VPC, and its own, and the receiver sees the sender's public address", async () => {
      assert.equal(fetchFrom('i-000000000000000f1', `${base}.11`, 8080), `halo i-000000000000000e1 sees ${base}.12`);
      assert.equal(fetchFrom('i-000000000000000e1', `${base}.11`, 8080), `halo i-000000000000000e1 sees ${base}.11`);
      assert.equal(
        fetchFrom('i-000000000000000e1', '127.0.0.1', 8080),
        'halo i-000000000000000e1 sees 127.0.0.1',
        '127.0.0.1 is still the instance itself',
      );
    });

    it("across VPCs with the same CIDR, security groups of the receiver judge the sender's public address", async () => {
      assert.equal(fetchFrom('i-000000000000000e1', `${base}.21`, 8080), undefined, 'a rule for the private 10.0.1.4 does not admit it');
      groups.set('sg-narrow', [
        rule({ IsEgress: true, IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' }),
        rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, CidrIpv4: `${base}.11/32` }),
      ]);
      await applyVpcs();
      assert.equal(fetchFrom('i-000000000000000e1', `${base}.21`, 8080), `halo i-000000000000000a2 sees ${base}.11`);
      assert.equal(fetchFrom('i-000000000000000f1', `${base}.21`, 8080), undefined, "only e1's public address is admitted");
      assert.equal(
        fetchFrom('i-000000000000000a2', `${base}.12`, 8080),
        `halo i-000000000000000f1 sees ${base}.21`,
        'and back the other way',
      );
    });

    it('without a public address, or off the Internet path, an instance reaches no public address and is not reached', async () => {
      assert.equal(fetchFrom('i-000000000000000b2', `${base}.11`, 8080), undefined, 'b2 has no public address');
      online = ['i-000000000000000e1', 'i-000000000000000f1'];
      await applyHost();
      assert.equal(fetchFrom('i-000000000000000a2', `${base}.12`, 8080), undefined, 'a2 is off the Internet path: it does not reach out');
      assert.equal(fetchFrom('i-000000000000000e1', `${base}.21`, 8080), undefined, 'nor is it reached through its public address');
      online = ['i-000000000000000e1', 'i-000000000000000f1', 'i-000000000000000a2'];
      await applyHost();
      assert.equal(fetchFrom('i-000000000000000a2', `${base}.12`, 8080), `halo i-000000000000000f1 sees ${base}.21`);
    });

    it('egress rules of the sender and network ACLs apply to traffic to public addresses', async () => {
      groups.set('sg-open', [
        rule({ IsEgress: true, IpProtocol: 'tcp', FromPort: 9999, ToPort: 9999, CidrIpv4: '0.0.0.0/0' }),
        rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, CidrIpv4: '0.0.0.0/0' }),
      ]);
      await applyVpcs();
      assert.equal(fetchFrom('i-000000000000000f1', `${base}.11`, 8080), undefined, 'f1 may only send to port 9999');
      groups.set('sg-open', [
        rule({ IsEgress: true, IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' }),
        rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, CidrIpv4: '0.0.0.0/0' }),
      ]);
      acls.set('subnet-vpc-00000000000000001', [
        {
          RuleNumber: 10,
          Egress: true,
          Protocol: '6',
          RuleAction: 'deny',
          CidrBlock: `${base}.21/32`,
          PortRange: { From: 8080, To: 8080 },
        },
        allowAll(false),
        allowAll(true),
      ]);
      await applyVpcs();
      assert.equal(fetchFrom('i-000000000000000e1', `${base}.21`, 8080), undefined, "the ACL denies e1's subnet to send there");
      assert.match(
        fetchFrom('i-000000000000000f1', `${base}.11`, 8080) ?? '',
        /^halo i-000000000000000e1/,
        'the rule names one address only',
      );
      acls.delete('subnet-vpc-00000000000000001');
      await applyVpcs();
    });

    it("a host client still reaches public addresses and nothing is forwarded outside halo's uplinks", async () => {
      const out = spawnSync(
        process.execPath,
        [
          '-e',
          `const s=require('net').connect(8080,'${base}.11');s.setTimeout(1500);s.on('data',d=>{process.stdout.write(d);s.destroy()});s.on('error',()=>process.exit(3))`,
        ],
        { encoding: 'utf8', timeout: 5000 },
      );
      assert.match(out.stdout, /^halo i-000000000000000e1 sees 198\.1[89]\./);
      const routes = spawnSync('ip', ['-n', vpcs[0].net.ns, 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout;
      assert.doesNotMatch(routes, /default/);
      assert.equal(fetchFrom('i-000000000000000e1', '1.1.1.1', 80), undefined);
    });
  },
);
