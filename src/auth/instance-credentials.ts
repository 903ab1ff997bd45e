import type { Cloud } from '../cloud.js';
import { liveKey } from '../store/live.js';

/** Temporary credentials of an instance profile's role, as the metadata service hands them to the instance. */
export interface InstanceCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  Token: string;
  /** ISO 8601 without milliseconds, as the metadata service prints it. */
  Expiration: string;
}

/**
 * Where the metadata service gets an instance's role credentials: STS implements it and registers it with each cloud
 * it serves (registerInstanceCredentials), so EC2 neither imports STS nor reads IAM's records. It throws the service's
 * error when the profile or its role is gone, or the role does not trust EC2.
 */
export type InstanceCredentialSource = (instanceProfileArnOrName: string, instanceId: string) => InstanceCredentials;

const SOURCE = liveKey('auth.instanceCredentials', () => ({ source: undefined as InstanceCredentialSource | undefined }));

export function registerInstanceCredentials(cloud: Cloud, source: InstanceCredentialSource): void {
  cloud.live.get(SOURCE).source = source;
}

/** The instance's role credentials; undefined in a cloud without STS. */
export function instanceCredentials(cloud: Cloud, instanceProfileArnOrName: string, instanceId: string): InstanceCredentials | undefined {
  return cloud.live.get(SOURCE).source?.(instanceProfileArnOrName, instanceId);
}
