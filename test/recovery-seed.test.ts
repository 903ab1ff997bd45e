import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { footprint, isClean } from '../src/runtime/cleanup.js';
import { callControl } from '../src/runtime/control.js';
import { ensureImage } from '../src/runtime/images.js';
import { cloudTag } from '../src/runtime/names.js';
import { TestCloud } from './support/cloud.js';
import { get, waitFor } from './support/wait.js';
import { cfn, SEED_TEMPLATES, settle } from './templates/support.js';

/**
 * The seed's first architecture end to end: recovery.json's instance loses its host; the alarm on
 * StatusCheckFailed_System (Minimum, 60 s, 5 periods, > 0) goes to ALARM and its ec2:recover action restarts the
 * instance on another host of the zone with the same id, private IP, Elastic IP and volume. Needs root.
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

/** recovery.json as written, with two lines first in its user data: a file, and a service that serves it on 8080. */
function seedWithMarker(dir: string): string {
  const template = JSON.parse(readFileSync(path.join(SEED_TEMPLATES, 'recovery.json'), 'utf8'));
  const lines: unknown[] = template.Resources.Server.Properties.UserData['Fn::Base64']['Fn::Join'][1];
  lines.splice(
    1,
    0,
    'mkdir -p /srv && echo "written before the failure by $(curl -s http://169.254.169.254/latest/meta-data/instance-id)" > /srv/index.html\n',
    "printf '[Unit]\\nDescription=marker\\n[Service]\\nExecStart=/usr/bin/python3 -m http.server 8080 --directory /srv\\n[Install]\\nWantedBy=multi-user.target\\n' > /etc/systemd/system/marker.service\n",
    'systemctl enable marker && systemctl start marker\n',
  );
  const file = path.join(dir, 'recovery-with-marker.json');
  writeFileSync(file, JSON.stringify(template));
  return file;
}

describe(
  "the seed's recovery.json recovers from a host failure through its CloudWatch alarm",
  { skip: ROOT ? false : 'needs root: instances run in namespaces (CI runs as root)' },
  () => {
    let cloud: TestCloud;
    let tag = '';
    const context: Record<string, string> = {};
    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ timeScale: 60, profile: 'fast', hostsPerZone: 2 });
      tag = cloudTag(cloud.home);
      cloud.awsOk('ec2', 'create-key-pair', '--key-name', 'mykey');
    });
    after(async () => {
      if (!cloud) return;
      await cloud.dispose();
      assert.ok(isClean(footprint(tag)), 'the host holds nothing of this cloud any more');
    });

    it('host-failure → ALARM after five failed periods → the same instance runs on another host with its IP, Elastic IP and files', async () => {
      cloud.awsOk(
        'cloudformation',
        'create-stack',
        '--stack-name',
        'jenkins-recovery',
        '--template-body',
        `file://${seedWithMarker(cloud.home)}`,
        '--parameters',
        'ParameterKey=JenkinsAdminPassword,ParameterValue=secret1234',
      );
      const stack = await settle(cfn(cloud), 'jenkins-recovery');
      assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
      const resource = (id: string) =>
        cloud.awsOk('cloudformation', 'describe-stack-resource', '--stack-name', 'jenkins-recovery', '--logical-resource-id', id)
          .StackResourceDetail.PhysicalResourceId as string;
      const instanceId = resource('Server');
      const alarmName = resource('RecoveryAlarm');
      const instance = () => cloud.awsOk('ec2', 'describe-instances', '--instance-ids', instanceId).Reservations[0].Instances[0];
      const before = instance();
      const eip = cloud.awsOk('ec2', 'describe-addresses', '--filters', `Name=instance-id,Values=${instanceId}`).Addresses[0]
        .PublicIp as string;
      assert.equal(before.PublicIpAddress, eip);
      const marker = `written before the failure by ${instanceId}`;
      const served = await waitFor('the marker served on the Elastic IP', async () => (await get(`http://${eip}:8080/`))?.body.trim());
      assert.equal(served, marker);

      const fault = await callControl(cloud.home, '/fault', { kind: 'host-failure', instanceId });
      assert.equal(fault.ok, true, fault.message);
      const failedHost = /host (\S+) failed/.exec(fault.message)?.[1];
      assert.ok(failedHost, fault.message);

      const history = (type: string) =>
        cloud.awsOk('cloudwatch', 'describe-alarm-history', '--alarm-name', alarmName, '--history-item-type', type)
          .AlarmHistoryItems as Array<{ Timestamp: string; HistorySummary: string; HistoryData: string }>;
      const toAlarm = await waitFor(
        'the alarm in ALARM',
        () => history('StateUpdate').find((h) => h.HistorySummary.endsWith('to ALARM')),
        120_000,
      );
      // Five failed minutes of AWS time: the first failing datapoint is at least four minutes older than the transition.
      const stats = cloud.awsOk(
        'cloudwatch',
        'get-metric-statistics',
        '--namespace',
        'AWS/EC2',
        '--metric-name',
        'StatusCheckFailed_System',
        '--dimensions',
        `Name=InstanceId,Value=${instanceId}`,
        '--statistics',
        'Minimum',
        '--period',
        '60',
        '--start-time',
        new Date(Date.parse(toAlarm.Timestamp) - 3_600_000).toISOString(),
        '--end-time',
        toAlarm.Timestamp,
      );
      const failing = (stats.Datapoints as Array<{ Timestamp: string; Minimum: number }>)
        .filter((d) => d.Minimum > 0)
        .map((d) => Date.parse(d.Timestamp))
        .sort();
      assert.ok(failing.length >= 5, `five failed periods before ALARM, got ${failing.length}`);
      const minutes = (Date.parse(toAlarm.Timestamp) - failing[0]) / 60_000;
      assert.ok(minutes >= 4 && minutes <= 10, `ALARM ${minutes.toFixed(1)} AWS minutes after the first failed period`);

      const action = await waitFor(
        "the recover action's result",
        () => history('Action').find((h) => /recover/i.test(h.HistorySummary)),
        120_000,
      );
      assert.doesNotMatch(action.HistorySummary, /fail/i, action.HistorySummary);
      const page = await waitFor(
        'the marker served again after recovery',
        async () => (await get(`http://${eip}:8080/`))?.body.trim(),
        120_000,
      );
      assert.equal(page, marker, 'the volume kept the file written before the failure');
      const after = instance();
      assert.equal(after.InstanceId, instanceId);
      assert.equal(after.State.Name, 'running');
      assert.equal(after.PrivateIpAddress, before.PrivateIpAddress);
      assert.equal(after.PublicIpAddress, eip);
      assert.match(action.HistoryData + action.HistorySummary, /host/);
      assert.ok(!(action.HistoryData + action.HistorySummary).includes(`host ${failedHost}.`), 'recovered onto another host');
      // The instance also has simplified automatic recovery (default maintenance options); the alarm, faster, did it.
      assert.equal(after.MaintenanceOptions.AutoRecovery, 'default');
      const health = cloud.awsOk(
        'health',
        'describe-events',
        '--region',
        'us-east-1',
        '--filter',
        JSON.stringify({ entityValues: [instanceId] }),
      ).events;
      assert.deepEqual(
        health.map((e: { eventTypeCode: string }) => e.eventTypeCode),
        ['AWS_EC2_INSTANCE_AUTO_RECOVERY_SUCCESS'],
      );
      context.instanceId = instanceId;
      context.alarmName = alarmName;
      context.eip = eip;
      context.marker = marker;
    });

    it('instance-crash leaves the system-check alarm alone; an instance-check alarm with the reboot action brings it back', async () => {
      const { instanceId, alarmName, eip, marker } = context;
      assert.ok(instanceId, 'the first test ran');
      cloud.awsOk(
        'cloudwatch',
        'put-metric-alarm',
        '--alarm-name',
        'reboot-on-instance-check',
        '--namespace',
        'AWS/EC2',
        '--metric-name',
        'StatusCheckFailed_Instance',
        '--statistic',
        'Minimum',
        '--period',
        '60',
        '--evaluation-periods',
        '2',
        '--comparison-operator',
        'GreaterThanThreshold',
        '--threshold',
        '0',
        '--dimensions',
        `Name=InstanceId,Value=${instanceId}`,
        '--alarm-actions',
        'arn:aws:automate:us-east-1:ec2:reboot',
      );
      await waitFor(
        'the instance-check alarm OK',
        () =>
          cloud.awsOk('cloudwatch', 'describe-alarms', '--alarm-names', 'reboot-on-instance-check').MetricAlarms[0].StateValue === 'OK'
            ? true
            : undefined,
        120_000,
      );
      const systemAlarms = () =>
        cloud
          .awsOk('cloudwatch', 'describe-alarm-history', '--alarm-name', alarmName, '--history-item-type', 'StateUpdate')
          .AlarmHistoryItems.filter((h: { HistorySummary: string }) => h.HistorySummary.endsWith('to ALARM')).length;
      const systemBefore = systemAlarms();
      const crash = await callControl(cloud.home, '/fault', { kind: 'instance-crash', instanceId });
      assert.equal(crash.ok, true, crash.message);
      const rebooted = await waitFor(
        'the reboot action',
        () =>
          cloud
            .awsOk('cloudwatch', 'describe-alarm-history', '--alarm-name', 'reboot-on-instance-check', '--history-item-type', 'Action')
            .AlarmHistoryItems.find((h: { HistorySummary: string }) => /reboot/i.test(h.HistorySummary)),
        120_000,
      );
      assert.doesNotMatch(rebooted.HistorySummary, /fail/i, rebooted.HistorySummary);
      const page = await waitFor(
        'the marker served after the reboot',
        async () => (await get(`http://${eip}:8080/`))?.body.trim(),
        120_000,
      );
      assert.equal(page, marker);
      assert.equal(systemAlarms(), systemBefore, 'the StatusCheckFailed_System alarm did not fire for an instance crash');
    });
  },
);
