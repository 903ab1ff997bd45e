import { stsErrors } from './errors.js';
import { roleSessionPrincipal, type Principal } from '../../auth/credentials.js';
import type { Cloud } from '../../cloud.js';
import { findInstanceProfile } from '../iam/instance-profiles.js';
import { wholeSeconds } from '../iam/ids.js';
import { findRole } from '../iam/roles.js';
import { trustAllows } from './assume-role.js';

/** Credentials the metadata service hands to an instance for its profile's role (iam/security-credentials/<role>). */
export interface InstanceRoleCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  Token: string;
  /** ISO 8601 without milliseconds, as the metadata service prints it. */
  Expiration: string;
  LastUpdated: string;
  roleName: string;
}

const LIFETIME_MS = 6 * 60 * 60 * 1000;
const REFRESH_BEFORE_MS = 15 * 60 * 1000;

interface InstanceSession {
  accessKeyId: string;
  roleArn: string;
  issuedAt: number;
}

const sessions = (cloud: Cloud) => cloud.store.table<InstanceSession>('sts.instanceSession');
const imdsTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Temporary credentials of the role in an instance profile, for the instance `instanceId` (its session name).
 * Unexpired credentials are reused until less than 15 minutes remain; then a new 6-hour set is issued (on the
 * cloud's clock). Fails when the profile or its role is gone, or the role does not trust ec2.amazonaws.com.
 */
export function instanceRoleCredentials(cloud: Cloud, instanceProfileArnOrName: string, instanceId: string): InstanceRoleCredentials {
  const profile = findInstanceProfile(cloud, instanceProfileArnOrName);
  if (!profile) throw stsErrors.instanceProfileNotFound(instanceProfileArnOrName);
  const role = profile.RoleNames.length ? findRole(cloud, profile.RoleNames[0]) : undefined;
  if (!role) throw stsErrors.instanceProfileWithoutRole(profile.InstanceProfileName);
  if (!trustAllows(role, { service: 'ec2.amazonaws.com' })) {
    throw stsErrors.roleDoesNotTrustEc2(role.Arn);
  }

  const now = wholeSeconds(cloud.clock.now());
  const previous = sessions(cloud).get('global', instanceId);
  const key = previous && previous.roleArn === role.Arn ? cloud.credentials.find(previous.accessKeyId) : undefined;
  if (previous && key && key.sessionToken && key.expiration !== undefined && key.expiration - now >= REFRESH_BEFORE_MS) {
    return {
      AccessKeyId: key.accessKeyId,
      SecretAccessKey: key.secretAccessKey,
      Token: key.sessionToken,
      Expiration: imdsTime(key.expiration),
      LastUpdated: imdsTime(previous.issuedAt),
      roleName: role.RoleName,
    };
  }

  const principal: Principal = roleSessionPrincipal(cloud.accountId, role, instanceId);
  const issued = cloud.credentials.issueTemporary(principal, LIFETIME_MS, now);
  sessions(cloud).put('global', instanceId, { accessKeyId: issued.accessKeyId, roleArn: role.Arn, issuedAt: now });
  return {
    AccessKeyId: issued.accessKeyId,
    SecretAccessKey: issued.secretAccessKey,
    Token: issued.sessionToken ?? '',
    Expiration: imdsTime(issued.expiration ?? now + LIFETIME_MS),
    LastUpdated: imdsTime(now),
    roleName: role.RoleName,
  };
}
