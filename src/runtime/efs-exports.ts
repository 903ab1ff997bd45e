import { open, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** What EFS grants a client (ClientMount, ClientWrite, ClientRootAccess), as the NFS server enforces it. */
export interface ClientGrant {
  mount: boolean;
  write: boolean;
  root: boolean;
}

/**
 * The server's rules: what an address with no registered mount gets (an anonymous client without TLS, as a program
 * that speaks NFS to port 2049 itself is), and what each mounting instance's address gets.
 */
export interface ExportRules {
  anyone: ClientGrant;
  byAddress: Map<string, ClientGrant>;
}

export const FULL_GRANT: ClientGrant = { mount: true, write: true, root: true };

/** Several mounts of one instance on one mount target: the server knows clients by address only, so it grants their union. */
export function unionOf(grants: ClientGrant[]): ClientGrant {
  return {
    mount: grants.some((g) => g.mount),
    write: grants.some((g) => g.mount && g.write),
    root: grants.some((g) => g.mount && g.root),
  };
}

/** The pseudo path (in the server's NFSv4 namespace) of the file system's own export. */
export const fileSystemPseudo = (fileSystemId: string) => `/${fileSystemId}`;
/** The pseudo path of an access point's export. */
export const accessPointPseudo = (accessPointId: string) => `/${accessPointId}`;

/** An access point as its export serves it: its root directory on the host, and the POSIX user every request runs as. */
export interface AccessPointExport {
  accessPointId: string;
  /** Stable while the server runs (clients' file handles carry it); 1 is the file system's. */
  exportId: number;
  /** The file system's directory joined with the access point's root path, an existing directory. */
  dir: string;
  posixUser?: { Uid: number; Gid: number };
  rules: ExportRules;
}

/** Every export of a mount target's server: the file system's, and one per access point whose root directory exists. */
export interface ServerExports {
  fileSystemId: string;
  fileSystem: ExportRules;
  accessPoints: AccessPointExport[];
}

const NOBODY = 65534;

/**
 * nfs-ganesha's words for a grant: no ClientMount → no access, no ClientWrite → read-only, no ClientRootAccess → root
 * squashed to 65534. Through an access point with a POSIX user, every caller is squashed to that user (root too: a
 * POSIX user of uid 0 without ClientRootAccess is nobody).
 */
function permissions(g: ClientGrant, user?: { Uid: number; Gid: number }): string {
  const access = !g.mount ? 'None' : g.write ? 'RW' : 'RO';
  if (user) {
    const squashedRoot = user.Uid === 0 && !g.root;
    const uid = squashedRoot ? NOBODY : user.Uid;
    const gid = squashedRoot ? NOBODY : user.Gid;
    return `Access_Type = ${access}; Squash = All_Squash; Anonymous_Uid = ${uid}; Anonymous_Gid = ${gid};`;
  }
  return `Access_Type = ${access}; Squash = ${g.root ? 'No_Root_Squash' : 'Root_Squash'}; Anonymous_Uid = ${NOBODY}; Anonymous_Gid = ${NOBODY};`;
}

/** A directory ganesha's configuration can name between double quotes (it has no escapes). */
export const quotable = (dir: string) => !/["\\\n\r]/.test(dir);

function oneExport(id: number, dir: string, pseudo: string, rules: ExportRules, user?: { Uid: number; Gid: number }): string {
  const clients = [...rules.byAddress]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([ip, g]) => `  CLIENT { Clients = ${ip}; Protocols = 4; ${permissions(g, user)} }\n`)
    .join('');
  return `EXPORT {
  Export_Id = ${id};
  Path = "${dir}";
  Pseudo = ${pseudo};
  ${permissions(rules.anyone, user)}
  Protocols = 4;
  SecType = sys;
  Attr_Expiration_Time = 0;
  FSAL { Name = VFS; }
${clients}}
`;
}

/**
 * The EXPORT blocks of a mount target's server: the file system at /fs-…, each access point at /fsap-… (its root
 * directory as the export's path, so nothing above it can be named through it), each with its default permissions
 * and one CLIENT block per mounting address. The NFSv4 root above them is ganesha's own read-only pseudo file system.
 */
export function exportBlocks(dataDir: string, exports: ServerExports): string {
  return [
    oneExport(1, dataDir, fileSystemPseudo(exports.fileSystemId), exports.fileSystem),
    ...exports.accessPoints
      .filter((ap) => quotable(ap.dir))
      .map((ap) => oneExport(ap.exportId, ap.dir, accessPointPseudo(ap.accessPointId), ap.rules, ap.posixUser)),
  ].join('');
}

/** What ganesha logs (component CONFIG, level EVENT) when a SIGHUP's reread of the exports is done. */
const RELOADED = 'Reread exports complete';

/**
 * Rewrites the configuration and has the running server reread its exports (SIGHUP: ganesha applies changed CLIENT
 * blocks to every request from then on, on connections already open too); resolves when its log says it is done.
 */
export async function reloadExports(pid: number, conf: string, config: string, log: string): Promise<void> {
  await writeFile(conf, config);
  const from = await sizeOf(log);
  process.kill(pid, 'SIGHUP');
  // At least 10 s (more on a busy machine): a mount waits for this, below the mount wrapper's 30 s.
  for (let i = 0; i < 400; i++) {
    if ((await readFrom(log, from)).includes(RELOADED)) return;
    await sleep(25);
  }
  throw new Error(`the NFS server (pid ${pid}) did not reread its exports (see ${log})`);
}

const sizeOf = (file: string): Promise<number> =>
  stat(file).then(
    (st) => st.size,
    () => 0,
  );

/** What the file holds past `offset` ('' when nothing, or no such file). */
async function readFrom(file: string, offset: number): Promise<string> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = (await fh.stat()).size;
    if (size <= offset) return '';
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return buf.subarray(0, bytesRead).toString();
  } finally {
    await fh.close();
  }
}
