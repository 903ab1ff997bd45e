/**
 * Timing profiles: how long AWS takes for each step, in AWS milliseconds. The clock's time scale then
 * compresses these for drills and tests. Every figure of `aws-typical` names where it comes from.
 */
export interface TimingProfile {
  name: string;
  description: string;
  /** Milliseconds of AWS time per step. */
  steps: Record<TimingStep, number>;
}

export type TimingStep =
  | 'instancePendingToRunning'
  | 'instanceStoppingToStopped'
  | 'instanceShuttingDownToTerminated'
  | 'statusCheckInterval'
  | 'metricPublishDelay'
  | 'recoveryToRunning'
  | 'imagePendingToAvailable'
  | 'autoScalingCheckInterval'
  | 'volumeCreatingToAvailable'
  | 'volumeAttaching'
  | 'volumeDetaching'
  | 'volumeDeleting'
  | 'snapshotPendingToCompleted'
  | 'fileSystemCreating'
  | 'mountTargetCreating';

export const TIMING_SOURCES: Record<TimingStep, string> = {
  instancePendingToRunning:
    'EC2 instance launch: typically 30-60 s from RunInstances to running for EBS-backed Linux (AWS EC2 User Guide, instance lifecycle; common measurements)',
  instanceStoppingToStopped: 'EBS-backed instance stop: usually under a minute (EC2 User Guide, stop and start)',
  instanceShuttingDownToTerminated: 'Termination: shutting-down usually lasts well under a minute (EC2 User Guide, terminate)',
  statusCheckInterval: 'Amazon EC2 performs automated status checks every minute (EC2 User Guide, status checks)',
  metricPublishDelay: 'Status check metrics are sent to CloudWatch at 1-minute frequency (EC2 User Guide, status check metrics)',
  recoveryToRunning:
    'Simplified/alarm recovery: the instance is migrated and rebooted; AWS in Action measures the whole recovery at about 10 minutes incl. alarm delay',
  imagePendingToAvailable: 'CreateImage of a small EBS root volume: a few minutes (EC2 User Guide, create an EBS-backed AMI)',
  autoScalingCheckInterval:
    'Auto Scaling checks instance health periodically (about every 10-60 s; Amazon EC2 Auto Scaling User Guide, health checks)',
  volumeCreatingToAvailable:
    'A new EBS volume is usable within seconds of CreateVolume; the state is creating until then (Amazon EBS User Guide, create a volume)',
  volumeAttaching:
    'AttachVolume: the attachment shows attaching for a few seconds before attached (Amazon EBS User Guide, attach a volume; common measurements)',
  volumeDetaching:
    'DetachVolume of an unmounted volume: detaching for a few seconds, then available (Amazon EBS User Guide, detach a volume)',
  volumeDeleting: 'DeleteVolume: the volume shows deleting briefly (Amazon EBS User Guide, delete a volume)',
  snapshotPendingToCompleted:
    'Snapshots are incremental and asynchronous: a first snapshot of a small, mostly empty volume completes in about a minute or more (Amazon EBS User Guide, EBS snapshots)',
  fileSystemCreating:
    'CreateFileSystem returns while the file system is creating; it is available within seconds (Amazon EFS User Guide, creating file systems)',
  mountTargetCreating:
    'A new mount target is creating for about 90 seconds before it is available (Amazon EFS User Guide, managing mount targets)',
};

export const TIMING_PROFILES: Record<string, TimingProfile> = {
  'aws-typical': {
    name: 'aws-typical',
    description: 'Delays as AWS typically shows them, from published figures',
    steps: {
      instancePendingToRunning: 45_000,
      instanceStoppingToStopped: 30_000,
      instanceShuttingDownToTerminated: 30_000,
      statusCheckInterval: 60_000,
      metricPublishDelay: 60_000,
      recoveryToRunning: 180_000,
      imagePendingToAvailable: 180_000,
      autoScalingCheckInterval: 30_000,
      volumeCreatingToAvailable: 5_000,
      volumeAttaching: 5_000,
      volumeDetaching: 10_000,
      volumeDeleting: 5_000,
      snapshotPendingToCompleted: 60_000,
      fileSystemCreating: 5_000,
      mountTargetCreating: 90_000,
    },
  },
  fast: {
    name: 'fast',
    description: 'Short delays for demos and tests; status checks and alarm periods keep their AWS length (use a time scale)',
    steps: {
      instancePendingToRunning: 2_000,
      instanceStoppingToStopped: 1_000,
      instanceShuttingDownToTerminated: 1_000,
      statusCheckInterval: 60_000,
      metricPublishDelay: 0,
      recoveryToRunning: 5_000,
      imagePendingToAvailable: 2_000,
      autoScalingCheckInterval: 10_000,
      volumeCreatingToAvailable: 1_000,
      volumeAttaching: 500,
      volumeDetaching: 500,
      volumeDeleting: 500,
      snapshotPendingToCompleted: 2_000,
      fileSystemCreating: 500,
      mountTargetCreating: 1_000,
    },
  },
  instant: {
    name: 'instant',
    description: 'No artificial delay at all: state changes take only the time the real work takes',
    steps: {
      instancePendingToRunning: 0,
      instanceStoppingToStopped: 0,
      instanceShuttingDownToTerminated: 0,
      statusCheckInterval: 60_000,
      metricPublishDelay: 0,
      recoveryToRunning: 0,
      imagePendingToAvailable: 0,
      autoScalingCheckInterval: 10_000,
      volumeCreatingToAvailable: 0,
      volumeAttaching: 0,
      volumeDetaching: 0,
      volumeDeleting: 0,
      snapshotPendingToCompleted: 0,
      fileSystemCreating: 0,
      mountTargetCreating: 0,
    },
  },
};

export function timingProfile(name: string): TimingProfile {
  const profile = TIMING_PROFILES[name];
  if (!profile) {
    throw new Error(`unknown timing profile "${name}"; choose one of: ${Object.keys(TIMING_PROFILES).join(', ')}`);
  }
  return profile;
}
