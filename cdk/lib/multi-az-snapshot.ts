import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { allowedCidrParameter, imageParameter } from './common.js';
import { MultiAzServer, passwordOutputs, seedParameters, type MultiAzServerProps } from './multi-az.js';
import type { ArchitectureStackProps } from './stack-props.js';
import { workloadFor } from './workload/index.js';

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
    super(scope, id, { description: 'halo: the seed\'s multi-AZ architecture with state in AMI snapshots and an Elastic IP associated at boot', ...props });
    const workload = workloadFor(props.target ?? 'local');
    const faithful = props.faithful ?? false;
    const image = imageParameter(this, 'AMISnapshot', workload, props.imageId);
    const seed = seedParameters(this, faithful);
    const server = new MultiAzSnapshotServer(this, 'MultiAzSnapshot', {
      workload,
      imageId: image.valueAsString,
      allowedCidr: faithful ? undefined : allowedCidrParameter(this).valueAsString,
      faithful,
      keyName: seed.keyName,
      plainPassword: seed.password?.valueAsString,
    });
    server.serverGroup.addOutputs(this, server.url);
    passwordOutputs(this, server.secret, seed.password);
  }
}
