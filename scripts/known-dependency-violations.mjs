/** Today's violations of .dependency-cruiser.cjs (issue 11), as importing file → imported file. Remove an entry once its import is gone. */
export const KNOWN = [
  // The runtime learns the cloud's home folder from the daemon's module instead of being given it.
  { from: 'src/runtime/network.ts', to: 'src/daemon/home.ts' },
  { from: 'src/runtime/images.ts', to: 'src/daemon/home.ts' },
  { from: 'src/runtime/cleanup.ts', to: 'src/daemon/home.ts' },
  { from: 'src/runtime/runtime.ts', to: 'src/daemon/home.ts' },
  // The runtime reads EC2's tables and helpers instead of getting what it needs through its hooks interface.
  { from: 'src/runtime/firewall.ts', to: 'src/services/ec2/network/state.ts' },
  { from: 'src/runtime/internet-path.ts', to: 'src/services/ec2/network/cidr.ts' },
  { from: 'src/runtime/internet-path.ts', to: 'src/services/ec2/network/public-ips.ts' },
  { from: 'src/runtime/internet-path.ts', to: 'src/services/ec2/network/state.ts' },
  { from: 'src/runtime/runtime.ts', to: 'src/services/ec2/compute/state.ts' },
  { from: 'src/runtime/runtime.ts', to: 'src/services/ec2/network/state.ts' },
  { from: 'src/runtime/runtime.ts', to: 'src/services/ec2/volumes/state.ts' },
  { from: 'src/runtime/efs.ts', to: 'src/services/ec2/network/state.ts' },
  // The EFS data path reads EFS's mount targets and access points the same way (to move behind the hooks with EC2's).
  { from: 'src/runtime/efs.ts', to: 'src/services/efs/state.ts' },
  // Policy evaluation reads IAM's internals instead of getting policies through an interface IAM implements.
  { from: 'src/auth/policy/principal-policies.ts', to: 'src/services/iam/managed-policies.ts' },
  { from: 'src/auth/policy/principal-policies.ts', to: 'src/services/iam/roles.ts' },
  { from: 'src/auth/policy/principal-policies.ts', to: 'src/services/iam/state.ts' },
  { from: 'src/auth/policy/request-mapping.ts', to: 'src/services/iam/instance-profiles.ts' },
  { from: 'src/auth/policy/request-mapping.ts', to: 'src/services/iam/roles.ts' },
  { from: 'src/auth/policy/request-mapping.ts', to: 'src/services/types.ts' },
  // EC2 polls daemon.json to learn whether it runs inside the daemon instead of being told.
  { from: 'src/services/ec2/compute/index.ts', to: 'src/daemon/home.ts' },
  // Authorization takes the services' RequestContext type instead of a type of its own.
  { from: 'src/auth/policy/authorize.ts', to: 'src/services/types.ts' },
];
