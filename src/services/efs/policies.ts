import { requestConditionContext } from '../../auth/policy/authorize.js';
import { parsePolicy, PolicySyntaxError, type PolicyDocument } from '../../auth/policy/document.js';
import { evaluate } from '../../auth/policy/evaluate.js';
import { decideWithResourcePolicy, principalIdentities } from '../../auth/policy/resource-policies.js';
import type { RequestContext } from '../types.js';
import { efsErrors } from './errors.js';
import { findFileSystem } from './file-systems.js';
import { fileSystemArn, fileSystems } from './state.js';

/** The storage-class transitions EFS accepts after a number of days without access (to IA and to Archive alike). */
const AFTER_DAYS = [
  'AFTER_1_DAY',
  'AFTER_7_DAYS',
  'AFTER_14_DAYS',
  'AFTER_30_DAYS',
  'AFTER_60_DAYS',
  'AFTER_90_DAYS',
  'AFTER_180_DAYS',
  'AFTER_270_DAYS',
  'AFTER_365_DAYS',
];
const TRANSITIONS: Record<string, string[]> = {
  TransitionToIA: AFTER_DAYS,
  TransitionToArchive: AFTER_DAYS,
  TransitionToPrimaryStorageClass: ['AFTER_1_ACCESS'],
};

export function putLifecycleConfiguration(
  input: { FileSystemId: string; LifecyclePolicies: Array<Record<string, string>> },
  ctx: RequestContext,
) {
  const fs = findFileSystem(ctx, input.FileSystemId);
  const seen = new Set<string>();
  for (const policy of input.LifecyclePolicies) {
    const keys = Object.keys(policy);
    if (keys.length !== 1) throw efsErrors.badRequest('Each lifecycle policy must contain exactly one transition.');
    const [key] = keys;
    if (seen.has(key)) throw efsErrors.badRequest(`The lifecycle configuration contains ${key} more than once.`);
    seen.add(key);
    if (!TRANSITIONS[key].includes(policy[key]))
      throw efsErrors.badRequest(`Invalid value '${policy[key]}' for ${key}. Valid values are: ${TRANSITIONS[key].join(', ')}.`);
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
  if (status !== 'ENABLED' && status !== 'DISABLED')
    throw efsErrors.validation(`Invalid backup policy status '${status}'. Valid values are: ENABLED, DISABLED.`);
  fileSystems(ctx.cloud).put(ctx.region, fs.FileSystemId, { ...fs, BackupStatus: status });
  return { BackupPolicy: { Status: status } };
}

export function describeBackupPolicy(input: { FileSystemId: string }, ctx: RequestContext) {
  const fs = findFileSystem(ctx, input.FileSystemId);
  if (!fs.BackupStatus) throw efsErrors.policyNotFound(fs.FileSystemId);
  return { BackupPolicy: { Status: fs.BackupStatus } };
}

/** EFS's limit on a file system policy's length. */
const POLICY_LIMIT = 20_000;

/** The file system a request names, as the ARN its policy and identity policies are checked against. */
export function fileSystemArns(ctx: RequestContext, input: Record<string, unknown>): string[] | undefined {
  const id = typeof input.FileSystemId === 'string' ? input.FileSystemId : undefined;
  return id ? [fileSystemArn(ctx.region, ctx.accountId, id)] : undefined;
}

/** The file system policy, for EFS API calls by principals (file system policies govern both API and clients). */
export function fileSystemResourcePolicy(ctx: RequestContext, arn: string): PolicyDocument | undefined {
  const fs = fileSystems(ctx.cloud).get(ctx.region, arn.slice(arn.lastIndexOf('/') + 1));
  return fs?.Policy ? (JSON.parse(fs.Policy) as PolicyDocument) : undefined;
}

/**
 * Whether the policy would keep the caller from putting a policy on this file system again: its identity policies
 * and the new policy together no longer allow elasticfilesystem:PutFileSystemPolicy (for the cloud's admin, whose
 * identity allows everything, an explicit deny that names it).
 */
function locksOut(ctx: RequestContext, doc: PolicyDocument, arn: string): boolean {
  const action = 'elasticfilesystem:PutFileSystemPolicy';
  // AWS's API endpoints speak only TLS: a future PutFileSystemPolicy is judged as such (halo's own endpoint is plain HTTP).
  const context = { ...requestConditionContext(ctx), 'aws:SecureTransport': 'true' };
  if (ctx.principal.type === 'admin') {
    return evaluate([doc], { action, resource: arn, principal: { aws: principalIdentities(ctx.principal) }, context }) === 'ExplicitDeny';
  }
  return decideWithResourcePolicy(ctx, action, arn, doc, context).decision !== 'Allow';
}

/** Mounted clients are judged again by the new policy: the data path updates what its NFS servers grant at once. */
function policyChanged(ctx: RequestContext, fileSystemId: string): void {
  ctx.cloud.events.emit('efs.fileSystemPolicyChanged', { region: ctx.region, fileSystemId });
}

export function putFileSystemPolicy(
  input: { FileSystemId: string; Policy: string; BypassPolicyLockoutSafetyCheck?: boolean },
  ctx: RequestContext,
) {
  const fs = findFileSystem(ctx, input.FileSystemId);
  if (input.Policy.length > POLICY_LIMIT) throw efsErrors.invalidPolicy(`The policy is longer than ${POLICY_LIMIT} characters.`);
  let doc: PolicyDocument;
  try {
    doc = parsePolicy(input.Policy, 'resource');
  } catch (err) {
    if (err instanceof PolicySyntaxError) throw efsErrors.invalidPolicy(err.message);
    throw err;
  }
  const arn = fileSystemArn(ctx.region, fs.OwnerId, fs.FileSystemId);
  if (!input.BypassPolicyLockoutSafetyCheck && locksOut(ctx, doc, arn)) {
    throw efsErrors.invalidPolicy(
      'The policy would prevent the principal making this request from making future PutFileSystemPolicy requests on this ' +
        'file system. Set BypassPolicyLockoutSafetyCheck to put it anyway.',
    );
  }
  fileSystems(ctx.cloud).put(ctx.region, fs.FileSystemId, { ...fs, Policy: input.Policy });
  policyChanged(ctx, fs.FileSystemId);
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
  policyChanged(ctx, fs.FileSystemId);
  return {};
}
