import type { StackTarget } from './discover.js';

/**
 * The workload contract a drill needs from the service it probes:
 * - `check`: the service answers correctly (one cheap request);
 * - `write(seq)`: one write through the service's own API, resolved only once the service acknowledged it;
 * - `read()`: the sequence numbers of every write the service holds.
 * Adapters are picked from the stack: an output or stack tag `Workload` / `halo:workload`, else the URL's port.
 */
export interface Workload {
  name: string;
  check(timeoutMs: number): Promise<boolean>;
  write(seq: number, timeoutMs: number): Promise<boolean>;
  read(timeoutMs: number): Promise<number[]>;
}

async function request(url: string, timeoutMs: number, init: RequestInit = {}): Promise<Response | undefined> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return undefined;
  }
}

/**
 * The test workload (test/templates/drill-journal.json): GET /health → 200 `{"ok":true}`; POST /writes/<seq> appends
 * the number to a journal file and fsyncs before answering 200; GET /writes → JSON array of the numbers held.
 */
export function journalWorkload(base: string): Workload {
  return {
    name: 'journal',
    async check(timeoutMs) {
      const res = await request(`${base}/health`, timeoutMs);
      if (!res?.ok) return false;
      const body = await res.json().catch(() => undefined) as { ok?: boolean } | undefined;
      return body?.ok === true;
    },
    async write(seq, timeoutMs) {
      const res = await request(`${base}/writes/${seq}`, timeoutMs, { method: 'POST' });
      if (!res?.ok) return false;
      return (await res.text().catch(() => '')).trim() === `ok ${seq}`;
    },
    async read(timeoutMs) {
      const res = await request(`${base}/writes`, timeoutMs);
      if (!res?.ok) throw new Error(`GET ${base}/writes answered ${res ? res.status : 'nothing'}`);
      return (await res.json()) as number[];
    },
  };
}

/**
 * Buildbot (the CDK app's CI server): writes are builds forced through the REST API's JSON-RPC
 * (POST /api/v2/forceschedulers/<scheduler>, method "force") with a property carrying the sequence number; reads
 * list the buildsets' properties (GET /api/v2/buildsets, then /api/v2/buildsets/<id>/properties). The scheduler
 * and property names come from the stack's outputs `DrillForceScheduler` / `DrillProperty` (defaults: force,
 * drill_seq), the builder from `DrillBuilderId` when the scheduler has several. Not yet run against a deployed buildbot (the CDK app is on another branch): the calls follow buildbot's REST API documentation.
 */
export function buildbotWorkload(base: string, scheduler = 'force', property = 'drill_seq', builderId?: string): Workload {
  return {
    name: 'buildbot',
    async check(timeoutMs) {
      const res = await request(`${base}/api/v2/builders`, timeoutMs);
      if (!res?.ok) return false;
      const body = await res.json().catch(() => undefined) as { builders?: unknown[] } | undefined;
      return Array.isArray(body?.builders);
    },
    async write(seq, timeoutMs) {
      const params: Record<string, string> = { [property]: String(seq), reason: `drill write ${seq}` };
      if (builderId) params.builderid = builderId;
      const res = await request(`${base}/api/v2/forceschedulers/${scheduler}`, timeoutMs, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: seq, method: 'force', params }),
      });
      if (!res?.ok) return false;
      const body = await res.json().catch(() => undefined) as { result?: unknown; error?: unknown } | undefined;
      return !!body && body.result !== undefined && !body.error;
    },
    async read(timeoutMs) {
      // A forced build is a buildset in buildbot's database from the moment the call is answered (the build itself
      // waits for a worker), so the writes held are the buildsets' properties.
      const res = await request(`${base}/api/v2/buildsets`, timeoutMs);
      if (!res?.ok) throw new Error(`GET ${base}/api/v2/buildsets answered ${res ? res.status : 'nothing'}`);
      const sets = ((await res.json()) as { buildsets?: Array<{ bsid: number }> }).buildsets ?? [];
      const held: number[] = [];
      for (const { bsid } of sets) {
        const p = await request(`${base}/api/v2/buildsets/${bsid}/properties`, timeoutMs);
        if (!p?.ok) throw new Error(`GET ${base}/api/v2/buildsets/${bsid}/properties answered ${p ? p.status : 'nothing'}`);
        const props = ((await p.json()) as { properties?: Array<Record<string, [unknown, string]>> }).properties?.[0];
        const seq = Number(props?.[property]?.[0]);
        if (Number.isInteger(seq)) held.push(seq);
      }
      return held;
    },
  };
}

export const WORKLOAD_PORTS: Record<string, number> = { journal: 8080, buildbot: 8010 };

export function workloadFor(target: StackTarget): { workload: Workload; base: string } {
  const declared = target.outputs.Workload ?? target.tags['halo:workload'] ?? target.tags.Workload;
  const port = target.url ? new URL(target.url).port : '';
  const kind = declared ?? (port === '8010' ? 'buildbot' : 'journal');
  if (!(kind in WORKLOAD_PORTS)) throw new Error(`stack ${target.stack}: unknown workload '${kind}' (known: ${Object.keys(WORKLOAD_PORTS).join(', ')})`);
  const base = target.url ?? `http://${target.address}:${WORKLOAD_PORTS[kind]}`;
  const workload = kind === 'buildbot'
    ? buildbotWorkload(base, target.outputs.DrillForceScheduler, target.outputs.DrillProperty, target.outputs.DrillBuilderId)
    : journalWorkload(base);
  return { workload, base };
}
