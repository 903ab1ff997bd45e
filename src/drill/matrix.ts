import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DaemonInfo } from '../daemon/home.js';
import type { Access } from './clients.js';
import { runDrill } from './engine.js';
import { formatEvent } from './report-text.js';
import { matrixHtml } from './report-html.js';
import { matrixMarkdown } from './report-md.js';
import type { DrillResult, Scenario } from './types.js';

export const DEFAULT_STACKS = ['Recovery', 'MultiAz', 'MultiAzSnapshot', 'Resilient'];

/** A run that could not be measured (the stack is missing, the service never answered, ...). */
export interface FailedRun {
  stack: string;
  scenario: Scenario;
  error: string;
}
export type MatrixEntry = DrillResult | FailedRun;
export interface MatrixResults {
  profile: string;
  timeScale: number;
  limitSeconds: number;
  entries: MatrixEntry[];
}

export const isFailed = (e: MatrixEntry): e is FailedRun => 'error' in e;

export async function runMatrix(o: {
  home: string;
  info: DaemonInfo;
  access: Access;
  out: string;
  stacks?: string[];
  scenarios: Scenario[];
  limitSeconds: number;
  signal: AbortSignal;
  log: (line: string) => void;
  /**
   * Called before each run with the stack's previous run, if any (e.g. to deploy a missing stack, or recreate one a
   * fault left broken). It throws when the stack cannot be made ready: the run is then reported as not measured.
   */
  beforeRun?: (stack: string, previous: MatrixEntry | undefined) => Promise<void>;
}): Promise<string[]> {
  if (o.info.profile !== 'aws-typical') o.log(`note: the cloud runs profile ${o.info.profile}; the matrix is meant for aws-typical`);
  const results: MatrixResults = { profile: o.info.profile, timeScale: o.info.timeScale, limitSeconds: o.limitSeconds, entries: [] };
  mkdirSync(o.out, { recursive: true });
  for (const stack of o.stacks ?? DEFAULT_STACKS) {
    let previous: MatrixEntry | undefined;
    for (const scenario of o.scenarios) {
      if (o.signal.aborted) break;
      o.log(`== ${stack} × ${scenario}`);
      try {
        await o.beforeRun?.(stack, previous);
        results.entries.push(
          await runDrill({
            scenario,
            stack,
            home: o.home,
            info: o.info,
            access: o.access,
            limitSeconds: o.limitSeconds,
            signal: o.signal,
            onEvent: (e) => o.log(formatEvent(e)),
          }),
        );
      } catch (err) {
        o.log(`   ${(err as Error).message}`);
        results.entries.push({ stack, scenario, error: (err as Error).message });
      }
      previous = results.entries[results.entries.length - 1];
      writeFileSync(path.join(o.out, 'results.json'), JSON.stringify(results, null, 2));
    }
  }
  return writeReport(results, o.out);
}

export function writeReport(results: MatrixResults, out: string): string[] {
  mkdirSync(out, { recursive: true });
  const files = [path.join(out, 'results.json'), path.join(out, 'report.md'), path.join(out, 'report.html')];
  writeFileSync(files[0], JSON.stringify(results, null, 2));
  writeFileSync(files[1], matrixMarkdown(results));
  writeFileSync(files[2], matrixHtml(results));
  return files;
}

/** Rebuilds the report from a matrix's results.json or from the JSON of single drills (one object or an array). */
export function writeReportFromResults(file: string, out: string): string[] {
  const data = JSON.parse(readFileSync(file, 'utf8')) as MatrixResults | DrillResult | DrillResult[];
  let results: MatrixResults;
  if (Array.isArray(data) || 'scenario' in data) {
    const entries = Array.isArray(data) ? data : [data];
    results = {
      profile: entries[0]?.profile ?? '?',
      timeScale: entries[0]?.timeScale ?? 1,
      limitSeconds: entries[0]?.limitSeconds ?? 0,
      entries,
    };
  } else results = data;
  return writeReport(results, out);
}
