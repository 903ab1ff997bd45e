import { type Access, type Clients, clientsFor, closeClients } from '../drill/clients.js';
import { CliError, cloudAccess, runningDaemon } from './cloud.js';

/** SDK v3 clients of the running cloud of this home, with its admin credentials: the CLI is a client like any other. */
export interface CloudClients extends Clients {
  access: Access;
  close(): void;
}

/** The SDK's default of 3 attempts per call: the CLI waits for its answers, it measures nothing. */
const CLI_ATTEMPTS = 3;

export function cloudClients(): CloudClients {
  if (!runningDaemon()) throw new CliError("the halo cloud is not running; start it with 'halo up' (or 'halo cloud start --detach')");
  const access = cloudAccess();
  const clients = clientsFor(access, CLI_ATTEMPTS);
  return { access, ...clients, close: () => closeClients(clients) };
}
