import type { OperationsTable, ServiceFactory } from '../types.js';
import type { AutoscalingOperations } from './generated/types.js';
import { describeScalingActivities } from './activities.js';
import { groupArns } from './authorization.js';
import {
  attachInstances,
  detachInstances,
  enterStandby,
  exitStandby,
  setDesiredCapacity,
  setInstanceHealth,
  setInstanceProtection,
  terminateInstanceInAutoScalingGroup,
} from './capacity.js';
import { GroupController, type ControllerOptions } from './controller.js';
import { GROUP_CHANGED } from './events.js';
import { describeMetricCollectionTypes, disableMetricsCollection, enableMetricsCollection, startGroupMetrics } from './group-metrics.js';
import {
  createAutoScalingGroup,
  deleteAutoScalingGroup,
  describeAutoScalingGroups,
  describeAutoScalingInstances,
  updateAutoScalingGroup,
} from './groups.js';
import { createLaunchConfiguration, deleteLaunchConfiguration, describeLaunchConfigurations } from './launch-configurations.js';
import {
  deleteNotificationConfiguration,
  describeAutoScalingNotificationTypes,
  describeNotificationConfigurations,
  putNotificationConfiguration,
} from './notifications.js';
import {
  describeAccountLimits,
  describeAdjustmentTypes,
  describeLifecycleHookTypes,
  describeScalingProcessTypes,
  describeTerminationPolicyTypes,
  resumeProcesses,
  suspendProcesses,
} from './processes.js';
import { createOrUpdateTags, deleteTags, describeTags } from './tags.js';
import { cancelInstanceRefresh, describeInstanceRefreshes, rollbackInstanceRefresh, startInstanceRefresh } from './instance-refresh.js';
import {
  completeLifecycleAction,
  deleteLifecycleHook,
  describeLifecycleHooks,
  putLifecycleHook,
  recordLifecycleActionHeartbeat,
} from './lifecycle-hooks.js';
import { deletePolicy, describePolicies, executePolicy, putScalingPolicy } from './policies.js';
import {
  batchDeleteScheduledAction,
  batchPutScheduledUpdateGroupAction,
  deleteScheduledAction,
  describeScheduledActions,
  putScheduledUpdateGroupAction,
} from './scheduled-actions.js';
import { deleteWarmPool, describeWarmPool, putWarmPool } from './warm-pools.js';
import './cfn/LifecycleHook.js';
import './cfn/ScalingPolicy.js';
import './cfn/ScheduledAction.js';
import './cfn/WarmPool.js';

/** Amazon EC2 Auto Scaling (awsQuery), with its controller on the cloud's clock. Tests may hand the controller their own fleet. */
export const autoscalingServiceWith =
  (opts: ControllerOptions = {}): ServiceFactory =>
  (cloud) => {
    const controller = new GroupController(cloud, opts);
    const poke = () => controller.poke();
    cloud.events.on(GROUP_CHANGED, poke);
    controller.start();
    const stopMetrics = startGroupMetrics(cloud);
    cloud.onShutdown(async () => {
      stopMetrics();
      cloud.events.off(GROUP_CHANGED, poke);
      await controller.stop();
    });
    return {
      signingName: 'autoscaling',
      modelId: 'autoscaling-2011-01-01',
      resourceArns: groupArns,
      operations: {
        CreateLaunchConfiguration: createLaunchConfiguration,
        DescribeLaunchConfigurations: describeLaunchConfigurations,
        DeleteLaunchConfiguration: deleteLaunchConfiguration,
        CreateAutoScalingGroup: createAutoScalingGroup,
        UpdateAutoScalingGroup: updateAutoScalingGroup,
        DeleteAutoScalingGroup: deleteAutoScalingGroup,
        DescribeAutoScalingGroups: describeAutoScalingGroups,
        DescribeAutoScalingInstances: describeAutoScalingInstances,
        SetDesiredCapacity: setDesiredCapacity,
        SetInstanceHealth: setInstanceHealth,
        TerminateInstanceInAutoScalingGroup: terminateInstanceInAutoScalingGroup,
        AttachInstances: attachInstances,
        DetachInstances: detachInstances,
        EnterStandby: enterStandby,
        ExitStandby: exitStandby,
        SetInstanceProtection: setInstanceProtection,
        SuspendProcesses: suspendProcesses,
        ResumeProcesses: resumeProcesses,
        DescribeScalingProcessTypes: describeScalingProcessTypes,
        DescribeScalingActivities: describeScalingActivities,
        CreateOrUpdateTags: createOrUpdateTags,
        DeleteTags: deleteTags,
        DescribeTags: describeTags,
        DescribeAccountLimits: describeAccountLimits,
        DescribeAutoScalingNotificationTypes: describeAutoScalingNotificationTypes,
        PutNotificationConfiguration: putNotificationConfiguration,
        DescribeNotificationConfigurations: describeNotificationConfigurations,
        DeleteNotificationConfiguration: deleteNotificationConfiguration,
        DescribeTerminationPolicyTypes: describeTerminationPolicyTypes,
        DescribeAdjustmentTypes: describeAdjustmentTypes,
        DescribeLifecycleHookTypes: describeLifecycleHookTypes,
        DescribeMetricCollectionTypes: describeMetricCollectionTypes,
        EnableMetricsCollection: enableMetricsCollection,
        DisableMetricsCollection: disableMetricsCollection,
        PutLifecycleHook: putLifecycleHook,
        DescribeLifecycleHooks: describeLifecycleHooks,
        DeleteLifecycleHook: deleteLifecycleHook,
        CompleteLifecycleAction: completeLifecycleAction,
        RecordLifecycleActionHeartbeat: recordLifecycleActionHeartbeat,
        PutWarmPool: putWarmPool,
        DescribeWarmPool: describeWarmPool,
        DeleteWarmPool: deleteWarmPool,
        StartInstanceRefresh: startInstanceRefresh,
        DescribeInstanceRefreshes: describeInstanceRefreshes,
        CancelInstanceRefresh: cancelInstanceRefresh,
        RollbackInstanceRefresh: rollbackInstanceRefresh,
        PutScalingPolicy: putScalingPolicy,
        DescribePolicies: describePolicies,
        DeletePolicy: deletePolicy,
        ExecutePolicy: executePolicy,
        PutScheduledUpdateGroupAction: putScheduledUpdateGroupAction,
        BatchPutScheduledUpdateGroupAction: batchPutScheduledUpdateGroupAction,
        BatchDeleteScheduledAction: batchDeleteScheduledAction,
        DeleteScheduledAction: deleteScheduledAction,
        DescribeScheduledActions: describeScheduledActions,
      } satisfies OperationsTable<AutoscalingOperations>,
    };
  };

export const autoscalingService: ServiceFactory = autoscalingServiceWith();
