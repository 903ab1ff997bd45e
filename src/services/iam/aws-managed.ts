import { createHash } from 'node:crypto';
import type { ManagedPolicyRecord } from './state.js';

/**
 * A few AWS managed policies (the ones instance roles and examples use most), with their documents as AWS
 * publishes them. They live in the `aws` account: arn:aws:iam::aws:policy/<name>.
 */
const DOCUMENTS: Record<string, { description: string; statements: object[] }> = {
  AdministratorAccess: {
    description: 'Provides full access to AWS services and resources.',
    statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  },
  PowerUserAccess: {
    description: 'Provides full access to AWS services and resources, but does not allow management of Users and groups.',
    statements: [
      { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
      {
        Effect: 'Allow',
        Action: [
          'iam:CreateServiceLinkedRole',
          'iam:DeleteServiceLinkedRole',
          'iam:ListRoles',
          'organizations:DescribeOrganization',
          'account:ListRegions',
          'account:GetAccountInformation',
        ],
        Resource: '*',
      },
    ],
  },
  AmazonEC2ReadOnlyAccess: {
    description: 'Provides read only access to Amazon EC2 via the AWS Management Console.',
    statements: [
      { Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' },
      { Effect: 'Allow', Action: 'elasticloadbalancing:Describe*', Resource: '*' },
      { Effect: 'Allow', Action: ['cloudwatch:ListMetrics', 'cloudwatch:GetMetricStatistics', 'cloudwatch:Describe*'], Resource: '*' },
      { Effect: 'Allow', Action: 'autoscaling:Describe*', Resource: '*' },
    ],
  },
  AmazonEC2FullAccess: {
    description: 'Provides full access to Amazon EC2 via the AWS Management Console.',
    statements: [
      { Action: 'ec2:*', Effect: 'Allow', Resource: '*' },
      { Effect: 'Allow', Action: 'elasticloadbalancing:*', Resource: '*' },
      { Effect: 'Allow', Action: 'cloudwatch:*', Resource: '*' },
      { Effect: 'Allow', Action: 'autoscaling:*', Resource: '*' },
      {
        Effect: 'Allow',
        Action: 'iam:CreateServiceLinkedRole',
        Resource: '*',
        Condition: {
          StringEquals: {
            'iam:AWSServiceName': [
              'autoscaling.amazonaws.com',
              'ec2scheduled.amazonaws.com',
              'elasticloadbalancing.amazonaws.com',
              'spot.amazonaws.com',
              'spotfleet.amazonaws.com',
              'transitgateway.amazonaws.com',
            ],
          },
        },
      },
    ],
  },
  IAMReadOnlyAccess: {
    description: 'Provides read only access to IAM via the AWS Management Console.',
    statements: [
      {
        Effect: 'Allow',
        Action: [
          'iam:GenerateCredentialReport',
          'iam:GenerateServiceLastAccessedDetails',
          'iam:Get*',
          'iam:List*',
          'iam:SimulateCustomPolicy',
          'iam:SimulatePrincipalPolicy',
        ],
        Resource: '*',
      },
    ],
  },
  AmazonSSMReadOnlyAccess: {
    description: 'Provides read only access to Amazon SSM.',
    statements: [{ Effect: 'Allow', Action: ['ssm:Describe*', 'ssm:Get*', 'ssm:List*'], Resource: '*' }],
  },
  AmazonSSMManagedInstanceCore: {
    description: 'The policy for Amazon EC2 Role to enable AWS Systems Manager service core functionality.',
    statements: [
      {
        Effect: 'Allow',
        Action: [
          'ssm:DescribeAssociation',
          'ssm:GetDeployablePatchSnapshotForInstance',
          'ssm:GetDocument',
          'ssm:DescribeDocument',
          'ssm:GetManifest',
          'ssm:GetParameter',
          'ssm:GetParameters',
          'ssm:ListAssociations',
          'ssm:ListInstanceAssociations',
          'ssm:PutInventory',
          'ssm:PutComplianceItems',
          'ssm:PutConfigurePackageResult',
          'ssm:UpdateAssociationStatus',
          'ssm:UpdateInstanceAssociationStatus',
          'ssm:UpdateInstanceInformation',
        ],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Action: [
          'ssmmessages:CreateControlChannel',
          'ssmmessages:CreateDataChannel',
          'ssmmessages:OpenControlChannel',
          'ssmmessages:OpenDataChannel',
        ],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Action: [
          'ec2messages:AcknowledgeMessage',
          'ec2messages:DeleteMessage',
          'ec2messages:FailMessage',
          'ec2messages:GetEndpoint',
          'ec2messages:GetMessages',
          'ec2messages:SendReply',
        ],
        Resource: '*',
      },
    ],
  },
  CloudWatchAgentServerPolicy: {
    description: 'Permissions required to use AmazonCloudWatchAgent on servers',
    statements: [
      {
        Effect: 'Allow',
        Action: [
          'cloudwatch:PutMetricData',
          'ec2:DescribeVolumes',
          'ec2:DescribeTags',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
          'logs:DescribeLogGroups',
          'logs:CreateLogStream',
          'logs:CreateLogGroup',
        ],
        Resource: '*',
      },
      { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: 'arn:aws:ssm:*:*:parameter/AmazonCloudWatch-*' },
    ],
  },
};

/** AWS managed policies have fixed ids on AWS; halo derives a stable one from the name. */
const stableId = (name: string) =>
  `ANPA${[...createHash('sha256').update(`aws-managed:${name}`).digest()]
    .slice(0, 17)
    .map((b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b % 32])
    .join('')}`;

const CREATED = '2015-02-06T18:39:46.000Z';

export const AWS_MANAGED_PREFIX = 'arn:aws:iam::aws:policy/';

export function awsManagedPolicy(arn: string): ManagedPolicyRecord | undefined {
  if (!arn.startsWith(AWS_MANAGED_PREFIX)) return undefined;
  const name = arn.slice(AWS_MANAGED_PREFIX.length);
  const entry = Object.hasOwn(DOCUMENTS, name) ? DOCUMENTS[name] : undefined;
  if (!entry) return undefined;
  const document = JSON.stringify({ Version: '2012-10-17', Statement: entry.statements }, null, 4);
  return {
    PolicyName: name,
    PolicyId: stableId(name),
    Arn: arn,
    Path: '/',
    Description: entry.description,
    CreateDate: CREATED,
    UpdateDate: CREATED,
    DefaultVersionId: 'v1',
    Versions: [{ VersionId: 'v1', Document: document, CreateDate: CREATED }],
    NextVersion: 2,
    Tags: [],
  };
}

export const awsManagedPolicies = (): ManagedPolicyRecord[] =>
  Object.keys(DOCUMENTS).map((name) => awsManagedPolicy(AWS_MANAGED_PREFIX + name) as ManagedPolicyRecord);
