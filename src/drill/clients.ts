import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The SDK v3 clients a drill uses: the same APIs a user of the cloud has. */
export interface Clients {
  cfn: CloudFormationClient;
  ec2: EC2Client;
  cw: CloudWatchClient;
  asg: AutoScalingClient;
  sm: SecretsManagerClient;
}

export interface Access {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * SDK v3 clients of a cloud, with the credentials given (the drills' and the CLI's alike).
 * @param maxAttempts the SDK's attempts per call (default 2: a drill measures what a client sees, retries blur it)
 */
export function clientsFor(access: Access, maxAttempts = 2): Clients {
  const config = {
    endpoint: access.endpoint,
    region: access.region,
    credentials: { accessKeyId: access.accessKeyId, secretAccessKey: access.secretAccessKey },
    maxAttempts,
  };
  return {
    cfn: new CloudFormationClient(config),
    ec2: new EC2Client(config),
    cw: new CloudWatchClient(config),
    asg: new AutoScalingClient(config),
    sm: new SecretsManagerClient(config),
  };
}

export function closeClients(c: Clients): void {
  for (const client of [c.cfn, c.ec2, c.cw, c.asg, c.sm]) client.destroy();
}
