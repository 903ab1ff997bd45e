import { paginateDescribeStacks, type Stack } from '@aws-sdk/client-cloudformation';
import type { Command } from 'commander';
import { CliError, runningDaemon } from './cloud.js';
import { cloudClients, type CloudClients } from './cloud-clients.js';
import { destroyStack } from './deploy.js';
import { Progress } from './progress.js';
import { UP_TAG, haloCommand } from './up.js';

/** Every stack of the cloud (DescribeStacks without a name: the stacks not deleted). */
export async function allStacks(c: CloudClients): Promise<Stack[]> {
  const stacks: Stack[] = [];
  for await (const page of paginateDescribeStacks({ client: c.cfn }, {})) stacks.push(...(page.Stacks ?? []));
  return stacks;
}

/** `halo down`: deletes the stacks `halo up` deployed (or the one named), following their events; the cloud keeps running. */
async function down(flags: { stack?: string }): Promise<void> {
  const info = runningDaemon();
  if (!info) {
    console.log(
      `the halo cloud is not running: nothing is deployed to remove ('${haloCommand()} cloud clean --state' deletes a stopped cloud's state)`,
    );
    return;
  }
  const c = cloudClients();
  try {
    const stacks = await allStacks(c);
    const names = flags.stack
      ? [flags.stack]
      : stacks.filter((s) => s.Tags?.some((t) => t.Key === UP_TAG.Key && t.Value === UP_TAG.Value)).map((s) => s.StackName!);
    if (flags.stack && !stacks.some((s) => s.StackName === flags.stack))
      throw new CliError(`no stack ${flags.stack} in the cloud (see '${haloCommand()} status')`);
    if (!names.length)
      console.log(
        `no stack deployed by '${haloCommand()} up' in the cloud${stacks.length ? ` (others: ${stacks.map((s) => s.StackName).join(', ')}; '${haloCommand()} down --stack NAME' removes one)` : ''}`,
      );
    for (const name of names) {
      const progress = new Progress();
      console.log(`${name}: deleting`);
      await destroyStack(c, name, progress);
      console.log(`${name}: DELETE_COMPLETE (${progress.stop()})`);
    }
    console.log(`the halo cloud keeps running at ${info.endpoint}; '${haloCommand()} cloud stop' stops it and everything still in it`);
  } finally {
    c.close();
  }
}

export function registerDownCommand(program: Command): void {
  program
    .command('down')
    .description("remove the stacks 'halo up' deployed, waiting for DELETE_COMPLETE (the cloud keeps running: 'halo cloud stop' stops it)")
    .option('--stack <name>', 'remove this stack instead (any stack of the cloud)')
    .action(down);
}
