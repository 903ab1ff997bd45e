import { declareErrors } from '../../protocol/errors.js';

/** EFS's errors (REST-JSON: the code travels in x-amzn-ErrorType and the body's ErrorCode). */
export const efsErrors = declareErrors({
  badRequest: { code: 'BadRequest', message: (m: string) => m },
  validation: { code: 'ValidationException', message: (m: string) => m },
  fileSystemNotFound: { code: 'FileSystemNotFound', status: 404, message: (id: string) => `File system '${id}' does not exist.` },
  fileSystemAlreadyExists: {
    code: 'FileSystemAlreadyExists',
    status: 409,
    message: (id: string, token: string) => `File system '${id}' already exists with creation token '${token}'`,
  },
  fileSystemInUse: {
    code: 'FileSystemInUse',
    status: 409,
    message: (id: string) => `File system '${id}' has mount targets created in it; delete the mount targets first.`,
  },
  incorrectFileSystemLifeCycleState: {
    code: 'IncorrectFileSystemLifeCycleState',
    status: 409,
    message: (id: string, state: string) => `File system '${id}' is in the '${state}' state; the request needs it 'available'.`,
  },
  mountTargetNotFound: { code: 'MountTargetNotFound', status: 404, message: (id: string) => `Mount target '${id}' does not exist.` },
  mountTargetConflict: { code: 'MountTargetConflict', status: 409, message: (m: string) => m },
  incorrectMountTargetState: {
    code: 'IncorrectMountTargetState',
    status: 409,
    message: (id: string, state: string) => `Mount target '${id}' is in the '${state}' state; the request needs it 'available'.`,
  },
  subnetNotFound: { code: 'SubnetNotFound', status: 400, message: (id: string) => `The subnet ID '${id}' does not exist` },
  securityGroupNotFound: {
    code: 'SecurityGroupNotFound',
    status: 400,
    message: (id: string) => `The security group ID '${id}' does not exist`,
  },
  securityGroupLimitExceeded: {
    code: 'SecurityGroupLimitExceeded',
    status: 400,
    message: () => 'The number of security groups per mount target cannot exceed 5.',
  },
  ipAddressInUse: { code: 'IpAddressInUse', status: 409, message: (ip: string) => `IP address ${ip} is already in use in the subnet.` },
  noFreeAddressesInSubnet: {
    code: 'NoFreeAddressesInSubnet',
    status: 409,
    message: (id: string) => `The subnet '${id}' has no free IP addresses.`,
  },
  accessPointNotFound: { code: 'AccessPointNotFound', status: 404, message: (id: string) => `Access point '${id}' does not exist.` },
  accessPointAlreadyExists: {
    code: 'AccessPointAlreadyExists',
    status: 409,
    message: (id: string, token: string) => `Access point '${id}' already exists with client token '${token}'.`,
  },
  policyNotFound: { code: 'PolicyNotFound', status: 404, message: (id: string) => `File system '${id}' has no file system policy.` },
  invalidPolicy: { code: 'InvalidPolicyException', status: 400, message: (m: string) => m },
});
