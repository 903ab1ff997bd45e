import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { STACK_NAMES } from '../../cdk/lib/app.js';
import { type Access, clientsFor, closeClients } from './clients.js';
import { isFailed, type MatrixEntry } from './matrix.js';

/**
 * The CDK app's stacks for `halo drill matrix`: deployed with `halo deploy` when missing, and deployed afresh after a
 * run that left the stack broken (not recovered, or not measured), so that one fault does not spoil the next
 * scenario. A stack that cannot be deployed is not tried again: its other runs report the same cause.
 */
/** How the stacks get deployed and removed (the CLI gives `halo deploy` and `halo destroy`). */
export interface StackDeployer {
  deploy(stack: string): Promise<void>;
  destroy(stack: string): Promise<void>;
}

export class CdkStacks {
  private readonly undeployable = new Map<string, string>();

  constructor(
    private readonly access: Access,
    private readonly log: (line: string) => void,
    private readonly deployer: StackDeployer,
  ) {}

  static isAppStack(stack: string): boolean {
    return (STACK_NAMES as readonly string[]).includes(stack);
  }

  private async status(stack: string): Promise<string | undefined> {
    const c = clientsFor(this.access);
    try {
      return (await c.cfn.send(new DescribeStacksCommand({ StackName: stack })).catch(() => undefined))?.Stacks?.[0]?.StackStatus;
    } finally {
      closeClients(c);
    }
  }

  async ready(stack: string, previous: MatrixEntry | undefined): Promise<void> {
    if (!CdkStacks.isAppStack(stack)) return;
    const cause = this.undeployable.get(stack);
    if (cause) throw new Error(cause);
    const status = await this.status(stack);
    const healthy = status === 'CREATE_COMPLETE' || status === 'UPDATE_COMPLETE';
    const broken = previous !== undefined && (isFailed(previous) || !previous.recovered);
    if (healthy && !broken) return;
    try {
      if (status) {
        this.log(`${stack}: ${healthy ? 'the previous run left it broken' : `in state ${status}`}: deploying it afresh`);
        await this.deployer.destroy(stack);
      } else this.log(`${stack}: not deployed: halo deploy ${stack}`);
      await this.deployer.deploy(stack);
    } catch (err) {
      const message = `stack ${stack} could not be deployed on the local cloud: ${(err as Error).message}`;
      this.undeployable.set(stack, message);
      throw new Error(message);
    }
  }
}
