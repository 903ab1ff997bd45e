import { CfnOutput, CfnParameter, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  adminSecret,
  allowedCidrParameter,
  associateAddressStatement,
  imageParameter,
  readSecretStatement,
  type Statement,
} from './common.js';
import { ServerGroup, urlOf } from './group.js';
import { PublicNetwork } from './network.js';
import type { ArchitectureStackProps } from './stack-props.js';
import { workloadFor, type Workload } from './workload/index.js';

/** Props of {@link MultiAzServer}. */
export interface MultiAzServerProps {
  /** The CI server to run. */
  readonly workload: Workload;
  /** The AMI id (a token such as a parameter's value). */
  readonly imageId: string;
  /**
   * Who may reach the CI server.
   * @default 0.0.0.0/0 when `faithful`; otherwise required
   */
  readonly allowedCidr?: string;
  /**
   * The instance type.
   * @default t2.micro (the seed's)
   */
  readonly instanceType?: string;
  /**
   * Seconds before EC2 health checks count after a launch.
   * @default 600 (the seed's)
   */
  readonly healthCheckGracePeriod?: number;
  /**
   * How many zones the group spans.
   * @default 2 (the seed's SubnetA and SubnetB)
   */
  readonly zones?: number;
  /**
   * Give the server a fixed Elastic IP, associated by the server itself at boot with its instance role (the seed's
   * multiaz-elasticip.json).
   * @default false
   */
  readonly elasticIp?: boolean;
  /**
   * The seed's exact template (launch configuration, open ports, plain password...).
   * @default false
   */
  readonly faithful?: boolean;
  /**
   * The seed's key pair name (only with `faithful`).
   * @default - no key pair
   */
  readonly keyName?: string;
  /**
   * The seed's plain password (only with `faithful`; it lands in the user data, as in the seed).
   * @default - a password generated in Secrets Manager
   */
  readonly plainPassword?: string;
}

/**
 * The seed's multiaz.json: one CI server in an Auto Scaling group (min = max = desired = 1) over subnets in two
 * zones with EC2 health checks; a lost server or zone is replaced in the other zone. State lives on the instance
 * (lost with it) unless the image carries it (see {@link MultiAzSnapshotServer}).
 */
export class MultiAzServer extends Construct {
  readonly serverGroup: ServerGroup;
  readonly network: PublicNetwork;
  readonly elasticIp?: ec2.CfnEIP;
  readonly secret?: secretsmanager.CfnSecret;
  readonly url?: string;

  constructor(scope: Construct, id: string, props: MultiAzServerProps) {
    super(scope, id);
    const faithful = props.faithful ?? false;
    const w = props.workload;
    this.network = new PublicNetwork(this, 'Network', {
      name: 'ci-multiaz',
      zones: props.zones ?? 2,
      port: w.port,
      allowedCidr: props.allowedCidr,
      faithful,
    });
    this.secret = faithful ? undefined : adminSecret(this);
    const statements: Statement[] = this.secret ? [readSecretStatement(this.secret)] : [];
    if (props.elasticIp) {
      this.elasticIp = new ec2.CfnEIP(this, 'ElasticIP', { domain: 'vpc' });
      this.elasticIp.addResourceDependency(this.network.gatewayAttachment);
      statements.push(
        faithful
          ? { Sid: 'AssociateAddress', Action: ['ec2:AssociateAddress'], Resource: ['*'] }
          : associateAddressStatement(this.elasticIp),
      );
      this.url = urlOf(this.elasticIp, w.port);
    }
    this.serverGroup = new ServerGroup(this, 'Group', {
      network: this.network,
      imageId: props.imageId,
      instanceType: props.instanceType ?? 't2.micro',
      gracePeriod: props.healthCheckGracePeriod ?? 600,
      faithful,
      keyName: props.keyName,
      statements,
      boot: {
        architecture: props.elasticIp ? 'MultiAzSnapshot' : 'MultiAz',
        workload: w,
        stateDir: '/var/lib/halo-ci/state',
        secretArn: this.secret?.ref,
        plainPassword: props.plainPassword,
        eipAllocationId: this.elasticIp?.attrAllocationId,
      },
    });
  }
}

/** The seed's parameters under `faithful`. */
export function seedParameters(scope: Construct, faithful: boolean): { keyName?: string; password?: CfnParameter } {
  if (!faithful) return {};
  const keyName = new CfnParameter(scope, 'KeyName', { type: 'AWS::EC2::KeyPair::KeyName', description: 'Key Pair name' });
  const password = new CfnParameter(scope, 'JenkinsAdminPassword', {
    type: 'String',
    noEcho: true,
    minLength: 8,
    maxLength: 40,
    description: 'Password for Jenkins admin user',
  });
  return { keyName: keyName.valueAsString, password };
}

export function passwordOutputs(scope: Construct, secret?: secretsmanager.CfnSecret, password?: CfnParameter): void {
  if (secret)
    new CfnOutput(scope, 'AdminPasswordSecret', {
      description: 'the Secrets Manager secret holding the admin password (its ARN, not the password)',
      value: secret.ref,
    });
  if (password)
    new CfnOutput(scope, 'Password', {
      description: "Password for Jenkins administrator user (the seed's defect, kept by faithful)",
      value: password.valueAsString,
    });
}

/** The MultiAz architecture as a stack. */
export class MultiAzStack extends Stack {
  constructor(scope: Construct, id: string, props: ArchitectureStackProps = {}) {
    super(scope, id, {
      description: "halo: the seed's multi-AZ architecture (one server in an Auto Scaling group over two zones)",
      ...props,
    });
    groupArchitecture(
      this,
      props,
      'ImageId',
      (serverProps) => new MultiAzServer(this, 'MultiAz', serverProps),
      (server) => server.serverGroup.addOutputs(this),
    );
  }
}

/**
 * What the two group stacks (MultiAz, MultiAzSnapshot) build alike: the workload, the image parameter under the name
 * the seed gives it, the seed's parameters, the server, its outputs, then the password outputs.
 */
export function groupArchitecture<S extends MultiAzServer>(
  stack: Stack,
  props: ArchitectureStackProps,
  imageParameterName: string,
  make: (serverProps: MultiAzServerProps) => S,
  addOutputs: (server: S) => void,
): S {
  const workload = workloadFor(props.target ?? 'local');
  const faithful = props.faithful ?? false;
  const image = imageParameter(stack, imageParameterName, workload, props.imageId);
  const seed = seedParameters(stack, faithful);
  const server = make({
    workload,
    imageId: image.valueAsString,
    allowedCidr: faithful ? undefined : allowedCidrParameter(stack).valueAsString,
    faithful,
    keyName: seed.keyName,
    plainPassword: seed.password?.valueAsString,
  });
  addOutputs(server);
  passwordOutputs(stack, server.secret, seed.password);
  return server;
}
