import type { Cloud } from '../../cloud.js';

export interface Tag {
  Key: string;
  Value: string;
}

/** A role as stored: documents kept as the caller sent them (IAM returns them URL-encoded). */
export interface RoleRecord {
  RoleName: string;
  RoleId: string;
  Arn: string;
  Path: string;
  CreateDate: string;
  AssumeRolePolicyDocument: string;
  Description?: string;
  MaxSessionDuration: number;
  PermissionsBoundaryArn?: string;
  Tags: Tag[];
  /** Inline policies: name → document text, in the order they were put. */
  InlinePolicies: Record<string, string>;
  /** ARNs of attached managed policies, in attachment order. */
  AttachedPolicyArns: string[];
  LastUsedDate?: string;
  LastUsedRegion?: string;
}

export interface PolicyVersionRecord {
  VersionId: string;
  Document: string;
  CreateDate: string;
}

export interface ManagedPolicyRecord {
  PolicyName: string;
  PolicyId: string;
  Arn: string;
  Path: string;
  Description?: string;
  CreateDate: string;
  UpdateDate: string;
  DefaultVersionId: string;
  Versions: PolicyVersionRecord[];
  /** The number the next version gets (IAM never reuses version numbers). */
  NextVersion: number;
  Tags: Tag[];
}

export interface InstanceProfileRecord {
  InstanceProfileName: string;
  InstanceProfileId: string;
  Arn: string;
  Path: string;
  CreateDate: string;
  /** At most one role (IAM's quota); by name. */
  RoleNames: string[];
  Tags: Tag[];
}

export const GLOBAL = 'global';

/** IAM names are unique without regard to case, so records are keyed by the lower-cased name (or ARN). */
export const keyOf = (name: string) => name.toLowerCase();

export const roles = (cloud: Cloud) => cloud.store.table<RoleRecord>('iam.role');
export const managedPolicies = (cloud: Cloud) => cloud.store.table<ManagedPolicyRecord>('iam.policy');
export const instanceProfiles = (cloud: Cloud) => cloud.store.table<InstanceProfileRecord>('iam.instanceProfile');
