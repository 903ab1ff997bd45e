import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CliError, cloudAccess, runningDaemon } from './cloud.js';

/** Debian's aws CLI (2.9) ignores AWS_ENDPOINT_URL, so every call is given --endpoint-url. */
export function awsCliPath(): string {
  if (process.env.HALO_AWS_CLI) return process.env.HALO_AWS_CLI;
  return existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';
}

export function runAws(args: string[]): number {
  if (!runningDaemon()) throw new CliError("the halo cloud is not running; start it with 'halo cloud start --detach'");
  const access = cloudAccess();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: access.accessKeyId,
    AWS_SECRET_ACCESS_KEY: access.secretAccessKey,
    AWS_DEFAULT_REGION: access.region,
    AWS_ENDPOINT_URL: access.endpoint,
    AWS_PAGER: '',
  };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  const result = spawnSync(awsCliPath(), ['--endpoint-url', access.endpoint, ...args], { stdio: 'inherit', env });
  if (result.error)
    throw new CliError(`cannot run the aws CLI (${awsCliPath()}): ${result.error.message}; install it with 'apt-get install awscli'`);
  return result.status ?? 1;
}
