import type { MatrixResults } from './matrix.js';
import { isFailed } from './matrix.js';
import { cell } from './report-md.js';
import { rpoText, rtoText } from './report-text.js';
import { claimFor } from './seed-claims.js';
import { milestones, scaleNote, seedTable } from './seed-table.js';
import type { DrillResult } from './types.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const GOOD = /^(up|OK|running|i-)/;
const BAD = /^(down|ALARM|stopped|terminated|shutting-down|stopping|gone|unassociated)/;
const colour = (state: string) => (GOOD.test(state) ? '#3a9d5d' : BAD.test(state) ? '#c8433a' : '#d9a23a');

/** One run's timeline as an inline SVG: a lane each for the service, the alarms, the instances and the Elastic IPs. */
export function timelineSvg(r: DrillResult): string {
  const events = r.timeline.filter((e) => e.awsSinceFault !== undefined || e.lane);
  const times = [...r.serviceSamples.map((s) => s[0]), ...events.map((e) => e.awsSinceFault ?? 0), 0];
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1);
  const lanes = new Map<string, Array<[number, string]>>();
  lanes.set(
    'service',
    r.serviceSamples.map(([t, v]) => [t, v ? 'up' : 'down']),
  );
  let before = t0;
  for (const e of r.timeline) {
    const t = e.awsSinceFault ?? before;
    before = t;
    if (!e.lane || e.lane === 'service' || e.state === undefined) continue;
    if (!lanes.has(e.lane)) lanes.set(e.lane, []);
    (lanes.get(e.lane) as Array<[number, string]>).push([t, e.state]);
  }
  const left = 230;
  const width = 900;
  const laneH = 22;
  const x = (t: number) => left + ((t - t0) / (t1 - t0)) * (width - left - 10);
  const rows: string[] = [];
  [...lanes.entries()].forEach(([name, changes], i) => {
    const y = 10 + i * laneH;
    rows.push(`<text x="4" y="${y + 14}" font-size="11">${esc(name.length > 36 ? `${name.slice(0, 35)}…` : name)}</text>`);
    changes.forEach(([t, state], k) => {
      const end = k + 1 < changes.length ? changes[k + 1][0] : t1;
      rows.push(
        `<rect x="${x(t).toFixed(1)}" y="${y}" width="${Math.max(1, x(end) - x(t)).toFixed(1)}" height="${laneH - 6}" fill="${colour(state)}"><title>${esc(`${name}: ${state} from ${t} AWS s`)}</title></rect>`,
      );
    });
  });
  const h = 10 + lanes.size * laneH + 30;
  const fx = x(0);
  rows.push(
    `<line x1="${fx}" y1="4" x2="${fx}" y2="${h - 24}" stroke="#000" stroke-dasharray="4 2"/><text x="${fx + 3}" y="${h - 16}" font-size="11">fault</text>`,
  );
  if (r.recovered && r.rtoSeconds !== null) {
    const rx = x(r.rtoSeconds);
    rows.push(
      `<line x1="${rx}" y1="4" x2="${rx}" y2="${h - 24}" stroke="#1d5fa8" stroke-dasharray="4 2"/><text x="${rx - 3}" y="${h - 16}" font-size="11" fill="#1d5fa8" text-anchor="end">back after ${r.rtoSeconds} AWS s</text>`,
    );
  }
  rows.push(
    `<text x="${left}" y="${h - 2}" font-size="10">${t0.toFixed(0)} s</text><text x="${width - 10}" y="${h - 2}" font-size="10" text-anchor="end">${t1.toFixed(0)} s (AWS)</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" role="img" aria-label="${esc(`${r.stack} ${r.scenario} timeline`)}">${rows.join('')}</svg>`;
}

/** The matrix as one self-contained HTML page (no script, no external resource). */
export function matrixHtml(results: MatrixResults): string {
  const seedRows = results.entries
    .map((e) => {
      const claim = claimFor(e.stack);
      return (
        `<tr><td>${esc(claim?.architecture ?? 'halo (beyond the seed)')} — ${esc(e.stack)}</td><td>${esc(claim?.rto ?? '—')}</td><td>${esc(claim?.rpo ?? '—')}</td>` +
        `<td>${esc(claim?.availability ?? '—')}</td><td>${esc(e.scenario)}</td><td>${esc(cell(e, 'rto'))}</td><td>${esc(cell(e, 'rpo'))}</td></tr>`
      );
    })
    .join('\n');
  const summaryRows = seedTable(results)
    .map(
      (row) =>
        `<tr><td>${esc(row.architecture)} — ${esc(row.stack)}</td><td>${esc(row.claim?.rto ?? '(no seed claim)')}</td><td>${esc(row.rto)}</td>` +
        `<td>${esc(row.claim?.rpo ?? '(no seed claim)')}</td><td>${esc(row.rpo)}</td><td>${esc(row.claim?.availability ?? '(no seed claim)')}</td><td>${esc(row.zoneFailure)}</td></tr>`,
    )
    .join('\n');
  const runs = results.entries
    .map((e) => {
      if (isFailed(e)) return `<section><h3>${esc(e.stack)} × ${esc(e.scenario)}</h3><p>Not measured: ${esc(e.error)}</p></section>`;
      const events = e.timeline
        .map(
          (t) =>
            `<tr><td>${(t.wallMs / 1000).toFixed(1)}</td><td>${esc(t.aws)}</td><td>${t.awsSinceFault ?? ''}</td><td>${esc(t.text)}</td></tr>`,
        )
        .join('');
      return (
        `<section><h3>${esc(e.stack)} × ${esc(e.scenario)}</h3><p>Recovered: <b>${e.recovered ? 'yes' : 'no'}</b>. RTO: ${esc(rtoText(e))}. RPO: ${esc(rpoText(e))}. Steps (AWS s after the fault): ${esc(milestones(e))}. Restore: ${esc(e.restored)}.</p>` +
        `${timelineSvg(e)}<details><summary>timeline</summary><table><tr><th>wall s</th><th>AWS time</th><th>AWS s since fault</th><th>event</th></tr>${events}</table></details></section>`
      );
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>halo drill matrix</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 6px;font-size:13px;vertical-align:top}svg{background:#fafafa;border:1px solid #ddd}</style>
</head><body>
<h1>halo drill matrix</h1>
<p>Profile ${esc(results.profile)}, time scale ${results.timeScale}, limit ${results.limitSeconds} AWS s per run. Every figure comes from the runs; times are AWS time unless marked wall.</p>
<p>${esc(scaleNote(results))}</p>
<h2>The seed's table, measured</h2>
<table><tr><th>Architecture</th><th>Seed: RTO</th><th>Measured RTO (AWS s)</th><th>Seed: RPO</th><th>Measured RPO</th><th>Seed: availability</th><th>Measured: zone failure</th></tr>
${summaryRows}
</table>
<h2>Every run</h2>
<table><tr><th>Architecture</th><th>Seed: RTO</th><th>Seed: RPO</th><th>Seed: availability</th><th>Scenario</th><th>Measured RTO</th><th>Measured RPO</th></tr>
${seedRows}
</table>
<p>Lanes: green = up / OK / running / associated, red = down / ALARM / stopped or terminated / unassociated, amber = in between.</p>
<h2>Runs</h2>
${runs}
</body></html>
`;
}
