#!/usr/bin/env node
import { Command } from 'commander';
import { DEFAULT_PORT } from '../daemon/home.js';
import { runAws } from './aws.js';
import { CliError, cloudClean, cloudEnv, cloudStart, cloudStatus, cloudStop } from './cloud.js';
import { registerDeployCommands } from './deploy.js';
import { registerDownCommand } from './down.js';
import { registerDrillCommands } from './drill.js';
import { registerFaultCommands } from './fault.js';
import { registerImageCommands } from './image.js';
import { registerStatusCommand } from './status.js';
import { registerUpCommand } from './up.js';

// halo pins its AWS SDK versions and supports Node 20 (package.json engines): the SDK's notice about its future
// releases needing Node 22 would only clutter every command's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = new Command('halo')
  .description('halo: highly available EC2 architectures, real and testable, on AWS and on this machine')
  .showHelpAfterError();

const cloud = program.command('cloud').description('the halo local cloud: an AWS-compatible region on this machine');

const startOptions = (cmd: Command) =>
  cmd
    .option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)', String(DEFAULT_PORT))
    .option('--time-scale <x>', 'AWS seconds per wall second for every AWS-side timer', '1')
    .option('--profile <name>', 'timing profile: aws-typical, fast or instant', 'aws-typical')
    .option('--hosts-per-zone <n>', 'hosts in each availability zone', '2');

startOptions(cloud.command('start').description('start the local cloud').option('--detach', 'run in the background'))
  .action(async (flags) => cloudStart(flags));
cloud.command('stop').description('stop the local cloud and everything in it (instances, networks, mounts); its state stays for the next start').action(cloudStop);
cloud.command('status').description('is the local cloud running, and where').option('--json', 'as JSON').action(cloudStatus);
cloud.command('env').description('shell exports for the admin credentials; also writes the aws CLI profile "halo"').action(cloudEnv);
cloud
  .command('clean')
  .description('remove everything a stopped or crashed cloud left on this host')
  .option('--state', "also delete the cloud's state (every resource)")
  .action(cloudClean);

registerUpCommand(program, startOptions);
registerDownCommand(program);
registerStatusCommand(program);

program
  .command('aws')
  .description('run the real aws CLI against the local cloud (like awslocal)')
  .helpOption(false)
  .allowUnknownOption()
  .allowExcessArguments()
  .argument('[args...]')
  .action((args: string[]) => {
    process.exitCode = runAws(args);
  });

registerImageCommands(program);
registerFaultCommands(program);
registerDrillCommands(program);
registerDeployCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CliError) {
    console.error(`halo: ${err.message}`);
    process.exit(err.exitCode);
  }
  console.error(err);
  process.exit(1);
});
