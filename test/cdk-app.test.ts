import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { STACK_NAMES, buildApp, type StackName } from '../cdk/lib/app.js';

const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Stored templates: `UPDATE_SNAPSHOTS=1 node --test dist/test/cdk-app.test.js` rewrites them. */
const SNAPSHOTS = path.join(REPO, 'test', 'cdk', 'snapshots');
type Json = Record<string, any>;

function synth(context: Record<string, string>): Record<StackName, Template> {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'halo-cdk-test-'));
  try {
    const { app, stacks } = buildApp({ context: { imageId: 'ami-0123456789abcdef0', ...context }, outdir });
    app.synth();
    return Object.fromEntries(STACK_NAMES.map((n) => [n, Template.fromStack(stacks[n])])) as Record<StackName, Template>;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const local = synth({ target: 'local' });
const aws = synth({ target: 'aws' });
const faithful = synth({ target: 'local', faithful: 'true' });

function resources(t: Template): Array<[string, Json]> {
  return Object.entries(t.toJSON().Resources as Json);
}

describe('the CDK app synthesizes', () => {
  test('through the cdk CLI (npx cdk synth, cdk.json at the repo root): four stacks, both targets', () => {
    for (const target of ['local', 'aws']) {
      const out = mkdtempSync(path.join(os.tmpdir(), 'halo-cdk-cli-'));
      try {
        const r = spawnSync('npx', ['cdk', 'synth', '--quiet', '-c', `target=${target}`, '-o', out], {
          cwd: REPO,
          encoding: 'utf8',
          timeout: 180_000,
        });
        assert.equal(r.status, 0, r.stderr);
        const templates = readdirSync(out)
          .filter((f) => f.endsWith('.template.json'))
          .sort();
        assert.deepEqual(templates, [
          'MultiAz.template.json',
          'MultiAzSnapshot.template.json',
          'Recovery.template.json',
          'Resilient.template.json',
        ]);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }
  });

  test('no Lambda, no custom resource, no CDK metadata, no bootstrap rule or parameter in any template', () => {
    for (const set of [local, aws, faithful]) {
      for (const name of STACK_NAMES) {
        const t = set[name].toJSON();
        for (const [id, r] of Object.entries(t.Resources as Json)) {
          assert.doesNotMatch(r.Type, /^(AWS::Lambda::|Custom::|AWS::CloudFormation::CustomResource|AWS::CDK::)/, `${name}/${id}`);
        }
        assert.equal(t.Rules, undefined, name);
        assert.equal(t.Parameters?.BootstrapVersion, undefined, name);
        assert.doesNotMatch(JSON.stringify(t), /cdk-hnb659fds|aws:asset/);
      }
    }
  });

  test('every HA resource is identical for both targets: only user data and the image differ', () => {
    const strip = (t: Template): Json => {
      const json = structuredClone(t.toJSON());
      for (const p of ['ImageId', 'AMISnapshot']) delete json.Parameters?.[p];
      for (const r of Object.values(json.Resources as Json)) {
        const props = r.Properties ?? {};
        delete props.UserData;
        delete props.ImageId;
        if (props.LaunchTemplateData) {
          delete props.LaunchTemplateData.UserData;
          delete props.LaunchTemplateData.ImageId;
        }
      }
      return json;
    };
    for (const name of STACK_NAMES) assert.deepEqual(strip(local[name]), strip(aws[name]), name);
    // ...and the workload does differ.
    assert.notDeepEqual(local.Recovery.toJSON(), aws.Recovery.toJSON());
  });

  test('snapshots of the synthesized templates match (UPDATE_SNAPSHOTS=1 rewrites them)', () => {
    const sets = { local, aws, faithful };
    for (const [set, templates] of Object.entries(sets)) {
      for (const name of STACK_NAMES) {
        const file = path.join(SNAPSHOTS, `${name}.${set}.json`);
        const text = JSON.stringify(templates[name].toJSON(), null, 2) + '\n';
        if (process.env.UPDATE_SNAPSHOTS || !existsSync(file)) writeFileSync(file, text);
        assert.equal(text, readFileSync(file, 'utf8'), `${file} differs: review the change, then UPDATE_SNAPSHOTS=1`);
      }
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  function nag(context: Record<string, string>): { passed: boolean; rules: string[] } {
    const outdir = mkdtempSync(path.join(os.tmpdir(), 'halo-cdk-nag-'));
    try {
      const { app } = buildApp({ context: { imageId: 'ami-0123456789abcdef0', ...context }, outdir });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      try {
        app.synth();
      } catch {
        // judged from the report below (a warning of CDK's own template validation also fails the synthesis)
      }
      const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as Json;
      // A plugin without findings may leave no report (the faithful test below proves the checks run).
      const nagReport = (report.pluginReports as Json[]).find((p) => p.pluginName === 'AwsSolutions');
      const rules = ((nagReport?.violations ?? []) as Json[]).map((v) => v.ruleName as string);
      return { passed: (nagReport?.conclusion ?? 'success') === 'success', rules };
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }

  test('every stack of both targets passes with no unacknowledged finding (each acknowledgement has its reason in cdk/lib/nag.ts)', () => {
    for (const target of ['local', 'aws']) {
      const r = nag({ target });
      assert.deepEqual(r.rules, [], target);
      assert.equal(r.passed, true);
    }
  });

  test("the faithful stacks are reported for the seed's defects (nothing hides them)", () => {
    const r = nag({ target: 'local', faithful: 'true' });
    assert.equal(r.passed, false);
    for (const rule of ['AwsSolutions-EC23', 'AwsSolutions-EC26', 'AwsSolutions-IAM5[Resource::*]'])
      assert.ok(r.rules.includes(rule), `${rule} in ${r.rules.join(', ')}`);
  });
});

describe('what the seed specifies', () => {
  test('Recovery: the alarm on StatusCheckFailed_System (Minimum, 60 s, 5 periods, > 0) recovers the instance', () => {
    for (const t of [local.Recovery, faithful.Recovery]) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/EC2',
        MetricName: 'StatusCheckFailed_System',
        Statistic: 'Minimum',
        Period: 60,
        EvaluationPeriods: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        AlarmActions: [{ 'Fn::Sub': 'arn:${AWS::Partition}:automate:${AWS::Region}:ec2:recover' }],
        Dimensions: [{ Name: 'InstanceId', Value: { Ref: Match.stringLikeRegexp('Instance') } }],
      });
      t.hasResourceProperties('AWS::EC2::EIP', { Domain: 'vpc', InstanceId: { Ref: Match.stringLikeRegexp('Instance') } });
      t.hasResourceProperties('AWS::EC2::Instance', { InstanceType: 't2.micro' });
    }
  });

  test('the group architectures: min = max = desired = 1, EC2 health checks, grace period 600, subnets in two zones', () => {
    for (const t of [local.MultiAz, local.MultiAzSnapshot, faithful.MultiAz, faithful.MultiAzSnapshot]) {
      t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
        MinSize: '1',
        MaxSize: '1',
        DesiredCapacity: '1',
        HealthCheckType: 'EC2',
        HealthCheckGracePeriod: 600,
        VPCZoneIdentifier: [{ Ref: Match.stringLikeRegexp('SubnetA') }, { Ref: Match.stringLikeRegexp('SubnetB') }],
      });
      const zones = resources(t)
        .filter(([, r]) => r.Type === 'AWS::EC2::Subnet')
        .map(([, r]) => JSON.stringify(r.Properties.AvailabilityZone));
      assert.deepEqual(zones, [
        JSON.stringify({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }),
        JSON.stringify({ 'Fn::Select': [1, { 'Fn::GetAZs': '' }] }),
      ]);
    }
  });

  test("MultiAzSnapshot: the image is the AMISnapshot parameter; the role may associate only the stack's Elastic IP", () => {
    const t = local.MultiAzSnapshot;
    t.hasParameter('AMISnapshot', { Type: 'AWS::EC2::Image::Id' });
    t.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: { ImageId: { Ref: 'AMISnapshot' } } });
    const role = resources(t).find(([, r]) => r.Type === 'AWS::IAM::Role')![1];
    const statements = role.Properties.Policies[0].PolicyDocument.Statement as Json[];
    const associate = statements.filter((s) => JSON.stringify(s.Action).includes('ec2:AssociateAddress'));
    assert.equal(associate.length, 1);
    const eip = resources(t).find(([, r]) => r.Type === 'AWS::EC2::EIP')![0];
    assert.deepEqual(associate[0].Resource[0], {
      'Fn::Sub': [
        'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:elastic-ip/${Allocation}',
        { Allocation: { 'Fn::GetAtt': [eip, 'AllocationId'] } },
      ],
    });
    assert.ok(!statements.some((s) => s.Resource === '*' && JSON.stringify(s.Action).includes('ec2:')), 'no EC2 action on *');
    // The seed's multiaz-elasticip.json under faithful: AssociateAddress on "*".
    const seedRole = resources(faithful.MultiAzSnapshot).find(([, r]) => r.Type === 'AWS::IAM::Role')![1];
    assert.deepEqual(seedRole.Properties.Policies[0].PolicyDocument.Statement[0].Resource, ['*']);
  });

  test('the user data associates the Elastic IP at boot with the instance role (MultiAzSnapshot, Resilient)', () => {
    for (const t of [local.MultiAzSnapshot, aws.MultiAzSnapshot, local.Resilient]) {
      const lt = resources(t).find(([, r]) => r.Type === 'AWS::EC2::LaunchTemplate')![1];
      const script = JSON.stringify(lt.Properties.LaunchTemplateData.UserData);
      assert.match(script, /aws ec2 associate-address --instance-id \\"\$INSTANCE_ID\\" --allocation-id \$\{AllocationId\}/);
    }
  });
});

describe('the security fixes (all four unless faithful)', () => {
  const all = (set: Record<StackName, Template>) => STACK_NAMES.map((n) => [n, set[n]] as const);

  test('no SSH, no port open to 0.0.0.0/0, the CI port only from the AllowedCidr parameter', () => {
    for (const [name, t] of [...all(local), ...all(aws)]) {
      for (const [id, r] of resources(t)) {
        if (r.Type === 'AWS::EC2::SecurityGroup') {
          for (const rule of r.Properties.SecurityGroupIngress) {
            assert.notEqual(rule.CidrIp, '0.0.0.0/0', `${name}/${id}`);
            assert.notEqual(rule.FromPort, 22, `${name}/${id}`);
          }
        }
        if (r.Type === 'AWS::EC2::NetworkAclEntry' && !r.Properties.Egress && r.Properties.PortRange) {
          assert.ok(!(r.Properties.PortRange.From <= 22 && r.Properties.PortRange.To >= 22), `${name}/${id} opens 22`);
          if (r.Properties.PortRange.From === 8080) assert.deepEqual(r.Properties.CidrBlock, { Ref: 'AllowedCidr' });
        }
      }
      t.hasParameter('AllowedCidr', { Type: 'String' });
      assert.equal(t.toJSON().Parameters.KeyName, undefined, name);
      assert.ok(!resources(t).some(([, r]) => r.Properties?.KeyName || r.Properties?.LaunchTemplateData?.KeyName), `${name}: a key pair`);
    }
    // faithful keeps the seed's openings
    faithful.MultiAz.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: Match.arrayWith([{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: '0.0.0.0/0' }]),
    });
  });

  test('the admin password: generated in Secrets Manager, read by the role, never in user data, parameters or outputs', () => {
    for (const [name, t] of [...all(local), ...all(aws)]) {
      t.resourceCountIs('AWS::SecretsManager::Secret', 1);
      t.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: { PasswordLength: 32 } });
      const json = t.toJSON();
      assert.ok(!Object.keys(json.Parameters ?? {}).some((p) => /password/i.test(p)), name);
      for (const [k, o] of Object.entries(json.Outputs as Json))
        assert.doesNotMatch(JSON.stringify(o.Value), /GetSecretValue|resolve:secretsmanager/, `${name} output ${k}`);
      assert.ok(!Object.keys(json.Outputs).includes('Password'), name);
      const secret = resources(t).find(([, r]) => r.Type === 'AWS::SecretsManager::Secret')![0];
      const role = resources(t).find(([, r]) => r.Type === 'AWS::IAM::Role')![1];
      const read = (role.Properties.Policies[0].PolicyDocument.Statement as Json[]).find((s) =>
        JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue'),
      )!;
      assert.deepEqual(read.Resource, { Ref: secret });
    }
    faithful.Recovery.hasParameter('JenkinsAdminPassword', { NoEcho: true });
    faithful.Recovery.hasOutput('Password', {});
  });

  test("IMDSv2 required, encrypted root volumes, launch templates (the seed's launch configuration only when faithful)", () => {
    for (const [name, t] of [...all(local), ...all(aws)]) {
      t.resourceCountIs('AWS::AutoScaling::LaunchConfiguration', 0);
      for (const [, r] of resources(t)) {
        const data =
          r.Type === 'AWS::EC2::LaunchTemplate'
            ? r.Properties.LaunchTemplateData
            : r.Type === 'AWS::EC2::Instance'
              ? r.Properties
              : undefined;
        if (!data) continue;
        assert.equal(data.MetadataOptions.HttpTokens, 'required', name);
        assert.equal(data.BlockDeviceMappings[0].Ebs.Encrypted, true, name);
      }
    }
    faithful.MultiAz.resourceCountIs('AWS::AutoScaling::LaunchConfiguration', 1);
    faithful.MultiAz.resourceCountIs('AWS::EC2::LaunchTemplate', 0);
  });

  test('the stack completes only when the CI server answers: CreationPolicy signalled by the boot script', () => {
    for (const [name, t] of all(local)) {
      const [id, r] = resources(t).find(([, x]) => x.Type === 'AWS::EC2::Instance' || x.Type === 'AWS::AutoScaling::AutoScalingGroup')!;
      assert.deepEqual(r.CreationPolicy.ResourceSignal, { Count: 1, Timeout: 'PT15M' }, name);
      const ud = JSON.stringify(
        r.Type === 'AWS::EC2::Instance'
          ? r.Properties.UserData
          : resources(t).find(([, x]) => x.Type === 'AWS::EC2::LaunchTemplate')![1].Properties.LaunchTemplateData.UserData,
      );
      assert.match(ud, /aws cloudformation signal-resource/);
      assert.match(ud, new RegExp(`SignalResource":"${id}"`));
    }
  });
});

describe('Resilient', () => {
  const t = local.Resilient;
  const group = () => resources(t).find(([, r]) => r.Type === 'AWS::AutoScaling::AutoScalingGroup')![1];
  const userData = () =>
    JSON.stringify(resources(t).find(([, r]) => r.Type === 'AWS::EC2::LaunchTemplate')![1].Properties.LaunchTemplateData.UserData);

  test('state on an encrypted EFS file system with a mount target in each of three zones', () => {
    t.hasResourceProperties('AWS::EFS::FileSystem', { Encrypted: true });
    t.resourceCountIs('AWS::EFS::MountTarget', 3);
    t.resourceCountIs('AWS::EC2::Subnet', 3);
    assert.equal(group().Properties.VPCZoneIdentifier.length, 3);
    assert.match(userData(), /mount -t nfs4/);
  });

  test('warm pool, short grace period, launching lifecycle hook, CreationPolicy', () => {
    t.hasResourceProperties('AWS::AutoScaling::WarmPool', { MinSize: 1, PoolState: 'Stopped' });
    assert.equal(group().Properties.HealthCheckGracePeriod, 60);
    assert.equal(group().Properties.LifecycleHookSpecificationList[0].LifecycleTransition, 'autoscaling:EC2_INSTANCE_LAUNCHING');
    assert.ok(group().CreationPolicy.ResourceSignal);
  });

  test('AZRebalance suspended and SetInstanceHealth from the in-instance check, both on its own group only', () => {
    const ud = userData();
    assert.match(ud, /aws autoscaling suspend-processes --auto-scaling-group-name \$\{Group\} --scaling-processes AZRebalance/);
    assert.match(ud, /aws autoscaling set-instance-health --instance-id \\"\$1\\" --health-status Unhealthy/);
    assert.match(ud, /while sleep 10/);
    const role = resources(t).find(([, r]) => r.Type === 'AWS::IAM::Role')![1];
    const own = (role.Properties.Policies[0].PolicyDocument.Statement as Json[]).find((s) => s.Sid === 'OwnGroupOnly')!;
    assert.deepEqual(own.Resource, {
      'Fn::Sub':
        'arn:${AWS::Partition}:autoscaling:${AWS::Region}:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/${AWS::StackName}-ci',
    });
    assert.deepEqual(group().Properties.AutoScalingGroupName, { 'Fn::Sub': '${AWS::StackName}-ci' });
  });

  test('-c zones=2 for a region with two zones', () => {
    const two = synth({ target: 'local', zones: '2' }).Resilient;
    two.resourceCountIs('AWS::EFS::MountTarget', 2);
  });
});

describe('halo deploy synthesis', () => {
  test('synthesizes one stack in-process; an unknown stack or target is refused with what to do', async () => {
    const { synthesizeStack } = await import('../src/cli/deploy.js');
    const template = JSON.parse(synthesizeStack('MultiAz', { target: 'local' }));
    assert.ok(template.Resources && template.Parameters.ImageId);
    assert.throws(() => synthesizeStack('Nope', {}), /no stack 'Nope' in the app: Recovery, MultiAz, MultiAzSnapshot, Resilient/);
    assert.throws(() => synthesizeStack('Recovery', { target: 'moon' }), /target is 'local' .* or 'aws'/);
  });
});
