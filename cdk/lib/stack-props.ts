import type { StackProps } from 'aws-cdk-lib';
import type { Target } from './workload/index.js';

/** What every architecture stack takes (from `-c` context values in cdk/bin/app.ts). */
export interface ArchitectureStackProps extends StackProps {
  /**
   * Where the stack runs: the local cloud (buildbot) or AWS (Jenkins). Switches the workload and the image only.
   * @default 'local'
   */
  readonly target?: Target;
  /**
   * The seed's exact behaviour, security defects included (SSH and the CI port open to the world, the password as
   * a parameter in the user data and the outputs, a key pair, IMDSv1, launch configurations, `Resource: *`,
   * unencrypted volumes, no CreationPolicy).
   * @default false
   */
  readonly faithful?: boolean;
  /**
   * The image id default for the local target (the AMI of `halo image build --name halo-ci ...`).
   * @default - none: the stack's image parameter must be given at deployment
   */
  readonly imageId?: string;
}
