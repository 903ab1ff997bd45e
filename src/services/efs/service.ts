import './cfn/access-point.js';
import './cfn/file-system.js';
import './cfn/mount-target.js';
import { runtimeOf } from '../../runtime/runtime.js';
import type { OperationsTable, ServiceFactory } from '../types.js';
import type { ElasticfilesystemOperations } from './generated/types.js';
import { efsNameProvider } from './dns-names.js';
import { createAccessPoint, deleteAccessPoint, describeAccessPoints } from './access-points.js';
import { createFileSystem, deleteFileSystem, describeFileSystems, updateFileSystem } from './file-systems.js';
import {
  createMountTarget,
  deleteMountTarget,
  describeMountTargets,
  describeMountTargetSecurityGroups,
  modifyMountTargetSecurityGroups,
} from './mount-targets.js';
import { mountAccess } from './mount-access.js';
import * as policies from './policies.js';
import { accessPoints, mountTargets } from './state.js';
import { createTags, deleteTags, describeTags, listTagsForResource, tagResource, untagResource } from './tags.js';

/** Amazon EFS (REST-JSON, signing name `elasticfilesystem`). The data path is the runtime's (src/runtime/README.md). */
export const efsService: ServiceFactory = (cloud) => {
  runtimeOf(cloud).addNameProvider(efsNameProvider(cloud));
  runtimeOf(cloud).efs.setHooks({
    mountTargets: (region) =>
      region === undefined
        ? mountTargets(cloud)
            .listAll()
            .map(({ scope, value }) => ({ region: scope, mountTarget: value }))
        : mountTargets(cloud)
            .list(region)
            .map((mountTarget) => ({ region, mountTarget })),
    accessPoint: (region, accessPointId) => accessPoints(cloud).get(region, accessPointId),
    accessPoints: (region, fileSystemId) =>
      accessPoints(cloud)
        .list(region)
        .filter((ap) => ap.FileSystemId === fileSystemId),
    authorize: (region, question) => mountAccess(cloud, region, question),
  });
  return {
    signingName: 'elasticfilesystem',
    modelId: 'elasticfilesystem-2015-02-01',
    resourceArns: policies.fileSystemArns,
    resourcePolicy: policies.fileSystemResourcePolicy,
    operations: {
      CreateFileSystem: createFileSystem,
      DescribeFileSystems: describeFileSystems,
      UpdateFileSystem: updateFileSystem,
      DeleteFileSystem: deleteFileSystem,
      CreateMountTarget: createMountTarget,
      DescribeMountTargets: describeMountTargets,
      DescribeMountTargetSecurityGroups: describeMountTargetSecurityGroups,
      ModifyMountTargetSecurityGroups: modifyMountTargetSecurityGroups,
      DeleteMountTarget: deleteMountTarget,
      CreateAccessPoint: createAccessPoint,
      DescribeAccessPoints: describeAccessPoints,
      DeleteAccessPoint: deleteAccessPoint,
      PutLifecycleConfiguration: policies.putLifecycleConfiguration,
      DescribeLifecycleConfiguration: policies.describeLifecycleConfiguration,
      PutBackupPolicy: policies.putBackupPolicy,
      DescribeBackupPolicy: policies.describeBackupPolicy,
      PutFileSystemPolicy: policies.putFileSystemPolicy,
      DescribeFileSystemPolicy: policies.describeFileSystemPolicy,
      DeleteFileSystemPolicy: policies.deleteFileSystemPolicy,
      TagResource: tagResource,
      UntagResource: untagResource,
      ListTagsForResource: listTagsForResource,
      CreateTags: createTags,
      DeleteTags: deleteTags,
      DescribeTags: describeTags,
    } satisfies OperationsTable<ElasticfilesystemOperations>,
  };
};
