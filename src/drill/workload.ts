import { randomBytes } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { Clients } from './clients.js';
import type { StackTarget } from './discover.js';

/**
 * The workload contract a drill needs from the service it probes:
 * - `check`: the service answers correctly (one cheap request);
 * - `write(seq)`: one write through the service's own API, resolved true only once the service acknowledged it;
 * - `read()`: the sequence numbers of this drill's writes the service holds.
 * Each drill tags its writes with its own run id, so that writes of earlier drills on the same stack never count.
 * The base URL is read on every request: a stack without a URL output (the seed's multi-AZ group) answers on the
 * public address of whichever instance runs now.
 */
export interface Workload {
  name: string;
  check(timeoutMs: number): Promise<boolean>;
  write(seq: number, timeoutMs: number): Promise<boolean>;
  read(timeoutMs: number): Promise<number[]>;
}

export type Base = () => string;

async function request(url: string, timeoutMs: number, init: RequestInit = {}): Promise<Response | undefined> {
  try {
    return await fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return undefined;
  }
}

export const newRunId = () => randomBytes(4).toString('hex');

/**
 * The test workload (test/templates/drill-journal.json): GET /health → 200 `{"ok":true}`; POST /writes/<seq> appends
 * the number to a journal file and fsyncs before answering 200; GET /writes → JSON array of the numbers held.
 * (Its stacks are made fresh for each drill, so the sequence numbers need no run id.)
 */
export function journalWorkload(base: Base): Workload {
  return {
    name: 'journal',
    async check(timeoutMs) {
      const res = await request(`${base()}/health`, timeoutMs);
      if (!res?.ok) return false;
      const body = (await res.json().catch(() => undefined)) as { ok?: boolean } | undefined;
      return body?.ok === true;
    },
    async write(seq, timeoutMs) {
      const res = await request(`${base()}/writes/${seq}`, timeoutMs, { method: 'POST' });
      if (!res?.ok) return false;
      return (await res.text().catch(() => '')).trim() === `ok ${seq}`;
    },
    async read(timeoutMs) {
      const res = await request(`${base()}/writes`, timeoutMs);
      if (!res?.ok) throw new Error(`GET ${base()}/writes answered ${res ? res.status : 'nothing'}`);
      return (await res.json()) as number[];
    },
  };
}

export interface Credentials {
  user: string;
  password: string;
}

/** The reason a drill's forced build carries: the run id and the sequence number. */
export const buildReason = (runId: string, seq: number) => `halo drill ${runId} write ${seq}`;

/**
 * Buildbot (the CDK app's CI server, cdk/lib/workload/buildbot.ts): a write is a build forced through the REST API's
 * JSON-RPC (POST /api/v2/forceschedulers/force, method "force") by the admin, its reason carrying the run id and the
 * sequence number; buildbot answers only once the buildset is in its database. Reads list the buildsets' reasons
 * (GET /api/v2/buildsets). Forcing needs the admin's session: a login at /auth/login with basic auth sets the
 * TWISTED_SESSION cookie; a new server (a recovered or replaced one) may not know the session, so a refused call logs
 * in again once.
 */
export function buildbotWorkload(base: Base, credentials: Credentials | undefined, runId: string, scheduler = 'force'): Workload {
  let session: string | undefined;
  const login = async (timeoutMs: number): Promise<string | undefined> => {
    if (!credentials) return undefined;
    const auth = Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64');
    const res = await request(`${base()}/auth/login`, timeoutMs, { headers: { authorization: `Basic ${auth}` } });
    if (!res || res.status >= 400) return undefined;
    // The answer sets an anonymous session first, then the user's: the last one is the user's.
    const cookies = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .filter((c) => c.startsWith('TWISTED_SESSION='));
    return cookies[cookies.length - 1];
  };
  const force = async (seq: number, timeoutMs: number) =>
    request(`${base()}/api/v2/forceschedulers/${scheduler}`, timeoutMs, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(session ? { cookie: session } : {}) },
      body: JSON.stringify({ jsonrpc: '2.0', id: seq, method: 'force', params: { reason: buildReason(runId, seq) } }),
    });
  return {
    name: 'buildbot',
    async check(timeoutMs) {
      const res = await request(`${base()}/api/v2/builders`, timeoutMs);
      if (!res?.ok) return false;
      const body = (await res.json().catch(() => undefined)) as { builders?: unknown[] } | undefined;
      return Array.isArray(body?.builders) && body.builders.length > 0;
    },
    async write(seq, timeoutMs) {
      session ??= await login(timeoutMs);
      let res = await force(seq, timeoutMs);
      if (res && (res.status === 401 || res.status === 403)) {
        session = await login(timeoutMs);
        res = await force(seq, timeoutMs);
      }
      if (!res?.ok) return false;
      const body = (await res.json().catch(() => undefined)) as { result?: unknown; error?: unknown } | undefined;
      return !!body && Array.isArray(body.result) && !body.error;
    },
    async read(timeoutMs) {
      const res = await request(`${base()}/api/v2/buildsets?field=reason`, timeoutMs);
      if (!res?.ok) throw new Error(`GET ${base()}/api/v2/buildsets answered ${res ? res.status : 'nothing'}`);
      const sets = ((await res.json()) as { buildsets?: Array<{ reason?: string }> }).buildsets ?? [];
      const mine = new RegExp(`halo drill ${runId} write (\\d+)$`);
      return sets
        .map((s) => mine.exec(s.reason ?? '')?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number);
    },
  };
}

export const WORKLOADS = ['journal', 'buildbot'] as const;
/** The port the workload answers on when the stack gives only an address (the CDK app's and the test template's). */
const WORKLOAD_PORT = 8080;

/** Which workload answers at `base`, asked until `deadline` (wall ms): buildbot's REST API lists builders, the journal has /health. */
async function detect(base: Base, deadline: number): Promise<string> {
  for (;;) {
    const builders = await request(`${base()}/api/v2/builders`, 3000);
    const body = builders?.ok ? ((await builders.json().catch(() => undefined)) as { builders?: unknown } | undefined) : undefined;
    if (Array.isArray(body?.builders)) return 'buildbot';
    if (await journalWorkload(base).check(3000)) return 'journal';
    if (Date.now() >= deadline) throw new Error(`nothing answered at ${base()} as buildbot or as the journal workload`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The admin's credentials from the stack's outputs `User` and `AdminPasswordSecret` (read from Secrets Manager). */
async function credentialsOf(c: Clients, target: StackTarget): Promise<Credentials | undefined> {
  const secret = target.outputs.AdminPasswordSecret;
  if (!secret) return undefined;
  const value = await c.sm.send(new GetSecretValueCommand({ SecretId: secret }));
  if (!value.SecretString) throw new Error(`secret ${secret} has no string value`);
  return { user: target.outputs.User || 'admin', password: value.SecretString };
}

/**
 * The workload adapter of a stack: an output or stack tag `Workload` / `halo:workload` names it; else the service is
 * asked what it is. `base` is the service's current base URL.
 */
export async function workloadFor(c: Clients, target: StackTarget, base: Base, deadline: number, runId = newRunId()): Promise<Workload> {
  const declared = target.outputs.Workload ?? target.tags['halo:workload'] ?? target.tags.Workload;
  const kind = declared ?? (await detect(base, deadline));
  if (!(WORKLOADS as readonly string[]).includes(kind))
    throw new Error(`stack ${target.stack}: unknown workload '${kind}' (known: ${WORKLOADS.join(', ')})`);
  if (kind === 'journal') return journalWorkload(base);
  const credentials = await credentialsOf(c, target);
  if (!credentials) throw new Error(`stack ${target.stack}: buildbot's writes need the admin's password: no output AdminPasswordSecret`);
  return buildbotWorkload(base, credentials, runId, target.outputs.DrillForceScheduler);
}

export function baseOf(target: StackTarget, address?: string): string {
  return target.url ?? `http://${address ?? target.address}:${WORKLOAD_PORT}`;
}
