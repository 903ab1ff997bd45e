import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A metadata tree: a leaf is text (or computed on demand, e.g. credentials), a branch lists its children. */
export interface MetaTree {
  [name: string]: string | MetaTree | (() => Promise<string | undefined>);
}

export interface MetaDoc {
  instanceId: string;
  httpTokens: 'optional' | 'required';
  httpEndpoint: 'enabled' | 'disabled';
  /** Seconds of token lifetime are AWS seconds: the cloud's clock. */
  now: () => number;
  metaData: MetaTree;
  dynamic: MetaTree;
  userData?: Buffer;
}

/**
 * The one metadata responder of the host. Instances reach it at 169.254.169.254:80 through DNAT on the host; it
 * knows the instance by the source address (the instance's uplink alias, unique on this machine) and answers
 * IMDSv1 and IMDSv2 as the instance's MetadataOptions say.
 */
export class MetadataService {
  private server?: http.Server;
  /** token → instance and expiry (cloud time, ms). */
  private readonly tokens = new Map<string, { instanceId: string; expires: number }>();

  /**
   * `halo` answers POST /halo/<route> (the instance's mount/umount wrappers) for the instance at that source address;
   * not part of EC2's metadata service.
   */
  constructor(
    private readonly find: (sourceAddress: string) => Promise<MetaDoc | undefined>,
    private readonly halo?: (sourceAddress: string, route: string, params: URLSearchParams) => Promise<{ status: number; body: string }>,
  ) {}

  async start(): Promise<number> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(`internal error: ${(err as Error).message}`);
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async haloRequest(source: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) {
      body += String(chunk);
      if (body.length > 16_384) break;
    }
    const route = (req.url ?? '').slice('/halo/'.length).split('?')[0];
    const out =
      req.method === 'POST' && this.halo ? await this.halo(source, route, new URLSearchParams(body)) : { status: 405, body: 'POST only' };
    res.writeHead(out.status, { 'content-type': 'text/plain', server: 'halo' });
    res.end(out.body);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const source = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (this.halo && req.url?.startsWith('/halo/')) return this.haloRequest(source, req, res);
    const doc = await this.find(source);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/plain', server: 'EC2ws', ...headers });
      res.end(body);
    };
    if (!doc) return send(404, 'Not Found');
    if (doc.httpEndpoint === 'disabled') return send(403, 'Forbidden');
    const url = new URL(req.url ?? '/', 'http://169.254.169.254');
    const now = doc.now();
    if (url.pathname === '/latest/api/token') {
      if (req.method !== 'PUT') return send(405, 'Method Not Allowed', { allow: 'OPTIONS, PUT' });
      if (req.headers['x-forwarded-for']) return send(403, 'Forbidden');
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return send(400, 'Bad Request');
      const token = randomBytes(42).toString('base64');
      this.tokens.set(token, { instanceId: doc.instanceId, expires: now + ttl * 1000 });
      for (const [t, v] of this.tokens) if (v.expires < now) this.tokens.delete(t);
      return send(200, token, { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'Method Not Allowed', { allow: 'OPTIONS, GET, HEAD' });
    const tokenHeader = req.headers['x-aws-ec2-metadata-token'];
    if (tokenHeader !== undefined) {
      const t = this.tokens.get(String(tokenHeader));
      if (!t || t.instanceId !== doc.instanceId || t.expires < now) return send(401, 'Unauthorized');
    } else if (doc.httpTokens === 'required') {
      return send(401, 'Unauthorized');
    }
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'latest' && !/^\d{4}-\d{2}-\d{2}$/.test(parts[0] ?? '')) {
      if (parts.length === 0) return send(200, 'latest\n');
      return send(404, 'Not Found');
    }
    if (parts.length === 1) return send(200, ['dynamic', 'meta-data', ...(doc.userData ? ['user-data'] : [])].join('\n'));
    if (parts[1] === 'user-data') {
      if (!doc.userData || parts.length > 2) return send(404, 'Not Found');
      res.writeHead(200, { 'content-type': 'application/octet-stream', server: 'EC2ws' });
      res.end(doc.userData);
      return;
    }
    const tree = parts[1] === 'meta-data' ? doc.metaData : parts[1] === 'dynamic' ? doc.dynamic : undefined;
    if (!tree) return send(404, 'Not Found');
    let node: MetaTree[string] = tree;
    for (const part of parts.slice(2)) {
      if (typeof node !== 'object' || !(part in node)) return send(404, 'Not Found');
      node = node[part];
    }
    if (typeof node === 'function') {
      const value = await node();
      return value === undefined ? send(404, 'Not Found') : send(200, value);
    }
    if (typeof node === 'string') return send(200, node);
    return send(
      200,
      Object.entries(node)
        .map(([k, v]) => (typeof v === 'object' ? `${k}/` : k))
        .join('\n'),
    );
  }
}
