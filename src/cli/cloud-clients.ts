import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CliError, cloudAccess, runningDaemon, type CloudAccess } from './cloud.js';

/** SDK v3 clients of the running cloud of this home, with its admin credentials: the CLI is a client like any other. */
export interface CloudClients {
  access: CloudAccess;
  cfn: CloudFormationClient;
  ec2: EC2Client;
  asg: AutoScalingClient;
  cw: CloudWatchClient;
  sm: SecretsManagerClient;
  close(): void;
}

export function cloudClients(): CloudClients {
  if (!runningDaemon()) throw new CliError("the halo cloud is not running; start it with 'halo up' (or 'halo cloud start --detach')");
  const access = cloudAccess();
  const config = {
    endpoint: access.endpoint,
    region: access.region,
    credentials: { accessKeyId: access.accessKeyId, secretAccessKey: access.secretAccessKey },
  };
  const clients = {
    cfn: new CloudFormationClient(config),
    ec2: new EC2Client(config),
    asg: new AutoScalingClient(config),
    cw: new CloudWatchClient(config),
    sm: new SecretsManagerClient(config),
  };
  return { access, ...clients, close: () => Object.values(clients).forEach((c) => c.destroy()) };
}
