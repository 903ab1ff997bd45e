import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A shell line that writes the tests' NFSv4 XDR module (test/support/efs_nfs4.py) into an instance's /root. */
export const INSTALL_NFS4_MODULE = `echo ${readFileSync(fileURLToPath(new URL('../../../test/support/efs_nfs4.py', import.meta.url))).toString('base64')} | base64 -d > /root/efs_nfs4.py`;

/** An instance in the stack's subnet and client group, made once the mount target is. */
export const efsClientInstance = (extra: object = {}) => ({
  Type: 'AWS::EC2::Instance',
  DependsOn: ['Target'],
  Properties: {
    ImageId: 'ami-1ecae776',
    InstanceType: 't2.micro',
    SubnetId: { Ref: 'Subnet' },
    SecurityGroupIds: [{ Ref: 'ClientGroup' }],
    ...extra,
  },
});

/**
 * A template: a VPC `<net>.0.0/16` with one subnet in us-east-1a, a file system (`fileSystem` its properties) and its
 * mount target there, whose group admits NFS from ClientGroup; then `resources` and `outputs` (the file system, its
 * ARN and the mount target's IP are outputs already).
 */
export function oneZoneEfsTemplate(
  net: string,
  fileSystem: object,
  resources: Record<string, object>,
  outputs: Record<string, object>,
): string {
  return JSON.stringify({
    Resources: {
      Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: `${net}.0.0/16` } },
      Subnet: {
        Type: 'AWS::EC2::Subnet',
        Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: `${net}.1.0/24`, AvailabilityZone: 'us-east-1a' },
      },
      ClientGroup: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'EFS clients', VpcId: { Ref: 'Vpc' } } },
      TargetGroup: {
        Type: 'AWS::EC2::SecurityGroup',
        Properties: {
          GroupDescription: 'EFS mount target',
          VpcId: { Ref: 'Vpc' },
          SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, SourceSecurityGroupId: { Ref: 'ClientGroup' } }],
        },
      },
      FileSystem: { Type: 'AWS::EFS::FileSystem', Properties: fileSystem },
      Target: {
        Type: 'AWS::EFS::MountTarget',
        Properties: { FileSystemId: { Ref: 'FileSystem' }, SubnetId: { Ref: 'Subnet' }, SecurityGroups: [{ Ref: 'TargetGroup' }] },
      },
      ...resources,
    },
    Outputs: {
      FileSystem: { Value: { Ref: 'FileSystem' } },
      FileSystemArn: { Value: { 'Fn::GetAtt': ['FileSystem', 'Arn'] } },
      TargetIp: { Value: { 'Fn::GetAtt': ['Target', 'IpAddress'] } },
      ...outputs,
    },
  });
}

/** An instance's console so far ('' before it has one). */
export function consoleOf(home: string, instanceId: string): string {
  try {
    return readFileSync(path.join(home, 'instances', instanceId, 'console.log'), 'utf8');
  } catch {
    return '';
  }
}
