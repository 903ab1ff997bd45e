import type { Command } from 'commander';
import { DEFAULT_PORT, haloHome } from '../daemon/home.js';
import { deleteStack, ensureStackFromTemplate, parseTemplates } from '../drill/deploy-template.js';
import { runDrill } from '../drill/engine.js';
import { CdkStacks } from '../drill/cdk-stacks.js';
import { LOCAL_IMAGE_NAME, LOCAL_IMAGE_PACKAGES } from '../../cdk/lib/workload/buildbot.js';
import { deploy, destroy, findLocalImage } from './deploy.js';
import { cloudClients } from './cloud-clients.js';
import { DEFAULT_STACKS, runMatrix, writeReportFromResults } from '../drill/matrix.js';
import { formatEvent, summary } from '../drill/report-text.js';
import { isScenario, SCENARIOS, type DrillResult } from '../drill/types.js';
import { cloudAccess, cloudStart, CliError, runningDaemon } from './cloud.js';

interface DrillFlags {
  stack?: string;
  stacks?: string;
  templates?: string;
  scenarios?: string;
  out?: string;
  from?: string;
  profile?: string;
  timeScale?: string;
  rtoObjective?: string;
  rpoObjective?: string;
  json?: boolean;
  limit: string;
}

function seconds(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`--${name} must be a number of AWS seconds (got '${v}')`);
  return n;
}

/** The running cloud, started with --profile/--time-scale when none runs; a running one must match them. */
async function theCloud(flags: DrillFlags) {
  const home = haloHome();
  let info = runningDaemon(home);
  if (!info) {
    await cloudStart({
      detach: true,
      port: String(DEFAULT_PORT),
      timeScale: flags.timeScale ?? '1',
      profile: flags.profile ?? 'aws-typical',
      hostsPerZone: '2',
    });
    info = runningDaemon(home);
    if (!info) throw new CliError('the halo cloud did not start');
  }
  if (flags.profile && flags.profile !== info.profile) {
    throw new CliError(
      `the running cloud uses profile ${info.profile}, not ${flags.profile}: drills run against the running cloud ('halo cloud stop', then start it with --profile ${flags.profile})`,
    );
  }
  if (flags.timeScale && Number(flags.timeScale) !== info.timeScale) {
    throw new CliError(
      `the running cloud runs at time scale ${info.timeScale}, not ${flags.timeScale}: drills run against the running cloud ('halo cloud stop', then start it with --time-scale ${flags.timeScale})`,
    );
  }
  return { home, info, access: cloudAccess() };
}

/** Ctrl-C / SIGTERM abort the drill; its cleanup restores the fault before the process exits. */
function abortOnSignals(): { signal: AbortSignal; exitCode: () => number | undefined; dispose: () => void } {
  const controller = new AbortController();
  let code: number | undefined;
  const on = (name: NodeJS.Signals, exit: number) => {
    const handler = () => {
      if (code !== undefined) return;
      code = exit;
      console.error(`halo drill: ${name}: restoring the fault, then stopping`);
      controller.abort();
    };
    process.on(name, handler);
    return () => process.off(name, handler);
  };
  const offs = [on('SIGINT', 130), on('SIGTERM', 143)];
  return { signal: controller.signal, exitCode: () => code, dispose: () => offs.forEach((off) => off()) };
}

async function drill(scenario: string, flags: DrillFlags): Promise<void> {
  if (scenario === 'report') {
    if (!flags.from || !flags.out) throw new CliError('halo drill report --from RESULTS.json --out DIR');
    const files = writeReportFromResults(flags.from, flags.out);
    console.log(`report written: ${files.join(', ')}`);
    return;
  }
  const limit = seconds('limit', flags.limit) as number;
  const rtoObjective = seconds('rto-objective', flags.rtoObjective);
  const rpoObjective = seconds('rpo-objective', flags.rpoObjective);
  if (scenario !== 'matrix' && !isScenario(scenario))
    throw new CliError(`unknown scenario '${scenario}': one of ${SCENARIOS.join(', ')}, or matrix`);
  if (scenario !== 'matrix' && !flags.stack) throw new CliError('--stack NAME: the stack to drill');
  if (scenario === 'matrix' && !flags.out) throw new CliError('halo drill matrix --out DIR [--stacks A,B] [--scenarios ...]');
  const { home, info, access } = await theCloud(flags);
  const signals = abortOnSignals();
  const live = (line: string) => (flags.json ? console.error(line) : console.log(line));
  try {
    if (scenario === 'matrix') {
      const scenarios = flags.scenarios ? flags.scenarios.split(',').map((s) => s.trim()) : [...SCENARIOS];
      const bad = scenarios.filter((s) => !isScenario(s));
      if (bad.length) throw new CliError(`--scenarios: unknown ${bad.join(', ')}`);
      const fromTemplates = new Map<string, string>();
      let stacks = flags.stacks
        ? flags.stacks
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : undefined;
      if (flags.templates) {
        let templates;
        try {
          templates = parseTemplates(flags.templates);
        } catch (err) {
          throw new CliError((err as Error).message);
        }
        for (const t of templates) {
          await ensureStackFromTemplate(access, t.name, t.file, live);
          fromTemplates.set(t.name, t.file);
        }
        stacks = [...(stacks ?? []), ...templates.map((t) => t.name)];
      }
      // The CDK app's stacks are deployed (and recreated) on the cloud's halo-ci image: without it every run would fail
      // alike, so the matrix does not start.
      const appStacks = (stacks ?? DEFAULT_STACKS).filter((stack) => CdkStacks.isAppStack(stack));
      if (appStacks.length) {
        const c = cloudClients();
        const image = await findLocalImage(c.ec2).finally(() => c.close());
        if (!image)
          throw new CliError(
            `the matrix deploys ${appStacks.join(', ')} on the image '${LOCAL_IMAGE_NAME}', which this cloud does not have: run 'halo up' (which builds it), or 'halo image build --name ${LOCAL_IMAGE_NAME} --packages ${LOCAL_IMAGE_PACKAGES.join(',')}'`,
          );
      }
      const cdkStacks = new CdkStacks(access, live, { deploy: (stack) => deploy(stack, {}), destroy });
      const files = await runMatrix({
        home,
        info,
        access,
        out: flags.out as string,
        stacks,
        scenarios: scenarios as DrillResult['scenario'][],
        limitSeconds: limit,
        signal: signals.signal,
        log: live,
        beforeRun: async (stack, previous) => {
          const file = fromTemplates.get(stack);
          // A stack from a template starts each scenario fresh: a fault it did not survive must not spoil the next run.
          if (file) {
            if (!previous) return;
            await deleteStack(access, stack, live);
            await ensureStackFromTemplate(access, stack, file, live);
            return;
          }
          await cdkStacks.ready(stack, previous);
        },
      });
      console.log(`matrix written: ${files.join(', ')}`);
      return;
    }
    let result: DrillResult;
    try {
      result = await runDrill({
        scenario: scenario as DrillResult['scenario'],
        stack: flags.stack as string,
        home,
        info,
        access,
        limitSeconds: limit,
        rtoObjective,
        rpoObjective,
        signal: signals.signal,
        onEvent: (e) => live(formatEvent(e)),
      });
    } catch (err) {
      throw new CliError(`drill ${scenario} on ${flags.stack}: ${(err as Error).message}`, signals.exitCode() ?? 1);
    }
    if (flags.json) console.log(JSON.stringify(result, null, 2));
    else console.log(summary(result));
    const objectives = rtoObjective !== undefined || rpoObjective !== undefined;
    if (signals.exitCode() !== undefined) process.exitCode = signals.exitCode();
    else if (objectives && !result.objectives.met) process.exitCode = 2;
  } finally {
    signals.dispose();
  }
}

export function registerDrillCommands(program: Command): void {
  program
    .command('drill')
    .description(
      `break a deployed stack on purpose and measure its RTO and RPO: ${SCENARIOS.join(', ')}; 'matrix' runs every stack against every scenario; 'report' rebuilds a report from results`,
    )
    .argument('<scenario>', `${SCENARIOS.join(' | ')} | matrix | report`)
    .option('--stack <name>', 'the stack to drill')
    .option('--profile <name>', "the cloud's timing profile (starts the cloud with it when none runs; must match a running one)")
    .option('--time-scale <x>', "the cloud's time scale (same rule as --profile)")
    .option('--rto-objective <s>', 'exit 2 when the RTO (AWS seconds) is above this, or the service did not come back')
    .option('--rpo-objective <s>', 'exit 2 when the RPO (AWS seconds) is above this')
    .option('--limit <s>', 'AWS seconds after the fault before the drill reports "not recovered"', '1800')
    .option('--json', 'print one JSON object (the live timeline goes to stderr)')
    .option('--out <dir>', 'matrix/report: where report.md, report.html and results.json go')
    .option('--stacks <a,b>', 'matrix: the stacks (default: Recovery,MultiAz,MultiAzSnapshot,Resilient)')
    .option(
      '--templates <name=file,...>',
      'matrix: also create these stacks from CloudFormation templates (unless they exist) and drill them, recreated before each scenario',
    )
    .option('--scenarios <a,b>', 'matrix: the scenarios (default: all)')
    .option('--from <file>', 'report: a results.json of a matrix, or the JSON of one drill')
    .action((scenario: string, flags: DrillFlags) => drill(scenario, flags));
}
