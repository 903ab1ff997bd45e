import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { groupArchitecture, MultiAzServer, type MultiAzServerProps } from './multi-az.js';
import type { ArchitectureStackProps } from './stack-props.js';

/** Props of {@link MultiAzSnapshotServer}: those of {@link MultiAzServer} but the Elastic IP, which it always has. */
export type MultiAzSnapshotServerProps = Omit<MultiAzServerProps, 'elasticIp'>;

/**
 * The seed's multiaz-ebs.json + multiaz-elasticip.json: the multi-AZ group whose image is a parameter (state is
 * carried by `create-image` then `update-stack` with the new AMI: RPO = the age of the last image), and a fixed
 * Elastic IP the server associates to itself at boot with its instance role (AssociateAddress on this address only).
 */
export class MultiAzSnapshotServer extends MultiAzServer {
  constructor(scope: Construct, id: string, props: MultiAzSnapshotServerProps) {
    super(scope, id, { ...props, elasticIp: true });
  }
}

/** The MultiAzSnapshot architecture as a stack: the image parameter keeps the seed's name, AMISnapshot. */
export class MultiAzSnapshotStack extends Stack {
  constructor(scope: Construct, id: string, props: ArchitectureStackProps = {}) {
    super(scope, id, {
      description: "halo: the seed's multi-AZ architecture with state in AMI snapshots and an Elastic IP associated at boot",
      ...props,
    });
    groupArchitecture(
      this,
      props,
      'AMISnapshot',
      (serverProps) => new MultiAzSnapshotServer(this, 'MultiAzSnapshot', serverProps),
      (server) => server.serverGroup.addOutputs(this, server.url),
    );
  }
}
