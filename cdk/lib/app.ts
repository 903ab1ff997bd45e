import { App, DefaultStackSynthesizer, type Stack } from 'aws-cdk-lib';
import { APP_CONTEXT } from './flags.js';
import { acknowledgeNagFindings } from './nag.js';
import { MultiAzSnapshotStack } from './multi-az-snapshot.js';
import { MultiAzStack } from './multi-az.js';
import { RecoveryStack } from './recovery.js';
import { ResilientStack } from './resilient.js';
import { parseTarget } from './workload/index.js';

export const STACK_NAMES = ['Recovery', 'MultiAz', 'MultiAzSnapshot', 'Resilient'] as const;
export type StackName = (typeof STACK_NAMES)[number];

export interface BuildAppOptions {
  /** Context values, as `-c k=v` gives them: target, imageId, faithful, zones. */
  readonly context?: Record<string, string>;
  /** Where the cloud assembly goes. @default - the CLI's choice, or a temporary directory */
  readonly outdir?: string;
}

function flag(value: unknown): boolean {
  return value === true || value === 'true';
}

/**
 * The app: the four architectures as stacks. No bootstrap version rule (no bootstrap stack is needed: the
 * templates have no assets) and no metadata resource, so every template deploys as is on the local cloud.
 */
export function buildApp(options: BuildAppOptions = {}): { app: App; stacks: Record<StackName, Stack> } {
  const app = new App({ outdir: options.outdir, analyticsReporting: false, context: { ...APP_CONTEXT, ...options.context } });
  const ctx = (key: string): unknown => app.node.tryGetContext(key);
  const target = parseTarget(ctx('target'));
  const imageId = ctx('imageId') as string | undefined;
  const faithful = flag(ctx('faithful'));
  const zones = ctx('zones') === undefined ? undefined : Number(ctx('zones'));
  if (zones !== undefined && !(Number.isInteger(zones) && zones >= 1 && zones <= 6))
    throw new Error(`-c zones=${String(ctx('zones'))}: a whole number from 1 to 6`);
  const common = { target, imageId, faithful, synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }) };
  const stacks = {
    Recovery: new RecoveryStack(app, 'Recovery', common),
    MultiAz: new MultiAzStack(app, 'MultiAz', common),
    MultiAzSnapshot: new MultiAzSnapshotStack(app, 'MultiAzSnapshot', common),
    Resilient: new ResilientStack(app, 'Resilient', { ...common, faithful: false, zones }),
  };
  if (!faithful) for (const stack of Object.values(stacks)) acknowledgeNagFindings(stack);
  else acknowledgeNagFindings(stacks.Resilient);
  return { app, stacks };
}
