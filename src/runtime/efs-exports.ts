import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
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

/** nfs-ganesha's words for a grant: no ClientMount → no access, no ClientWrite → read-only, no ClientRootAccess → root squashed to 65534. */
function permissions(g: ClientGrant): string {
  const access = !g.mount ? 'None' : g.write ? 'RW' : 'RO';
  return `Access_Type = ${access}; Squash = ${g.root ? 'No_Root_Squash' : 'Root_Squash'}; Anonymous_Uid = 65534; Anonymous_Gid = 65534;`;
}

/** The EXPORT block of a mount target's server: its default permissions and one CLIENT block per mounting address. */
export function exportBlock(dataDir: string, rules: ExportRules): string {
  const clients = [...rules.byAddress]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([ip, g]) => `  CLIENT { Clients = ${ip}; Protocols = 4; ${permissions(g)} }\n`)
    .join('');
  return `EXPORT {
  Export_Id = 1;
  Path = "${dataDir}";
  Pseudo = /;
  ${permissions(rules.anyone)}
  Protocols = 4;
  SecType = sys;
  Attr_Expiration_Time = 0;
  FSAL { Name = VFS; }
${clients}}
`;
}

/** What ganesha logs (component CONFIG, level EVENT) when a SIGHUP's reread of the exports is done. */
const RELOADED = 'Reread exports complete';

/**
 * Rewrites the configuration and has the running server reread its exports (SIGHUP: ganesha applies changed CLIENT
 * blocks to every request from then on, on connections already open too); resolves when its log says it is done.
 */
export async function reloadExports(pid: number, conf: string, config: string, log: string): Promise<void> {
  writeFileSync(conf, config);
  const from = sizeOf(log);
  process.kill(pid, 'SIGHUP');
  // At least 10 s (more on a busy machine): a mount waits for this, below the mount wrapper's 30 s.
  for (let i = 0; i < 400; i++) {
    if (readFrom(log, from).includes(RELOADED)) return;
    await sleep(25);
  }
  throw new Error(`the NFS server (pid ${pid}) did not reread its exports (see ${log})`);
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readFrom(file: string, offset: number): string {
  const size = sizeOf(file);
  if (size <= offset) return '';
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString();
  } finally {
    closeSync(fd);
  }
}
