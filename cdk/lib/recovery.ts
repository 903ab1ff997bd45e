import { CfnOutput, CfnParameter, Duration, Fn, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { bootScript } from './boot.js';
import { ServerRole, adminSecret, allowedCidrParameter, imageParameter, readSecretStatement, signalStatement } from './common.js';
import { passwordOutputs } from './multi-az.js';
import { PublicNetwork } from './network.js';
import type { ArchitectureStackProps } from './stack-props.js';
import { workloadFor, type Workload } from './workload/index.js';

/** Props of {@link RecoveryServer}. */
export interface RecoveryServerProps {
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
   * The alarm's period on StatusCheckFailed_System (a whole number of minutes: the metric is published each minute).
   * @default Duration.minutes(1) (the seed's 60 s)
   */
  readonly alarmPeriod?: Duration;
  /**
   * How many failing periods in a row trigger the recovery.
   * @default 5 (the seed's)
   */
  readonly alarmEvaluationPeriods?: number;
  /**
   * The seed's exact template: see {@link ArchitectureStackProps.faithful}.
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
 * The seed's recovery.json: one server with an Elastic IP in one public subnet, recovered onto another host by a
 * CloudWatch alarm on StatusCheckFailed_System whose action is `arn:aws:automate:REGION:ec2:recover`. State stays
 * on the root volume (recovery keeps the instance id, its volumes and its addresses).
 */
export class RecoveryServer extends Construct {
  readonly instance: ec2.CfnInstance;
  readonly elasticIp: ec2.CfnEIP;
  readonly alarm: cloudwatch.CfnAlarm;
  readonly secret?: secretsmanager.CfnSecret;
  readonly url: string;

  constructor(scope: Construct, id: string, props: RecoveryServerProps) {
    super(scope, id);
    const faithful = props.faithful ?? false;
    const w = props.workload;
    const network = new PublicNetwork(this, 'Network', {
      name: 'ci-recovery',
      zones: 1,
      port: w.port,
      allowedCidr: props.allowedCidr,
      faithful,
    });
    const secret = faithful ? undefined : adminSecret(this);
    this.secret = secret;
    const role = faithful ? undefined : new ServerRole(this, 'Server', { statements: [signalStatement(), readSecretStatement(secret!)] });

    this.instance = new ec2.CfnInstance(this, 'Instance', {
      imageId: props.imageId,
      instanceType: props.instanceType ?? 't2.micro',
      keyName: faithful ? props.keyName : undefined,
      securityGroupIds: [network.securityGroup.ref],
      subnetId: network.subnets[0].ref,
      iamInstanceProfile: role?.profile.ref,
      monitoring: false,
      metadataOptions: faithful ? undefined : { httpTokens: 'required', httpPutResponseHopLimit: 1, httpEndpoint: 'enabled' },
      blockDeviceMappings: faithful
        ? undefined
        : [{ deviceName: '/dev/xvda', ebs: { encrypted: true, volumeType: 'gp3', volumeSize: 8, deleteOnTermination: true } }],
      tags: [{ key: 'Name', value: 'ci-recovery' }],
    });
    this.instance.addResourceDependency(network.gatewayAttachment);
    this.instance.userData = bootScript({
      architecture: 'Recovery',
      workload: w,
      stateDir: '/var/lib/halo-ci/state',
      signalResource: faithful ? undefined : this.instance.logicalId,
      secretArn: secret?.ref,
      plainPassword: props.plainPassword,
    });
    if (!faithful) {
      // The stack is complete only when the CI server answers (the seed said CREATE_COMPLETE while its user data failed).
      this.instance.cfnOptions.creationPolicy = { resourceSignal: { count: 1, timeout: 'PT15M' } };
    }

    this.elasticIp = new ec2.CfnEIP(this, 'ElasticIP', { domain: 'vpc', instanceId: this.instance.ref });
    this.elasticIp.addResourceDependency(network.gatewayAttachment);

    this.alarm = new cloudwatch.CfnAlarm(this, 'RecoveryAlarm', {
      alarmDescription: 'Recover server when underlying hardware fails.',
      namespace: 'AWS/EC2',
      metricName: 'StatusCheckFailed_System',
      statistic: 'Minimum',
      period: (props.alarmPeriod ?? Duration.minutes(1)).toSeconds(),
      evaluationPeriods: props.alarmEvaluationPeriods ?? 5,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
      alarmActions: [Fn.sub('arn:${AWS::Partition}:automate:${AWS::Region}:ec2:recover')],
      dimensions: [{ name: 'InstanceId', value: this.instance.ref }],
    });
    this.url = Fn.join('', ['http://', this.elasticIp.ref, `:${w.port}`]);
  }
}

/** The Recovery architecture as a stack. */
export class RecoveryStack extends Stack {
  constructor(scope: Construct, id: string, props: ArchitectureStackProps = {}) {
    super(scope, id, { description: "halo: the seed's recovery architecture (one server, Elastic IP, ec2:recover alarm)", ...props });
    const workload = workloadFor(props.target ?? 'local');
    const faithful = props.faithful ?? false;
    const image = imageParameter(this, 'ImageId', workload, props.imageId);
    const keyName = faithful
      ? new CfnParameter(this, 'KeyName', { type: 'AWS::EC2::KeyPair::KeyName', description: 'Key Pair name' })
      : undefined;
    const password = faithful
      ? new CfnParameter(this, 'JenkinsAdminPassword', {
          type: 'String',
          noEcho: true,
          minLength: 8,
          maxLength: 40,
          description: 'Password for Jenkins admin user',
        })
      : undefined;
    const server = new RecoveryServer(this, 'Recovery', {
      workload,
      imageId: image.valueAsString,
      allowedCidr: faithful ? undefined : allowedCidrParameter(this).valueAsString,
      faithful,
      keyName: keyName?.valueAsString,
      plainPassword: password?.valueAsString,
    });
    new CfnOutput(this, 'URL', { description: 'the CI server', value: server.url });
    new CfnOutput(this, 'User', { description: 'the administrator', value: 'admin' });
    passwordOutputs(this, server.secret, password);
  }
}
