import type { Command } from 'commander';
import { haloHome } from '../daemon/home.js';
import { callControl } from '../runtime/control.js';
import { CliError, runningDaemon } from './cloud.js';

/** Sends one fault to the running cloud of this home (through its control socket) and prints what it did. */
export async function fault(kind: string, target: { instanceId?: string; hostId?: string; zone?: string }): Promise<void> {
  const home = haloHome();
  if (!runningDaemon(home)) throw new CliError(`the halo cloud of ${home} is not running; start it with 'halo cloud start --detach'`, 3);
  const answer = await callControl(home, '/fault', { kind, ...target });
  if (!answer.ok) throw new CliError(answer.message);
  console.log(answer.message);
}

/** `halo fault instance-crash|host-failure|host-restore|az-outage|az-restore|network-partition|network-heal`. */
export function registerFaultCommands(program: Command): void {
  const f = program.command('fault').description('inject real failures into the running local cloud (also used by drills)');
  f.command('instance-crash')
    .argument('<instance-id>')
    .description('kill every process of the instance; its host stays fine')
    .action((id: string) => fault('instance-crash', { instanceId: id }));
  f.command('host-failure')
    .argument('[host-id]', 'e.g. h-use1-az2-1')
    .option('--instance <id>', 'the host of this instance')
    .description('every instance on the host dies; the host stays down until host-restore')
    .action((hostId: string | undefined, flags: { instance?: string }) => {
      if (!hostId && !flags.instance) throw new CliError('give a host id (h-<zone id>-<n>) or --instance ID');
      return fault('host-failure', { hostId, instanceId: flags.instance });
    });
  f.command('host-restore')
    .argument('<host-id>')
    .description('the host takes instances again')
    .action((hostId: string) => fault('host-restore', { hostId }));
  f.command('az-outage')
    .argument('<zone>', 'e.g. us-east-1a')
    .description('every host of the zone goes dark')
    .action((zone: string) => fault('az-outage', { zone }));
  f.command('az-restore')
    .argument('<zone>')
    .description('the hosts of the zone come back')
    .action((zone: string) => fault('az-restore', { zone }));
  f.command('network-partition')
    .argument('<instance-id>')
    .description(
      "cut the instance's network path on its host (it keeps running; its status checks fail); lasts through a reboot, ends with a recovery, stop, termination or network-heal",
    )
    .action((id: string) => fault('network-partition', { instanceId: id }));
  f.command('network-heal')
    .argument('<instance-id>')
    .description("restore the instance's network link")
    .action((id: string) => fault('network-heal', { instanceId: id }));
}
