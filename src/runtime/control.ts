import { rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

/**
 * A local control socket ($HALO_HOME/control.sock, root only) for what is not an AWS API: `halo fault ...` posts
 * here. Requests are JSON; answers are JSON `{ ok, message }`.
 */
export function controlSocketPath(home: string): string {
  return path.join(home, 'control.sock');
}

export type ControlHandler = (route: string, body: Record<string, unknown>) => Promise<string>;

export async function startControl(home: string, handler: ControlHandler): Promise<() => Promise<void>> {
  const file = controlSocketPath(home);
  rmSync(file, { force: true });
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => {
      raw += d;
    });
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        res.writeHead(400).end(JSON.stringify({ ok: false, message: 'the body is not JSON' }));
        return;
      }
      handler(req.url ?? '/', body).then(
        (message) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, message })),
        (err: unknown) =>
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, message: (err as Error).message })),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => resolve());
  });
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(file, { force: true });
  };
}

/** Posts one request to a cloud's control socket (a fresh connection each time; one retry if it breaks). */
export async function callControl(home: string, route: string, body: Record<string, unknown>): Promise<{ ok: boolean; message: string }> {
  try {
    return await post(home, route, body);
  } catch (err) {
    if (!/EPIPE|ECONNRESET/.test((err as Error).message)) throw err;
    return post(home, route, body);
  }
}

function post(home: string, route: string, body: Record<string, unknown>): Promise<{ ok: boolean; message: string }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: controlSocketPath(home),
        path: route,
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let raw = '';
        res.on('data', (d) => {
          raw += d;
        });
        res.on('end', () => {
          try {
            resolve(JSON.parse(raw) as { ok: boolean; message: string });
          } catch {
            reject(new Error(`unexpected answer from the cloud: ${raw.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('error', (err) =>
      reject(
        new Error(
          `cannot reach the cloud's control socket ${controlSocketPath(home)}: ${err.message}; is the cloud running ('halo cloud status')?`,
        ),
      ),
    );
    req.end(payload);
  });
}
