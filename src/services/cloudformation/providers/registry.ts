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
 * Types the issues of other services will bring (instances, Auto Scaling, alarms): a template using them fails
 * with this reason until their provider is registered, never silently.
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
