import type { ResourceProvider } from './types.js';

const providers = new Map<string, ResourceProvider>();

/**
 * Makes a resource type available to templates. Call it when your provider's module loads; registering the same
 * type twice replaces the earlier provider (last one wins), so a real provider can replace a placeholder.
 */
export function registerProvider(provider: ResourceProvider): void {
  providers.set(provider.type, provider);
}

export function findProvider(type: string): ResourceProvider | undefined {
  return providers.get(type);
}

export function providerTypes(): string[] {
  return [...providers.keys()].sort();
}

/**
 * AWS types a template may name that have no provider registered in this process (not served yet, or their
 * service's module not loaded, as in unit tests): they fail with "does not support … yet" rather than as unknown.
 */
export const COMING_TYPES = new Set([
  'AWS::EC2::Instance',
  'AWS::EC2::LaunchTemplate',
  'AWS::EC2::Volume',
  'AWS::EC2::VolumeAttachment',
  'AWS::AutoScaling::AutoScalingGroup',
  'AWS::AutoScaling::LaunchConfiguration',
  'AWS::AutoScaling::ScalingPolicy',
  'AWS::AutoScaling::LifecycleHook',
  'AWS::CloudWatch::Alarm',
]);
