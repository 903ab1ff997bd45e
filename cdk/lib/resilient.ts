import { Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  adminSecret,
  allowedCidrParameter,
  associateAddressStatement,
  groupArn,
  groupName,
  imageParameter,
  readSecretStatement,
} from './common.js';
import { ServerGroup, urlOf } from './group.js';
import { passwordOutputs } from './multi-az.js';
import { PublicNetwork } from './network.js';
import type { ArchitectureStackProps } from './stack-props.js';
import { workloadFor, type Workload } from './workload/index.js';

/** Props of {@link ResilientServer}. */
export interface ResilientServerProps {
  /** The CI server to run. */
  readonly workload: Workload;
  /** The AMI id (a token such as a parameter's value). */
  readonly imageId: string;
  /** Who may reach the CI server (a CIDR). */
  readonly allowedCidr: string;
  /**
   * The instance type.
   * @default t2.micro (the seed's)
   */
  readonly instanceType?: string;
  /**
   * How many zones the group and the file system's mount targets span (the first N of the region's).
   * @default 3
   */
  readonly zones?: number;
  /**
   * Seconds before EC2 health checks count after a launch.
   * @default 60
   */
  readonly healthCheckGracePeriod?: number;
  /**
   * Keep a stopped, already-initialized spare in a warm pool.
   * @default true
   */
  readonly warmPool?: boolean;
}

/**
 * The resilient CI server, far beyond the seed: state on an encrypted EFS file system with a mount target in each
 * zone (RPO 0 for an instance or a zone loss: every acknowledged write is stored in several zones), one server in
 * an Auto Scaling group over three zones, a fixed Elastic IP the server associates at boot, an in-instance health
 * check that marks the instance Unhealthy when the CI server stops answering, AZRebalance suspended, a warm pool,
 * IMDSv2 only, no SSH (Session Manager), the admin password generated in Secrets Manager.
 */
export class ResilientServer extends Construct {
  readonly serverGroup: ServerGroup;
  readonly fileSystem: efs.CfnFileSystem;
  readonly mountTargets: efs.CfnMountTarget[];
  readonly elasticIp: ec2.CfnEIP;
  readonly secret: secretsmanager.CfnSecret;
  readonly warmPool?: autoscaling.CfnWarmPool;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ResilientServerProps) {
    super(scope, id);
    const w = props.workload;
    const network = new PublicNetwork(this, 'Network', {
      name: 'ci-resilient',
      zones: props.zones ?? 3,
      port: w.port,
      allowedCidr: props.allowedCidr,
    });

    const nfs = new ec2.CfnSecurityGroup(this, 'FileSystemSecurityGroup', {
      groupDescription: 'the CI state file system: NFS from the CI server only',
      vpcId: network.vpc.ref,
      securityGroupIngress: [
        {
          ipProtocol: 'tcp',
          fromPort: 2049,
          toPort: 2049,
          sourceSecurityGroupId: network.securityGroup.ref,
          description: 'NFS from the CI server',
        },
      ],
      securityGroupEgress: [{ ipProtocol: '-1', cidrIp: '127.0.0.1/32', description: 'no egress (a mount target only answers)' }],
    });
    this.fileSystem = new efs.CfnFileSystem(this, 'State', {
      encrypted: true,
      performanceMode: 'generalPurpose',
      throughputMode: 'elastic',
      backupPolicy: { status: 'ENABLED' },
      fileSystemTags: [{ key: 'Name', value: 'ci-resilient-state' }],
    });
    this.mountTargets = network.subnets.map(
      (subnet, i) =>
        new efs.CfnMountTarget(this, `MountTarget${String.fromCharCode(65 + i)}`, {
          fileSystemId: this.fileSystem.ref,
          subnetId: subnet.ref,
          securityGroups: [nfs.ref],
        }),
    );

    this.secret = adminSecret(this);
    this.elasticIp = new ec2.CfnEIP(this, 'ElasticIP', { domain: 'vpc' });
    this.elasticIp.addResourceDependency(network.gatewayAttachment);
    this.url = urlOf(this.elasticIp, w.port);
    const name = groupName();
    const hook = 'ci-ready';

    this.serverGroup = new ServerGroup(this, 'Group', {
      network,
      imageId: props.imageId,
      instanceType: props.instanceType ?? 't2.micro',
      // 60 s: the server is only put in service once the CI answers (lifecycle hook), and the in-instance check
      // takes over from there, so a long grace period would only delay replacing an instance that fails its EC2
      // status checks right after launch. (The seed's 600 s covered Jenkins' download at boot.)
      gracePeriod: props.healthCheckGracePeriod ?? 60,
      faithful: false,
      statements: [
        readSecretStatement(this.secret),
        associateAddressStatement(this.elasticIp),
        {
          Sid: 'OwnGroupOnly',
          Action: ['autoscaling:SetInstanceHealth', 'autoscaling:SuspendProcesses', 'autoscaling:CompleteLifecycleAction'],
          Resource: groupArn(),
        },
      ],
      boot: {
        architecture: 'Resilient',
        workload: w,
        stateDir: '/var/lib/halo-ci/state',
        secretArn: this.secret.ref,
        eipAllocationId: this.elasticIp.attrAllocationId,
        efsFileSystemId: this.fileSystem.ref,
        suspendAzRebalanceOn: name,
        lifecycleHook: { group: name, hook },
        healthCheck: true,
      },
      groupOverrides: {
        // Every launch (the first, a replacement, one out of the warm pool) waits here until the boot script says
        // the CI answers, so the group never counts a server that does not serve. 900 s covers Jenkins' first
        // install on AWS; the boot script completes it as soon as the server answers, so it costs nothing otherwise.
        lifecycleHookSpecificationList: [
          {
            lifecycleHookName: hook,
            lifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
            heartbeatTimeout: 900,
            defaultResult: 'ABANDON',
          },
        ],
        // Replace the oldest launch template first: an update never keeps a server of the old template longer.
        terminationPolicies: ['OldestLaunchTemplate', 'Default'],
      },
    });
    // The mount targets must answer before the first server boots.
    for (const target of this.mountTargets) this.serverGroup.group.addResourceDependency(target);

    if (props.warmPool ?? true) {
      // A stopped spare, already booted once (the boot tools installed; the workload's image ready): starting it
      // saves the launch and first boot. Stopped costs only its volume; Running would save the start too, at the
      // instance's full price. It never mounts the state until it is put in service (see the boot script).
      this.warmPool = new autoscaling.CfnWarmPool(this, 'WarmPool', {
        autoScalingGroupName: this.serverGroup.group.ref,
        minSize: 1,
        poolState: 'Stopped',
        instanceReusePolicy: { reuseOnScaleIn: false },
      });
    }
  }
}

/**
 * The Resilient architecture as a stack. AZRebalance: CloudFormation's AWS::AutoScaling::AutoScalingGroup has no
 * property for suspended processes (UpdatePolicy's SuspendProcesses applies only during an update), so the
 * server's boot script suspends it through its role (SuspendProcesses on this group only) before it signals the
 * stack: the stack is never complete with AZRebalance active. Every boot repeats the (idempotent) call.
 */
export class ResilientStack extends Stack {
  constructor(scope: Construct, id: string, props: ArchitectureStackProps & { zones?: number } = {}) {
    super(scope, id, {
      description: 'halo: the resilient CI server (EFS state over three zones, warm pool, health check, IMDSv2, no SSH)',
      ...props,
    });
    const workload: Workload = workloadFor(props.target ?? 'local');
    const image = imageParameter(this, 'ImageId', workload, props.imageId);
    const server = new ResilientServer(this, 'Resilient', {
      workload,
      imageId: image.valueAsString,
      allowedCidr: allowedCidrParameter(this).valueAsString,
      zones: props.zones,
    });
    server.serverGroup.addOutputs(this, server.url);
    passwordOutputs(this, server.secret);
  }
}
