import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callControl } from '../src/runtime/control.js';
import { ensureImage } from '../src/runtime/images.js';
import { TestCloud } from './support/cloud.js';
import { disposeAndCheckHost } from './support/host.js';
import { inInstance } from './support/instance-shell.js';
import { get, waitFor } from './support/wait.js';
import { cfn, SEED_TEMPLATES, settle } from './templates/support.js';

/**
 * The seed's multi-AZ architectures, their templates unchanged (test/templates/seed), through the aws CLI as the
 * seed uses it: a terminated instance is replaced in one of the group's subnets; a zone outage moves the instance
 * to the other zone, where its own user data takes the Elastic IP; the snapshot flow (create-image, update-stack
 * with AMISnapshot) makes replacements start from the image. The seed's user data then downloads Jenkins, which
 * fails here (no internet): fine for templates without a CreationPolicy, as on AWS. Needs root (real instances).
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

interface GroupInstance {
  InstanceId: string;
  AvailabilityZone: string;
  LifecycleState: string;
}

describe("the seed's multi-AZ templates with Auto Scaling", { skip: ROOT ? false : 'needs root: instances run in namespaces' }, () => {
  let cloud: TestCloud;
  before(async () => {
    await ensureImage(process.env.HALO_IMAGE_CACHE as string);
    cloud = await TestCloud.start({ timeScale: 60, profile: 'fast' });
    cloud.awsOk('ec2', 'create-key-pair', '--key-name', 'mykey');
  });
  after(async () => {
    if (cloud) await disposeAndCheckHost(cloud);
  });

  const resource = (stack: string, id: string) =>
    cloud.awsOk('cloudformation', 'describe-stack-resource', '--stack-name', stack, '--logical-resource-id', id).StackResourceDetail
      .PhysicalResourceId as string;
  const group = (name: string) =>
    cloud.awsOk('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', name).AutoScalingGroups[0];
  const inService = (name: string) => (group(name).Instances as GroupInstance[]).filter((i) => i.LifecycleState === 'InService');
  const instance = (id: string) => cloud.awsOk('ec2', 'describe-instances', '--instance-ids', id).Reservations[0].Instances[0];
  const replacementOf = (name: string, old: string, ms = 180_000) =>
    waitFor(
      `a replacement of ${old} InService`,
      () => {
        const fresh = inService(name).find((i) => i.InstanceId !== old);
        return fresh && instance(fresh.InstanceId).State.Name === 'running' ? fresh : undefined;
      },
      ms,
    );

  async function createSeed(stack: string, template: string, extra: string[] = []) {
    cloud.awsOk(
      'cloudformation',
      'create-stack',
      '--stack-name',
      stack,
      '--template-body',
      `file://${SEED_TEMPLATES}/${template}`,
      '--parameters',
      'ParameterKey=JenkinsAdminPassword,ParameterValue=secret1234',
      ...extra,
      '--capabilities',
      'CAPABILITY_IAM',
    );
    const s = await settle(cfn(cloud), stack, 6000);
    assert.equal(s.StackStatus, 'CREATE_COMPLETE', s.StackStatusReason);
    const name = resource(stack, 'AutoScalingGroup');
    const [first] = inService(name);
    assert.ok(first, 'the desired instance is InService when the stack is complete');
    return { name, first, stack: s };
  }

  it("multiaz.json: a terminated instance is replaced in one of the group's subnets; the activities say why", async () => {
    const { name, first } = await createSeed('jenkins-multiaz', 'multiaz.json');
    const subnets = [resource('jenkins-multiaz', 'SubnetA'), resource('jenkins-multiaz', 'SubnetB')];
    const g = group(name);
    assert.deepEqual(g.VPCZoneIdentifier.split(',').sort(), [...subnets].sort());
    // CloudFormation's tags on the group and, propagated, on the instance (with the seed's Name tag).
    const stackId = cloud.awsOk('cloudformation', 'describe-stacks', '--stack-name', 'jenkins-multiaz').Stacks[0].StackId as string;
    const expected = [
      { Key: 'Name', Value: 'jenkins-multiaz' },
      { Key: 'aws:cloudformation:stack-name', Value: 'jenkins-multiaz' },
      { Key: 'aws:cloudformation:stack-id', Value: stackId },
      { Key: 'aws:cloudformation:logical-id', Value: 'AutoScalingGroup' },
    ];
    const groupTags = g.Tags as Array<{ Key: string; Value: string; PropagateAtLaunch: boolean }>;
    for (const t of expected)
      assert.ok(
        groupTags.some((x) => x.Key === t.Key && x.Value === t.Value && x.PropagateAtLaunch),
        `group tag ${t.Key}`,
      );
    const tags = instance(first.InstanceId).Tags as Array<{ Key: string; Value: string }>;
    for (const t of [...expected, { Key: 'aws:autoscaling:groupName', Value: name }]) {
      assert.ok(
        tags.some((x) => x.Key === t.Key && x.Value === t.Value),
        `instance tag ${t.Key}: ${JSON.stringify(tags)}`,
      );
    }

    cloud.awsOk('ec2', 'terminate-instances', '--instance-ids', first.InstanceId);
    const next = await replacementOf(name, first.InstanceId);
    assert.ok(subnets.includes(instance(next.InstanceId).SubnetId), "in one of the group's subnets");
    const activities = cloud.awsOk('autoscaling', 'describe-scaling-activities', '--auto-scaling-group-name', name).Activities as Array<{
      Description: string;
      Cause: string;
    }>;
    const termination = activities.find((a) => a.Description.includes(first.InstanceId));
    assert.ok(termination, `an activity names ${first.InstanceId}: ${JSON.stringify(activities)}`);
    assert.match(
      termination.Cause,
      /an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped/,
    );
    assert.ok(
      activities.some((a) => a.Description === `Launching a new EC2 instance: ${next.InstanceId}`),
      JSON.stringify(activities),
    );

    cloud.awsOk('cloudformation', 'delete-stack', '--stack-name', 'jenkins-multiaz');
    const gone = await settle(cfn(cloud), 'jenkins-multiaz', 6000).catch((e: Error) => ({ StackStatus: e.message }));
    assert.match(String(gone.StackStatus), /DELETE_COMPLETE|does not exist/);
    assert.equal(
      cloud.awsOk('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', name).AutoScalingGroups.length,
      0,
    );
  });

  it('multiaz-elasticip.json: after an outage of its zone, the new instance in the other zone takes the Elastic IP itself', async () => {
    const { name, first, stack } = await createSeed('jenkins-elasticip', 'multiaz-elasticip.json');
    const eip = /^http:\/\/([\d.]+):8080$/.exec(stack.Outputs?.find((o) => o.OutputKey === 'JenkinsURL')?.OutputValue ?? '')?.[1];
    assert.ok(eip, 'the JenkinsURL output holds the Elastic IP');
    const holder = () =>
      cloud.awsOk('ec2', 'describe-addresses', '--public-ips', eip).Addresses[0] as { InstanceId?: string; PrivateIpAddress?: string };
    await waitFor(
      'the first instance associated the Elastic IP from its user data',
      () => (holder().InstanceId === first.InstanceId ? true : undefined),
      120_000,
    );
    const before = instance(first.InstanceId);

    const outage = await callControl(cloud.home, '/fault', { kind: 'az-outage', zone: first.AvailabilityZone });
    assert.equal(outage.ok, true, outage.message);
    const next = await replacementOf(name, first.InstanceId, 300_000);
    assert.notEqual(next.AvailabilityZone, first.AvailabilityZone, 'launched in the other zone');
    await waitFor(
      'the new instance associated the Elastic IP',
      () => (holder().InstanceId === next.InstanceId ? true : undefined),
      120_000,
    );
    const after = instance(next.InstanceId);
    assert.notEqual(after.PrivateIpAddress, before.PrivateIpAddress, 'its private IP differs (the seed says so)');
    assert.equal(holder().PrivateIpAddress, after.PrivateIpAddress);
    assert.equal(after.PublicIpAddress, eip);
    // Jenkins cannot be downloaded here, so nothing of the seed listens: a server on Jenkins' port, started inside the
    // new instance, answers on the Elastic IP (8080 is open in the seed's security group and network ACL).
    const served = inInstance(
      next.InstanceId,
      `mkdir -p /srv && echo "$(curl -s http://169.254.169.254/latest/meta-data/instance-id)" > /srv/index.html && (setsid python3 -m http.server 8080 --directory /srv >/dev/null 2>&1 &)`,
    );
    assert.equal(served.status, 0, served.stderr);
    const body = await waitFor('an answer on the Elastic IP', async () => (await get(`http://${eip}:8080/`))?.body.trim());
    assert.equal(body, next.InstanceId);
    await callControl(cloud.home, '/fault', { kind: 'az-restore', zone: first.AvailabilityZone });
  });

  it("multiaz-ebs.json: the snapshot flow — a replacement starts from the image: data before it, not after (the seed's RPO)", async () => {
    const { name, first } = await createSeed('jenkins-ebs', 'multiaz-ebs.json', ['ParameterKey=AMISnapshot,ParameterValue=ami-1ecae776']);
    const w1 = inInstance(first.InstanceId, 'echo before the image > /root/first.txt && sync');
    assert.equal(w1.status, 0, w1.stderr);
    const imageId = cloud.awsOk(
      'ec2',
      'create-image',
      '--instance-id',
      first.InstanceId,
      '--name',
      'jenkins-snapshot',
      '--description',
      'Jenkins snapshot',
    ).ImageId as string;
    await waitFor(
      'the image available',
      () => (cloud.awsOk('ec2', 'describe-images', '--image-ids', imageId).Images[0].State === 'available' ? true : undefined),
      180_000,
    );
    cloud.awsOk(
      'cloudformation',
      'update-stack',
      '--stack-name',
      'jenkins-ebs',
      '--use-previous-template',
      '--parameters',
      'ParameterKey=JenkinsAdminPassword,UsePreviousValue=true',
      'ParameterKey=KeyName,UsePreviousValue=true',
      `ParameterKey=AMISnapshot,ParameterValue=${imageId}`,
      '--capabilities',
      'CAPABILITY_IAM',
    );
    const updated = await settle(cfn(cloud), 'jenkins-ebs', 6000);
    assert.equal(updated.StackStatus, 'UPDATE_COMPLETE', updated.StackStatusReason);
    const lc = resource('jenkins-ebs', 'LaunchConfiguration');
    assert.equal(group(name).LaunchConfigurationName, lc, 'the group uses the new launch configuration');
    assert.equal(
      cloud.awsOk('autoscaling', 'describe-launch-configurations', '--launch-configuration-names', lc).LaunchConfigurations[0].ImageId,
      imageId,
    );
    // Without an UpdatePolicy the running instance stays (AWS): only new instances use the new configuration.
    assert.deepEqual(
      inService(name).map((i) => i.InstanceId),
      [first.InstanceId],
    );

    const w2 = inInstance(first.InstanceId, 'echo after the image > /root/second.txt && sync');
    assert.equal(w2.status, 0, w2.stderr);
    cloud.awsOk('ec2', 'terminate-instances', '--instance-ids', first.InstanceId);
    const next = await replacementOf(name, first.InstanceId);
    assert.equal(instance(next.InstanceId).ImageId, imageId, 'the replacement starts from the image');
    const files = await waitFor("the replacement's files", () => {
      const r = inInstance(next.InstanceId, 'cat /root/first.txt; ls /root');
      return r.status === 0 ? r.stdout : undefined;
    });
    assert.match(files, /before the image/);
    assert.doesNotMatch(files, /second\.txt/);
  });
});
