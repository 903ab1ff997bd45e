import type { ResourceProvider } from './types.js';

const providers = new Map<string, ResourceProvider>();

/**
 * Makes a resource type available to templates. A provider's module calls it when it loads, and its service's module
 * imports it (so a type exists exactly when its service does); the engine finds providers only here. Registering
 * the same type twice replaces the earlier provider (last one wins).
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

/** The resource namespaces (`AWS::<namespace>::...`) of the services halo serves. */
const SERVED_NAMESPACES = new Set(['EC2', 'IAM', 'SSM', 'CloudWatch', 'AutoScaling', 'EFS', 'SecretsManager']);

/**
 * Whether a type without a provider belongs to a service halo serves: a type it does not serve yet (AWS::EC2::Volume),
 * or one whose service's module this process has not loaded (a unit test with only some services). Such a type fails
 * with "does not support ... yet" rather than as unknown.
 */
export function servedNamespace(type: string): boolean {
  const [aws, namespace] = type.split('::');
  return aws === 'AWS' && SERVED_NAMESPACES.has(namespace);
}
