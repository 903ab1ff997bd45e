import { declareErrors } from '../../protocol/errors.js';

/**
 * EC2's errors, declared once (codes and messages as EC2 sends them): every EC2 operation raises them by name from
 * here, and code elsewhere matches their `code`, never their message.
 */
export const ec2Errors = declareErrors({
  // Shared by every EC2 operation: dry runs, parameters, paging, filters, tags, regions, key pairs
  dryRun: { code: 'DryRunOperation', status: 412, message: () => 'Request would have succeeded, but DryRun flag is set.' },
  missingParameter: { code: 'MissingParameter', message: (what: string) => `The request must contain the parameter ${what}` },
  invalidParameterValue: { code: 'InvalidParameterValue', message: (message: string) => message },
  invalidParameterCombination: { code: 'InvalidParameterCombination', message: (message: string) => message },
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
  groupNotFoundInVpc: {
    code: 'InvalidGroup.NotFound',
    message: (name: string, vpcId: string) => `The security group '${name}' does not exist in VPC '${vpcId}'`,
  },
  instanceIdMalformed: {
    code: 'InvalidInstanceID.Malformed',
    message: (id: string) => `Invalid id: "${id}"`,
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
  instanceNotFound: {
    code: 'InvalidInstanceID.NotFound',
    message: (id: string) => `The instance ID '${id}' does not exist`,
  },
  invalidFilter: {
    code: 'InvalidParameterValue',
    message: (name: string) => `The filter '${name}' is invalid`,
  },
  invalidKeyName: {
    code: 'InvalidParameterValue',
    message: (name: string) => `Value (${name}) for parameter KeyName is invalid. Key names are 1-255 printable ASCII characters.`,
  },
  invalidKeyType: {
    code: 'InvalidParameterValue',
    message: (keyType: string) => `Value (${keyType}) for parameter KeyType is invalid. Use rsa or ed25519.`,
  },
  invalidKeyFormat: {
    code: 'InvalidParameterValue',
    message: (format: string) => `Value (${format}) for parameter KeyFormat is invalid. Use pem or ppk.`,
  },
  ppkKeyFormatUnsupported: {
    code: 'InvalidParameterValue',
    message: () => 'KeyFormat ppk is not supported by this cloud; use pem (convert with puttygen).',
  },
  idsWithMaxResults: {
    code: 'InvalidParameterCombination',
    message: (idsParam: string) => `The parameter ${idsParam} cannot be used with the parameter maxResults`,
  },
  maxResultsTooLarge: {
    code: 'InvalidParameterValue',
    message: (max: number) => `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value less than or equal to 1000.`,
  },
  maxResultsTooSmall: {
    code: 'InvalidParameterValue',
    message: (max: number) => `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value greater than 5.`,
  },
  invalidZoneName: {
    code: 'InvalidParameterValue',
    message: (name: string) => `Invalid availability zone: [${name}]`,
  },
  invalidZoneId: {
    code: 'InvalidParameterValue',
    message: (id: string) => `Invalid availability zone id: [${id}]`,
  },
  unknownAccountAttribute: {
    code: 'InvalidParameterValue',
    message: (name: string) => `Value (${name}) for parameter attributeName is invalid. Unknown attribute.`,
  },
  invalidTagKey: {
    code: 'InvalidParameterValue',
    message: (key: string) => `Tag key '${key}' is invalid: keys are 1 to 128 characters.`,
  },
  reservedTagKey: {
    code: 'InvalidParameterValue',
    message: () => "Tag keys starting with 'aws:' are reserved for internal use",
  },
  tagValueTooLong: {
    code: 'InvalidParameterValue',
    message: (key: string) => `Tag value for key '${key}' is longer than 256 characters.`,
  },
  // Launch templates
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
  taggedLaunchTemplateNotFound: {
    code: 'InvalidLaunchTemplateId.NotFound',
    message: (id: string) => `The launch template ID '${id}' does not exist`,
  },
  versionDescriptionTooLong: {
    code: 'InvalidParameterValue',
    message: () => 'The version description must be at most 255 characters.',
  },
  versionNumbersNeedTemplate: {
    code: 'InvalidParameterCombination',
    message: () => 'Version numbers can be given only with a launch template ID or name; without one, use $Latest or $Default.',
  },
  invalidVersionNumber: {
    code: 'InvalidParameterValue',
    message: (v: string, what: string) => `Value (${v}) for parameter ${what} is invalid. Expecting a version number.`,
  },
  // Instances and images
  notConfiguredForHibernation: {
    code: 'UnsupportedHibernationConfiguration',
    message: (instanceId: string) =>
      `The instance can't be hibernated because it was not configured at launch for hibernation: ${instanceId}`,
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
  groupAndSubnetInDifferentNetworks: {
    code: 'InvalidParameter',
    message: (id: string, subnetId: string) => `Security group ${id} and subnet ${subnetId} belong to different networks.`,
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
  imageNotFound: { code: 'InvalidAMIID.NotFound', message: (id: string) => `The image ID '${id}' does not exist` },
  instancesNotFound: {
    code: 'InvalidInstanceID.NotFound',
    message: (ids: string[]) =>
      ids.length === 1 ? `The instance ID '${ids[0]}' does not exist` : `The instance IDs '${ids.join(', ')}' do not exist`,
  },
  runtimeNeedsRoot: {
    code: 'Unsupported',
    sender: false,
    message: () => 'This cloud runs instances only when its daemon runs as root (network namespaces, nftables, mounts).',
  },
  invalidHttpTokens: {
    code: 'InvalidParameterValue',
    message: (tokens: string) => `Value (${tokens}) for parameter HttpTokens is invalid. Use optional or required.`,
  },
  invalidHttpEndpoint: {
    code: 'InvalidParameterValue',
    message: (endpoint: string) => `Value (${endpoint}) for parameter HttpEndpoint is invalid.`,
  },
  invalidHopLimit: {
    code: 'InvalidParameterValue',
    message: () => 'HttpPutResponseHopLimit must be between 1 and 64.',
  },
  invalidInstanceProfileName: {
    code: 'InvalidParameterValue',
    message: (name: string) => `Value (${name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`,
  },
  onePrimaryPrivateIp: {
    code: 'InvalidParameterValue',
    message: () => 'Only one primary private IP address can be specified.',
  },
  primaryPrivateIpTwice: {
    code: 'InvalidParameterCombination',
    message: () => 'The primary private IP address was given twice with different values.',
  },
  invalidMinCount: {
    code: 'InvalidParameterValue',
    message: (min: number) => `Value (${min}) for parameter minCount is invalid. Expected a value greater than 0.`,
  },
  invalidMaxCount: {
    code: 'InvalidParameterValue',
    message: (max: number) => `Value (${max}) for parameter maxCount is invalid. Expected a value no smaller than minCount.`,
  },
  subnetInOtherZone: {
    code: 'InvalidParameterValue',
    message: (availabilityZone: string, subnetId: string, availabilityZone2: string) =>
      `Value (${availabilityZone}) for parameter availabilityZone is invalid. Subnet '${subnetId}' is in the availability zone ${availabilityZone2}`,
  },
  userDataTooLong: {
    code: 'InvalidParameterValue',
    message: () => 'User data is limited to 16384 bytes',
  },
  privateIpWithManyInstances: {
    code: 'InvalidParameterCombination',
    message: () => 'Cannot specify a private IP address when launching more than one instance.',
  },
  incompleteBlockDeviceMapping: {
    code: 'InvalidParameterCombination',
    message: () => 'Each block device mapping needs a DeviceName and Ebs.DeleteOnTermination.',
  },
  invalidInstanceAttribute: {
    code: 'InvalidParameterValue',
    message: (attribute: string) => `Value (${attribute}) for parameter attribute is invalid.`,
  },
  invalidAutoRecovery: {
    code: 'InvalidParameterValue',
    message: (value: string) => `Value (${value}) for parameter AutoRecovery is invalid. Valid values are default and disabled.`,
  },
  metadataIpv6Unsupported: {
    code: 'UnsupportedOperation',
    message: () => 'The IPv6 endpoint of the instance metadata service is not supported by this cloud.',
  },
  statusMaxResultsOutOfRange: {
    code: 'InvalidParameterValue',
    message: () => 'MaxResults must be between 5 and 1000',
  },
  // VPCs, subnets, gateways, routes, ACLs, security groups, addresses
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
  invalidAddressDomain: {
    code: 'InvalidParameterValue',
    message: (domain: string) => `Value (${domain}) for parameter domain is invalid. Only vpc addresses exist in this cloud.`,
  },
  addressPoolUnsupported: {
    code: 'UnsupportedOperation',
    message: () => 'Only the amazon public IPv4 pool is supported by this cloud.',
  },
  invalidNetworkBorderGroup: {
    code: 'InvalidParameterValue',
    message: (networkBorderGroup: string, region: string) =>
      `Value (${networkBorderGroup}) for parameter NetworkBorderGroup is invalid. Use ${region}.`,
  },
  networkInterfaceNotOnInstance: {
    code: 'InvalidParameterCombination',
    message: (networkInterfaceId: string, instanceId: string) =>
      `Network interface ${networkInterfaceId} is not attached to instance ${instanceId}`,
  },
  privateIpNotOnInterface: {
    code: 'InvalidParameterValue',
    message: (privateIpAddress: string, networkInterfaceId: string) =>
      `The private IP address ${privateIpAddress} is not assigned to network interface ${networkInterfaceId}. Only the primary private IP address is supported.`,
  },
  networkHasInternetGateway: {
    code: 'InvalidParameterValue',
    message: (vpcId: string) => `Network ${vpcId} already has an internet gateway attached`,
  },
  defaultNetworkAclNotDeletable: {
    code: 'InvalidParameterValue',
    message: (networkAclId: string) => `cannot delete default network ACL ${networkAclId}`,
  },
  invalidRuleNumber: {
    code: 'InvalidParameterValue',
    message: (ruleNumber: number) => `Value (${ruleNumber}) for parameter ruleNumber is invalid. Rule numbers are 1 to 32766.`,
  },
  invalidRuleAction: {
    code: 'InvalidParameterValue',
    message: (ruleAction: string) => `Value (${ruleAction}) for parameter ruleAction is invalid. Use allow or deny.`,
  },
  ipv6AclEntriesUnsupported: {
    code: 'UnsupportedOperation',
    message: () => 'IPv6 network ACL entries are not supported by this cloud.',
  },
  invalidAclPortRange: {
    code: 'InvalidParameterValue',
    message: (From: number, To: number) => `Invalid port range ${From}-${To}: ports are 0 to 65535, From not above To.`,
  },
  defaultAclRuleNotDeletable: {
    code: 'InvalidParameterValue',
    message: (LAST_RULE: number) => `The default rule ${LAST_RULE} of a network ACL cannot be deleted.`,
  },
  networkAclInOtherNetwork: {
    code: 'InvalidParameterValue',
    message: (networkAclId: string, associationId: string) =>
      `Network ACL ${networkAclId} belongs to a different network than association ${associationId}`,
  },
  groupInOtherNetwork: {
    code: 'InvalidParameterValue',
    message: (groupId: string, subnetId: string) => `Security group ${groupId} and subnet ${subnetId} belong to different networks.`,
  },
  invalidPrivateIp: {
    code: 'InvalidParameterValue',
    message: (requested: string) => `Invalid value '${requested}' for privateIpAddress.`,
  },
  addressOutsideSubnet: {
    code: 'InvalidParameterValue',
    message: (requested: string) => `Address ${requested} does not fall within the subnet's address range`,
  },
  addressReservedInSubnet: {
    code: 'InvalidParameterValue',
    message: (requested: string) => `Address ${requested} is in subnet's reserved address range`,
  },
  unknownProtocol: {
    code: 'InvalidParameterValue',
    message: (value: string, parameter: string) => `Invalid value '${value}' for ${parameter}. Unknown protocol.`,
  },
  addressOutsidePool: {
    code: 'InvalidParameterValue',
    message: (requested: string, network: string, prefix: number) =>
      `Address ${requested} is not in this cloud's public address pool ${network}/${prefix}.`,
  },
  invalidDestinationCidr: {
    code: 'InvalidParameterValue',
    message: (text: string) => `Value (${text}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.`,
  },
  routeInsideVpcCidr: {
    code: 'InvalidParameterValue',
    message: (dest: string) =>
      `The destination CIDR block ${dest} is equal to or more specific than one of this VPC's CIDR blocks. This route can target only an interface or an instance.`,
  },
  localRouteNotReplaceable: {
    code: 'InvalidParameterValue',
    message: (dest: string, routeTableId: string) => `cannot replace local route ${dest} in route table ${routeTableId}`,
  },
  localRouteNotRemovable: {
    code: 'InvalidParameterValue',
    message: (dest: string, routeTableId: string) => `cannot remove local route ${dest} in route table ${routeTableId}`,
  },
  gatewayAssociationsUnsupported: {
    code: 'UnsupportedOperation',
    message: () => 'Gateway route table associations are not supported by this cloud.',
  },
  routeTableAndSubnetInDifferentNetworks: {
    code: 'InvalidParameterValue',
    message: (routeTableId: string, subnetId: string) => `Route table ${routeTableId} and subnet ${subnetId} belong to different networks`,
  },
  mainAssociationNotRemovable: {
    code: 'InvalidParameterValue',
    message: (associationId: string) => `cannot disassociate the main route table association ${associationId}`,
  },
  routeTableInOtherNetwork: {
    code: 'InvalidParameterValue',
    message: (routeTableId: string, associationId: string) =>
      `Route table ${routeTableId} belongs to a different network than association ${associationId}`,
  },
  routeTargetUnsupported: {
    code: 'UnsupportedOperation',
    message: (what: string) => `${what} is not supported by this cloud (see the EC2 network LIMITATIONS).`,
  },
  oneRouteTarget: {
    code: 'InvalidParameterCombination',
    message: () =>
      'The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, instanceId or transitGatewayId',
  },
  gatewayInOtherNetwork: {
    code: 'InvalidParameterValue',
    message: (routeTableId: string, id: string) => `route table ${routeTableId} and network gateway ${id} belong to different networks`,
  },
  instanceInOtherNetwork: {
    code: 'InvalidParameterValue',
    message: (routeTableId: string, instanceId: string) =>
      `route table ${routeTableId} and instance ${instanceId} belong to different networks`,
  },
  portRangeNeedsBothPorts: {
    code: 'InvalidParameterValue',
    message: () => 'Invalid value for portRange. Must specify both from and to ports with TCP/UDP.',
  },
  invalidRulePortRange: {
    code: 'InvalidParameterValue',
    message: (from: number, to: number) => `Invalid port range ${from}-${to}: ports are 0 to 65535, from not above to.`,
  },
  invalidIcmpTypeCode: {
    code: 'InvalidParameterValue',
    message: (type: number, code: number) => `Invalid ICMP type ${type} or code ${code}.`,
  },
  ipv6GroupRulesUnsupported: {
    code: 'UnsupportedOperation',
    message: () => 'IPv6 security group rules are not supported by this cloud.',
  },
  prefixListGroupRulesUnsupported: {
    code: 'UnsupportedOperation',
    message: () => 'Prefix list security group rules are not supported by this cloud.',
  },
  cidrBlockMalformed: {
    code: 'InvalidParameterValue',
    message: (cidrIp: string) => `CIDR block ${cidrIp} is malformed`,
  },
  ruleNeedsPeer: {
    code: 'InvalidParameterValue',
    message: () => 'A rule needs at least one peer: IpRanges or UserIdGroupPairs.',
  },
  invalidGroupText: {
    code: 'InvalidParameterValue',
    message: (name: string, field: string) =>
      `Value (${name}) for parameter ${field} is invalid. Names and descriptions are 1-255 printable ASCII characters.`,
  },
  reservedGroupName: {
    code: 'InvalidParameterValue',
    message: () => 'Cannot use reserved security group name: default',
  },
  groupNameLooksLikeId: {
    code: 'InvalidParameterValue',
    message: () => 'Group names may not be in the format sg-*.',
  },
  invalidSubnetZone: {
    code: 'InvalidParameterValue',
    message: (value: string, param: string, names: string) =>
      `Value (${value}) for parameter ${param} is invalid. Subnets can currently only be created in the following availability zones: ${names}.`,
  },
  ipv6SubnetsUnsupported: {
    code: 'UnsupportedOperation',
    message: () => 'IPv6 subnets are not supported by this cloud.',
  },
  subnetIpamUnsupported: {
    code: 'UnsupportedOperation',
    message: () => 'IPAM pools and Outposts are not supported by this cloud; give CidrBlock.',
  },
  subnetAttributeUnsupported: {
    code: 'UnsupportedOperation',
    message: (attribute: string) => `The subnet attribute ${attribute} is not supported by this cloud.`,
  },
  ipv6VpcCidrUnsupported: {
    code: 'UnsupportedOperation',
    message: () => 'IPv6 CIDR blocks are not supported by this cloud.',
  },
  vpcIpamUnsupported: {
    code: 'UnsupportedOperation',
    message: () => 'IPAM pools are not supported by this cloud; give CidrBlock.',
  },
  invalidTenancy: {
    code: 'InvalidParameterValue',
    message: (tenancy: string) => `Value (${tenancy}) for parameter instanceTenancy is invalid. Use default or dedicated.`,
  },
  addressUsageMetricsUnsupported: {
    code: 'UnsupportedOperation',
    message: () => 'Network address usage metrics are not supported by this cloud.',
  },
  dnsHostnamesNeedDnsSupport: {
    code: 'InvalidParameterValue',
    message: () =>
      'Value (true) for parameter enableDnsHostnames is invalid. DNS hostnames can only be enabled when DNS support (enableDnsSupport) is enabled for the VPC.',
  },
  unknownVpcAttribute: {
    code: 'InvalidParameterValue',
    message: (attribute: string) => `Value (${attribute}) for parameter attribute is invalid. Unknown attribute.`,
  },
  // EBS volumes and snapshots
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
  snapshotIdNotFound: { code: 'InvalidSnapshot.NotFound', message: (id: string) => `The snapshot ID '${id}' does not exist` },
  volumesNotFound: {
    code: 'InvalidVolume.NotFound',
    message: (ids: string[]) =>
      ids.length === 1 ? `The volume '${ids[0]}' does not exist.` : `The volumes '${ids.join(', ')}' do not exist.`,
  },
  invalidVolumeType: {
    code: 'InvalidParameterValue',
    message: (volumeType: string) =>
      `Value (${volumeType}) for parameter volumeType is invalid. Valid values: standard, gp2, gp3, io1, io2, st1, sc1.`,
  },
  volumeSizeOutOfRange: {
    code: 'InvalidParameterValue',
    message: (size: number, type: string, low: number, high: number) =>
      `Volume of ${size}GiB is not supported for volume type ${type}: the size must be between ${low} and ${high} GiB.`,
  },
  volumeSmallerThanSnapshot: {
    code: 'InvalidParameterValue',
    message: (size: number, snapshotSize: number) => `Volume of ${size}GiB is too small; minimum is ${snapshotSize}GiB.`,
  },
  iopsNotSupported: {
    code: 'InvalidParameterCombination',
    message: (type: string) => `The parameter iops is not supported for ${type} volumes.`,
  },
  iopsOutOfRange: {
    code: 'InvalidParameterValue',
    message: (iops: number, type: string, low: number, high: number) =>
      `Volume iops of ${iops} is not supported for ${type}: it must be between ${low} and ${high}.`,
  },
  iopsRatioTooHigh: {
    code: 'InvalidParameterValue',
    message: (ratio: string, iopsPerGiB: string) => `Iops to volume size ratio of ${ratio} is too high; maximum is ${iopsPerGiB}.`,
  },
  throughputNotSupported: {
    code: 'InvalidParameterCombination',
    message: (type: string) => `The parameter throughput is not supported for ${type} volumes.`,
  },
  throughputOutOfRange: {
    code: 'InvalidParameterValue',
    message: (throughput: number) => `Throughput of ${throughput} MiB/s is not supported: it must be between 125 and 1000.`,
  },
  throughputRatioTooHigh: {
    code: 'InvalidParameterValue',
    message: (ratio: string) => `Throughput (MiBps) to iops ratio of ${ratio} is too high; maximum is 0.25 MiBps per iops.`,
  },
  invalidDeviceName: {
    code: 'InvalidParameterValue',
    message: (device: string, device2: string) =>
      `Value (${device}) for parameter device is invalid. ${device2} is not a valid EBS device name.`,
  },
  multiAttachUnsupported: {
    code: 'InvalidParameterCombination',
    message: () => 'Multi-Attach is supported only for io1 and io2 volumes; this cloud does not support it.',
  },
  attachmentPointInUse: {
    code: 'InvalidParameterValue',
    message: (device: string, device2: string) => `Invalid value '${device}' for unixDevice. Attachment point ${device2} is already in use`,
  },
});
