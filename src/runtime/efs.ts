import { chmodSync, chownSync, lstatSync, mkdirSync, rmSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Cloud } from '../cloud.js';
import { findZone, hostsOf } from '../topology/regions.js';
import { FileSystemData } from './efs-data.js';
import { clientStateDir, readMountAsk, startClient, type RunningClient } from './efs-client.js';
import {
  accessPointPseudo,
  fileSystemPseudo,
  FULL_GRANT,
  quotable,
  unionOf,
  type AccessPointExport,
  type ClientGrant,
  type ExportRules,
  type ServerExports,
} from './efs-exports.js';
import {
  fileSystemDir,
  nfsLease,
  setMountTargetUp,
  startMountTarget,
  stopMountTarget,
  stopProcess,
  updateExports,
  type MountTargetServer,
} from './efs-server.js';
import type { FirewallPort } from './firewall.js';
import { efsRunDir, instanceLink, names } from './names.js';
import { aliasOf, type VpcNet } from './network.js';
import { unmountNow, type VolumeRequestResult } from './volumes.js';

/**
 * Makes an access point's root directory in the file system's directory, with its owner and permissions, one
 * component at a time without following links (a client may have put a symlink anywhere). False when it cannot (no
 * CreationInfo, or a file or link in the way: EFS then refuses the mount), true when the directory is there.
 */
export function makeAccessPointRoot(
  dataDir: string,
  apPath: string,
  info?: { OwnerUid: number; OwnerGid: number; Permissions: string },
): boolean {
  const parts = apPath.split('/').filter(Boolean);
  if (parts.some((p) => p === '..' || p === '.')) return false;
  let dir = dataDir;
  for (const [i, part] of parts.entries()) {
    dir = path.join(dir, part);
    let st = lstatOrUndefined(dir);
    if (!st) {
      if (!info) return false;
      mkdirSync(dir);
      if (i === parts.length - 1) {
        chownSync(dir, info.OwnerUid, info.OwnerGid);
        chmodSync(dir, Number.parseInt(info.Permissions, 8));
      }
      st = lstatSync(dir);
    }
    if (!st.isDirectory()) return false;
  }
  return true;
}

/**
 * The access point's root directory on the host when it is there, every component a directory and none a link (its
 * export's path: ganesha would follow a link a client put there out of the file system's directory).
 */
export function existingAccessPointRoot(dataDir: string, apPath: string): string | undefined {
  let dir = dataDir;
  for (const part of apPath.split('/').filter(Boolean)) {
    if (part === '..' || part === '.') return undefined;
    dir = path.join(dir, part);
    if (!lstatOrUndefined(dir)?.isDirectory()) return undefined;
  }
  return dir;
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/** A subnet as the data path sees it (from EC2, through the runtime's hooks). */
export interface EfsSubnet {
  CidrBlock: string;
  AvailabilityZone: string;
  VpcId: string;
  /** Its VPC's IPv4 block. */
  VpcCidrBlock: string;
}

/** A mount target as the data path serves it (EFS's record has these fields). */
export interface EfsMountTarget {
  MountTargetId: string;
  FileSystemId: string;
  SubnetId: string;
  VpcId: string;
  AvailabilityZoneName: string;
  AvailabilityZoneId: string;
  IpAddress: string;
  SecurityGroups: string[];
}

/** An access point as a mount through it needs it (EFS's record has these fields). */
export interface EfsAccessPoint {
  AccessPointId: string;
  FileSystemId: string;
  PosixUser?: { Uid: number; Gid: number };
  RootDirectory: { Path: string; CreationInfo?: { OwnerUid: number; OwnerGid: number; Permissions: string } };
}

/** What the data path needs of the EFS service, which gives it (EfsRuntime.setHooks): its state and its decisions. */
export interface EfsHooks {
  /** The mount targets of a region, or of every region (with their region) when none is named. */
  mountTargets(region?: string): Array<{ region: string; mountTarget: EfsMountTarget }>;
  accessPoint(region: string, accessPointId: string): EfsAccessPoint | undefined;
  /** The access points of a file system: each is an export of its mount targets' servers. */
  accessPoints(region: string, fileSystemId: string): EfsAccessPoint[];
  /** What a mount may do (file system policies, the instance role's policies). */
  authorize: EfsMountAuthorizer;
}

/** What the EFS data path needs of the runtime (implemented by Runtime). */
export interface EfsHost {
  /** A subnet with its zone and its VPC's block, from EC2; undefined when it is gone. */
  subnet(region: string, subnetId: string): EfsSubnet | undefined;
  readonly cloud: Cloud;
  readonly tag: string;
  readonly home: string;
  readonly enabled: boolean;
  /** The VPC's namespace, made when missing. */
  vpcNet(vpcId: string, vpcCidr: string): Promise<VpcNet>;
  /** Drops the VPC's namespace when nothing (instance or mount target) uses it any more. */
  releaseVpcIfIdle(vpcId: string): Promise<void>;
  refreshFirewall(vpcId: string): Promise<void>;
  downHosts(): string[];
}

/** The instance that asks to mount, as the runtime knows it. */
export interface MountingInstance {
  instanceId: string;
  region: string;
  subnetId: string;
  /** The address its packets come from (EC2's source check drops any other): the NFS server knows it by it. */
  privateIp: string;
  initPid: number;
}

/** What a mount may do, as EFS's authorization of NFS clients decides it (the EFS service answers). */
export interface EfsMountAccess {
  mount: boolean;
  write: boolean;
  root: boolean;
  /** Why the mount helper gives up before asking the server (no credentials for `iam`). */
  refusal?: string;
}

/** The question the data path asks at each mount: this instance, this file system, these options. */
export interface EfsMountQuestion {
  instanceId: string;
  fileSystemId: string;
  accessPointId?: string;
  iam: boolean;
  tls: boolean;
}

export type EfsMountAuthorizer = (region: string, question: EfsMountQuestion) => Promise<EfsMountAccess>;

/** How long the client may take to connect before mount reports a time-out (below the mount wrapper's 30 s). */
const CLIENT_WAIT_MS = 25_000;

/** A client the runtime started, with what it was granted and why (asked again when the file system policy changes). */
interface MountedClient {
  target: string;
  /** Its process, once it started. */
  child?: RunningClient['child'];
  mountTargetId?: string;
  address: string;
  region: string;
  /** Mounted through this access point: its grant is held on the access point's export. */
  accessPointId?: string;
  question?: EfsMountQuestion;
  grant: ClientGrant;
}

interface EfsMountedEvent {
  region: string;
  mountTarget: EfsMountTarget;
}

/**
 * The EFS data path (design: src/runtime/README.md). Each mount target is a namespace plugged into its subnet like
 * an instance, its security groups enforced by the VPC's firewall, running nfs-ganesha over the file system's one
 * host directory; each mount in an instance is a FUSE NFSv4 client started in the instance's network namespace.
 */
export class EfsRuntime {
  private readonly servers = new Map<string, MountTargetServer>();
  private readonly starting = new Map<string, Promise<void>>();
  /** The VPC of each mount target being started: in use already (releaseVpcIfIdle must leave it). */
  private readonly startingVpcs = new Map<string, string>();
  private readonly clients = new Map<string, MountedClient[]>();
  /** Per mount target, the export id each access point got (never reused while the server runs: clients' handles carry it). */
  private readonly exportIds = new Map<string, Map<string, number>>();
  private hooks?: EfsHooks;

  private dataImage?: FileSystemData;

  constructor(private readonly host: EfsHost) {}

  /** The file systems' data image (made at first use: the host's home is known once the cloud is). */
  private get data(): FileSystemData {
    return (this.dataImage ??= new FileSystemData(this.host.home));
  }

  /** The EFS service gives its mount targets and access points, and decides what each mount may do. */
  setHooks(hooks: EfsHooks): void {
    this.hooks = hooks;
    // Servers started before (restored from the store) granted everyone everything meanwhile.
    for (const id of this.servers.keys()) {
      this.reloadServer(id).catch((err) => console.error(`[halo] exports of ${id}: ${(err as Error).message}`));
    }
  }

  /** Serves the mount targets in the store (after a restart) and follows the EFS API's changes. */
  listen(): void {
    const ev = this.host.cloud.events;
    ev.on('efs.mountTargetCreated', (e: EfsMountedEvent) => this.serve(e.region, e.mountTarget));
    ev.on('efs.mountTargetChanged', (e: EfsMountedEvent) => {
      const s = this.servers.get(e.mountTarget.MountTargetId);
      if (!s) return;
      s.spec.groupIds = e.mountTarget.SecurityGroups;
      this.host
        .refreshFirewall(s.spec.vpcId)
        .catch((err) => console.error(`[halo] firewall of ${s.spec.vpcId}: ${(err as Error).message}`));
    });
    ev.on('efs.mountTargetDeleted', (e: EfsMountedEvent) => {
      this.unserve(e.mountTarget.MountTargetId).catch((err) =>
        console.error(`[halo] mount target ${e.mountTarget.MountTargetId}: ${(err as Error).message}`),
      );
    });
    ev.on('efs.fileSystemPolicyChanged', (e: { region: string; fileSystemId: string }) => {
      this.reauthorize(e.region, e.fileSystemId).catch((err) =>
        console.error(`[halo] file system policy of ${e.fileSystemId}: ${(err as Error).message}`),
      );
    });
    // An access point is an export of every mount target of its file system: it appears and goes with the access point.
    for (const event of ['efs.accessPointCreated', 'efs.accessPointDeleted']) {
      ev.on(event, (e: { region: string; fileSystemId: string }) => {
        this.reloadFileSystem(e.region, e.fileSystemId).catch((err) =>
          console.error(`[halo] exports of ${e.fileSystemId}: ${(err as Error).message}`),
        );
      });
    }
    ev.on('efs.fileSystemDeleted', (e: { fileSystemId: string }) => {
      this.data
        .open(false)
        .then(() => rmSync(fileSystemDir(this.host.home, e.fileSystemId), { recursive: true, force: true }))
        .catch((err) => console.error(`[halo] data of ${e.fileSystemId}: ${(err as Error).message}`));
    });
    for (const { region, mountTarget } of this.hooks?.mountTargets() ?? []) this.serve(region, mountTarget);
  }

  private serve(region: string, mt: EfsMountTarget): void {
    if (!this.host.enabled || this.servers.has(mt.MountTargetId) || this.starting.has(mt.MountTargetId)) return;
    const subnet = this.host.subnet(region, mt.SubnetId);
    if (!subnet) return;
    const spec = {
      mountTargetId: mt.MountTargetId,
      fileSystemId: mt.FileSystemId,
      region,
      vpcId: mt.VpcId,
      vpcCidr: subnet.VpcCidrBlock,
      subnetId: mt.SubnetId,
      subnetCidr: subnet.CidrBlock,
      zoneId: mt.AvailabilityZoneId,
      ipAddress: mt.IpAddress,
      groupIds: mt.SecurityGroups,
    };
    const started = (async () => {
      // The access points' roots are looked for in the data directory: its image mounted first.
      await this.data.open();
      const vpc = await this.host.vpcNet(mt.VpcId, spec.vpcCidr);
      const rules = await this.serverExports(region, mt.MountTargetId, mt.FileSystemId);
      const server = await startMountTarget(
        this.host.tag,
        this.host.home,
        vpc,
        spec,
        names(this.host.tag).instanceNs(mt.MountTargetId),
        rules,
        nfsLease(this.host.cloud.clock.scale).leaseSeconds,
      );
      this.servers.set(mt.MountTargetId, server);
      await this.host.refreshFirewall(mt.VpcId);
      await this.applyZoneFaults();
    })()
      .catch((err) => console.error(`[halo] mount target ${mt.MountTargetId}: ${(err as Error).message}`))
      .finally(() => {
        this.starting.delete(mt.MountTargetId);
        this.startingVpcs.delete(mt.MountTargetId);
      });
    this.starting.set(mt.MountTargetId, started);
    this.startingVpcs.set(mt.MountTargetId, mt.VpcId);
  }

  private async unserve(mountTargetId: string): Promise<void> {
    await this.starting.get(mountTargetId);
    const s = this.servers.get(mountTargetId);
    if (!s) return;
    this.servers.delete(mountTargetId);
    this.exportIds.delete(mountTargetId);
    await stopMountTarget(this.host.tag, await this.host.vpcNet(s.spec.vpcId, s.spec.vpcCidr), s);
    await this.host.refreshFirewall(s.spec.vpcId);
    await this.host.releaseVpcIfIdle(s.spec.vpcId);
  }

  /** Waits for mount targets being started (tests and mounts right after CreateMountTarget). */
  async settled(): Promise<void> {
    await Promise.all([...this.starting.values()]);
  }

  regionOf(vpcId: string): string | undefined {
    return [...this.servers.values()].find((s) => s.spec.vpcId === vpcId)?.spec.region;
  }

  usesVpc(vpcId: string): boolean {
    return [...this.servers.values()].some((s) => s.spec.vpcId === vpcId) || [...this.startingVpcs.values()].includes(vpcId);
  }

  /** The mount targets of a VPC as its firewall sees them: ports with the mount targets' own security groups. */
  ports(vpc: VpcNet): FirewallPort[] {
    return [...this.servers.values()]
      .filter((s) => s.spec.vpcId === vpc.vpcId)
      .map((s) => ({
        instanceId: s.spec.mountTargetId,
        link: instanceLink(s.spec.mountTargetId),
        privateIp: s.spec.ipAddress,
        alias: aliasOf(vpc, s.spec.mountTargetId) ?? s.alias,
        subnetId: s.spec.subnetId,
        groupIds: s.spec.groupIds,
      }));
  }

  /** A zone whose every host is down takes its mount targets down with it, and back when restored. */
  async applyZoneFaults(): Promise<void> {
    const down = new Set(this.host.downHosts());
    const changes: Array<Promise<void>> = [];
    for (const s of this.servers.values()) {
      const zone = findZone(s.spec.zoneId);
      const dark = !!zone && hostsOf(zone, this.host.cloud.config.hostsPerZone).every((h) => down.has(h.hostId));
      if (dark !== s.dark) changes.push(setMountTargetUp(s, !dark));
      s.dark = dark;
    }
    await Promise.all(changes);
  }

  /** mount/umount asked from inside an instance: answered here for NFS and EFS, undefined for anything else. */
  async request(who: MountingInstance, route: string, params: URLSearchParams): Promise<VolumeRequestResult | undefined> {
    if (route === 'umount') return this.unmount(who, params.get('target') ?? '');
    if (route !== 'mount') return undefined;
    const options = (params.get('options') ?? '').split(',').filter(Boolean);
    const device = params.get('device') ?? '';
    const ask = readMountAsk(device, params.get('type') ?? '', options);
    if (!ask) return undefined;
    const dir = params.get('dir') ?? '';
    if (!dir.startsWith('/')) return { status: 400, body: `mount point ${dir} must be an absolute path` };
    await this.settled();
    let server = ask.ip;
    let fileSystemId = ask.fileSystemId;
    if (!server) {
      const zone = ask.zoneName ?? this.host.subnet(who.region, who.subnetId)?.AvailabilityZone;
      const dnsName = `${ask.fileSystemId ?? ask.host}.efs.${who.region}.amazonaws.com`;
      const target = this.mountTargetsIn(who.region).find((m) => m.FileSystemId === ask.fileSystemId && m.AvailabilityZoneName === zone);
      if (!target || (ask.helper === 'nfs' && ask.host === ask.fileSystemId)) {
        return {
          status: 400,
          body:
            ask.helper === 'efs'
              ? `Failed to resolve "${dnsName}" - check that your file system ID is correct, and ensure that the VPC has an EFS mount target for this file system ID.`
              : `mount.nfs4: Failed to resolve server ${ask.host}: Name or service not known`,
        };
      }
      server = target.IpAddress;
    } else {
      fileSystemId = this.mountTargetsIn(who.region).find((m) => m.IpAddress === ask.ip)?.FileSystemId;
    }
    // The EFS mount helper's own checks, before it asks anything of the server.
    const efsOption = (name: string) => ask.helper === 'efs' && options.includes(name);
    if (ask.helper === 'efs' && !options.includes('tls')) {
      if (options.includes('iam')) return { status: 400, body: 'The "tls" option is required when mounting via "iam"' };
      if (ask.accessPointId) return { status: 400, body: 'The "tls" option is required when mounting via "accesspoint"' };
    }
    if (ask.helper === 'efs' && ask.accessPointId !== undefined && !/^fsap-[0-9a-f]{17}$/.test(ask.accessPointId))
      return { status: 400, body: `Access Point ID ${ask.accessPointId} is malformed` };
    const question: EfsMountQuestion | undefined = fileSystemId
      ? { instanceId: who.instanceId, fileSystemId, accessPointId: ask.accessPointId, iam: efsOption('iam'), tls: efsOption('tls') }
      : undefined;
    let access: EfsMountAccess;
    try {
      access = await this.authorize(who.region, question);
    } catch (err) {
      return { status: 400, body: `mount.nfs4: access denied by server while mounting ${device} (${(err as Error).message})` };
    }
    if (access.refusal) return { status: 400, body: access.refusal };
    // What mount.nfs4 says when the server refuses: through the mount helper's TLS tunnel (127.0.0.1) or directly.
    const mounted = efsOption('tls')
      ? `127.0.0.1:${ask.subPath}`
      : ask.helper === 'efs' && !ask.ip && ask.host === fileSystemId
        ? `${fileSystemId}.efs.${who.region}.amazonaws.com:${ask.subPath}`
        : device;
    const denied = { status: 400, body: `mount.nfs4: access denied by server while mounting ${mounted}` };
    if (!access.mount) return denied;
    const vpcId = this.host.subnet(who.region, who.subnetId)?.VpcId;
    const mountTarget = [...this.servers.values()].find((s) => s.spec.ipAddress === server && s.spec.vpcId === vpcId);
    const servedId = mountTarget?.spec.fileSystemId ?? fileSystemId;
    // The client names the export in the server's NFSv4 namespace: the file system's, or the access point's, whose
    // server squashes every request to its POSIX user and knows nothing above its root directory.
    let root = servedId ? `${fileSystemPseudo(servedId)}${ask.subPath}` : ask.subPath;
    if (ask.accessPointId) {
      const ap = this.hooks?.accessPoint(who.region, ask.accessPointId);
      // No such access point for this file system: the server has no export for it.
      if (!ap || (servedId && ap.FileSystemId !== servedId)) return denied;
      // EFS makes an access point's root directory itself, on the server side, when a client connects through it;
      // without CreationInfo, or when a file is in the way, the mount fails.
      await this.data.open();
      const there = makeAccessPointRoot(
        fileSystemDir(this.host.home, ap.FileSystemId),
        ap.RootDirectory.Path,
        ap.RootDirectory.CreationInfo,
      );
      if (!there || !quotable(ap.RootDirectory.Path)) return denied;
      root = `${accessPointPseudo(ap.AccessPointId)}${ask.subPath}`;
    }
    const runDir = efsRunDir(this.host.tag);
    // The server holds this address to what was granted before the client speaks to it.
    const registered: MountedClient = {
      target: dir.replace(/\/+$/, '') || '/',
      mountTargetId: mountTarget?.spec.mountTargetId,
      address: who.privateIp,
      region: who.region,
      accessPointId: ask.accessPointId,
      question,
      grant: { mount: access.mount, write: access.write, root: access.root },
    };
    this.clients.set(who.instanceId, [...(this.clients.get(who.instanceId) ?? []), registered]);
    try {
      await this.reloadServer(registered.mountTargetId);
      const client = await startClient(
        {
          netns: names(this.host.tag).instanceNs(who.instanceId),
          initPid: who.initPid,
          server,
          target: dir.replace(/\/+$/, '') || '/',
          source: device,
          root,
          readOnly: options.includes('ro'),
          stateDir: clientStateDir(runDir, who.instanceId),
          home: this.host.home,
          renewSeconds: nfsLease(this.host.cloud.clock.scale).renewSeconds,
        },
        CLIENT_WAIT_MS,
      );
      registered.child = client.child;
    } catch (err) {
      this.dropClients(who.instanceId, [registered]);
      const message = (err as Error).message;
      // The client names the export's path; mount.nfs4 names what was asked.
      return message.startsWith('mount.nfs4: access denied by server') ? denied : { status: 400, body: message };
    }
    return { status: 200, body: `mounted ${device} on ${dir}` };
  }

  private mountTargetsIn(region: string): EfsMountTarget[] {
    return (this.hooks?.mountTargets(region) ?? []).map((m) => m.mountTarget);
  }

  private async unmount(who: MountingInstance, target: string): Promise<VolumeRequestResult | undefined> {
    const mine = this.clients.get(who.instanceId) ?? [];
    const wanted = target.replace(/\/+$/, '') || '/';
    const client = mine.find((c) => c.target === wanted);
    if (!client) return undefined;
    // By the host's helper: the instance's root cannot unmount (its mount namespace is the host's), and no program of
    // the instance runs as the host's root.
    const failed = await unmountNow(who.initPid, wanted);
    if (failed) return { status: 400, body: failed };
    this.dropClients(who.instanceId, [client]);
    return { status: 200, body: `unmounted ${wanted}` };
  }

  /** The instance stopped, crashed or was terminated: its clients go with it. */
  forgetInstance(instanceId: string): void {
    this.dropClients(instanceId, this.clients.get(instanceId) ?? []);
  }

  /** Stops these clients of the instance; their addresses get what any client gets again, on their servers. */
  private dropClients(instanceId: string, gone: MountedClient[]): void {
    for (const c of gone) if (c.child) stopProcess(c.child);
    const left = (this.clients.get(instanceId) ?? []).filter((c) => !gone.includes(c));
    if (left.length) this.clients.set(instanceId, left);
    else this.clients.delete(instanceId);
    for (const id of new Set(gone.map((c) => c.mountTargetId))) {
      this.reloadServer(id).catch((err) => console.error(`[halo] exports of ${id}: ${(err as Error).message}`));
    }
  }

  /** What EFS grants this mount (full access when the device names no file system of the region, or no authorizer). */
  private async authorize(region: string, question: EfsMountQuestion | undefined): Promise<EfsMountAccess> {
    if (!question || !this.hooks) return { ...FULL_GRANT };
    return this.hooks.authorize(region, question);
  }

  /**
   * A mount target's exports and their rules. For each export (the file system's; each access point's whose root
   * directory is there): what an anonymous client without TLS gets through it (every address that did not mount
   * through halo, or no longer does), and for each instance address with mounts through it, the union of their grants.
   */
  private async serverExports(region: string, mountTargetId: string, fileSystemId: string): Promise<ServerExports> {
    const rulesOf = async (accessPointId: string | undefined): Promise<ExportRules> => {
      const anyone = await this.authorize(region, { instanceId: '', fileSystemId, accessPointId, iam: false, tls: false });
      const grants = new Map<string, ClientGrant[]>();
      for (const c of [...this.clients.values()].flat()) {
        if (c.mountTargetId !== mountTargetId || c.accessPointId !== accessPointId) continue;
        grants.set(c.address, [...(grants.get(c.address) ?? []), c.grant]);
      }
      return {
        anyone: { mount: anyone.mount, write: anyone.write, root: anyone.root },
        byAddress: new Map([...grants].map(([address, g]) => [address, unionOf(g)])),
      };
    };
    const dataDir = fileSystemDir(this.host.home, fileSystemId);
    const accessPoints: AccessPointExport[] = [];
    for (const ap of this.hooks?.accessPoints(region, fileSystemId) ?? []) {
      const dir = existingAccessPointRoot(dataDir, ap.RootDirectory.Path);
      if (!dir) continue;
      accessPoints.push({
        accessPointId: ap.AccessPointId,
        exportId: this.exportIdOf(mountTargetId, ap.AccessPointId),
        dir,
        posixUser: ap.PosixUser,
        rules: await rulesOf(ap.AccessPointId),
      });
    }
    return { fileSystemId, fileSystem: await rulesOf(undefined), accessPoints };
  }

  /** The export id of an access point on a mount target's server: the lowest never given there (1 is the file system's). */
  private exportIdOf(mountTargetId: string, accessPointId: string): number {
    const ids = this.exportIds.get(mountTargetId) ?? new Map<string, number>();
    this.exportIds.set(mountTargetId, ids);
    let id = ids.get(accessPointId);
    if (id === undefined) {
      id = ids.size + 2;
      ids.set(accessPointId, id);
    }
    return id;
  }

  /** The servers of every mount target of a file system reread their exports (an access point came or went). */
  private async reloadFileSystem(region: string, fileSystemId: string): Promise<void> {
    const servers = [...this.servers.values()].filter((s) => s.spec.region === region && s.spec.fileSystemId === fileSystemId);
    await Promise.all(servers.map((s) => this.reloadServer(s.spec.mountTargetId)));
  }

  /** Rewrites a running mount target's rules from the current grants and waits until its server applies them. */
  private async reloadServer(mountTargetId: string | undefined): Promise<void> {
    const server = mountTargetId ? this.servers.get(mountTargetId) : undefined;
    if (!server) return;
    await updateExports(server, () => this.serverExports(server.spec.region, server.spec.mountTargetId, server.spec.fileSystemId));
  }

  /**
   * The file system policy changed: every mount of the file system is judged again (as the principal that mounted
   * it) and its mount targets' servers apply the new grants at once, to connected clients too.
   */
  private async reauthorize(region: string, fileSystemId: string): Promise<void> {
    for (const c of [...this.clients.values()].flat()) {
      if (c.region !== region || c.question?.fileSystemId !== fileSystemId) continue;
      const access: EfsMountAccess = await this.authorize(region, c.question).catch(() => ({ mount: false, write: false, root: false }));
      c.grant = { mount: access.mount && !access.refusal, write: access.write, root: access.root };
    }
    await this.reloadFileSystem(region, fileSystemId);
  }

  /** Cloud stop: every client and server, by id. */
  async stopAll(vpcs: Map<string, VpcNet>): Promise<void> {
    for (const id of [...this.clients.keys()]) this.forgetInstance(id);
    await Promise.all([...this.servers.values()].map((s) => stopMountTarget(this.host.tag, vpcs.get(s.spec.vpcId), s)));
    this.servers.clear();
    this.exportIds.clear();
    rmSync(efsRunDir(this.host.tag), { recursive: true, force: true });
    await this.data.close();
  }
}
