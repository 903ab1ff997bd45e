import type { OperationsTable, ServiceFactory } from '../types.js';
import type { IamOperations } from './generated/types.js';
// Registers the AWS::IAM::* CloudFormation providers.
import './cfn.js';
import * as profiles from './instance-profiles.js';
import * as managed from './managed-policies.js';
import { iamResourceArns, registerIamPolicies } from './principal-policies.js';
import { deleteRolePermissionsBoundary, putRolePermissionsBoundary } from './role-boundary.js';
import * as inline from './role-policies.js';
import * as roles from './roles.js';
import { simulateCustomPolicy, simulatePrincipalPolicy } from './simulate.js';

export const iamService: ServiceFactory = (cloud) => {
  // Policy evaluation (src/auth/policy) gets principals' policies from IAM through this.
  registerIamPolicies(cloud);
  return {
    signingName: 'iam',
    modelId: 'iam-2010-05-08',
    global: true,
    resourceArns: iamResourceArns,
    operations: {
      CreateRole: roles.createRole,
      GetRole: roles.getRole,
      ListRoles: roles.listRoles,
      DeleteRole: roles.deleteRole,
      UpdateAssumeRolePolicy: roles.updateAssumeRolePolicy,
      UpdateRole: roles.updateRole,
      UpdateRoleDescription: roles.updateRoleDescription,
      TagRole: roles.tagRole,
      UntagRole: roles.untagRole,
      ListRoleTags: roles.listRoleTags,
      PutRolePermissionsBoundary: putRolePermissionsBoundary,
      DeleteRolePermissionsBoundary: deleteRolePermissionsBoundary,

      PutRolePolicy: inline.putRolePolicy,
      GetRolePolicy: inline.getRolePolicy,
      ListRolePolicies: inline.listRolePolicies,
      DeleteRolePolicy: inline.deleteRolePolicy,

      CreatePolicy: managed.createPolicy,
      GetPolicy: managed.getPolicy,
      ListPolicies: managed.listPolicies,
      DeletePolicy: managed.deletePolicy,
      GetPolicyVersion: managed.getPolicyVersion,
      ListPolicyVersions: managed.listPolicyVersions,
      CreatePolicyVersion: managed.createPolicyVersion,
      SetDefaultPolicyVersion: managed.setDefaultPolicyVersion,
      DeletePolicyVersion: managed.deletePolicyVersion,
      AttachRolePolicy: managed.attachRolePolicy,
      DetachRolePolicy: managed.detachRolePolicy,
      ListAttachedRolePolicies: managed.listAttachedRolePolicies,
      ListEntitiesForPolicy: managed.listEntitiesForPolicy,
      TagPolicy: managed.tagPolicy,
      UntagPolicy: managed.untagPolicy,
      ListPolicyTags: managed.listPolicyTags,

      CreateInstanceProfile: profiles.createInstanceProfile,
      GetInstanceProfile: profiles.getInstanceProfile,
      AddRoleToInstanceProfile: profiles.addRoleToInstanceProfile,
      RemoveRoleFromInstanceProfile: profiles.removeRoleFromInstanceProfile,
      DeleteInstanceProfile: profiles.deleteInstanceProfile,
      ListInstanceProfiles: profiles.listInstanceProfiles,
      ListInstanceProfilesForRole: profiles.listInstanceProfilesForRole,
      TagInstanceProfile: profiles.tagInstanceProfile,
      UntagInstanceProfile: profiles.untagInstanceProfile,
      ListInstanceProfileTags: profiles.listInstanceProfileTags,

      SimulateCustomPolicy: simulateCustomPolicy,
      SimulatePrincipalPolicy: simulatePrincipalPolicy,
    } satisfies OperationsTable<IamOperations>,
  };
};
