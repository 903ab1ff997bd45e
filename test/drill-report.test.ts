import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { HALO_MAIN } from './support/cloud.js';
import { templatePath } from './templates/support.js';

/**
 * The drill report from a recorded run (test/templates/drill-recorded-host-failure.json: the JSON `halo drill
 * host-failure --json` printed against the recovery architecture), built through `halo drill report`, then opened in
 * Debian's chromium headless: a screenshot is taken and the console shows no error.
 */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

function openInChromium(file: string, shot: string): { status: number | null; log: string } {
  const r = spawnSync(
    CHROMIUM as string,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      '--enable-logging=stderr',
      '--v=0',
      `--screenshot=${shot}`,
      '--window-size=1200,1600',
      `file://${file}`,
    ],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, HOME: path.dirname(shot) } },
  );
  return { status: r.status, log: `${r.stdout}\n${r.stderr}` };
}

const consoleErrors = (log: string) =>
  log.split('\n').filter((l) => /Uncaught|CONSOLE\(\d+\).*error|:ERROR:.*(console|javascript)/i.test(l));

describe('halo drill report', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'halo-drill-report-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('builds report.md and one self-contained report.html from a recorded run', () => {
    const r = spawnSync(
      process.execPath,
      [HALO_MAIN, 'drill', 'report', '--from', templatePath('drill-recorded-host-failure.json'), '--out', dir],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const recorded = JSON.parse(readFileSync(templatePath('drill-recorded-host-failure.json'), 'utf8'));
    const md = readFileSync(path.join(dir, 'report.md'), 'utf8');
    assert.match(md, /\| about 10 min \| no data lost \|/, "the seed's claim");
    assert.ok(md.includes(`${recorded.rtoSeconds} AWS s`), 'the measured RTO beside it');
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    assert.doesNotMatch(html, /<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(/i, 'no script and nothing loaded from elsewhere');
    assert.equal((html.match(/<svg /g) ?? []).length, 1, 'one SVG timeline per run');
    for (const lane of ['service', 'alarm ', 'instance ', 'Elastic IP ']) assert.ok(html.includes(`>${lane}`), `lane ${lane}`);
    assert.ok(html.includes('>fault<'));
  });

  it(
    'opens in chromium headless: a screenshot, and no console error',
    { skip: CHROMIUM ? false : "needs Debian's chromium (scripts/setup.sh installs it)" },
    () => {
      const page = path.join(dir, 'report.html');
      assert.ok(existsSync(page), 'the first test wrote the page');
      const shot = path.join(dir, 'report.png');
      const opened = openInChromium(page, shot);
      assert.ok(existsSync(shot) && statSync(shot).size > 10_000, `a screenshot was taken: ${opened.log.slice(-2000)}`);
      assert.deepEqual(consoleErrors(opened.log), []);
      // The same check sees an error when there is one.
      const broken = path.join(dir, 'broken.html');
      writeFileSync(broken, '<!DOCTYPE html><html><body><p>x</p><script>undefinedFunction();</script></body></html>');
      const control = openInChromium(broken, path.join(dir, 'broken.png'));
      assert.notDeepEqual(consoleErrors(control.log), [], `a script error is detected: ${control.log.slice(-2000)}`);
    },
  );

  // The matrix run against the CDK app's stacks, committed in docs/drills (halo drill matrix --out docs/drills).
  const docs = new URL('../../docs/drills/', import.meta.url).pathname;
  it(
    'the committed matrix report (docs/drills) is the report of its results.json, and opens in chromium headless without a console error',
    { skip: CHROMIUM ? false : "needs Debian's chromium (scripts/setup.sh installs it)" },
    () => {
      const rebuilt = path.join(dir, 'docs');
      const r = spawnSync(process.execPath, [HALO_MAIN, 'drill', 'report', '--from', path.join(docs, 'results.json'), '--out', rebuilt], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      for (const file of ['report.md', 'report.html']) {
        assert.equal(
          readFileSync(path.join(docs, file), 'utf8'),
          readFileSync(path.join(rebuilt, file), 'utf8'),
          `docs/drills/${file} is built from docs/drills/results.json`,
        );
      }
      const results = JSON.parse(readFileSync(path.join(docs, 'results.json'), 'utf8')) as { entries: Array<{ error?: string }> };
      const html = readFileSync(path.join(docs, 'report.html'), 'utf8');
      assert.equal(
        (html.match(/<svg /g) ?? []).length,
        results.entries.filter((e) => !e.error).length,
        'one SVG timeline per measured run',
      );
      const shot = path.join(dir, 'matrix.png');
      const opened = openInChromium(path.join(docs, 'report.html'), shot);
      assert.ok(existsSync(shot) && statSync(shot).size > 10_000, `a screenshot was taken: ${opened.log.slice(-2000)}`);
      assert.deepEqual(consoleErrors(opened.log), []);
    },
  );
});
