import type { MatrixEntry, MatrixResults } from './matrix.js';
import { isFailed } from './matrix.js';
import { rpoText, rtoText } from './report-text.js';
import { claimFor, SEED_CLAIMS } from './seed-claims.js';
import { milestones, scaleNote, seedTable, servedZone } from './seed-table.js';

function stacksOf(results: MatrixResults): string[] {
  return [...new Set(results.entries.map((e) => e.stack))];
}

export function cell(e: MatrixEntry | undefined, what: 'rto' | 'rpo'): string {
  if (!e) return 'not run';
  if (isFailed(e)) return `not measured: ${e.error}`;
  return what === 'rto' ? rtoText(e) : rpoText(e);
}

/** The matrix as Markdown: the seed's table with each claim beside the figures measured, then every run. */
export function matrixMarkdown(results: MatrixResults): string {
  const out: string[] = [
    '# halo drill matrix',
    '',
    `Profile ${results.profile}, time scale ${results.timeScale}, limit ${results.limitSeconds} AWS s per run. Every figure below comes from the runs (AWS time unless marked wall).`,
    '',
    scaleNote(results),
    '',
    "## The seed's table, measured",
    '',
    '| Architecture (stack) | Seed: RTO | Measured RTO (AWS s) | Seed: RPO | Measured RPO | Seed: availability | Measured: zone failure |',
    '|---|---|---|---|---|---|---|',
  ];
  const md = (s: string) => s.replace(/\|/g, '\\|');
  for (const row of seedTable(results)) {
    out.push(
      `| ${md(row.architecture)} (${row.stack}) | ${md(row.claim?.rto ?? '(no seed claim)')} | ${md(row.rto)} | ${md(row.claim?.rpo ?? '(no seed claim)')} | ${md(row.rpo)} | ${md(row.claim?.availability ?? '(no seed claim)')} | ${md(row.zoneFailure)} |`,
    );
  }
  out.push(
    '',
    '## Every run',
    '',
    '| Architecture (stack) | Seed: RTO | Seed: RPO | Seed: availability | Scenario | Measured RTO | Measured RPO |',
    '|---|---|---|---|---|---|---|',
  );
  for (const stack of stacksOf(results)) {
    const claim = claimFor(stack);
    for (const e of results.entries.filter((x) => x.stack === stack)) {
      const seed = claim ? [claim.rto, claim.rpo, claim.availability] : ['(no seed claim: beyond the seed)', '', ''];
      out.push(
        `| ${claim?.architecture ?? 'halo'} (${stack}) | ${seed.join(' | ')} | ${e.scenario} | ${cell(e, 'rto').replace(/\|/g, '\\|')} | ${cell(e, 'rpo').replace(/\|/g, '\\|')} |`,
      );
    }
  }
  out.push(
    '',
    `Seed rows: "${SEED_CLAIMS.alarm.architecture}" and "${SEED_CLAIMS.autoscaling.architecture}".`,
    '',
    '## Runs (timelines)',
    '',
  );
  for (const e of results.entries) {
    out.push(`### ${e.stack} × ${e.scenario}`, '');
    if (isFailed(e)) {
      out.push(`Not measured: ${e.error}`, '');
      continue;
    }
    out.push(
      `- recovered: ${e.recovered ? 'yes' : `no (within ${e.limitSeconds} AWS s)`}`,
      `- RTO: ${rtoText(e)}`,
      `- RPO: ${rpoText(e)}`,
      `- steps (AWS s after the fault): ${milestones(e)}`,
      `- target: ${e.target.instanceId} in ${e.target.zone ?? '?'}${e.recovered ? `; served afterwards in ${servedZone(e) ?? '?'}` : ''}; restore: ${e.restored}`,
      '',
      '| wall s | AWS time | since fault (AWS s) | event |',
      '|---|---|---|---|',
    );
    for (const t of e.timeline)
      out.push(`| ${(t.wallMs / 1000).toFixed(1)} | ${t.aws} | ${t.awsSinceFault ?? ''} | ${t.text.replace(/\|/g, '\\|')} |`);
    out.push('');
  }
  return out.join('\n');
}
