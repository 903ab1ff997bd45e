import dgram from 'node:dgram';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as packet from 'dns-packet';

/** The second address of the Amazon-provided DNS inside every VPC (the first is the VPC's base + 2). */
export const DNS_LINK_LOCAL = '169.254.169.253';

/** Who asks, and for what: the instance's VPC and zone decide some answers (an EFS file system's mount target). */
export interface NameQuestion {
  region: string;
  vpcId: string;
  instanceId: string;
  zone: string;
  /** Lower case, without the trailing dot. */
  name: string;
}

/**
 * What a provider knows of a name: its IPv4 addresses (A) and the names an address stands for (PTR, asked as
 * `d.c.b.a.in-addr.arpa`). Empty lists: the name exists without records of that type (NOERROR, no data).
 */
export interface NameAnswer {
  a?: string[];
  ptr?: string[];
}

/**
 * A source of names for the Amazon-provided DNS. Services add theirs to the runtime (`addNameProvider`): EC2 answers
 * instance and public names, EFS its file systems' names. undefined = not a name of this provider.
 */
export type NameProvider = (q: NameQuestion) => NameAnswer | undefined;

/** The instance asking, found by the source address of its query; undefined when the VPC's DNS must not answer. */
export type Asker = Omit<NameQuestion, 'name'>;

const TTL = 60;

/**
 * The answer to one query: the first provider that knows the name answers, else NXDOMAIN (at once: instances have
 * no path to the Internet, so there is nothing to wait for). Returns undefined for a message that is not a query.
 */
export function answerQuery(query: Buffer, asker: Asker, providers: readonly NameProvider[]): Buffer | undefined {
  let req: packet.DecodedPacket;
  try {
    req = packet.decode(query);
  } catch {
    return undefined;
  }
  if (req.type !== 'query') return undefined;
  const q = req.questions?.[0];
  const reply = (rcode: 'NOERROR' | 'NXDOMAIN' | 'NOTIMP', answers: packet.Answer[] = []): Buffer =>
    packet.encode({
      type: 'response',
      id: req.id,
      flags: packet.RECURSION_AVAILABLE | ((req.flags ?? 0) & packet.RECURSION_DESIRED) | (rcodeNumber[rcode] ?? 0),
      questions: req.questions,
      answers,
    });
  // Only standard queries (opcode 0, bits 11-14 of the flags) of one question are answered.
  if (!q || req.questions?.length !== 1 || ((req.flags ?? 0) >> 11) & 0xf) return reply('NOTIMP');
  const name = q.name.toLowerCase().replace(/\.$/, '');
  let found: NameAnswer | undefined;
  for (const provider of providers) {
    found = provider({ ...asker, name });
    if (found) break;
  }
  if (!found) return reply('NXDOMAIN');
  if (q.type === 'A')
    return reply(
      'NOERROR',
      (found.a ?? []).map((ip) => ({ type: 'A', name: q.name, ttl: TTL, class: 'IN', data: ip })),
    );
  if (q.type === 'PTR')
    return reply(
      'NOERROR',
      (found.ptr ?? []).map((n) => ({ type: 'PTR', name: q.name, ttl: TTL, class: 'IN', data: n })),
    );
  return reply('NOERROR');
}

const rcodeNumber: Record<string, number> = { NOERROR: 0, NXDOMAIN: 3, NOTIMP: 4 };

/** `10.0.1.20` → `20.1.0.10.in-addr.arpa`. */
export const reverseName = (ip: string) => `${ip.split('.').reverse().join('.')}.in-addr.arpa`;

/** `20.1.0.10.in-addr.arpa` → `10.0.1.20` (undefined for any other name). */
export function addressOfReverse(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (!m || m.slice(1).some((p) => Number(p) > 255)) return undefined;
  return m.slice(1).reverse().map(Number).join('.');
}

/**
 * The one DNS responder of the host, answering UDP and TCP on 127.0.0.1 (two ports). Instances reach it at their
 * VPC's base + 2 and at 169.254.169.253, port 53, through DNAT in the VPC namespace and then on the host (as the
 * metadata service); it knows the instance by the source address (its uplink alias).
 */
export class DnsService {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly askerOf: (sourceAddress: string) => Asker | undefined,
    private readonly providers: () => readonly NameProvider[],
  ) {}

  /** Starts both listeners; returns their ports. */
  async start(): Promise<{ udpPort: number; tcpPort: number }> {
    const udp = dgram.createSocket('udp4');
    udp.on('message', (msg, from) => {
      const out = this.answer(msg, from.address);
      if (out) udp.send(out, from.port, from.address);
    });
    udp.on('error', () => undefined);
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    this.udp = udp;
    const tcp = net.createServer((socket) => this.serveTcp(socket));
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    this.tcp = tcp;
    return { udpPort: udp.address().port, tcpPort: (tcp.address() as AddressInfo).port };
  }

  async stop(): Promise<void> {
    this.udp?.close();
    this.udp = undefined;
    const tcp = this.tcp;
    this.tcp = undefined;
    for (const s of this.sockets) s.destroy();
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  private answer(msg: Buffer, source: string): Buffer | undefined {
    const asker = this.askerOf(source.replace(/^::ffff:/, ''));
    return asker ? answerQuery(msg, asker, this.providers()) : undefined;
  }

  /** DNS over TCP: each message is prefixed with its length (two bytes). */
  private serveTcp(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(10_000, () => socket.destroy());
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        const out = this.answer(msg, socket.remoteAddress ?? '');
        if (!out) continue;
        const head = Buffer.alloc(2);
        head.writeUInt16BE(out.length);
        socket.write(Buffer.concat([head, out]));
      }
      if (buf.length > 70_000) socket.destroy();
    });
  }
}
