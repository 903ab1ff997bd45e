import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { Command } from 'commander';
import { STACK_NAMES } from '../../cdk/lib/app.js';
import { LOCAL_IMAGE_NAME, LOCAL_IMAGE_PACKAGES } from '../../cdk/lib/workload/buildbot.js';
import type { DaemonInfo } from '../daemon/home.js';
import { callControl } from '../runtime/control.js';
import { PackageInstallError, ensurePackageLayer } from '../runtime/images.js';
import { isRoot } from '../runtime/sh.js';
import { CliError, runningDaemon, startCloudDetached, type StartFlags } from './cloud.js';
import { cloudClients, type CloudClients } from './cloud-clients.js';
import { deployStack, findLocalImage } from './deploy.js';
import { Progress } from './progress.js';
import { probe, stackHealth, type StackHealth } from './stack-health.js';

/** The stack tag `halo up` deploys with: `halo down` removes the stacks that carry it. */
export const UP_TAG = { Key: 'halo:deployed-by', Value: 'halo up' };
export const DEFAULT_ARCHITECTURE = 'Resilient';

/** How the user called halo (`./halo` from the repository's script, else `halo`), for the commands printed. */
export function haloCommand(): string {
  return process.env.HALO_COMMAND || 'halo';
}

/** The commands that print the admin password: through halo, and with the aws CLI itself. */
export function passwordCommands(secretName: string, endpoint: string): { halo: string; aws: string } {
  const read = `secretsmanager get-secret-value --secret-id ${secretName} --query SecretString --output text`;
  return { halo: `${haloCommand()} aws ${read}`, aws: `aws ${read} --endpoint-url ${endpoint}` };
}

interface UpFlags extends StartFlags {
  stack: string;
  json?: boolean;
}

type Say = (line: string) => void;

/** This home's cloud: the running one, else one started in the background with the given settings. */
async function ensureCloud(flags: UpFlags, cmd: Command, progress: Progress, say: Say): Promise<DaemonInfo> {
  const running = runningDaemon();
  if (running) {
    say(
      `halo cloud: running at ${running.endpoint} (pid ${running.pid}, region ${running.region}, profile ${running.profile}, time scale ${running.timeScale})`,
    );
    const asked = (['profile', 'timeScale', 'port', 'hostsPerZone'] as const).filter((o) => cmd.getOptionValueSource(o) === 'cli');
    if (asked.length)
      say(
        `  (it keeps its own settings; --${asked.map((o) => o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)).join(', --')} apply to a new cloud: '${haloCommand()} cloud stop' first)`,
      );
    return running;
  }
  progress.step('starting the halo cloud in the background');
  const info = await startCloudDetached(flags);
  progress.done(
    `halo cloud: started at ${info.endpoint} (pid ${info.pid}, home ${info.home}, profile ${info.profile}, time scale ${info.timeScale}; log ${info.home}/daemon.log)`,
  );
  return info;
}

/** The cloud's `halo-ci` AMI: found, or its image layer built (once per image cache) and registered. */
async function ensureImage(c: CloudClients, info: DaemonInfo, progress: Progress, say: Say): Promise<string> {
  const found = await findLocalImage(c.ec2);
  if (found) {
    say(`image: ${LOCAL_IMAGE_NAME} is ${found}`);
    return found;
  }
  progress.step(`image: ${LOCAL_IMAGE_NAME} (${LOCAL_IMAGE_PACKAGES.join(', ')} on the default Debian 12 image)`);
  let image;
  try {
    image = await ensurePackageLayer(info.imageCache, LOCAL_IMAGE_PACKAGES, (line) => progress.detail(`image: ${line}`));
  } catch (err) {
    progress.stop();
    const hint =
      err instanceof PackageInstallError
        ? 'check that this machine reaches its Debian mirror (apt-get update)'
        : `see the messages above; nothing half-built is kept in ${info.imageCache}`;
    throw new CliError(
      `the ${LOCAL_IMAGE_NAME} image could not be built: ${(err as Error).message}\n${hint}, then run '${haloCommand()} up' again`,
    );
  }
  const answer = await callControl(info.home, '/register-image', { name: LOCAL_IMAGE_NAME, rootfs: image.dir, region: c.access.region });
  if (!answer.ok) {
    progress.stop();
    throw new CliError(`the ${LOCAL_IMAGE_NAME} image is built but the cloud did not register it: ${answer.message}`);
  }
  progress.done(
    `image: ${image.reused ? 'reused the cached layer' : 'built the layer'} ${image.layers[0]}, registered as ${answer.message} (${LOCAL_IMAGE_NAME})`,
  );
  return answer.message;
}

/**
 * Waits (briefly) for the URL to answer. The CreationPolicy already waited for the server, so this is one probe
 * unless the stack has no signal (or an address only known once its group's instance is in service).
 */
async function answering(c: CloudClients, health: StackHealth, progress: Progress): Promise<StackHealth> {
  if (!/^(CREATE|UPDATE)_COMPLETE$/.test(health.status) || (health.url && health.probe?.answering)) return health;
  progress.step(
    `${health.name}: waiting for the CI server at ${health.url ?? '(no address yet)'} to answer${health.probe ? ` (${health.probe.error ?? `HTTP ${health.probe.httpStatus}`})` : ''}`,
  );
  let now = health;
  for (let i = 0; i < 30 && !now.probe?.answering; i++) {
    await sleep(2000);
    const stack = (await c.cfn.send(new DescribeStacksCommand({ StackName: health.name }))).Stacks![0];
    now = await stackHealth(c, stack);
    if (now.url && !now.probe) now = { ...now, probe: await probe(now.url) };
  }
  progress.stop();
  return now;
}

function summaryLines(h: StackHealth, info: DaemonInfo): string[] {
  const lines = [`The CI server of the ${h.name} stack (buildbot, user admin):`];
  const answer = h.probe
    ? h.probe.answering
      ? `answering (HTTP ${h.probe.httpStatus})`
      : `NOT answering yet: ${h.probe.error ?? `HTTP ${h.probe.httpStatus}`}`
    : 'not probed';
  lines.push(`  URL:             ${h.url ?? '(no address yet)'}   ${answer}`);
  if (h.secret) {
    const cmds = passwordCommands(h.secret.name, info.endpoint);
    lines.push(`  admin password:  in Secrets Manager, secret ${h.secret.name}; print it with`);
    lines.push(`                     ${cmds.halo}`);
    lines.push(`                   or with the aws CLI, after eval "$(${haloCommand()} cloud env)":`);
    lines.push(`                     ${cmds.aws}`);
  }
  lines.push('');
  lines.push(`Next, break it and measure how fast it recovers:  ${haloCommand()} drill instance-crash --stack ${h.name}`);
  lines.push(
    `Also: '${haloCommand()} status' (health), '${haloCommand()} down' (removes the stack, the cloud keeps running), '${haloCommand()} cloud stop' (stops the cloud and all in it)`,
  );
  return lines;
}

export async function up(flags: UpFlags, cmd: Command): Promise<void> {
  if (!(STACK_NAMES as readonly string[]).includes(flags.stack))
    throw new CliError(`--stack ${flags.stack}: the architectures are ${STACK_NAMES.join(', ')}`);
  if (!isRoot())
    throw new CliError(
      `halo up launches instances (network namespaces, mounts, nftables), which needs root: run 'sudo ${haloCommand()} up'`,
    );
  const started = Date.now();
  const say: Say = flags.json ? (line) => console.error(line) : (line) => console.log(line);
  const progress = new Progress(say);
  // Ctrl-C stops this command, not the cloud's work: a stack operation under way goes on in the cloud.
  process.once('SIGINT', () => {
    progress.stop();
    console.error(
      `\nhalo up: interrupted. A deployment under way goes on in the cloud: '${haloCommand()} status' shows it, '${haloCommand()} up' again follows it to the end`,
    );
    process.exit(130);
  });
  const info = await ensureCloud(flags, cmd, progress, say);
  const c = cloudClients();
  try {
    const imageId = await ensureImage(c, info, progress, say);
    say(`${flags.stack}: deploying the ${flags.stack} architecture (cdk/lib), image ${imageId}`);
    let result;
    try {
      result = await deployStack(c, flags.stack, { tags: [UP_TAG] }, progress);
    } catch (err) {
      const other = flags.stack === 'Recovery' ? '' : `, or try another architecture: '${haloCommand()} up --stack Recovery'`;
      throw new CliError(
        `${(err as Error).message}\nits events: ${haloCommand()} aws cloudformation describe-stack-events --stack-name ${flags.stack}\n'${haloCommand()} down' removes it; then '${haloCommand()} up' again${other}`,
      );
    }
    say(
      result.changed
        ? `${result.name}: ${result.status}`
        : `${result.name}: already deployed with this template (${result.status}); nothing changed`,
    );
    const health = await answering(c, await stackHealth(c, result.stack), progress);
    const total = progress.stop();
    if (flags.json) {
      console.log(
        JSON.stringify(
          {
            stack: health.name,
            status: health.status,
            changed: result.changed,
            url: health.url,
            answering: Boolean(health.probe?.answering),
            user: 'admin',
            secret: health.secret && { ...health.secret, ...passwordCommands(health.secret.name, info.endpoint) },
            next: `${haloCommand()} drill instance-crash --stack ${health.name}`,
            cloud: { endpoint: info.endpoint, region: c.access.region, home: info.home, profile: info.profile, timeScale: info.timeScale },
            seconds: Math.round((Date.now() - started) / 100) / 10,
          },
          null,
          2,
        ),
      );
    } else {
      console.log(['', ...summaryLines(health, info), `done in ${total}`].join('\n'));
    }
    if (!health.probe?.answering) process.exitCode = 1;
  } finally {
    progress.stop();
    c.close();
  }
}

export function registerUpCommand(program: Command, startOptions: (cmd: Command) => Command): void {
  startOptions(
    program
      .command('up')
      .description(
        `the main job: start the local cloud (unless it runs), build the ${LOCAL_IMAGE_NAME} image (unless built), deploy a highly available CI server and print its URL`,
      )
      .option('--stack <architecture>', `the architecture: ${STACK_NAMES.join(', ')}`, DEFAULT_ARCHITECTURE)
      .option('--json', 'print the result as one JSON object (progress goes to stderr)'),
  ).action((flags: UpFlags, cmd: Command) => up(flags, cmd));
}
