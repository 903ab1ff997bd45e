/** Where the CI server runs: on AWS (Jenkins from its signed repository) or on the halo local cloud (buildbot). */
export type Target = 'local' | 'aws';

/**
 * The CI server an architecture keeps available. Only the workload differs between targets: the HA resources
 * around it (network, group, alarm, roles, file system) are the same.
 */
export interface Workload {
  /** A short name for descriptions and tags. */
  readonly name: string;
  /** The TCP port the server answers on (8080 for both, so the security rules are identical). */
  readonly port: number;
  /** A path that answers 200 once the server is ready (used by the boot wait and the health check). */
  readonly healthPath: string;
  /**
   * Shell (bash) lines that install (when the image lacks it), configure and start the server with its state under
   * `stateDir`, its administrator named `admin` with the password in the root-only file `passwordFile`. Written for
   * `Fn::Sub`: no `${...}` shell expansions.
   */
  setup(stateDir: string, passwordFile: string): string;
  /** Shell lines run first at boot: what the boot script itself needs (the aws CLI, the NFS client) when the image lacks it. */
  readonly prepare: string;
  /** The image parameter: its CloudFormation type and default value (undefined: the deployer must give it). */
  readonly image: { readonly type: string; readonly default?: string; readonly description: string };
}
