import net from 'node:net';
import { cloudTag } from '../runtime/names.js';

/**
 * One running cloud per home on this machine, held by the kernel: the daemon binds an abstract unix socket named
 * from its home's tag (`\0halo-cloud-<tag>`), which the kernel frees when the process ends however it ends (kill -9
 * included), and which nothing on disk can lose (a home whose files were deleted while its cloud ran keeps its lock).
 * It is keyed by the tag rather than the path because the tag names the cloud's host objects (nft table `halo_<tag>`,
 * namespaces, links; runtime/names.ts): two homes of one tag must not run at once either. The socket answers each
 * connection with its holder (pid, home, endpoint), so a refused start, `halo cloud stop` and `halo cloud clean` can
 * name and stop who holds it even when its daemon.json is gone.
 */
export interface LockHolder {
  pid: number;
  home: string;
  tag: string;
  endpoint?: string;
}

export interface HomeLock {
  /** The endpoint the daemon serves on, told to whoever asks the lock from now on. */
  announce(endpoint: string): void;
  release(): Promise<void>;
}

const socketName = (tag: string) => `\0halo-cloud-${tag}`;

/** A start refused because another cloud holds the lock; its message says what to do. */
export class CloudAlreadyRuns extends Error {
  constructor(
    readonly home: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(alreadyRunsMessage(home, holder));
  }
}

export function alreadyRunsMessage(home: string, holder: LockHolder | undefined): string {
  if (!holder) return `another halo cloud with the host name tag of ${home} (${cloudTag(home)}) runs on this machine; stop it first`;
  const at = `pid ${holder.pid}${holder.endpoint ? `, ${holder.endpoint}` : ''}`;
  if (holder.home === home) return `a halo cloud already runs from ${home} (${at}); stop it first with 'halo cloud stop'`;
  return (
    `the halo cloud of ${holder.home} (${at}) runs with the same host name tag (${holder.tag}) as ${home}, and two clouds ` +
    `of one tag would share their host objects (nft table halo_${holder.tag}, namespaces); stop it first with ` +
    `'HALO_HOME=${holder.home} halo cloud stop', or use another HALO_HOME`
  );
}

/** Takes the lock of this home for this process, or throws CloudAlreadyRuns. */
export async function lockHome(home: string): Promise<HomeLock> {
  const tag = cloudTag(home);
  const holder: LockHolder = { pid: process.pid, home, tag };
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.end(JSON.stringify(holder));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketName(tag), () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    const state = await lockState(home);
    throw new CloudAlreadyRuns(home, state.held ? state.holder : undefined);
  }
  // The lock alone must not keep the process alive.
  server.unref();
  return {
    announce(endpoint) {
      holder.endpoint = endpoint;
    },
    release: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Whether a cloud holds the lock of this home's tag, and who (holder undefined: it is held but its holder did not
 * answer within 5 s, a daemon too busy or stuck; still held, so nothing of it may be cleaned).
 */
export function lockState(home: string): Promise<{ held: false } | { held: true; holder?: LockHolder }> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect({ path: socketName(cloudTag(home)) });
    const done = (state: { held: false } | { held: true; holder?: LockHolder }) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(state);
    };
    const timer = setTimeout(() => done({ held: true }), 5000);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      answer += d;
    });
    socket.on('end', () => {
      try {
        done({ held: true, holder: JSON.parse(answer) as LockHolder });
      } catch {
        done({ held: true });
      }
    });
    // Nobody listens on the name: the lock is free.
    socket.on('error', (err: NodeJS.ErrnoException) =>
      done(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? { held: false } : { held: true }),
    );
  });
}
