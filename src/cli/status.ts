import type { Command } from 'commander';
import { haloHome } from '../daemon/home.js';
import { runningDaemon } from './cloud.js';
import { cloudClients } from './cloud-clients.js';
import { allStacks } from './down.js';
import { stackHealth, type StackHealth } from './stack-health.js';
import { UP_TAG, haloCommand, passwordCommands } from './up.js';

function stackLines(h: StackHealth, endpoint: string): string[] {
  const byUp = h.tags[UP_TAG.Key] === UP_TAG.Value ? ', deployed by halo up' : '';
  const lines = [
    `${h.name}: ${h.status}${h.statusReason && !h.status.endsWith('_COMPLETE') ? ` (${h.statusReason})` : ''}${byUp}; ${h.healthy ? 'healthy' : 'NOT healthy'}`,
  ];
  if (h.url) {
    const p = h.probe;
    const answer = !p
      ? 'not probed (the stack is not complete)'
      : p.answering
        ? `answering (HTTP ${p.httpStatus}, ${p.ms} ms)`
        : `not answering: ${p.error ?? `HTTP ${p.httpStatus}`}`;
    lines.push(`  URL ${h.url}  ${answer}`);
  }
  for (const [k, v] of Object.entries(h.outputs)) if (k !== 'URL') lines.push(`  ${k} = ${v}`);
  if (h.secret) lines.push(`  admin password: ${passwordCommands(h.secret.name, endpoint).halo}`);
  for (const i of h.instances) {
    const group = i.group ? ` ${i.lifecycle ?? ''} ${i.health ?? ''} in ${i.group}` : '';
    lines.push(`  instance ${i.instanceId} ${i.state} ${i.zone ?? ''}${i.publicIp ? ` ${i.publicIp}` : ''}${group}`.trimEnd());
  }
  for (const a of h.alarms) lines.push(`  alarm ${a.name} ${a.state}`);
  return lines;
}

/** `halo status`: the cloud, and each stack with its URL answering or not, its instances and alarms. */
async function status(flags: { json?: boolean }): Promise<void> {
  const home = haloHome();
  const info = runningDaemon(home);
  if (!info) {
    if (flags.json) console.log(JSON.stringify({ cloud: { running: false, home }, stacks: [] }, null, 2));
    else console.log(`halo cloud: not running (home ${home}); '${haloCommand()} up' starts it and deploys the CI server`);
    process.exitCode = 3;
    return;
  }
  const c = cloudClients();
  try {
    const stacks = await Promise.all((await allStacks(c)).map((s) => stackHealth(c, s)));
    const cloud = {
      running: true,
      endpoint: info.endpoint,
      region: c.access.region,
      home: info.home,
      pid: info.pid,
      profile: info.profile,
      timeScale: info.timeScale,
      startedAt: info.startedAt,
    };
    if (flags.json) {
      console.log(JSON.stringify({ cloud, stacks }, null, 2));
      return;
    }
    console.log(
      `halo cloud: running at ${info.endpoint} (pid ${info.pid}), region ${cloud.region}, home ${info.home}, profile ${info.profile}, time scale ${info.timeScale}, since ${info.startedAt}`,
    );
    if (!stacks.length) console.log(`no stack deployed; '${haloCommand()} up' deploys the CI server`);
    for (const h of stacks) console.log(['', ...stackLines(h, info.endpoint)].join('\n'));
  } finally {
    c.close();
  }
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'the local cloud and its stacks: status, URLs (answering now?), instances, alarms (exit code 3 when the cloud is not running)',
    )
    .option('--json', 'as JSON')
    .action(status);
}
