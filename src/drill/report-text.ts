import type { DrillResult, TimelineEvent } from './types.js';

const pad = (s: string, n: number) => s.padStart(n);

/** One live timeline line: wall time since the drill began, AWS time, AWS seconds since the fault. */
export function formatEvent(e: TimelineEvent): string {
  const wall = `+${(e.wallMs / 1000).toFixed(1)}s`;
  const since = e.awsSinceFault === undefined ? '' : `fault${e.awsSinceFault >= 0 ? '+' : ''}${e.awsSinceFault.toFixed(0)}s`;
  return `[wall ${pad(wall, 8)} | AWS ${e.aws.slice(11, 19)} ${pad(since, 11)}] ${e.text}`;
}

export function rtoText(r: DrillResult): string {
  if (!r.recovered) return `not recovered within ${r.limitSeconds} AWS s`;
  return `${r.rtoSeconds} AWS s (${r.rtoWallSeconds} s wall)`;
}

export function rpoText(r: DrillResult): string {
  if (r.lostWrites === null) return 'not measurable (the service did not come back)';
  if (r.lostWrites === 0) return `0 (all ${r.acknowledgedWrites} acknowledged writes kept)`;
  // Lost back to the drill's first write: the stack lost everything it held, and the drill saw only its own writes.
  if (r.lostSequences[0] === 1)
    return `at least ${r.rpoSeconds} AWS s (${r.lostWrites} of ${r.acknowledgedWrites} acknowledged writes lost, back to the drill's first: all the state the server had)`;
  return `${r.rpoSeconds} AWS s (${r.lostWrites} of ${r.acknowledgedWrites} acknowledged writes lost)`;
}

export function summary(r: DrillResult): string {
  const lines = [
    '',
    `drill ${r.scenario} on ${r.stack} (${r.workload} at ${r.endpoint}), profile ${r.profile}, time scale ${r.timeScale}`,
    `  recovered: ${r.recovered ? 'yes' : 'no'}${r.interrupted ? ' (interrupted)' : ''}`,
    `  RTO: ${rtoText(r)}`,
    `  RPO: ${rpoText(r)}`,
    `  restore: ${r.restored}`,
  ];
  if (r.objectives.rtoSeconds !== undefined || r.objectives.rpoSeconds !== undefined) {
    lines.push(
      `  objectives (RTO ≤ ${r.objectives.rtoSeconds ?? '-'} s, RPO ≤ ${r.objectives.rpoSeconds ?? '-'} s): ${r.objectives.met ? 'met' : 'MISSED'}`,
    );
  }
  return lines.join('\n');
}
