import { existsSync } from 'node:fs';
import { appendFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Cloud } from '../cloud.js';
import { liveKey } from '../store/live.js';
import { cleanHostByTag, forgetCloud, isClean, readFootprint, reapDeadClouds, recordCloud, type HostFootprint } from './cleanup.js';
import { renderHostMaps, renderHostRuleset, renderVpcRuleset, type FirewallPort, type HostMaps, type VpcRules } from './firewall.js';
import { DnsService, type Asker, type NameProvider } from './dns.js';
import { EfsRuntime, type EfsHost, type EfsSubnet } from './efs.js';
import { MetadataService, type MetaDoc } from './imds.js';
import { ensureImage, imageCacheDir } from './images.js';
import { API_PORT_IN_INSTANCE, HOPS_HOST_TO_INSTANCE, cloudTag, instanceLink, names } from './names.js';
import {
  aliasOf,
  applyVpcRules,
  connectInstance,
  createVpcNet,
  destroyVpcNet,
  clearInstanceNs,
  probeNetwork,
  type NetworkProbe,
  resolverAddress,
  setLink,
  unplugInstance,
  uplinkAlias,
  instanceSide,
  type VpcNet,
} from './network.js';
import {
  clearBootGates,
  initPid,
  killSandbox,
  openDisksGate,
  openNetworkGate,
  startSandbox,
  stopSandbox,
  wakeInit,
  writeBootFiles,
  writeSharedBootFiles,
  type BootFilesSpec,
  type Sandbox,
} from './sandbox.js';
import {
  bindDisk,
  diskFile,
  makeNodes,
  mountsOf,
  removeNodes,
  unbindDisk,
  unmountIn,
  volumeRequest,
  type BoundDisk,
  type VolumeRequestResult,
} from './volumes.js';
import { ipBatch, isRoot, leaveHostCommandsCgroup, nft, runHostCommandsIn } from './sh.js';
import { Coalescer, Serial, allSettled } from './queues.js';
import { readConsoleTail } from './console.js';
import {
  cgroupPids,
  cgroupDirs,
  freezeCgroups,
  cgroupPlan,
  makeInstancesCgroup,
  makeProvisioningCgroup,
  removeCgroups,
  setUpCgroups,
  thawCgroups,
  type InstanceLimits,
} from './limits.js';
import { ensureRootDisk, RootDiskSpares, rootDiskFile } from './root-disk.js';
import { IdClaims } from './userns.js';

/** What the runtime needs to run one instance (given by the EC2 instances code). */
export interface LaunchSpec {
  instanceId: string;
  region: string;
  vpcId: string;
  /** The VPC's IPv4 block: its Amazon-provided DNS answers at the base + 2. */
  vpcCidr: string;
  /** The instance's zone (names that depend on the asker's zone, as an EFS mount target's). */
  zone: string;
  /** The search domain of the instance's resolver (ec2.internal, or REGION.compute.internal). */
  dnsDomain: string;
  subnetId: string;
  subnetCidr: string;
  privateIp: string;
  mac: string;
  groupIds: string[];
  hostId: string;
  /** Image layers, top first; empty = the default image. */
  layers: string[];
  volumeId: string;
  hostname: string;
  env: Record<string, string>;
  userData?: Buffer;
  /** The instance type's memory and vCPUs, and the most processes it may have (limits.ts). */
  limits: InstanceLimits;
  /** Size of the root volume's file system, made at the first boot (GiB). */
  rootVolumeGiB: number;
  /** EC2's source/destination check: packets from the instance must carry its own address (firewall.ts). */
  sourceDestCheck: boolean;
}

export interface ProbeResult {
  system: 'ok' | 'impaired';
  instance: 'ok' | 'impaired';
  at: number;
}

interface Running {
  spec: LaunchSpec;
  sandbox: Sandbox;
  alias: string;
  expectedExit: boolean;
}

/** Faults in force, kept in the store so a restart of the daemon keeps a failed host failed. */
interface FaultState {
  downHosts: string[];
  crashed: string[];
  partitioned: string[];
}

export interface RuntimeHooks {
  /** The metadata document of a running instance. */
  metadata(instanceId: string): Promise<MetaDoc | undefined>;
  /** Public IP → instance id, for every public or Elastic IP that maps to an instance. */
  publicAddresses(): Array<[string, string]>;
  /** The VPC's enableDnsSupport: when off, its Amazon-provided DNS does not answer (queries time out, as on AWS). */
  dnsSupport(region: string, vpcId: string): boolean;
  /**
   * A request from inside an instance to its platform, POSTed to the metadata address under /halo/ (e.g. cfn-signal
   * without credentials); undefined for routes the services do not serve (the runtime's own: mount, umount).
   */
  platformRequest?(instanceId: string, region: string, route: string, params: URLSearchParams): Promise<VolumeRequestResult | undefined>;
  /** The cloud's public address pool (a CIDR inside 127.0.0.0/8): public and Elastic IPs, the Internet of the region. */
  publicPool(): string;
  /** The security groups' rules and network ACL entries of a VPC, as its firewall enforces them. */
  vpcRules(region: string, vpcId: string): VpcRules;
  /** Whether the subnet's traffic to public addresses goes through an internet gateway (its route table). */
  onInternetPath(region: string, vpcId: string, subnetId: string): boolean;
  /** The PUT response hop limit of the instance's metadata options (1 when unknown). */
  metadataHopLimit(region: string, instanceId: string): number;
  /** The data volumes attached (or being attached) to an instance, in attachment order: what its sandbox gets. */
  attachedVolumes(region: string, instanceId: string): Array<{ volumeId: string; device: string }>;
  /** A subnet with its zone and its VPC's block (the EFS data path's mount targets); undefined when it is gone. */
  subnet(region: string, subnetId: string): EfsSubnet | undefined;
}

const RUNTIME = liveKey('runtime', (cloud) => new Runtime(cloud));

/** With HALO_TRACE set, a line per step of a launch on stderr, in epoch ms (npm run bench lines them up with its own). */
function traceSpan(instanceId: string, what: string): void {
  if (process.env.HALO_TRACE)
    console.error(`[halo trace] ${instanceId} ${what} ${(performance.timeOrigin + performance.now()).toFixed(1)}`);
}

/** With HALO_TRACE set, the event loop's longest stall of each second, when over 20 ms (the daemon must not block). */
function traceStalls(): void {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  setInterval(() => {
    const max = h.max / 1e6;
    if (max > 20)
      console.error(
        `[halo trace] event loop stalled ${max.toFixed(1)} ms (p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms) ${(performance.timeOrigin + performance.now()).toFixed(1)}`,
      );
    h.reset();
  }, 1000).unref();
}

/** The runtime of a cloud (one per daemon). */
export function runtimeOf(cloud: Cloud): Runtime {
  return cloud.live.get(RUNTIME);
}

/**
 * The only part of halo that touches Linux. It runs instances as sandboxes in network namespaces, wires VPCs,
 * enforces security groups and network ACLs, maps public addresses, answers the metadata service, injects faults
 * and removes everything it made, by name, on stop and on the next start after a crash.
 */
export class Runtime implements EfsHost {
  readonly tag: string;
  readonly enabled = isRoot();
  private readonly n;
  private readonly vpcs = new Map<string, VpcNet>();
  /** A VPC's namespace is made and removed in turn (vpcNet, releaseVpcIfIdle), never both at once. */
  private readonly vpcTurns = new Serial();
  /** Launches between asking for their VPC's namespace and being plugged into it: the VPC is in use. */
  private readonly launching = new Map<string, number>();
  /** Firewall rulesets (per VPC) and the host's table, re-applied from the state when it changes. */
  private readonly refreshes = new Coalescer();
  /** Whether the host table has its full ruleset (the first application; the maps alone after). */
  private hostTableMade = false;
  /** The address maps the host table holds (after its last successful application). */
  private hostMapsApplied?: HostMaps;
  private readonly running = new Map<string, Running>();
  /** Instances whose network is being set up (their sandbox not started yet). */
  private readonly plugged = new Map<string, Running>();
  /**
   * Instances booted ahead of the AWS time at which they may be reached (launch `offline`): their link is down, as
   * a partition cuts it, until `bringOnline`. Their init holds user data until the link is up (as cloud-init waits
   * for the network), so nothing outside reaches them, and nothing they run meets a dead network, before that.
   */
  private readonly offline = new Set<string>();
  /**
   * Hibernated instances (EC2 StopInstances with Hibernate): their sandbox lives on with every process frozen in the
   * freezer cgroup, memory kept, and their link down (they count as offline: nothing reaches them, a healed partition
   * does not bring the link up) until `resume`. They do not outlive the daemon: its sandboxes die with it.
   */
  private readonly hibernated = new Set<string>();
  /** Of an instance booted offline: its firewall and public address being applied (bringOnline waits for them). */
  private readonly networkReady = new Map<string, Promise<void>>();
  private readonly probes = new Map<string, ProbeResult>();
  /** EBS data volumes on loop devices, per instance and volume. */
  private readonly disks = new Map<string, Map<string, BoundDisk>>();
  private readonly loAddresses = new Set<string>();
  private imds?: MetadataService;
  private imdsPort = 0;
  private dns?: DnsService;
  private dnsPorts?: { udpPort: number; tcpPort: number };
  private readonly nameProviders: NameProvider[] = [];
  private apiPort?: number;
  private started?: Promise<void>;
  private hooks?: RuntimeHooks;
  private stopping = false;
  /** The cloud's cgroup for its host commands (limits.ts `makeProvisioningCgroup`), once started. */
  private provisioning?: string;
  /** The EFS data path: mount targets' NFS servers and the instances' NFS clients (efs.ts). */
  readonly efs = new EfsRuntime(this);
  /** Its instances' id ranges (userns.ts). */
  private readonly idClaims: IdClaims;
  /** New root volumes made ahead, one per size (root-disk.ts). */
  private readonly rootDiskSpares: RootDiskSpares;
  /** Lines of halo's own being added to instances' consoles (appendConsole), the last of each. */
  private readonly consoleLines = new Map<string, Promise<void>>();

  constructor(readonly cloud: Cloud) {
    this.tag = cloudTag(cloud.config.home);
    this.n = names(this.tag);
    this.idClaims = new IdClaims(this.tag);
    this.rootDiskSpares = new RootDiskSpares(this.home);
    if (process.env.HALO_TRACE) traceStalls();
  }

  get home(): string {
    return this.cloud.config.home;
  }

  setHooks(hooks: RuntimeHooks): void {
    this.hooks = hooks;
  }

  /** The hooks, which EC2 gives before anything runs (the runtime cannot wire a VPC without them). */
  private need(): RuntimeHooks {
    if (!this.hooks) throw new Error('the runtime has no hooks: EC2 gives them when it is attached to the cloud');
    return this.hooks;
  }

  /** A subnet as the EFS data path needs it (EfsHost). */
  subnet(region: string, subnetId: string): EfsSubnet | undefined {
    return this.hooks?.subnet(region, subnetId);
  }

  /**
   * Adds a source of names to the VPCs' Amazon-provided DNS (dns.ts). Providers are asked in the order they were
   * added; the first that knows a name answers for it. EC2 adds instance and public names; other services add theirs.
   */
  addNameProvider(provider: NameProvider): void {
    if (!this.nameProviders.includes(provider)) this.nameProviders.push(provider);
  }

  /** The instance whose DNS query comes from this uplink alias, unless its VPC's DNS support is off. */
  private dnsAsker(source: string): Asker | undefined {
    for (const [id, r] of [...this.running, ...this.plugged]) {
      if (r.alias !== source) continue;
      const { region, vpcId, zone } = r.spec;
      return this.hooks?.dnsSupport(region, vpcId) ? { region, vpcId, zone, instanceId: id } : undefined;
    }
    return undefined;
  }

  /** Removes leftovers of a previous run of this cloud, starts the metadata service and the host table. */
  start(): Promise<void> {
    if (!this.started) this.started = this.doStart();
    return this.started;
  }

  private async doStart(): Promise<void> {
    if (!this.enabled) return;
    await cleanHostByTag(this.tag);
    await reapDeadClouds();
    // From here on the launches' host commands weigh less than the API (limits.ts).
    this.provisioning = makeProvisioningCgroup(this.tag);
    if (this.provisioning) runHostCommandsIn(this.provisioning);
    makeInstancesCgroup(this.tag);
    const ev = this.cloud.events;
    // Applied on the host after the API call returns (as AWS applies them: within moments); a failure is logged.
    const onAddress = () => {
      this.refreshPublic().catch((err) => console.error(`[halo] public addresses: ${(err as Error).message}`));
    };
    const onVpc = (e: { vpcId: string }) => {
      this.refreshFirewall(e.vpcId).catch((err) => console.error(`[halo] firewall of ${e.vpcId}: ${(err as Error).message}`));
    };
    ev.on('ec2.addressAssociated', onAddress);
    ev.on('ec2.addressDisassociated', onAddress);
    ev.on('ec2.internetGatewayChanged', onAddress);
    ev.on('ec2.routeTableChanged', onAddress);
    ev.on('ec2.securityGroupChanged', onVpc);
    ev.on('ec2.networkAclChanged', onVpc);
    this.cloud.onShutdown(() => this.shutdown());
    this.efs.listen();
  }

  /**
   * The VPC's namespace, made when missing (an instance or a mount target needs it), with its Amazon-provided DNS
   * address (base + 2 of its CIDR). The caller counts as a user of the VPC before it asks (launching, EFS starting).
   */
  async vpcNet(vpcId: string, vpcCidr: string): Promise<VpcNet> {
    return (
      this.vpcs.get(vpcId) ??
      this.vpcTurns.run(vpcId, async () => {
        let vpc = this.vpcs.get(vpcId);
        if (!vpc) {
          vpc = await createVpcNet(this.tag, vpcId, this.need().publicPool(), resolverAddress(vpcCidr));
          this.vpcs.set(vpcId, vpc);
        }
        return vpc;
      })
    );
  }

  releaseVpcIfIdle(vpcId: string): Promise<void> {
    return this.vpcTurns.run(vpcId, async () => {
      const vpc = this.vpcs.get(vpcId);
      if (!vpc || [...this.running.values(), ...this.plugged.values()].some((x) => x.spec.vpcId === vpcId) || this.efs.usesVpc(vpcId))
        return;
      if (this.launching.get(vpcId)) return;
      this.vpcs.delete(vpcId);
      // A ruleset being applied to its namespace finishes first.
      await this.refreshes.settled(`firewall ${vpcId}`);
      await destroyVpcNet(vpc);
    });
  }

  /**
   * The host side, made when the first instance boots (a cloud without instances leaves nothing on the host): the
   * metadata responder and the host's nft table. The cloud is recorded in /run/halo/clouds so that another cloud's
   * start removes what it left if it died without cleaning up.
   */
  private hostReady?: Promise<void>;
  /** The shared boot files written (once per daemon; asked again after a failure). */
  private sharedBoot?: Promise<void>;

  private async ensureHost(): Promise<void> {
    if (!this.hostReady) {
      this.hostReady = (async () => {
        recordCloud(this.tag, this.home);
        const imds = new MetadataService(
          async (source) => {
            for (const [id, r] of this.running) if (r.alias === source) return this.hooks?.metadata(id);
            return undefined;
          },
          (source, route, params) => this.instanceRequest(source, route, params),
        );
        this.imdsPort = await imds.start();
        this.imds = imds;
        const dns = new DnsService(
          (source) => this.dnsAsker(source),
          () => this.nameProviders,
        );
        this.dnsPorts = await dns.start();
        this.dns = dns;
        await this.refreshPublic();
      })();
      this.hostReady.catch(() => {
        this.hostReady = undefined;
      });
    } else if (this.imds && this.apiPort === undefined) {
      await this.refreshPublic();
    }
    return this.hostReady;
  }

  requireEnabled(): void {
    if (!this.enabled) throw new Error('running instances needs root (network namespaces, nftables, mounts); start the cloud as root');
  }

  /** The API port of this daemon, once it listens (instances reach it at 169.254.169.254:4570). */
  private apiPortNow(): number | undefined {
    return this.cloud.apiPort;
  }

  /** The host's table whole: its chains and maps (the first time, and until the API port is known). */
  private async applyHostRules(maps: HostMaps): Promise<void> {
    this.apiPort = this.apiPortNow();
    await nft(
      undefined,
      renderHostRuleset({
        table: this.n.hostTable,
        linkPrefix: this.n.hostLinkPrefix,
        imdsPort: this.imdsPort,
        dnsPorts: this.dnsPorts,
        apiPort: this.apiPort,
        apiPortInInstance: API_PORT_IN_INSTANCE,
        publicPool: this.need().publicPool(),
        ...maps,
      }),
    );
    this.hostTableMade = true;
  }

  images(): string {
    return imageCacheDir(this.home);
  }

  defaultImage(log?: (line: string) => void): Promise<string> {
    return ensureImage(this.images(), 'debian12', [], log);
  }

  instanceDir(instanceId: string): string {
    return path.join(this.home, 'instances', instanceId);
  }

  /** The boot files every instance has alike (sandbox.ts writeSharedBootFiles), written at this daemon's first launch. */
  private sharedBootDir(): string {
    return path.join(this.home, 'boot');
  }

  volumeDir(volumeId: string): string {
    return path.join(this.home, 'volumes', volumeId);
  }

  /** The most recent 64 KB of the instance's console (all EC2 keeps). */
  consoleLog(instanceId: string): string {
    return readConsoleTail(path.join(this.instanceDir(instanceId), 'console.log'));
  }

  /** Adds a line of halo's own to the instance's console, off the event loop; an instance's lines keep their order. */
  appendConsole(instanceId: string, line: string): void {
    const dir = this.instanceDir(instanceId);
    const written = (this.consoleLines.get(instanceId) ?? Promise.resolve())
      .then(async () => {
        await mkdir(dir, { recursive: true });
        await appendFile(path.join(dir, 'console.log'), `${line}\n`);
      })
      .catch(() => undefined); // a console that cannot be written loses the line
    this.consoleLines.set(instanceId, written);
    void written.then(() => {
      if (this.consoleLines.get(instanceId) === written) this.consoleLines.delete(instanceId);
    });
  }

  isRunning(instanceId: string): boolean {
    return !this.hibernated.has(instanceId) && (this.running.get(instanceId)?.sandbox.alive() ?? false);
  }

  /** Instance id → host pid of its sandbox's init (PID 1 of its PID namespace), for every live sandbox (usage.ts). */
  sandboxInits(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [id, r] of this.running) {
      if (this.hibernated.has(id)) continue;
      const pid = r.sandbox.alive() ? initPid(r.sandbox) : undefined;
      if (pid) out.set(id, pid);
    }
    return out;
  }

  // ---- faults (kept in the store) ----

  private faults(): FaultState {
    const raw = this.cloud.store.meta('runtime.faults');
    return raw ? (JSON.parse(raw) as FaultState) : { downHosts: [], crashed: [], partitioned: [] };
  }

  private saveFaults(f: FaultState): void {
    this.cloud.store.setMeta('runtime.faults', JSON.stringify(f));
  }

  hostDown(hostId: string): boolean {
    return this.faults().downHosts.includes(hostId);
  }

  downHosts(): string[] {
    return this.faults().downHosts;
  }

  isCrashed(instanceId: string): boolean {
    return this.faults().crashed.includes(instanceId);
  }

  /**
   * Boots (or reboots) an instance: network namespace, VPC wiring, firewall, sandbox. With `offline`, its link stays
   * down (unreachable from anywhere, its public and Elastic IPs included) until `bringOnline(instanceId)`.
   */
  async launch(spec: LaunchSpec, opts: { offline?: boolean } = {}): Promise<void> {
    const trace = (what: string) => traceSpan(spec.instanceId, what);
    trace('launch');
    this.requireEnabled();
    await this.start();
    if (this.hostDown(spec.hostId)) throw new Error(`host ${spec.hostId} is down`);
    const layers = spec.layers.length ? spec.layers : [await this.defaultImage((l) => this.appendConsole(spec.instanceId, `[halo] ${l}`))];
    if (this.stopping) return;
    await this.ensureHost();
    trace('host ready');
    const existing = this.running.get(spec.instanceId);
    if (existing) await this.halt(spec.instanceId, 0);
    // In use from now on: the VPC's namespace stays while this launch waits for it and plugs in.
    this.launching.set(spec.vpcId, (this.launching.get(spec.vpcId) ?? 0) + 1);
    try {
      await this.launchInVpc(spec, layers, opts, trace);
    } finally {
      const left = (this.launching.get(spec.vpcId) ?? 1) - 1;
      if (left) this.launching.set(spec.vpcId, left);
      else this.launching.delete(spec.vpcId);
    }
  }

  private async launchInVpc(spec: LaunchSpec, layers: string[], opts: { offline?: boolean }, trace: (what: string) => void): Promise<void> {
    const vpc = await this.vpcNet(spec.vpcId, spec.vpcCidr);
    trace('vpc ready');
    if (opts.offline) this.offline.add(spec.instanceId);
    else this.offline.delete(spec.instanceId);
    const instanceDir = this.instanceDir(spec.instanceId);
    const volumeDir = this.volumeDir(spec.volumeId);
    const rootDiskNew = !existsSync(rootDiskFile(volumeDir));
    // Its directory without the last boot's gates (a directory made now has none) and its boot files, made while its
    // id range is claimed: none needs another. Gates are opened only after. Its cgroups are made by its keeper.
    const dirReady = mkdir(instanceDir, { recursive: true }).then((made) => (made ? undefined : clearBootGates(instanceDir)));
    const cgroups = cgroupPlan(this.tag, spec.instanceId, spec.limits);
    const files: BootFilesSpec = {
      instanceDir,
      env: spec.env,
      userData: spec.userData,
      hostname: spec.hostname,
      dnsDomain: spec.dnsDomain,
      nameserver: resolverAddress(spec.vpcCidr),
      privateIp: spec.privateIp,
    };
    const sharedBoot = (this.sharedBoot ??= writeSharedBootFiles(this.sharedBootDir()));
    sharedBoot.catch(() => {
      if (this.sharedBoot === sharedBoot) this.sharedBoot = undefined;
    });
    const bootFiles = Promise.all([writeBootFiles(files), sharedBoot]);
    for (const p of [dirReady, bootFiles]) p.catch(() => undefined);
    // Root in the instance is an unprivileged id range of the host (userns.ts): its network namespace is the user
    // namespace's.
    let idBase: number;
    try {
      idBase = await this.idClaims.claim(spec.instanceId);
    } catch (err) {
      await Promise.all([dirReady, bootFiles].map((p) => p.catch(() => undefined)));
      throw err;
    }
    const nic = { instanceId: spec.instanceId, privateIp: spec.privateIp, subnetCidr: spec.subnetCidr, mac: spec.mac };
    // Everything at once, each part as soon as what it needs is there: the sandbox starts now and its first stage
    // waits at three gates: the instance's network namespace and eth0 (made by its keeper meanwhile) before it enters
    // it, the disks (the root volume's file system, a spare or a copy when new, and the data volumes on loop devices)
    // before its mounts, and the network (the VPC's side of the link wired; the firewall, NAT and public address
    // applied too unless it boots offline) before its init.
    const alias = uplinkAlias(vpc, spec.instanceId);
    const pending: Running = { spec, sandbox: undefined as unknown as Sandbox, alias, expectedExit: false };
    this.plugged.set(spec.instanceId, pending);
    // The sandbox: its boot files, then its keeper (which makes its cgroups and FIFOs, starts it and makes its network
    // namespace) through the command runner. A failure of any is the launch's.
    let sandbox: Sandbox | undefined;
    const started = (async () => {
      await Promise.all([bootFiles, dirReady, clearInstanceNs(this.tag, vpc, spec.instanceId)]);
      sandbox = await startSandbox({
        ...files,
        instanceId: spec.instanceId,
        sharedBoot: this.sharedBootDir(),
        netns: this.n.instanceNs(spec.instanceId),
        eth0: instanceSide(vpc, nic),
        connectLater: !!opts.offline,
        layers,
        volumeDir,
        rootDisk: rootDiskFile(volumeDir),
        rootDiskNew,
        cgroups: cgroups.dirs,
        cgroupSteps: cgroups.steps,
        setUpCgroups: setUpCgroups(cgroups, this.provisioning),
        joinBeforePivot: this.provisioning ? cgroups.cpuDir : undefined,
        idBase,
      });
      trace('sandbox spawned, its network namespace made');
    })();
    started.catch(() => undefined);
    const rootDisk = ensureRootDisk(volumeDir, spec.rootVolumeGiB, this.rootDiskSpares);
    const disks = allSettled([rootDisk, this.bindDisks(spec), dirReady] as const).then(async ([, bound]) => {
      await openDisksGate(instanceDir, bound, idBase);
      trace('disks ready');
    });
    // A partition is of the instance's path on its host: a reboot (or the daemon's restart) there keeps it cut.
    // Booting offline, the VPC's side of its link is connected only when it comes online (bringOnline).
    const wired = started.then(() => (opts.offline ? undefined : connectInstance(vpc, nic, alias, this.isPartitioned(spec.instanceId))));
    // The instance's firewall, NAT and public address are in place before anything reaches it or leaves it: before
    // it runs, or, booting offline (its link down), before it comes online (bringOnline waits for them). The rules
    // name its link and alias, so they are applied while both are made.
    const network = allSettled([this.refreshFirewall(spec.vpcId), this.refreshPublic()] as const).then(() => {
      trace('firewall applied');
    });
    network.catch(() => undefined);
    wired.catch(() => undefined);
    if (opts.offline) this.networkReady.set(spec.instanceId, network);
    // Booting offline, the keeper opened the network gate with eth0 made.
    const gateOpen = opts.offline
      ? started
      : allSettled([wired, network] as const).then(async () => {
          await openNetworkGate(instanceDir);
          trace('network gate open');
        });
    gateOpen.catch(() => undefined);
    try {
      await allSettled([started, disks, gateOpen] as const);
    } catch (err) {
      await Promise.all([started, disks, wired, network, gateOpen].map((p) => p.catch(() => undefined)));
      if (sandbox) {
        killSandbox(sandbox);
        await sandbox.exited;
      }
      this.networkReady.delete(spec.instanceId);
      this.offline.delete(spec.instanceId);
      await this.releaseDisks(spec.instanceId);
      await this.releaseCgroups(spec.instanceId);
      this.plugged.delete(spec.instanceId);
      await unplugInstance(this.tag, vpc, spec.instanceId);
      await this.idClaims.release(spec.instanceId);
      await Promise.all([this.refreshFirewall(spec.vpcId), this.refreshPublic()]).catch((e) =>
        console.error(`[halo] ${spec.instanceId}: ${(e as Error).message}`),
      );
      throw err;
    }
    this.plugged.delete(spec.instanceId);
    void this.rootDiskSpares.refill(spec.rootVolumeGiB);
    const entry: Running = { ...pending, sandbox: sandbox as Sandbox };
    this.running.set(spec.instanceId, entry);
    const f = this.faults();
    this.saveFaults({ ...f, crashed: f.crashed.filter((i) => i !== spec.instanceId) });
    void entry.sandbox.exited.then((code) => {
      if (!entry.expectedExit && !this.stopping)
        this.appendConsole(spec.instanceId, `[halo] the instance's processes ended unexpectedly (exit ${code})`);
    });
  }

  /**
   * The AWS time at which an instance launched `offline` may be reached has come: its link comes up (unless a
   * partition cut it meanwhile), and its init, seeing the network, runs its user data.
   */
  async bringOnline(instanceId: string): Promise<void> {
    if (!this.offline.has(instanceId)) return;
    const network = this.networkReady.get(instanceId);
    this.networkReady.delete(instanceId);
    // Its firewall and public address were applied while it booted; an application that failed then (they run
    // beside every other launch and halt of the cloud) is made again from the state now, before anything reaches it.
    await network?.catch(async (err: Error) => {
      console.error(`[halo] ${instanceId}: firewall or public address: ${err.message}; applied again`);
      const vpcId = this.running.get(instanceId)?.spec.vpcId;
      await allSettled([vpcId ? this.refreshFirewall(vpcId) : Promise.resolve(), this.refreshPublic()] as const);
    });
    if (!this.offline.delete(instanceId)) return;
    const r = this.running.get(instanceId);
    const vpc = r && this.vpcs.get(r.spec.vpcId);
    if (!vpc || this.isPartitioned(instanceId) || this.hostDown(r.spec.hostId)) return;
    await this.linkUp(vpc, r);
    traceSpan(instanceId, 'online');
  }

  /**
   * The instance's link comes up (its VPC's side connected, or connected again), and its init, should it wait for
   * the network, is told at once.
   */
  private async linkUp(vpc: VpcNet, r: Running): Promise<void> {
    await connectInstance(vpc, r.spec, r.alias);
    await wakeInit(this.instanceDir(r.spec.instanceId));
  }

  /** Whether the instance was launched `offline` and is not online yet. */
  isOffline(instanceId: string): boolean {
    return this.offline.has(instanceId);
  }

  /**
   * Hibernates a running instance: its link goes down (unreachable, its own connections stall), then every one of
   * its processes is frozen where it is, memory and all. False (nothing changed) when it has no live sandbox or the
   * host has no cgroup freezer: the caller then stops it the usual way, as EC2 does when hibernation fails.
   */
  async hibernate(instanceId: string): Promise<boolean> {
    const r = this.running.get(instanceId);
    const vpc = r && this.vpcs.get(r.spec.vpcId);
    if (!r || !vpc || !r.sandbox.alive() || this.hibernated.has(instanceId)) return false;
    this.offline.add(instanceId);
    await setLink(vpc, instanceId, false);
    if (!(await freezeCgroups(cgroupDirs(this.tag, instanceId), true))) {
      thawCgroups(cgroupDirs(this.tag, instanceId));
      this.offline.delete(instanceId);
      if (!this.isPartitioned(instanceId)) await this.linkUp(vpc, r);
      return false;
    }
    this.hibernated.add(instanceId);
    this.probes.delete(instanceId);
    this.appendConsole(instanceId, '[halo] hibernated: processes frozen with their memory, network down');
    return true;
  }

  /**
   * Resumes a hibernated instance: its processes run on from where they were frozen, and its link comes up (unless a
   * partition cut it). False when there is nothing to resume (its sandbox did not survive, e.g. a daemon restart):
   * the caller boots it afresh.
   */
  async resume(instanceId: string): Promise<boolean> {
    const r = this.running.get(instanceId);
    if (!this.hibernated.delete(instanceId) || !r) return false;
    if (!r.sandbox.alive()) {
      await this.halt(instanceId, 0);
      return false;
    }
    await freezeCgroups(cgroupDirs(this.tag, instanceId), false);
    this.appendConsole(instanceId, '[halo] resumed from hibernation');
    await this.bringOnline(instanceId);
    return true;
  }

  /** Whether the instance is hibernated (its frozen sandbox held by this daemon). */
  isHibernated(instanceId: string): boolean {
    return this.hibernated.has(instanceId);
  }

  /** Stops an instance's sandbox (cleanly within graceMs, then killed) and unplugs its network. */
  async halt(instanceId: string, graceMs: number): Promise<void> {
    this.offline.delete(instanceId);
    this.networkReady.delete(instanceId);
    const r = this.running.get(instanceId);
    if (!r) return;
    r.expectedExit = true;
    if (this.hibernated.delete(instanceId)) {
      // A hibernated instance is off: no clean shutdown. Its frozen processes take the kill once thawed.
      killSandbox(r.sandbox);
      thawCgroups(cgroupDirs(this.tag, instanceId));
    }
    await stopSandbox(r.sandbox, graceMs);
    this.efs.forgetInstance(instanceId);
    await this.releaseDisks(instanceId);
    await this.releaseCgroups(instanceId);
    await this.idClaims.release(instanceId);
    this.running.delete(instanceId);
    this.probes.delete(instanceId);
    const vpc = this.vpcs.get(r.spec.vpcId);
    if (vpc) {
      await unplugInstance(this.tag, vpc, instanceId);
      await this.releaseVpcIfIdle(vpc.vpcId);
      await Promise.all([this.refreshFirewall(vpc.vpcId), this.refreshPublic()]);
    } else {
      await this.refreshPublic();
    }
  }

  /**
   * Deletes an instance's host files and, when given, its root volume. Off the event loop: freeing a root volume's
   * image takes the kernel tens of milliseconds, hundreds under load.
   */
  async removeFiles(instanceId: string, volumeId?: string): Promise<void> {
    await this.consoleLines.get(instanceId); // not to make its directory again
    await Promise.all([
      rm(this.instanceDir(instanceId), { recursive: true, force: true }),
      volumeId ? rm(this.volumeDir(volumeId), { recursive: true, force: true }) : undefined,
    ]);
  }

  /** Kills what is left in the instance's cgroups (nothing, after its sandbox ended) and removes them. */
  private async releaseCgroups(instanceId: string): Promise<void> {
    const dirs = cgroupDirs(this.tag, instanceId);
    for (const dir of dirs) {
      for (const pid of cgroupPids(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    await removeCgroups(dirs);
  }

  // ---- EBS data volumes ----

  private async bindDisks(spec: LaunchSpec): Promise<BoundDisk[]> {
    const disks = await allSettled(
      this.need()
        .attachedVolumes(spec.region, spec.instanceId)
        .map((v) => bindDisk({ volumeId: v.volumeId, device: v.device, file: diskFile(this.home, v.volumeId) })),
    );
    this.disks.set(spec.instanceId, new Map(disks.map((d) => [d.volumeId, d])));
    return disks;
  }

  private async releaseDisks(instanceId: string): Promise<void> {
    const files = [...(this.disks.get(instanceId)?.values() ?? [])].map((d) => d.file);
    this.disks.delete(instanceId);
    await Promise.all(files.map((file) => unbindDisk(file)));
  }

  /** A volume attached to a running instance appears in it at once; false when the instance does not run. */
  async attachVolume(instanceId: string, volumeId: string, device: string): Promise<boolean> {
    const r = this.running.get(instanceId);
    const pid = r?.sandbox.alive() ? initPid(r.sandbox) : undefined;
    if (!pid) return false;
    const disk = await bindDisk({ volumeId, device, file: diskFile(this.home, volumeId) });
    await makeNodes(pid, disk);
    const mine = this.disks.get(instanceId) ?? new Map<string, BoundDisk>();
    mine.set(volumeId, disk);
    this.disks.set(instanceId, mine);
    return true;
  }

  /** mount/umount of an attached volume, asked for from inside the instance at this source address. */
  /** A request of an instance to its platform (POST /halo/<route> on the metadata address): the services', EFS's or the volumes'. */
  private async instanceRequest(source: string, route: string, params: URLSearchParams): Promise<VolumeRequestResult> {
    for (const [id, r] of this.running) {
      if (r.alias !== source) continue;
      const platform = await this.hooks?.platformRequest?.(id, r.spec.region, route, params);
      if (platform) return platform;
      const pid = r.sandbox.alive() ? initPid(r.sandbox) : undefined;
      const efs =
        pid &&
        (await this.efs.request(
          { instanceId: id, region: r.spec.region, subnetId: r.spec.subnetId, privateIp: r.spec.privateIp, initPid: pid },
          route,
          params,
        ));
      if (efs) return efs;
      if (pid) return volumeRequest(pid, [...(this.disks.get(id)?.values() ?? [])], route, params);
    }
    return { status: 404, body: 'unknown instance' };
  }

  /** Where the instance has this volume mounted (nothing when it does not run). */
  volumeMounts(instanceId: string, volumeId: string): string[] {
    const disk = this.disks.get(instanceId)?.get(volumeId);
    const r = this.running.get(instanceId);
    const pid = disk && r?.sandbox.alive() ? initPid(r.sandbox) : undefined;
    return disk && pid ? mountsOf(pid, disk.major, disk.minor) : [];
  }

  /** The volume leaves the instance: unmounted (lazily) inside it, its device nodes removed, its loop device freed. */
  async detachVolume(instanceId: string, volumeId: string): Promise<void> {
    const disk = this.disks.get(instanceId)?.get(volumeId);
    const r = this.running.get(instanceId);
    const pid = disk && r?.sandbox.alive() ? initPid(r.sandbox) : undefined;
    if (disk && pid) {
      await unmountIn(pid, mountsOf(pid, disk.major, disk.minor));
      removeNodes(pid, disk.names);
    }
    this.disks.get(instanceId)?.delete(volumeId);
    await unbindDisk(diskFile(this.home, volumeId));
  }

  /** Re-applies the VPC's firewall (security groups, network ACLs, NAT of its ports) from the state, in one nft transaction. */
  refreshFirewall(vpcId: string): Promise<void> {
    return this.refreshes.request(`firewall ${vpcId}`, () => this.applyFirewall(vpcId));
  }

  private async applyFirewall(vpcId: string): Promise<void> {
    const vpc = this.vpcs.get(vpcId);
    if (!vpc || this.stopping) return;
    const ports: FirewallPort[] = [];
    let region = '';
    for (const [id, r] of [...this.running, ...this.plugged]) {
      if (r.spec.vpcId !== vpcId) continue;
      region = r.spec.region;
      ports.push({
        instanceId: id,
        link: instanceLink(id),
        privateIp: r.spec.privateIp,
        alias: aliasOf(vpc, id) ?? r.alias,
        subnetId: r.spec.subnetId,
        groupIds: r.spec.groupIds,
        sourceDestCheck: r.spec.sourceDestCheck,
      });
    }
    ports.push(...this.efs.ports(vpc));
    region ||= this.efs.regionOf(vpcId) ?? '';
    const rules: VpcRules = region ? this.need().vpcRules(region, vpcId) : { groups: new Map(), acls: new Map() };
    await applyVpcRules(vpc, renderVpcRuleset({ ports, ...rules, publicPool: vpc.publicPool, resolver: vpc.resolver }));
  }

  /** The security groups of a running instance changed (ModifyInstanceAttribute). */
  async updateGroups(instanceId: string, groupIds: string[]): Promise<void> {
    const r = this.running.get(instanceId);
    if (!r) return;
    r.spec.groupIds = groupIds;
    await this.refreshFirewall(r.spec.vpcId);
  }

  /** ModifyInstanceAttribute SourceDestCheck of a running instance (a NAT instance turns it off). */
  async setSourceDestCheck(instanceId: string, on: boolean): Promise<void> {
    const r = this.running.get(instanceId) ?? this.plugged.get(instanceId);
    if (!r) return;
    r.spec.sourceDestCheck = on;
    await this.refreshFirewall(r.spec.vpcId);
  }

  /** Public addresses of running instances, which of them are on the Internet path, and their token TTLs. */
  private hostMaps(): HostMaps {
    const maps: HostMaps = { publicMap: [], online: [], tokenTtl: [] };
    const hooks = this.need();
    for (const [ip, instanceId] of hooks.publicAddresses()) {
      const r = this.running.get(instanceId) ?? this.plugged.get(instanceId);
      if (!r) continue;
      maps.publicMap.push([ip, r.alias]);
      if (hooks.onInternetPath(r.spec.region, r.spec.vpcId, r.spec.subnetId)) maps.online.push([r.alias, ip]);
    }
    for (const [id, r] of [...this.running, ...this.plugged]) {
      const hopLimit = hooks.metadataHopLimit(r.spec.region, id);
      maps.tokenTtl.push([r.alias, hopLimit + HOPS_HOST_TO_INSTANCE]);
    }
    return maps;
  }

  /**
   * Re-applies public and Elastic IP mappings, the Internet path and the metadata token TTLs: one atomic nft
   * transaction, plus the /32s on lo. Also to be called when an instance's metadata options change.
   */
  refreshPublic(): Promise<void> {
    return this.refreshes.request('host', () => this.applyPublic());
  }

  private async applyPublic(): Promise<void> {
    if (!this.enabled || !this.imds || this.stopping) return;
    traceSpan('host', 'public addresses: applying');
    const maps = this.hostMaps();
    const whole = !this.hostTableMade || this.apiPort === undefined;
    const changes = whole ? '' : renderHostMaps(this.n.hostTable, maps, this.hostMapsApplied);
    this.hostMapsApplied = undefined;
    const table = (whole ? this.applyHostRules(maps) : changes ? nft(undefined, changes) : Promise.resolve()).then(() => {
      this.hostMapsApplied = maps;
    });
    const wanted = new Set(maps.publicMap.map(([ip]) => ip));
    const lines: string[] = [];
    for (const ip of wanted) {
      if (this.loAddresses.has(ip)) continue;
      lines.push(`addr replace ${ip}/32 dev lo label ${this.n.loLabel}`);
      this.loAddresses.add(ip);
    }
    for (const ip of [...this.loAddresses]) {
      if (wanted.has(ip)) continue;
      lines.push(`addr del ${ip}/32 dev lo`);
      this.loAddresses.delete(ip);
    }
    await allSettled([table, lines.length ? ipBatch(undefined, lines, true) : Promise.resolve(undefined)] as const);
    traceSpan('host', 'public addresses: applied');
  }

  // ---- status checks ----

  /**
   * Probes every running instance for real, as EC2's two checks: the system check sees the platform's side (its
   * host up, the platform's end of its network path up: a failed host or a network partition impairs it); the
   * instance check sees the instance itself (its processes alive, its network stack answering from the VPC
   * namespace). A cut path fails both, as on EC2, where an instance whose system check fails fails its own too.
   */
  async probeAll(instances: Array<{ instanceId: string; hostId: string }>): Promise<Map<string, ProbeResult>> {
    const now = this.cloud.clock.now();
    const byVpc = new Map<string, Array<{ instanceId: string; privateIp: string }>>();
    // An instance still offline (booted ahead of its AWS time) is not checked yet: EC2 checks it once it runs.
    instances = instances.filter((i) => !this.offline.has(i.instanceId));
    for (const { instanceId } of instances) {
      const r = this.running.get(instanceId);
      if (r && r.sandbox.alive())
        byVpc.set(r.spec.vpcId, [...(byVpc.get(r.spec.vpcId) ?? []), { instanceId, privateIp: r.spec.privateIp }]);
    }
    const seen = new Map<string, NetworkProbe>();
    const unprobed = new Set<string>();
    await Promise.all(
      [...byVpc].map(async ([vpcId, list]) => {
        const vpc = this.vpcs.get(vpcId);
        const probe = vpc && (await probeNetwork(vpc, list));
        if (probe) seen.set(vpcId, probe);
        else unprobed.add(vpcId);
      }),
    );
    const down = new Set(this.downHosts());
    for (const { instanceId, hostId } of instances) {
      const r = this.running.get(instanceId);
      const alive = !!r && r.sandbox.alive();
      // The probe of its VPC did not finish: no new result for a live instance on a live host (the last one stands):
      // EC2 lacks data then, which is no failure of the instance.
      if (alive && unprobed.has(r.spec.vpcId) && !down.has(hostId)) continue;
      const net = r ? seen.get(r.spec.vpcId) : undefined;
      const ip = r?.spec.privateIp ?? '';
      // A dead sandbox is not probed: its link says nothing of the platform, whose state is the host's.
      const pathUp = !alive || !!net?.linkUp.has(ip);
      const system = down.has(hostId) || !pathUp ? 'impaired' : 'ok';
      const answered = !!net?.answered.has(ip);
      this.probes.set(instanceId, { system, instance: alive && answered && system === 'ok' ? 'ok' : 'impaired', at: now });
    }
    return new Map(this.probes);
  }

  lastProbe(instanceId: string): ProbeResult | undefined {
    return this.probes.get(instanceId);
  }

  // ---- faults ----

  /** The instance's processes die; its host is fine. */
  crashInstance(instanceId: string): boolean {
    const r = this.running.get(instanceId);
    const f = this.faults();
    if (!f.crashed.includes(instanceId)) this.saveFaults({ ...f, crashed: [...f.crashed, instanceId] });
    if (!r) return false;
    r.expectedExit = true;
    killSandbox(r.sandbox);
    // Frozen (hibernated) processes take the kill once thawed; a later start then boots afresh.
    if (this.hibernated.has(instanceId)) thawCgroups(cgroupDirs(this.tag, instanceId));
    this.efs.forgetInstance(instanceId);
    this.appendConsole(instanceId, '[halo] fault injected: instance-crash (all processes killed)');
    return true;
  }

  /** Every instance on these hosts dies; the hosts stay down until restored. */
  async failHosts(hostIds: string[]): Promise<string[]> {
    const f = this.faults();
    this.saveFaults({ ...f, downHosts: [...new Set([...f.downHosts, ...hostIds])] });
    const hit: string[] = [];
    const links: Array<Promise<void>> = [];
    for (const [id, r] of this.running) {
      // A hibernated instance is stopped: it is on no host (its memory is kept with its volume).
      if (!hostIds.includes(r.spec.hostId) || this.hibernated.has(id)) continue;
      r.expectedExit = true;
      killSandbox(r.sandbox);
      links.push(setLink(this.vpcs.get(r.spec.vpcId) as VpcNet, id, false));
      this.efs.forgetInstance(id);
      this.appendConsole(id, `[halo] fault injected: host ${r.spec.hostId} failed`);
      hit.push(id);
    }
    await allSettled([Promise.all(links), this.efs.applyZoneFaults()] as const);
    return hit;
  }

  async restoreHosts(hostIds: string[]): Promise<void> {
    const f = this.faults();
    this.saveFaults({ ...f, downHosts: f.downHosts.filter((h) => !hostIds.includes(h)) });
    await this.efs.applyZoneFaults();
  }

  /**
   * A network partition of one instance: the platform's end of its only link goes down (or back up), so nothing
   * reaches it (its private, public and Elastic IPs) and it reaches nothing (the metadata service, DNS, EFS, other
   * instances), while its processes keep running. It is a fault of the instance's network path on its host: it stays
   * through a reboot there and ends with `cut` false or when the instance leaves the host (`leftHost`). Returns
   * whether the instance was partitioned before.
   */
  async partition(instanceId: string, cut: boolean): Promise<boolean> {
    const f = this.faults();
    const was = f.partitioned.includes(instanceId);
    const partitioned = cut ? [...new Set([...f.partitioned, instanceId])] : f.partitioned.filter((i) => i !== instanceId);
    this.saveFaults({ ...f, partitioned });
    const r = this.running.get(instanceId) ?? this.plugged.get(instanceId);
    const vpc = r && this.vpcs.get(r.spec.vpcId);
    // Healed while still offline (booted ahead of its AWS time): the link comes up with bringOnline, not before; on
    // a failed host it stays down.
    if (!vpc) return was;
    if (!cut && !this.offline.has(instanceId) && !this.hostDown(r.spec.hostId)) await this.linkUp(vpc, r);
    else await setLink(vpc, instanceId, false, r.spec.privateIp);
    return was;
  }

  /**
   * The instance no longer runs on the host where its faults were injected (moved by a recovery, stopped, or
   * terminated): a partition of its path there, and a crash, end with it. A recovery that moves it thus brings it
   * back on the network, as EC2's recovery onto new hardware heals a fault of the old host's network.
   */
  leftHost(instanceId: string): void {
    const f = this.faults();
    if (!f.partitioned.includes(instanceId) && !f.crashed.includes(instanceId)) return;
    this.saveFaults({
      ...f,
      crashed: f.crashed.filter((i) => i !== instanceId),
      partitioned: f.partitioned.filter((i) => i !== instanceId),
    });
  }

  isPartitioned(instanceId: string): boolean {
    return this.faults().partitioned.includes(instanceId);
  }

  footprint(): Promise<HostFootprint> {
    return readFootprint(this.tag);
  }

  async hostIsClean(): Promise<boolean> {
    return isClean(await this.footprint());
  }

  async shutdown(): Promise<void> {
    if (!this.enabled || this.stopping) return;
    this.stopping = true;
    await Promise.all(
      [...this.running.entries()].map(([id, r]) => {
        r.expectedExit = true;
        if (this.hibernated.delete(id)) {
          killSandbox(r.sandbox);
          thawCgroups(cgroupDirs(this.tag, id));
        }
        return stopSandbox(r.sandbox, 3000);
      }),
    );
    this.running.clear();
    await this.efs.stopAll(this.vpcs);
    await Promise.all([...this.disks.keys()].map((id) => this.releaseDisks(id)));
    await this.imds?.stop();
    await this.dns?.stop();
    // Out of the provisioning cgroup before the cleanup kills what is left in the cloud's cgroups.
    if (this.provisioning) leaveHostCommandsCgroup(this.provisioning);
    await cleanHostByTag(this.tag);
    forgetCloud(this.tag);
    this.vpcs.clear();
  }
}
