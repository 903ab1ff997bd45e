#!/usr/bin/env node
import { Command } from 'commander';
import { DEFAULT_PORT } from '../daemon/home.js';
import { CliError } from './errors.js';

// halo pins its AWS SDK versions and supports Node 20 (package.json engines): the SDK's notice about its future
// releases needing Node 22 would only clutter every command's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = new Command('halo')
  .description('halo: highly available EC2 architectures, real and testable, on AWS and on this machine')
  .showHelpAfterError();

// Each top-level command's module is loaded only when that command runs (or for help): the CDK app, the SDK
// clients and the daemon's server take seconds to load, and `halo cloud status` should answer at once.
const COMMANDS: Record<string, () => Promise<void>> = {
  cloud: async () => registerCloudCommands(await import('./cloud.js')),
  up: async () => (await import('./up.js')).registerUpCommand(program, startOptions),
  down: async () => (await import('./down.js')).registerDownCommand(program),
  status: async () => (await import('./status.js')).registerStatusCommand(program),
  aws: async () => registerAwsCommand(await import('./aws.js')),
  image: async () => (await import('./image.js')).registerImageCommands(program),
  fault: async () => (await import('./fault.js')).registerFaultCommands(program),
  drill: async () => (await import('./drill.js')).registerDrillCommands(program),
  deploy: async () => (await import('./deploy.js')).registerDeployCommands(program),
};
COMMANDS.destroy = COMMANDS.deploy;

function startOptions(cmd: Command): Command {
  return cmd
    .option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)', String(DEFAULT_PORT))
    .option('--time-scale <x>', 'AWS seconds per wall second for every AWS-side timer', '1')
    .option('--profile <name>', 'timing profile: aws-typical, fast or instant', 'aws-typical')
    .option('--hosts-per-zone <n>', 'hosts in each availability zone', '2');
}

function registerCloudCommands(m: typeof import('./cloud.js')): void {
  const cloud = program.command('cloud').description('the halo local cloud: an AWS-compatible region on this machine');
  startOptions(cloud.command('start').description('start the local cloud').option('--detach', 'run in the background')).action(
    async (flags: Parameters<typeof m.cloudStart>[0]) => m.cloudStart(flags),
  );
  cloud
    .command('stop')
    .description('stop the local cloud and everything in it (instances, networks, mounts); its state stays for the next start')
    .action(m.cloudStop);
  cloud.command('status').description('is the local cloud running, and where').option('--json', 'as JSON').action(m.cloudStatus);
  cloud.command('env').description('shell exports for the admin credentials; also writes the aws CLI profile "halo"').action(m.cloudEnv);
  cloud
    .command('clean')
    .description('remove everything a stopped or crashed cloud left on this host')
    .option('--state', "also delete the cloud's state (every resource)")
    .action(m.cloudClean);
}

function registerAwsCommand(m: typeof import('./aws.js')): void {
  program
    .command('aws')
    .description('run the real aws CLI against the local cloud (like awslocal)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action((args: string[]) => {
      process.exitCode = m.runAws(args);
    });
}

async function main(): Promise<void> {
  const asked = process.argv[2];
  const only = asked !== undefined ? COMMANDS[asked] : undefined;
  if (only) await only();
  else for (const register of new Set(Object.values(COMMANDS))) await register();
  await program.parseAsync(process.argv);
}

main().catch((err: unknown) => {
  if (err instanceof CliError) {
    console.error(`halo: ${err.message}`);
    process.exit(err.exitCode);
  }
  console.error(err);
  process.exit(1);
});
