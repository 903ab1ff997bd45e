import type { TestCloud } from './cloud.js';

/** A VPC with a subnet in us-east-1a and one in us-east-1b and a security group, made with the aws CLI, for a group over two zones. */
export function twoZoneNetwork(cloud: TestCloud): { vpc: string; subnetA: string; subnetB: string; sg: string } {
  const vpc = cloud.awsOk('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16').Vpc.VpcId;
  const subnet = (cidr: string, zone: string) =>
    cloud.awsOk('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', cidr, '--availability-zone', zone).Subnet.SubnetId;
  const subnetA = subnet('10.0.1.0/24', 'us-east-1a');
  const subnetB = subnet('10.0.2.0/24', 'us-east-1b');
  const sg = cloud.awsOk('ec2', 'create-security-group', '--vpc-id', vpc, '--group-name', 'web', '--description', 'web').GroupId;
  return { vpc, subnetA, subnetB, sg };
}
