/** Today's violations of .dependency-cruiser.cjs (issue 11), as importing file → imported file. Remove an entry once its import is gone. */
export const KNOWN = [
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
];
