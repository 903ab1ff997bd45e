import type { RequestContext } from '../types.js';
import { efsErrors } from './errors.js';
import { findFileSystem } from './file-systems.js';
import { fileSystems } from './state.js';

const TRANSITIONS: Record<string, string[]> = {
  TransitionToIA: ['AFTER_1_DAY', 'AFTER_7_DAYS', 'AFTER_14_DAYS', 'AFTER_30_DAYS', 'AFTER_60_DAYS', 'AFTER_90_DAYS', 'AFTER_180_DAYS', 'AFTER_270_DAYS', 'AFTER_365_DAYS'],
  TransitionToArchive: ['AFTER_1_DAY', 'AFTER_7_DAYS', 'AFTER_14_DAYS', 'AFTER_30_DAYS', 'AFTER_60_DAYS', 'AFTER_90_DAYS', 'AFTER_180_DAYS', 'AFTER_270_DAYS', 'AFTER_365_DAYS'],
  TransitionToPrimaryStorageClass: ['AFTER_1_ACCESS'],
};

export function putLifecycleConfiguration(input: { FileSystemId: string; LifecyclePolicies: Array<Record<string, string>> }, ctx: RequestContext) {
  const fs = findFileSystem(ctx, input.FileSystemId);
  const seen = new Set<string>();
  for (const policy of input.LifecyclePolicies) {
    const keys = Object.keys(policy);
    if (keys.length !== 1) throw efsErrors.badRequest('Each lifecycle policy must contain exactly one transition.');
    const [key] = keys;
    if (seen.has(key)) throw efsErrors.badRequest(`The lifecycle configuration contains ${key} more than once.`);
    seen.add(key);
    if (!TRANSITIONS[key].includes(policy[key])) throw efsErrors.badRequest(`Invalid value '${policy[key]}' for ${key}. Valid values are: ${TRANSITIONS[key].join(', ')}.`);
  }
  fileSystems(ctx.cloud).put(ctx.region, fs.FileSystemId, { ...fs, LifecyclePolicies: input.LifecyclePolicies });
  return { LifecyclePolicies: input.LifecyclePolicies };
}

export function describeLifecycleConfiguration(input: { FileSystemId: string }, ctx: RequestContext) {
  return { LifecyclePolicies: findFileSystem(ctx, input.FileSystemId).LifecyclePolicies };
}

export function putBackupPolicy(input: { FileSystemId: string; BackupPolicy: { Status: string } }, ctx: RequestContext) {
  const fs = findFileSystem(ctx, input.FileSystemId);
  const status = input.BackupPolicy.Status;
  if (status !== 'ENABLED' && status !== 'DISABLED') throw efsErrors.validation(`Invalid backup policy status '${status}'. Valid values are: ENABLED, DISABLED.`);
  fileSystems(ctx.cloud).put(ctx.region, fs.FileSystemId, { ...fs, BackupStatus: status });
  return { BackupPolicy: { Status: status } };
}

export function describeBackupPolicy(input: { FileSystemId: string }, ctx: RequestContext) {
  const fs = findFileSystem(ctx, input.FileSystemId);
  if (!fs.BackupStatus) throw efsErrors.policyNotFound(fs.FileSystemId);
  return { BackupPolicy: { Status: fs.BackupStatus } };
}

export function putFileSystemPolicy(input: { FileSystemId: string; Policy: string; BypassPolicyLockoutSafetyCheck?: boolean }, ctx: RequestContext) {
  const fs = findFileSystem(ctx, input.FileSystemId);
  let doc: unknown;
  try {
    doc = JSON.parse(input.Policy);
  } catch {
    throw efsErrors.invalidPolicy('The policy is not valid JSON.');
  }
  const statements = (doc as { Statement?: unknown } | null)?.Statement;
  if (typeof doc !== 'object' || doc === null || statements === undefined) throw efsErrors.invalidPolicy('The policy must be a JSON object with a Statement.');
  fileSystems(ctx.cloud).put(ctx.region, fs.FileSystemId, { ...fs, Policy: input.Policy });
  return { FileSystemId: fs.FileSystemId, Policy: input.Policy };
}

export function describeFileSystemPolicy(input: { FileSystemId: string }, ctx: RequestContext) {
  const fs = findFileSystem(ctx, input.FileSystemId);
  if (fs.Policy === undefined) throw efsErrors.policyNotFound(fs.FileSystemId);
  return { FileSystemId: fs.FileSystemId, Policy: fs.Policy };
}

export function deleteFileSystemPolicy(input: { FileSystemId: string }, ctx: RequestContext) {
  const fs = findFileSystem(ctx, input.FileSystemId);
  fileSystems(ctx.cloud).put(ctx.region, fs.FileSystemId, { ...fs, Policy: undefined });
  return {};
}
