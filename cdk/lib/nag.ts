import { Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';

const ARN = 'arn:<AWS::Partition>';
const HERE = '<AWS::Region>:<AWS::AccountId>';
/** The wildcard resources of the server roles: each only where the resource cannot be named in advance. */
const WILDCARDS: Record<string, string> = {
  [`${ARN}:cloudformation:${HERE}:stack/<AWS::StackName>/*`]:
    'SignalResource on this stack: the wildcard is the stack id suffix, unknown until the stack exists.',
  '*': "The SSM agent's calls (Session Manager, instead of SSH) have no resource-level permissions.",
  [`${ARN}:ec2:${HERE}:instance/*`]:
    "AssociateAddress is also authorized on the instance, which the group launches later; the address side is this stack's allocation only.",
  [`${ARN}:ec2:${HERE}:network-interface/*`]:
    "AssociateAddress is also authorized on the instance's network interface, unknown in advance; the address side is this stack's allocation only.",
  [`${ARN}:autoscaling:${HERE}:autoScalingGroup:*:autoScalingGroupName/<AWS::StackName>-ci`]:
    "This stack's group by its fixed name: the wildcard is the group id part of the ARN, unknown in advance.",
};

const ack = (c: IConstruct, id: string, reason: string) => Validations.of(c).acknowledge({ id, reason });

/**
 * The cdk-nag AwsSolutions findings these stacks accept, each with its reason. Applied per resource type so that
 * a new resource of another type is still checked. (The `faithful` stacks keep the seed's defects on purpose: their
 * findings are not acknowledged, so cdk-nag reports them.)
 */
export function acknowledgeNagFindings(stack: Stack): void {
  for (const c of stack.node.findAll()) {
    if (c instanceof ec2.CfnVPC) {
      ack(
        c,
        'AwsSolutions-VPC7',
        'Flow logs need a log group or bucket and cost per GB; the architectures are about availability, and the local cloud has no flow logs. Add them for audit needs.',
      );
    } else if (c instanceof ec2.CfnNetworkAcl || c instanceof ec2.CfnNetworkAclEntry) {
      ack(
        c,
        'AwsSolutions-VPC3',
        "The seed's network ACL, kept as a stateless second layer under the security groups (tightened: no SSH, the CI port from the allowed CIDR only).",
      );
    } else if (c instanceof ec2.CfnSecurityGroup) {
      ack(
        c,
        'AwsSolutions-EC23',
        'The ingress CIDR is the AllowedCidr parameter (constrained by its AllowedPattern): cdk-nag cannot evaluate a parameter, so its rule errors. The templates never open 0.0.0.0/0 unless faithful.',
      );
    } else if (c instanceof secretsmanager.CfnSecret) {
      ack(
        c,
        'AwsSolutions-SMG4',
        'Rotation needs a Lambda function (no Lambda-backed resources here, so the same template runs on the local cloud); the password is read at every boot, so a manual rotation is picked up by the next server.',
      );
    } else if (c instanceof iam.CfnRole) {
      for (const [finding, reason] of Object.entries(WILDCARDS)) ack(c, `AwsSolutions-IAM5[Resource::${finding}]`, reason);
    } else if (c instanceof ec2.CfnInstance) {
      ack(
        c,
        'AwsSolutions-EC28',
        "Basic (5-minute) monitoring, as the seed: StatusCheckFailed_System, the recovery alarm's metric, is published every minute without detailed monitoring.",
      );
      ack(
        c,
        'AwsSolutions-EC29',
        "The stack owns the server: deleting the stack must delete it (termination protection would block the seed's delete-stack).",
      );
    } else if (c instanceof autoscaling.CfnAutoScalingGroup) {
      ack(
        c,
        'AwsSolutions-AS3',
        "Scaling notifications need an SNS topic and a subscriber; the group's activities and the stack events show replacements.",
      );
    }
  }
}
