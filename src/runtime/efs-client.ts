import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { idBaseOf } from './userns.js';

/** The FUSE NFSv4 client (C on libfuse3, src/runtime/efs-client/), compiled by `npm run build` into dist/efs-client. */
export const FUSE_CLIENT = fileURLToPath(new URL('../../efs-client/efs-client', import.meta.url));

/** What an instance asked to mount, read the way the EFS mount helper and mount.nfs4 read it. */
export interface EfsMountAsk {
  /** `fs-…` when the device names a file system (short form or DNS name); undefined for an IP address. */
  fileSystemId?: string;
  /** The zone the DNS name names (`us-east-1a.fs-….efs…`), when it does. */
  zoneName?: string;
  /** The host part as written. */
  host: string;
  ip?: string;
  /** The path after the colon (a subdirectory of the file system). */
  subPath: string;
  accessPointId?: string;
  /** `efs` (the EFS mount helper) or `nfs4`/`nfs` (mount.nfs4). */
  helper: 'efs' | 'nfs';
}

const DNS = /^(?:([a-z]{2}-[a-z]+-\d[a-z])\.)?(fs-[0-9a-f]+)\.efs\.([a-z0-9-]+)\.amazonaws\.com$/;

/** Reads a mount request; undefined when it is not an NFS/EFS mount (EBS volumes and the rest go on as before). */
export function readMountAsk(device: string, type: string, options: string[]): EfsMountAsk | undefined {
  const helper = type === 'efs' ? 'efs' : type === 'nfs4' || type === 'nfs' ? 'nfs' : undefined;
  if (!helper) return undefined;
  const colon = device.indexOf(':');
  const host = colon < 0 ? device : device.slice(0, colon);
  const subPath = colon < 0 ? '/' : device.slice(colon + 1) || '/';
  const accessPointId = options.find((o) => o.startsWith('accesspoint='))?.slice('accesspoint='.length);
  // The EFS mount helper's mounttargetip= names the mount target to use instead of the zone's DNS answer.
  const targetIp = helper === 'efs' ? options.find((o) => o.startsWith('mounttargetip='))?.slice('mounttargetip='.length) : undefined;
  const dns = DNS.exec(host);
  if (targetIp)
    return {
      fileSystemId: dns?.[2] ?? (/^fs-[0-9a-f]+$/.test(host) ? host : undefined),
      host,
      ip: targetIp,
      subPath,
      accessPointId,
      helper,
    };
  if (dns) return { fileSystemId: dns[2], zoneName: dns[1], host, subPath, accessPointId, helper };
  if (/^fs-[0-9a-f]+$/.test(host)) return { fileSystemId: host, host, subPath, accessPointId, helper };
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return { host, ip: host, subPath, accessPointId, helper };
  return { host, subPath, accessPointId, helper };
}

export interface ClientLaunch {
  netns: string;
  initPid: number;
  server: string;
  target: string;
  source: string;
  /** The path to mount in the server's NFSv4 namespace: `/fs-…/sub/path` or `/fsap-…/sub/path` (efs-exports.ts). */
  root: string;
  /** `ro` asked: a read-only mount (EROFS). What the policy grants is the server's to enforce (efs-exports.ts). */
  readOnly?: boolean;
  /** Marks the process as this cloud's (its command line names it): /run/halo/efs/<tag>/clients/<instance>. */
  stateDir: string;
  home: string;
  /** How often it renews its lease (efs-server.ts nfsLease). */
  renewSeconds: number;
}

export interface RunningClient {
  target: string;
  child: ChildProcess;
}

/** Starts the client in the instance's network namespace; resolves when it mounted, rejects with mount's message. */
export function startClient(c: ClientLaunch, waitMs: number): Promise<RunningClient> {
  mkdirSync(c.stateDir, { recursive: true });
  const args = [
    '--net=' + `/run/netns/${c.netns}`,
    '--',
    FUSE_CLIENT,
    '--server',
    c.server,
    '--pid',
    String(c.initPid),
    '--target',
    c.target,
    '--source',
    c.source,
    '--root',
    c.root,
    '--state',
    c.stateDir,
    '--home',
    c.home,
    '--renew',
    String(c.renewSeconds),
  ];
  if (c.readOnly) args.push('--read-only');
  const idBase = idBaseOf(c.initPid);
  if (idBase !== undefined) args.push('--id-base', String(idBase));
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'nsenter', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('mount.nfs4: Connection timed out'));
    }, waitMs);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      if (line === 'mounted') resolve({ target: c.target, child });
      else reject(new Error(line.replace(/^error: /, '')));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(out.split('\n')[0]?.replace(/^error: /, '') || `the EFS client ended (${code}): ${err.trim().split('\n').pop() ?? ''}`),
      );
    });
  });
}

export const clientStateDir = (runDir: string, instanceId: string) => path.join(runDir, 'clients', instanceId);
