import { isFailed, type MatrixEntry, type MatrixResults } from './matrix.js';
import { claimFor, type SeedClaim } from './seed-claims.js';
import type { DrillResult } from './types.js';

/**
 * The seed's table (architecture, RTO, RPO, availability) with the figures measured beside each claim: one row per
 * architecture of the matrix, the resilient one last. Every figure is taken from the runs; a run that was not
 * measured says why.
 */
export interface SeedRow {
  architecture: string;
  stack: string;
  claim?: SeedClaim;
  rto: string;
  rpo: string;
  zoneFailure: string;
}

/** The zone the service runs in after the recovery: the run's `servedBy`, else the last instance seen running behind the Elastic IP. */
export function servedZone(r: DrillResult): string | undefined {
  if (r.servedBy?.zone) return r.servedBy.zone;
  const owner = [...r.timeline]
    .reverse()
    .find((e) => e.kind === 'address' && /→ i-/.test(e.text))
    ?.text.match(/→ (i-\S+)/)?.[1];
  const running = r.timeline.filter((e) => e.kind === 'instance' && / running in /.test(e.text) && (!owner || e.text.includes(owner)));
  return running[running.length - 1]?.text.match(/ running in (\S+)/)?.[1];
}

const short = (e: MatrixEntry, what: 'rto' | 'rpo'): string => {
  if (isFailed(e)) return `${e.scenario}: not measured`;
  if (!e.recovered)
    return what === 'rto' ? `${e.scenario}: not recovered within ${e.limitSeconds} s` : `${e.scenario}: not measurable (not back)`;
  if (what === 'rto') return `${e.scenario}: ${e.rtoSeconds} s`;
  if (e.lostWrites === 0) return `${e.scenario}: 0 (no write lost)`;
  const all = e.lostSequences[0] === 1 ? ", all back to the drill's first: at least" : '';
  return `${e.scenario}: ${e.rpoSeconds} s (${e.lostWrites} of ${e.acknowledgedWrites} writes lost${all})`;
};

function zoneFailure(e: MatrixEntry | undefined): string {
  if (!e) return 'az-outage not run';
  if (isFailed(e)) return `az-outage not measured: ${e.error}`;
  if (!e.recovered) return `not recovered while the zone ${e.target.zone ?? ''} was dark (${e.limitSeconds} s)`;
  const zone = servedZone(e);
  const moved = zone && zone !== e.target.zone ? `, now in ${zone}` : zone ? `, in ${zone} again` : '';
  return `recovered in ${e.rtoSeconds} s from the outage of ${e.target.zone ?? '?'}${moved}`;
}

export function seedTable(results: MatrixResults): SeedRow[] {
  const stacks = [...new Set(results.entries.map((e) => e.stack))];
  const ordered = [...stacks.filter((s) => claimFor(s)), ...stacks.filter((s) => !claimFor(s))];
  return ordered.map((stack) => {
    const runs = results.entries.filter((e) => e.stack === stack);
    const claim = claimFor(stack);
    const failed = runs.filter(isFailed);
    const allFailed = failed.length === runs.length && runs.length > 0;
    return {
      architecture: claim?.architecture ?? 'halo resilient architecture (beyond the seed)',
      stack,
      claim,
      rto: allFailed ? `not measured: ${failed[0].error}` : runs.map((e) => short(e, 'rto')).join('; '),
      rpo: allFailed ? 'not measured' : runs.map((e) => short(e, 'rpo')).join('; '),
      zoneFailure: zoneFailure(runs.find((e) => e.scenario === 'az-outage')),
    };
  });
}

/** What the AWS times include, said once beside the tables. */
export function scaleNote(results: MatrixResults): string {
  return (
    `Times are AWS seconds on the cloud's clock (profile ${results.profile}, time scale ${results.timeScale}: one wall second is ${results.timeScale} AWS seconds). ` +
    "AWS-side delays (alarm periods, recovery, launch) follow the profile; the guest's own work (booting the CI server, buildbot's start) takes real " +
    `seconds on this machine, each counted as ${results.timeScale} AWS seconds, so a slow or busy host lengthens the RTOs. Each run's wall RTO is given beside its AWS RTO.`
  );
}

/** The recovery's steps as the run saw them: the first of each after the fault, AWS seconds since the fault. */
export function milestones(r: DrillResult): string {
  const after = r.timeline.filter((e) => e.awsSinceFault !== undefined && e.awsSinceFault >= 0);
  const first = (label: string, test: (e: DrillResult['timeline'][number]) => boolean) => {
    const e = after.find(test);
    return e ? `${label} ${e.awsSinceFault}` : undefined;
  };
  const targetInstance = r.target.instanceId;
  const steps = [
    first('service down', (e) => e.kind === 'service' && e.state === 'down'),
    first('alarm ALARM', (e) => e.kind === 'alarm' && e.state === 'ALARM'),
    first('instance recovered (AWS Health)', (e) => e.kind === 'health' && /RECOVERY_SUCCESS/.test(e.text)),
    first('new instance running', (e) => e.kind === 'instance' && / running in /.test(e.text) && !e.text.includes(targetInstance)),
    first('Elastic IP moved', (e) => e.kind === 'address' && /→ i-/.test(e.text) && !e.text.includes(targetInstance)),
    first('service back', (e) => e.kind === 'service' && e.state === 'up'),
  ].filter(Boolean);
  return steps.length ? steps.join('; ') : 'none seen';
}
