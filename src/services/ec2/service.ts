import type { OperationsTable, ServiceFactory } from '../types.js';
import type { Ec2Operations } from './generated/types.js';
// Registers the AWS::EC2::KeyPair CloudFormation provider.
import './cfn-key-pair.js';
import { attachCompute, computeOperations } from './compute/index.js';
import { launchTemplateOperations } from './launch-templates/index.js';
import { createKeyPair, deleteKeyPair, describeKeyPairs, importKeyPair } from './keypairs.js';
import { networkOperations } from './network/index.js';
import { describeAccountAttributes, describeAvailabilityZones, describeRegions } from './regions.js';
import { volumeOperations } from './volumes/index.js';

export const ec2Service: ServiceFactory = (cloud) => {
  // Instances: runtime hooks, and (in a daemon) reconciliation of instances that should run and status checks.
  attachCompute(cloud);
  return {
    signingName: 'ec2',
    modelId: 'ec2-2016-11-15',
    // A launch template's name is checked by EC2 in its own words (InvalidLaunchTemplateName.MalformedException).
    ownChecks: ['LaunchTemplateName'],
    operations: {
      DescribeRegions: describeRegions,
      DescribeAvailabilityZones: describeAvailabilityZones,
      DescribeAccountAttributes: describeAccountAttributes,
      CreateKeyPair: createKeyPair,
      ImportKeyPair: importKeyPair,
      DescribeKeyPairs: describeKeyPairs,
      DeleteKeyPair: deleteKeyPair,
      ...networkOperations,
      ...computeOperations,
      ...launchTemplateOperations,
      ...volumeOperations(cloud),
    } satisfies OperationsTable<Ec2Operations>,
  };
};
