import type { Principal } from '../../auth/credentials.js';
import type { ConditionContext } from '../../auth/policy/conditions.js';
import type { PolicyDocument } from '../../auth/policy/document.js';
import { ANONYMOUS, decideResourcePolicyOnly, decideWithResourcePolicy } from '../../auth/policy/resource-policies.js';
import type { Cloud } from '../../cloud.js';
import { accessPointArn, fileSystemArn, fileSystems } from './state.js';

/** What an NFS client asks for when it mounts, as the EFS mount helper presents it. */
export interface MountRequest {
  instanceId: string;
  fileSystemId: string;
  accessPointId?: string;
  /** `-o iam`: the client signs in as the instance's role (its profile's), else it is anonymous. */
  iam: boolean;
  /** `-o tls`: aws:SecureTransport. */
  tls: boolean;
}

/** What the mount may do; `refusal` when the client cannot even ask (no credentials for `iam`). */
export interface MountAccess {
  mount: boolean;
  write: boolean;
  root: boolean;
  refusal?: string;
}

const ACTIONS = {
  mount: 'elasticfilesystem:ClientMount',
  write: 'elasticfilesystem:ClientWrite',
  root: 'elasticfilesystem:ClientRootAccess',
} as const;

/**
 * The policy in effect when none was put: full access for any client that reaches a mount target, anonymous or not
 * (DescribeFileSystemPolicy answers PolicyNotFound meanwhile).
 */
const DEFAULT_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: Object.values(ACTIONS), Resource: '*' }],
};

/** The efs-utils words when `iam` finds no credentials (the instance has no profile, or its profile no role). */
const NO_CREDENTIALS =
  'AWS Access Key ID and Secret Access Key are not found in AWS credentials file (~/.aws/credentials), config file ' +
  '(~/.aws/config), from ECS credentials relative uri, or from the instance security credentials service';

/** The role session an instance's credentials stand for: its profile's role, named after the instance. */
async function instanceSession(cloud: Cloud, region: string, instanceId: string): Promise<Principal | undefined> {
  const described = await cloud.invoke('ec2', 'DescribeInstances', { InstanceIds: [instanceId] }, { region });
  const profileArn: string | undefined = described.Reservations?.[0]?.Instances?.[0]?.IamInstanceProfile?.Arn;
  if (!profileArn) return undefined;
  const name = profileArn.slice(profileArn.lastIndexOf('/') + 1);
  const profile = await cloud.invoke('iam', 'GetInstanceProfile', { InstanceProfileName: name }, { region }).catch(() => undefined);
  const role = profile?.InstanceProfile?.Roles?.[0] as { RoleName: string; Arn: string; RoleId: string } | undefined;
  if (!role) return undefined;
  return {
    type: 'assumed-role',
    accountId: cloud.accountId,
    arn: `arn:aws:sts::${cloud.accountId}:assumed-role/${role.RoleName}/${instanceId}`,
    userId: `${role.RoleId}:${instanceId}`,
    roleArn: role.Arn,
    roleName: role.RoleName,
  };
}

/**
 * EFS's authorization of an NFS client at mount: the file system policy (or the default one) with, for `iam`
 * clients, the role's identity-based policies, for ClientMount, ClientWrite and ClientRootAccess. Only the condition
 * keys EFS enforces for clients are known: aws:SecureTransport, elasticfilesystem:AccessPointArn and
 * elasticfilesystem:AccessedViaMountTarget (aws:SourceIp applies to public addresses only, which a mount never has).
 */
export async function mountAccess(cloud: Cloud, region: string, ask: MountRequest): Promise<MountAccess> {
  const fs = fileSystems(cloud).get(region, ask.fileSystemId);
  const full = { mount: true, write: true, root: true };
  if (!fs) return full;
  const resource = fileSystemArn(region, fs.OwnerId, fs.FileSystemId);
  const context: ConditionContext = { 'aws:SecureTransport': String(ask.tls), 'elasticfilesystem:AccessedViaMountTarget': 'true' };
  if (ask.accessPointId) context['elasticfilesystem:AccessPointArn'] = accessPointArn(region, fs.OwnerId, ask.accessPointId);
  const policy = fs.Policy ? (JSON.parse(fs.Policy) as PolicyDocument) : DEFAULT_POLICY;
  let allowed: (action: string) => boolean;
  if (ask.iam) {
    const principal = await instanceSession(cloud, region, ask.instanceId);
    if (!principal) return { mount: false, write: false, root: false, refusal: NO_CREDENTIALS };
    allowed = (action) => decideWithResourcePolicy({ cloud, principal }, action, resource, policy, context).decision === 'Allow';
  } else {
    allowed = (action) => decideResourcePolicyOnly(policy, action, resource, ANONYMOUS, context) === 'Allow';
  }
  return { mount: allowed(ACTIONS.mount), write: allowed(ACTIONS.write), root: allowed(ACTIONS.root) };
}
