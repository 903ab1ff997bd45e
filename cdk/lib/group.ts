import { CfnOutput, Fn, Tags } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { bootScript, type BootOptions } from './boot.js';
import { ServerRole, type Statement, groupName, signalStatement } from './common.js';
import type { PublicNetwork } from './network.js';

/** What the Auto Scaling architectures share: a one-server group launched from a template (or the seed's configuration). */
export interface ServerGroupProps {
  readonly network: PublicNetwork;
  readonly imageId: string;
  readonly boot: Omit<BootOptions, 'signalResource'>;
  readonly statements: Statement[];
  readonly instanceType: string;
  readonly gracePeriod: number;
  readonly faithful: boolean;
  readonly keyName?: string;
  readonly secret?: secretsmanager.CfnSecret;
  /** The group's own settings beyond the seed's (warm pool, metrics...). */
  readonly groupOverrides?: Partial<autoscaling.CfnAutoScalingGroupProps>;
  /** Resources of the group's name that the role's statements need (the group name is fixed in advance). */
  readonly signalTimeout?: string;
}

/**
 * One CI server in an Auto Scaling group of min = max = desired = 1 over the network's subnets, with EC2 health
 * checks. Not faithful: a launch template requiring IMDSv2 with an encrypted root volume, a named group (so the
 * role can name it), a CreationPolicy the boot script signals once the server answers, and an UpdatePolicy that
 * waits for the same signal when an update replaces the server. Faithful: the seed's launch configuration.
 */
export class ServerGroup extends Construct {
  readonly group: autoscaling.CfnAutoScalingGroup;
  readonly launchTemplate?: ec2.CfnLaunchTemplate;
  readonly launchConfiguration?: autoscaling.CfnLaunchConfiguration;
  readonly role?: ServerRole;

  constructor(scope: Construct, id: string, props: ServerGroupProps) {
    super(scope, id);
    const faithful = props.faithful;
    const needsRole = props.statements.length > 0 || !faithful;
    this.role = needsRole
      ? new ServerRole(this, 'Server', {
          statements: faithful ? props.statements : [signalStatement(), ...props.statements],
          sessionManager: !faithful,
        })
      : undefined;

    this.group = new autoscaling.CfnAutoScalingGroup(this, 'AutoScalingGroup', {
      autoScalingGroupName: faithful ? undefined : groupName(),
      minSize: '1',
      maxSize: '1',
      desiredCapacity: '1',
      vpcZoneIdentifier: props.network.subnets.map((s) => s.ref),
      healthCheckGracePeriod: props.gracePeriod,
      healthCheckType: 'EC2',
      ...props.groupOverrides,
    });
    const userData = bootScript({ ...props.boot, signalResource: faithful ? undefined : this.group.logicalId });

    if (faithful) {
      this.launchConfiguration = new autoscaling.CfnLaunchConfiguration(this, 'LaunchConfiguration', {
        imageId: props.imageId,
        instanceType: props.instanceType,
        keyName: props.keyName,
        securityGroups: [props.network.securityGroup.ref],
        associatePublicIpAddress: true,
        instanceMonitoring: false,
        iamInstanceProfile: this.role?.profile.ref,
        userData,
      });
      this.group.launchConfigurationName = this.launchConfiguration.ref;
    } else {
      this.launchTemplate = new ec2.CfnLaunchTemplate(this, 'LaunchTemplate', {
        launchTemplateData: {
          imageId: props.imageId,
          instanceType: props.instanceType,
          iamInstanceProfile: { arn: this.role!.profile.attrArn },
          metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1, httpEndpoint: 'enabled' },
          monitoring: { enabled: false },
          networkInterfaces: [
            { deviceIndex: 0, associatePublicIpAddress: true, groups: [props.network.securityGroup.ref], deleteOnTermination: true },
          ],
          blockDeviceMappings: [
            { deviceName: '/dev/xvda', ebs: { encrypted: true, volumeType: 'gp3', volumeSize: 8, deleteOnTermination: true } },
          ],
          userData,
        },
      });
      this.group.launchTemplate = { launchTemplateId: this.launchTemplate.ref, version: this.launchTemplate.attrLatestVersionNumber };
      const timeout = props.signalTimeout ?? 'PT15M';
      this.group.cfnOptions.creationPolicy = {
        resourceSignal: { count: 1, timeout },
        autoScalingCreationPolicy: { minSuccessfulInstancesPercent: 100 },
      };
      // A new image or template replaces the one server; the update completes only when the new one answers.
      this.group.cfnOptions.updatePolicy = {
        autoScalingRollingUpdate: { minInstancesInService: 0, maxBatchSize: 1, waitOnResourceSignals: true, pauseTime: timeout },
      };
    }
    this.group.addResourceDependency(props.network.gatewayAttachment);
    Tags.of(this.group).add('Name', `ci-${props.boot.architecture.toLowerCase()}`, { applyToLaunchedInstances: true });
  }

  /** Outputs every group architecture prints. */
  addOutputs(scope: Construct, url?: string): void {
    new CfnOutput(scope, 'GroupName', { description: 'the Auto Scaling group of the CI server', value: this.group.ref });
    if (url) new CfnOutput(scope, 'URL', { description: 'the CI server', value: url });
    new CfnOutput(scope, 'User', { description: 'the administrator', value: 'admin' });
  }
}

export function urlOf(eip: ec2.CfnEIP, port: number): string {
  return Fn.join('', ['http://', eip.ref, `:${port}`]);
}
