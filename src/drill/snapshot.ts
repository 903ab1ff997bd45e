import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateImageCommand, CreateLaunchTemplateVersionCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import type { Clients } from './clients.js';
import type { StackTarget } from './discover.js';

/** A stack that keeps its state in AMI snapshots (the seed's multi-AZ architecture with snapshots). */
export const SNAPSHOT_PARAMETER = 'AMISnapshot';

export function keepsStateInSnapshots(target: StackTarget): boolean {
  return SNAPSHOT_PARAMETER in target.parameters && target.groupNames.length > 0;
}

/**
 * What the seed's snapshot architecture relies on, done once before the fault as its backup job would: an AMI of the
 * running server made while it serves (CreateImage without reboot), then the group's launch template pointed at it
 * (a new template version the group uses), so that the next server starts from this snapshot. The image stays: it is
 * the backup the group now launches from.
 */
export async function takeSnapshot(
  c: Clients,
  target: StackTarget,
  instanceId: string,
  name: string,
  deadline: number,
  signal?: AbortSignal,
): Promise<{ imageId: string; version: string }> {
  const imageId = (
    await c.ec2.send(
      new CreateImageCommand({ InstanceId: instanceId, Name: name, NoReboot: true, Description: `halo drill snapshot of ${instanceId}` }),
    )
  ).ImageId;
  if (!imageId) throw new Error(`CreateImage of ${instanceId} returned no image id`);
  for (;;) {
    const state = (await c.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0]?.State;
    if (state === 'available') break;
    if (state === 'failed' || state === 'invalid' || state === 'deregistered') throw new Error(`snapshot image ${imageId} is ${state}`);
    if (Date.now() > deadline || signal?.aborted)
      throw new Error(`snapshot image ${imageId} still ${state ?? 'unknown'} at the drill's limit`);
    await sleep(250);
  }
  const group = (await c.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [target.groupNames[0]] })))
    .AutoScalingGroups?.[0];
  const template = group?.LaunchTemplate;
  if (!template?.LaunchTemplateId) throw new Error(`group ${target.groupNames[0]} has no launch template to point at the snapshot`);
  const created = await c.ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: template.LaunchTemplateId,
      SourceVersion: template.Version,
      VersionDescription: `snapshot ${imageId}`,
      LaunchTemplateData: { ImageId: imageId },
    }),
  );
  const version = String(created.LaunchTemplateVersion?.VersionNumber ?? '');
  if (!version) throw new Error(`no new version of launch template ${template.LaunchTemplateId}`);
  await c.asg.send(
    new UpdateAutoScalingGroupCommand({
      AutoScalingGroupName: target.groupNames[0],
      LaunchTemplate: { LaunchTemplateId: template.LaunchTemplateId, Version: version },
    }),
  );
  return { imageId, version };
}
