import type { Cloud } from '../../../cloud.js';
import type { OperationInput, OperationOutput, ServiceOperations } from '../../generated-operations.js';

/**
 * A CloudFormation resource provider: how the engine creates, updates and deletes one resource type by calling
 * the owning service's own operations (through `ctx.invoke`), so that a resource made by a template is the same
 * thing as one made by the API.
 *
 * Providers live with their service (`src/services/<service>/cfn/<type>.ts`, e.g. `src/services/ec2/network/cfn/vpc.ts`,
 * `src/services/iam/cfn.ts`) and call `registerProvider(provider)` from `./registry.ts` when their module loads;
 * the service's own module imports them. The engine knows providers only through the registry.
 *
 * Properties arrive fully resolved: intrinsic functions evaluated, `AWS::NoValue` removed, dynamic references
 * replaced. Values keep the template's JSON types: a template may give `"true"` or `true`, `"10"` or `10`, so read
 * them with `propsOf(props, ctx.logicalId)` (`./props.ts`), which also fails a value of the wrong type as
 * CloudFormation does.
 */
export interface ResourceProvider {
  /** The CloudFormation resource type, e.g. `AWS::EC2::VPC`. */
  type: string;

  /**
   * Creates the resource and returns its physical id (what `Ref` returns, unless `ref` is given) and the
   * attributes `Fn::GetAtt` can read. Throw (an AwsError or any Error) to fail: its message becomes the
   * CREATE_FAILED reason. Resolve only once the resource exists; use `stabilize` to wait until it is really ready.
   */
  create(props: Props, ctx: ProviderContext): Promise<ProvisionResult>;

  /**
   * Waits until the resource is really ready (an instance running, a group at its desired capacity), as
   * CloudFormation does before it reports CREATE_COMPLETE / UPDATE_COMPLETE. Called after create and update.
   * Return normally when ready; throw with the reason when it will never be ready. Use `ctx.clock` for any wait
   * (`await ctx.clock.sleep(ms)`), never a wall-clock timer, so time scales and virtual clocks apply.
   */
  stabilize?(physicalId: string, props: Props, ctx: ProviderContext): Promise<void>;

  /**
   * Updates the resource in place, for changes only to properties not listed in `replaceOn`. Returns the
   * (possibly new) attributes. Without `update`, any property change replaces the resource.
   */
  update?(physicalId: string, props: Props, previous: Props, ctx: ProviderContext): Promise<ProvisionResult>;

  /**
   * Deletes the resource. Deleting a resource that is already gone must succeed (CloudFormation treats "not
   * found" on delete as done). Wait here until the deletion is complete.
   */
  delete(physicalId: string, props: Props, ctx: ProviderContext): Promise<void>;

  /**
   * Reads the resource's current attributes (those `Fn::GetAtt` gives), for values that change outside
   * CloudFormation (an instance's public IP after a recovery). The engine refreshes them before an update
   * evaluates the template. Return undefined when the resource no longer exists.
   */
  read?(physicalId: string, props: Props, ctx: ProviderContext): Promise<Record<string, unknown> | undefined>;

  /**
   * Properties whose change requires replacement ("Update requires: Replacement" in the CloudFormation resource
   * reference; `createOnlyProperties` in the resource schema). A change to any other property is done by `update`.
   */
  replaceOn?: readonly string[];

  /**
   * Whether a change of these properties replaces the resource because of its UpdatePolicy (an Auto Scaling group's
   * AutoScalingReplacingUpdate WillReplace), besides `replaceOn`.
   */
  replaces?(changed: string[], updatePolicy: unknown): boolean;

  /** Properties the template must give (CloudFormation reports "Property X cannot be empty"/required). */
  required?: readonly string[];

  /**
   * Capabilities the resource needs (e.g. `CAPABILITY_IAM` for IAM resources, `CAPABILITY_NAMED_IAM` when it is
   * given a custom name). Returns nothing when none is needed.
   */
  capability?(props: Props): 'CAPABILITY_IAM' | 'CAPABILITY_NAMED_IAM' | undefined;
}

/** A resource's resolved properties. */
export type Props = Record<string, unknown>;

export interface ProvisionResult {
  /** The physical id of the resource (shown as PhysicalResourceId). */
  physicalId: string;
  /** What `Ref` returns, when it is not the physical id. */
  ref?: string;
  /** Values for `Fn::GetAtt`, by attribute name (e.g. `{ Arn: 'arn:aws:iam::...' }`). */
  attributes?: Record<string, unknown>;
}

/** What a provider knows of the stack it works for, and how it reaches the services. */
export interface ProviderContext {
  cloud: Cloud;
  region: string;
  accountId: string;
  stackName: string;
  stackId: string;
  logicalId: string;
  clock: Cloud['clock'];
  /**
   * Calls a service operation in-process as the admin, in the stack's region (e.g. `invoke('ec2', 'CreateVpc', {...})`),
   * typed by the model as `Cloud.invoke` is: the input is checked against the operation's, the output is the model's.
   */
  invoke<S extends keyof ServiceOperations, O extends keyof ServiceOperations[S] & string>(
    service: S,
    operation: O,
    input: OperationInput<S, O>,
  ): Promise<OperationOutput<S, O>>;
  /** A name for a resource the template leaves unnamed, as CloudFormation makes them: `<stack>-<logicalId>-<RANDOM>`. */
  physicalName(maxLength?: number): string;
  /** The resource's CreationPolicy and UpdatePolicy attributes, as the template gives them. */
  policies: { creation?: unknown; update?: unknown };
  /**
   * Waits for resource signals to the resource (SignalResource / cfn-signal), e.g. a rolling update's
   * WaitOnResourceSignals; throws with CloudFormation's reason on a FAILURE signal or the time-out.
   */
  awaitSignals(awaiting: import('../engine/signals.js').AwaitingSignals): Promise<void>;
  /** The tags CloudFormation adds to resources it creates (aws:cloudformation:stack-name, ...), plus the stack's tags. */
  stackTags: Array<{ Key: string; Value: string }>;
}
