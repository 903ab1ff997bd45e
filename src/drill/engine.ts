import { setTimeout as sleep } from 'node:timers/promises';
import type { DaemonInfo } from '../daemon/home.js';
import { type Access, clientsFor, closeClients } from './clients.js';
import { AwsTime } from './clock.js';
import { currentAddress, describeInstances, discoverStack, servingInstance } from './discover.js';
import { inject, restore, type InjectedFault } from './faults.js';
import { Observer } from './observe.js';
import { keepsStateInSnapshots, takeSnapshot } from './snapshot.js';
import { Prober, WRITE_INTERVAL_FLOOR_MS, WRITE_TIMEOUT_FLOOR_MS, Writer } from './probe.js';
import type { DrillResult, Scenario, TimelineEvent } from './types.js';
import { baseOf, workloadFor } from './workload.js';

export interface DrillOptions {
  scenario: Scenario;
  stack: string;
  home: string;
  info: DaemonInfo;
  access: Access;
  /** AWS seconds after the fault before the drill gives up. */
  limitSeconds: number;
  rtoObjective?: number;
  rpoObjective?: number;
  /** AWS seconds of writes before the fault. */
  preFaultSeconds?: number;
  signal?: AbortSignal;
  /** Each timeline event as it happens (the live timeline). */
  onEvent?: (e: TimelineEvent) => void;
}

/** AWS seconds of correct answers in a row that make the service count as back. */
const STABLE_AWS_SECONDS = 5;
/** AWS seconds without any failed check after the fault that count as "never interrupted". */
const NO_IMPACT_AWS_SECONDS = 60;

export async function runDrill(o: DrillOptions): Promise<DrillResult> {
  const time = AwsTime.of(o.info);
  const scale = o.info.timeScale;
  const wallOf = (awsSeconds: number) => Math.max(1, (awsSeconds * 1000) / scale);
  const c = clientsFor(o.access);
  const timeline: TimelineEvent[] = [];
  let faultWall: number | undefined;
  const event = (e: Pick<TimelineEvent, 'kind' | 'text' | 'lane' | 'state'>, wall = Date.now()) => {
    const ev: TimelineEvent = { wallMs: wall - time.wallStart, aws: new Date(time.awsAt(wall)).toISOString(), ...e };
    if (faultWall !== undefined) ev.awsSinceFault = round(((wall - faultWall) * scale) / 1000);
    timeline.push(ev);
    o.onEvent?.(ev);
  };
  const aborted = () => !!o.signal?.aborted;
  const wait = (ms: number) => sleep(ms, undefined, { signal: o.signal }).catch(() => undefined);

  let fault: InjectedFault | undefined;
  let restored = 'nothing to restore';
  const prober: { p?: Prober } = {};
  let writer: Writer | undefined;
  let observing = false;
  let observerLoop: Promise<void> | undefined;
  let result: DrillResult;
  try {
    const target = await discoverStack(c, o.stack);
    let address = target.address;
    const base = () => baseOf(target, address);
    const workload = await workloadFor(c, target, base, Date.now() + wallOf(o.limitSeconds));
    const instances = (await describeInstances(c, target.instanceIds)).filter((i) => i.State?.Name === 'running');
    const victim = instances.find((i) => target.elasticIps.includes(i.PublicIpAddress ?? '')) ?? instances[0];
    if (!victim?.InstanceId) throw new Error(`stack ${o.stack} has no running instance to break`);
    const chosen = { instanceId: victim.InstanceId, zone: victim.Placement?.AvailabilityZone };
    event({
      kind: 'drill',
      text: `drill ${o.scenario} on stack ${o.stack}: ${workload.name} workload at ${base()}, target ${chosen.instanceId} in ${chosen.zone}; profile ${o.info.profile}, time scale ${scale}`,
    });

    const observer = new Observer(c, o.access, target, event);
    observing = true;
    observerLoop = (async () => {
      while (observing) {
        await observer.poll().catch((err: unknown) => event({ kind: 'drill', text: `observer: ${(err as Error).message}` }));
        if (!target.url) {
          const now = await currentAddress(c, target).catch(() => undefined);
          if (now && now !== address) {
            address = now;
            event({ kind: 'address', text: `the service's address is now ${now} (the newest running instance's public address)` });
          }
        }
        await sleep(Math.max(200, 1000 / scale));
      }
    })();

    const p = new Prober(workload, Math.max(20, 1000 / scale), (up, at) =>
      event(
        { kind: 'service', lane: 'service', state: up ? 'up' : 'down', text: up ? 'service answers correctly' : 'service does not answer' },
        at,
      ),
    );
    prober.p = p;
    p.start();
    const baselineEnd = Date.now() + wallOf(o.limitSeconds);
    while (p.up !== true && Date.now() < baselineEnd && !aborted()) await wait(p.intervalMs);
    if (p.up !== true)
      throw new Error(
        aborted()
          ? 'interrupted before the fault'
          : `the service at ${base()} did not answer correctly before the fault (within ${o.limitSeconds} AWS seconds)`,
      );

    writer = new Writer(workload, Math.max(WRITE_INTERVAL_FLOOR_MS, wallOf(5)), Math.max(WRITE_TIMEOUT_FLOOR_MS, wallOf(5)));
    writer.start();
    const preEnd = Date.now() + wallOf(o.preFaultSeconds ?? 30);
    while ((Date.now() < preEnd || writer.acks.length < 3) && Date.now() < baselineEnd && !aborted()) await wait(p.intervalMs);
    if (aborted()) throw new Error('interrupted before the fault');
    if (keepsStateInSnapshots(target)) {
      const before = writer.acks.length;
      const taken = await takeSnapshot(c, target, chosen.instanceId, `${o.stack}-drill-snapshot-${Date.now()}`, baselineEnd, o.signal);
      event({
        kind: 'drill',
        text: `snapshot ${taken.imageId} of ${chosen.instanceId} taken with ${before} writes acknowledged (CreateImage without reboot); the group now launches from it (launch template version ${taken.version})`,
      });
      const afterEnd = Date.now() + wallOf(o.preFaultSeconds ?? 30);
      while ((Date.now() < afterEnd || writer.acks.length < before + 3) && Date.now() < baselineEnd && !aborted()) await wait(p.intervalMs);
      if (aborted()) throw new Error('interrupted before the fault');
    }
    event({ kind: 'write', text: `${writer.acks.length} writes acknowledged before the fault` });

    faultWall = Date.now();
    fault = await inject(o.home, c, o.scenario, chosen);
    event({ kind: 'fault', text: fault.message }, faultWall);

    // Recovered: a failed check after the fault, then correct answers for STABLE_AWS_SECONDS; or none failing at all.
    const limitEnd = faultWall + wallOf(o.limitSeconds);
    let recoveredWall: number | undefined;
    while (!aborted() && Date.now() < limitEnd) {
      await wait(p.intervalMs);
      const lastFail = p.lastFailureAfter(faultWall);
      const since = lastFail ? lastFail.startWall : faultWall;
      const okAfter = p.after(since).filter((s) => s.ok && (!lastFail || s.startWall > lastFail.startWall));
      if (!lastFail) {
        if (Date.now() - faultWall >= wallOf(NO_IMPACT_AWS_SECONDS) && okAfter.length) {
          recoveredWall = faultWall;
          break;
        }
        continue;
      }
      // Stable for STABLE_AWS_SECONDS, and for one check timeout: a check started earlier may still fail late.
      if (okAfter.length >= 3 && Date.now() - okAfter[0].endWall >= Math.max(wallOf(STABLE_AWS_SECONDS), p.timeoutMs)) {
        recoveredWall = okAfter[0].endWall;
        break;
      }
    }

    let lostSequences: number[] = [];
    let servedBy: DrillResult['servedBy'];
    let rpoSeconds: number | null = null;
    if (recoveredWall !== undefined) {
      event(
        { kind: 'drill', text: `recovered: ${round(((recoveredWall - faultWall) * scale) / 1000)} AWS s after the fault` },
        recoveredWall,
      );
      await wait(wallOf(10));
      await writer.stop();
      const held = new Set(await readWithRetries(workload, wallOf));
      const loss = dataLoss(writer.acks, held, faultWall, scale);
      lostSequences = loss.lost;
      rpoSeconds = loss.rpoSeconds;
      event({ kind: 'write', text: `${writer.acks.length} writes acknowledged, ${loss.lost.length} missing afterwards` });
      servedBy = await servingInstance(c, target).catch(() => undefined);
      if (servedBy) event({ kind: 'drill', text: `served by ${servedBy.instanceId} in ${servedBy.zone ?? '?'}` });
    } else {
      event({
        kind: 'drill',
        text: aborted() ? 'interrupted before the service came back' : `not recovered within the limit (${o.limitSeconds} AWS s)`,
      });
    }
    const rtoWall = recoveredWall !== undefined ? (recoveredWall - faultWall) / 1000 : null;
    const rtoSeconds = rtoWall === null ? null : round(rtoWall * scale);
    const met =
      recoveredWall !== undefined &&
      (o.rtoObjective === undefined || (rtoSeconds as number) <= o.rtoObjective) &&
      (o.rpoObjective === undefined || (rpoSeconds as number) <= o.rpoObjective);
    result = {
      scenario: o.scenario,
      stack: o.stack,
      profile: o.info.profile,
      timeScale: scale,
      workload: workload.name,
      endpoint: base(),
      target: { ...chosen, hostId: fault.hostId },
      servedBy,
      recovered: recoveredWall !== undefined,
      limitSeconds: o.limitSeconds,
      rtoSeconds,
      rtoWallSeconds: rtoWall === null ? null : round(rtoWall),
      rpoSeconds,
      lostWrites: recoveredWall !== undefined ? lostSequences.length : null,
      acknowledgedWrites: writer.acks.length,
      lostSequences,
      objectives: { rtoSeconds: o.rtoObjective, rpoSeconds: o.rpoObjective, met },
      interrupted: aborted(),
      restored: '',
      faultAt: new Date(time.awsAt(faultWall)).toISOString(),
      timeline,
      serviceSamples: compress(p, faultWall, scale),
    };
  } finally {
    prober.p?.stop();
    await writer?.stop();
    if (fault) {
      restored = await restore(o.home, fault).catch((err: unknown) => `restore failed: ${(err as Error).message}`);
      event({ kind: 'restore', text: restored });
    }
    observing = false;
    await observerLoop;
    closeClients(c);
  }
  result.restored = restored;
  result.timeline.sort((a, b) => a.wallMs - b.wallMs);
  return result;
}

/**
 * RPO: the AWS-time span of acknowledged writes missing afterwards, from the first of them to the last of them or
 * the fault, whichever is later (writes lost in a restore from a snapshot span back to the snapshot).
 */
export function dataLoss(
  acks: Array<{ seq: number; wall: number }>,
  held: Set<number>,
  faultWall: number,
  scale: number,
): { lost: number[]; rpoSeconds: number } {
  const lost = acks.filter((a) => !held.has(a.seq));
  if (!lost.length) return { lost: [], rpoSeconds: 0 };
  const first = Math.min(...lost.map((a) => a.wall));
  const last = Math.max(faultWall, ...lost.map((a) => a.wall));
  return { lost: lost.map((a) => a.seq), rpoSeconds: round(((last - first) * scale) / 1000) };
}

async function readWithRetries(workload: { read(t: number): Promise<number[]> }, wallOf: (s: number) => number): Promise<number[]> {
  let lastErr: unknown;
  for (let i = 0; i < 5; i++) {
    try {
      return await workload.read(Math.max(2000, wallOf(10)));
    } catch (err) {
      lastErr = err;
      await sleep(Math.max(100, wallOf(2)));
    }
  }
  throw new Error(`cannot read the writes back after recovery: ${(lastErr as Error).message}`);
}

function compress(p: Prober, faultWall: number, scale: number): Array<[number, 0 | 1]> {
  const out: Array<[number, 0 | 1]> = [];
  for (const s of [...p.samples].sort((a, b) => a.startWall - b.startWall)) {
    const v: 0 | 1 = s.ok ? 1 : 0;
    if (out.length && out[out.length - 1][1] === v) continue;
    out.push([round(((s.startWall - faultWall) * scale) / 1000), v]);
  }
  if (p.samples.length) {
    const last = p.samples.reduce((a, b) => (a.startWall > b.startWall ? a : b));
    out.push([round(((last.startWall - faultWall) * scale) / 1000), last.ok ? 1 : 0]);
  }
  return out;
}

const round = (n: number) => Math.round(n * 10) / 10;
