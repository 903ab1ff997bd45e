import { declareErrors } from '../../protocol/errors.js';

/**
 * EC2's errors, declared once (codes and messages as EC2 sends them): every EC2 operation raises them by name from
 * here, and code elsewhere matches their `code`, never their message.
 */
export const ec2Errors = declareErrors({
  dryRun: { code: 'DryRunOperation', status: 412, message: () => 'Request would have succeeded, but DryRun flag is set.' },
  notConfiguredForHibernation: {
    code: 'UnsupportedHibernationConfiguration',
    message: (instanceId: string) =>
      `The instance can't be hibernated because it was not configured at launch for hibernation: ${instanceId}`,
  },
  missingParameter: { code: 'MissingParameter', message: (what: string) => `The request must contain the parameter ${what}` },
  invalidParameterValue: { code: 'InvalidParameterValue', message: (message: string) => message },
  invalidParameterCombination: { code: 'InvalidParameterCombination', message: (message: string) => message },
  unsupportedOperation: { code: 'UnsupportedOperation', message: (message: string) => message },
  invalidNextToken: { code: 'InvalidParameterValue', message: (token: string) => `Unable to parse pagination token: ${token}` },
  invalidMaxResults: {
    code: 'InvalidParameterValue',
    message: (max: number, low: number, high: number) =>
      `Value (${max}) for parameter maxResults is invalid. Expecting a value between ${low} and ${high}.`,
  },
  idempotentParameterMismatch: {
    code: 'IdempotentParameterMismatch',
    message: (token: string) => `Client token '${token}' was used before with different parameters.`,
  },
  launchTemplateNameMalformed: {
    code: 'InvalidLaunchTemplateName.MalformedException',
    message: () =>
      'A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.',
  },
  launchTemplateNameInUse: {
    code: 'InvalidLaunchTemplateName.AlreadyExistsException',
    message: () => 'Launch template name already in use.',
  },
  launchTemplateNameNotFound: {
    code: 'InvalidLaunchTemplateName.NotFoundException',
    message: (name: string) => `The specified launch template, with template name ${name}, does not exist.`,
  },
  launchTemplateIdNotFound: {
    code: 'InvalidLaunchTemplateId.NotFound',
    message: (id: string) => `The specified launch template, with template ID ${id}, does not exist.`,
  },
  launchTemplateIdMalformed: {
    code: 'InvalidLaunchTemplateId.Malformed',
    message: (id: string) => `The specified ID for the launch template, ${id}, is malformed.`,
  },
  launchTemplateVersionNotFound: {
    code: 'InvalidLaunchTemplateId.VersionNotFound',
    message: (version: string, id: string) => `Could not find the specified version ${version} for the launch template with ID ${id}.`,
  },
  launchTemplateVersionMalformed: {
    code: 'InvalidLaunchTemplateId.VersionNotFound',
    message: (version: string) => `The version '${version}' is not valid: give a version number, $Latest or $Default.`,
  },
  launchTemplateNameOrId: {
    code: 'MissingParameter',
    message: () => 'The request must include either the launch template ID or the launch template name, but not both.',
  },
  launchTemplateVersionLimit: {
    code: 'VersionLimitExceeded',
    message: (id: string, limit: number) => `The launch template ${id} already has the maximum of ${limit} versions.`,
  },
  instanceNotRunningOrStopped: {
    code: 'IncorrectInstanceState',
    message: (instanceId: string) => `The instance '${instanceId}' is not in the 'running' or 'stopped' state.`,
  },
  imageNameMalformed: {
    code: 'InvalidAMIName.Malformed',
    message: () => 'AMI names must be between 3 and 128 characters long, and may contain letters, numbers, ( ) . - / and _',
  },
  imageNameInUse: {
    code: 'InvalidAMIName.Duplicate',
    message: (name: string, imageId: string) => `AMI name ${name} is already in use by AMI ${imageId}`,
  },
  imageIdMalformed: {
    code: 'InvalidAMIID.Malformed',
    message: (id: string) => `Invalid id: "${id}" (expecting "ami-...")`,
  },
  imageIdNotFound: {
    code: 'InvalidAMIID.NotFound',
    message: (id: string) => `The image id '[${id}]' does not exist`,
  },
  imageNoLongerAvailable: {
    code: 'InvalidAMIID.Unavailable',
    message: (imageId: string) => `AMI '${imageId}' is no longer available`,
  },
  imagePending: {
    code: 'InvalidAMIID.Unavailable',
    message: (imageId: string) => `AMI '${imageId}' is pending, and cannot be run`,
  },
  noDefaultVpcForGroupName: {
    code: 'VPCIdNotSpecified',
    message: () => 'No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.',
  },
  noDefaultSubnets: {
    code: 'MissingInput',
    message: () => 'No subnets found for the default VPC. Please specify a subnet.',
  },
  secondaryPrivateIpsUnsupported: {
    code: 'Unsupported',
    message: () => 'Secondary private IP addresses are not supported by this cloud: give only the primary address.',
  },
  invalidInstanceType: {
    code: 'InvalidParameterValue',
    message: (instanceType: string) => `Invalid value '${instanceType}' for InstanceType.`,
  },
  instanceLimitExceeded: {
    code: 'InstanceLimitExceeded',
    message: (max: number) => `You have requested more instances (${max}) than your current instance limit of 200 allows.`,
  },
  keyPairNotFound: {
    code: 'InvalidKeyPair.NotFound',
    message: (keyName: string) => `The key pair '${keyName}' does not exist`,
  },
  subnetIdNotFound: {
    code: 'InvalidSubnetID.NotFound',
    message: (subnetId: string) => `The subnet ID '${subnetId}' does not exist`,
  },
  groupNotFound: {
    code: 'InvalidGroup.NotFound',
    message: (id: string) => `The security group '${id}' does not exist`,
  },
  groupAndSubnetInDifferentNetworks: {
    code: 'InvalidParameter',
    message: (id: string, subnetId: string) => `Security group ${id} and subnet ${subnetId} belong to different networks.`,
  },
  groupNotFoundInVpc: {
    code: 'InvalidGroup.NotFound',
    message: (name: string, vpcId: string) => `The security group '${name}' does not exist in VPC '${vpcId}'`,
  },
  insufficientInstanceCapacity: {
    code: 'InsufficientInstanceCapacity',
    status: 500,
    message: (instanceType: string, availabilityZone: string) =>
      `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${availabilityZone}).`,
  },
  rootVolumeSmallerThanSnapshot: {
    code: 'InvalidBlockDeviceMapping',
    message: (asked: number, snapshotId: string, own: number) =>
      `Volume of size ${asked}GB is smaller than snapshot '${snapshotId}', expect size >= ${own}GB`,
  },
  rootVolumeTooLarge: {
    code: 'InvalidBlockDeviceMapping',
    message: (asked: number) => `Volume of ${asked}GiB is too large for volume type gp2; maximum is 16384GiB.`,
  },
  instanceIdMalformed: {
    code: 'InvalidInstanceID.Malformed',
    message: (id: string) => `Invalid id: "${id}"`,
  },
  instanceStateForbids: {
    code: 'IncorrectInstanceState',
    message: (instanceId: string, op: string) => `The instance '${instanceId}' is not in a state from which it can be ${op}.`,
  },
  insufficientCapacityInZone: {
    code: 'InsufficientInstanceCapacity',
    status: 500,
    message: (availabilityZone: string) => `Insufficient capacity in ${availabilityZone}.`,
  },
  terminationProtected: {
    code: 'OperationNotPermitted',
    message: (instanceId: string) =>
      `The instance '${instanceId}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
  },
  instanceNotStopped: {
    code: 'IncorrectInstanceState',
    message: (instanceId: string) => `The instance '${instanceId}' is not in the 'stopped' state.`,
  },
  noDeviceAttached: {
    code: 'InvalidInstanceAttributeValue',
    message: (deviceName: string, instanceId: string) => `No device named ${deviceName} is attached to instance ${instanceId}`,
  },
  instanceStateForbidsMaintenanceChange: {
    code: 'IncorrectInstanceState',
    message: (instanceId: string) => `The instance '${instanceId}' is not in a state from which its maintenance options can be modified.`,
  },
  instanceStateForbidsModify: {
    code: 'IncorrectInstanceState',
    message: (instanceId: string) => `The instance '${instanceId}' is not in a state from which it can be modified.`,
  },
  instanceStateForbidsMonitoringChange: {
    code: 'IncorrectInstanceState',
    message: (instanceId: string) => `The instance '${instanceId}' is not in a state from which its monitoring can be changed.`,
  },
  keyPairDuplicate: {
    code: 'InvalidKeyPair.Duplicate',
    message: (keyName: string) => `The keypair '${keyName}' already exists.`,
  },
  keyFormatInvalid: {
    code: 'InvalidKey.Format',
    message: () => 'Key is not in valid OpenSSH public key format',
  },
  keyPairIdNotFound: {
    code: 'InvalidKeyPair.NotFound',
    message: (id: string) => `The key pair ID '${id}' does not exist`,
  },
  addressNotFound: {
    code: 'InvalidAddress.NotFound',
    message: (ip: string) => `Address '${ip}' not found.`,
  },
  missingPublicIpOrAllocationId: {
    code: 'MissingParameter',
    message: () => 'Either public IP or allocation id must be specified',
  },
  missingInstanceOrNetworkInterface: {
    code: 'MissingParameter',
    message: () => 'Either instance ID or network interface id must be specified',
  },
  instanceStateInvalidForOperation: {
    code: 'IncorrectInstanceState',
    message: (instanceId: string) => `The instance '${instanceId}' is not in a valid state for this operation.`,
  },
  instanceHasNoNetworkInterface: {
    code: 'IncorrectInstanceState',
    message: (instanceId: string) => `The instance '${instanceId}' has no network interface yet.`,
  },
  networkHasNoInternetGateway: {
    code: 'Gateway.NotAttached',
    message: (vpcId: string) => `Network ${vpcId} is not attached to any internet gateway`,
  },
  addressAlreadyAssociated: {
    code: 'Resource.AlreadyAssociated',
    message: (allocationId: string, associationId: string) =>
      `resource ${allocationId} is already associated with associate-id ${associationId}`,
  },
  missingPublicIpOrAssociationId: {
    code: 'MissingParameter',
    message: () => 'Either public IP or association id must be specified',
  },
  addressInUse: {
    code: 'InvalidIPAddress.InUse',
    message: (allocationId: string) => `Address ${allocationId} is in use.`,
  },
  hasDependencies: {
    code: 'DependencyViolation',
    message: (noun: string, id: string) => `The ${noun} '${id}' has dependencies and cannot be deleted.`,
  },
  defaultVpcAlreadyExists: {
    code: 'DefaultVpcAlreadyExists',
    message: () => 'A Default VPC already exists for this account in this region.',
  },
  groupRuleIdNotFound: {
    code: 'InvalidSecurityGroupRuleId.NotFound',
    message: (id: string) => `The security group rule ID '${id}' does not exist`,
  },
  gatewayAlreadyAttached: {
    code: 'Resource.AlreadyAssociated',
    message: (internetGatewayId: string, vpcId: string) => `resource ${internetGatewayId} is already attached to network ${vpcId}`,
  },
  gatewayNotAttached: {
    code: 'Gateway.NotAttached',
    message: (internetGatewayId: string, vpcId: string) => `resource ${internetGatewayId} is not attached to network ${vpcId}`,
  },
  networkHasMappedAddresses: {
    code: 'DependencyViolation',
    message: (vpcId: string) =>
      `Network ${vpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
  },
  invalidCidrBlock: {
    code: 'InvalidParameterValue',
    message: (cidrBlock: string) => `Value (${cidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`,
  },
  networkAclEntryExists: {
    code: 'NetworkAclEntryAlreadyExists',
    message: (ruleNumber: number) => `The network acl entry identified by ${ruleNumber} already exists.`,
  },
  networkAclEntryNotFound: {
    code: 'InvalidNetworkAclEntry.NotFound',
    message: (ruleNumber: number) => `The network acl entry identified by ${ruleNumber} does not exist.`,
  },
  subnetFull: {
    code: 'InsufficientFreeAddressesInSubnet',
    message: (subnetId: string) =>
      `There are not enough free addresses in subnet '${subnetId}' to satisfy the requested number of instances.`,
  },
  addressLimitExceeded: {
    code: 'AddressLimitExceeded',
    message: () => 'The maximum number of addresses has been reached.',
  },
  ipv6AndPrefixListRoutesUnsupported: {
    code: 'UnsupportedOperation',
    message: () => 'IPv6 and prefix list routes are not supported by this cloud.',
  },
  routeExists: {
    code: 'RouteAlreadyExists',
    message: (dest: string) => `The route identified by ${dest} already exists.`,
  },
  routeToReplaceNotFound: {
    code: 'InvalidRoute.NotFound',
    message: (dest: string) => `There is no route defined for '${dest}' in the route table. Use CreateRoute instead.`,
  },
  routeNotFound: {
    code: 'InvalidRoute.NotFound',
    message: (dest: string, routeTableId: string) => `no route with destination-cidr-block ${dest} in route table ${routeTableId}`,
  },
  routeTableAssociationConflict: {
    code: 'Resource.AlreadyAssociated',
    message: (routeTableId: string) => `the specified association for route table ${routeTableId} conflicts with an existing association`,
  },
  gatewayIdNotFound: {
    code: 'InvalidGatewayID.NotFound',
    message: (id: string) => `The gateway ID '${id}' does not exist`,
  },
  groupNotFoundInDefaultVpc: {
    code: 'InvalidGroup.NotFound',
    message: (name: string, vpcId: string) => `The security group '${name}' does not exist in default VPC '${vpcId}'`,
  },
  noDefaultVpc: {
    code: 'VPCIdNotSpecified',
    message: () => 'No default VPC for this user',
  },
  groupDuplicate: {
    code: 'InvalidGroup.Duplicate',
    message: (groupName: string, vpcId: string) => `The security group '${groupName}' already exists for VPC '${vpcId}'`,
  },
  defaultGroupNotDeletable: {
    code: 'CannotDelete',
    message: (groupId: string) => `the specified group: "${groupId}" name: "default" cannot be deleted by a user`,
  },
  hasDependentObject: {
    code: 'DependencyViolation',
    message: (groupId: string) => `resource ${groupId} has a dependent object`,
  },
  permissionDuplicate: {
    code: 'InvalidPermission.Duplicate',
    message: (rule: string) => `the specified rule "${rule}" already exists`,
  },
  rulesPerGroupLimitExceeded: {
    code: 'RulesPerSecurityGroupLimitExceeded',
    message: () => 'The maximum number of rules per security group has been reached.',
  },
  permissionNotFound: {
    code: 'InvalidPermission.NotFound',
    message: () => 'The specified rule does not exist in this security group.',
  },
  subnetRangeInvalid: {
    code: 'InvalidSubnet.Range',
    message: (cidrBlock: string) => `The CIDR '${cidrBlock}' is invalid.`,
  },
  subnetConflict: {
    code: 'InvalidSubnet.Conflict',
    message: (cidrBlock: string) => `The CIDR '${cidrBlock}' conflicts with another subnet`,
  },
  multipleAttributes: {
    code: 'InvalidParameterCombination',
    message: (fields: string) => `Fields for multiple attribute types specified: ${fields}`,
  },
  vpcRangeInvalid: {
    code: 'InvalidVpc.Range',
    message: (cidrBlock: string) => `The CIDR '${cidrBlock}' is invalid.`,
  },
  missingCidrBlockOrIpamPool: {
    code: 'MissingParameter',
    message: () => "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.",
  },
  invalidPaginationToken: {
    code: 'InvalidPaginationToken',
    message: () => 'The specified pagination token is not valid or is expired.',
  },
  invalidRegion: {
    code: 'InvalidParameterValue',
    message: (name: string) => `Invalid region: ${name}`,
  },
  invalidId: {
    code: 'InvalidID',
    message: (id: string) => `The ID '${id}' is not valid`,
  },
  tagLimitExceeded: {
    code: 'TagLimitExceeded',
    message: (id: string, max: number) => `Tag limit exceeded for resource ${id}: at most ${max} tags.`,
  },
  volumeNotFound: {
    code: 'InvalidVolume.NotFound',
    message: (id: string) => `The volume '${id}' does not exist.`,
  },
  insufficientVolumeCapacity: {
    code: 'InsufficientVolumeCapacity',
    status: 500,
    message: (zoneName: string) =>
      `There is not enough capacity to fulfill your EBS volume provision request in ${zoneName}. Try another Availability Zone, or wait for capacity to become available.`,
  },
  snapshotIdMalformed: {
    code: 'InvalidSnapshotID.Malformed',
    message: (id: string) => `Invalid id: "${id}" (expecting "snap-...")`,
  },
  snapshotNotFound: {
    code: 'InvalidSnapshot.NotFound',
    message: (id: string) => `The snapshot '${id}' does not exist.`,
  },
  volumeNotSnapshottable: {
    code: 'IncorrectState',
    message: (volumeId: string, state: string) => `The volume '${volumeId}' is '${state}' and cannot be snapshotted.`,
  },
  snapshotInUse: {
    code: 'InvalidSnapshot.InUse',
    message: (snapshotId: string, imageId: string) => `The snapshot ${snapshotId} is currently in use by ${imageId}`,
  },
  volumeIdMalformed: {
    code: 'InvalidVolumeID.Malformed',
    message: (id: string) => `Invalid id: "${id}" (expecting "vol-...")`,
  },
  instanceNotFound: {
    code: 'InvalidInstanceID.NotFound',
    message: (id: string) => `The instance ID '${id}' does not exist`,
  },
  zoneNotFound: {
    code: 'InvalidZone.NotFound',
    message: (availabilityZone: string) => `The zone '${availabilityZone}' does not exist.`,
  },
  snapshotNotCompleted: {
    code: 'IncorrectState',
    message: (state: string) => `Snapshot is in invalid state - ${state}`,
  },
  volumeAttached: {
    code: 'VolumeInUse',
    message: (volumeId: string, instanceId: string) => `Volume ${volumeId} is currently attached to ${instanceId}`,
  },
  volumeNotDeletable: {
    code: 'IncorrectState',
    message: (volumeId: string, state: string) => `The volume '${volumeId}' is '${state}'.`,
  },
  volumeZoneMismatch: {
    code: 'InvalidVolume.ZoneMismatch',
    message: (volumeId: string, instanceId: string) =>
      `The volume '${volumeId}' is not in the same availability zone as instance '${instanceId}'`,
  },
  volumeAlreadyAttached: {
    code: 'VolumeInUse',
    message: (volumeId: string) => `${volumeId} is already attached to an instance`,
  },
  volumeNotAvailable: {
    code: 'IncorrectState',
    message: (volumeId: string) => `${volumeId} is not 'available'.`,
  },
  rootVolumeNotAttachable: {
    code: 'UnsupportedOperation',
    message: (volumeId: string) =>
      `Volume ${volumeId} was a root volume: this cloud keeps it as a file tree and cannot attach it as a block device (create a volume from a snapshot of it instead).`,
  },
  instanceNotRunning: {
    code: 'IncorrectInstanceState',
    message: (instanceId: string) => `Instance '${instanceId}' is not 'running'.`,
  },
  volumeNotAttached: {
    code: 'IncorrectState',
    message: (volumeId: string, state: string) => `Volume '${volumeId}' is in the '${state}' state.`,
  },
  volumeNotAttachedToInstance: {
    code: 'InvalidAttachment.NotFound',
    message: (volumeId: string, instanceId: string) => `The volume '${volumeId}' is not attached to instance '${instanceId}'`,
  },
  volumeNotAttachedAsDevice: {
    code: 'InvalidAttachment.NotFound',
    message: (volumeId: string, device: string) => `The volume '${volumeId}' is not attached as device '${device}'`,
  },
  rootVolumeNotDetachable: {
    code: 'IncorrectState',
    message: (volumeId: string, instanceId: string) => `Unable to detach root volume '${volumeId}' from instance '${instanceId}'`,
  },
  stoppedRootDetachUnsupported: {
    code: 'UnsupportedOperation',
    message: (volumeId: string) => `Detaching the root volume of a stopped instance is not supported by this cloud (volume '${volumeId}').`,
  },
  vpcNotFound: { code: 'InvalidVpcID.NotFound', message: (id: string) => `The vpc ID '${id}' does not exist` },
  internetGatewayNotFound: {
    code: 'InvalidInternetGatewayID.NotFound',
    message: (id: string) => `The internetGateway ID '${id}' does not exist`,
  },
  routeTableNotFound: { code: 'InvalidRouteTableID.NotFound', message: (id: string) => `The routeTable ID '${id}' does not exist` },
  networkAclNotFound: { code: 'InvalidNetworkAclID.NotFound', message: (id: string) => `The network ACL ID '${id}' does not exist` },
  allocationNotFound: { code: 'InvalidAllocationID.NotFound', message: (id: string) => `The allocation ID '${id}' does not exist` },
  associationNotFound: { code: 'InvalidAssociationID.NotFound', message: (id: string) => `The association ID '${id}' does not exist` },
  networkInterfaceNotFound: {
    code: 'InvalidNetworkInterfaceID.NotFound',
    message: (id: string) => `The networkInterface ID '${id}' does not exist`,
  },
  targetNetworkInterfaceNotFound: {
    code: 'InvalidNetworkInterfaceID.NotFound',
    message: (id: string) => `The network interface ID '${id}' does not exist`,
  },
  groupIdNotFound: { code: 'InvalidGroup.NotFound', message: (id: string) => `The security group ID '${id}' does not exist` },
  snapshotIdNotFound: { code: 'InvalidSnapshot.NotFound', message: (id: string) => `The snapshot ID '${id}' does not exist` },
  imageNotFound: { code: 'InvalidAMIID.NotFound', message: (id: string) => `The image ID '${id}' does not exist` },
  taggedLaunchTemplateNotFound: {
    code: 'InvalidLaunchTemplateId.NotFound',
    message: (id: string) => `The launch template ID '${id}' does not exist`,
  },
  instancesNotFound: {
    code: 'InvalidInstanceID.NotFound',
    message: (ids: string[]) =>
      ids.length === 1 ? `The instance ID '${ids[0]}' does not exist` : `The instance IDs '${ids.join(', ')}' do not exist`,
  },
  volumesNotFound: {
    code: 'InvalidVolume.NotFound',
    message: (ids: string[]) =>
      ids.length === 1 ? `The volume '${ids[0]}' does not exist.` : `The volumes '${ids.join(', ')}' do not exist.`,
  },
  runtimeNeedsRoot: {
    code: 'Unsupported',
    sender: false,
    message: () => 'This cloud runs instances only when its daemon runs as root (network namespaces, nftables, mounts).',
  },
});
