import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DescribeFileSystemsCommand, EFSClient, PutFileSystemPolicyCommand } from '@aws-sdk/client-efs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ensureImage } from '../src/runtime/images.js';
import { TestCloud } from './support/cloud.js';
import { errorName } from './support/errors.js';
import { disposeAndCheckHost } from './support/host.js';
import { inInstance } from './support/instance-shell.js';
import { consoleOf, efsClientInstance, INSTALL_NFS4_MODULE, oneZoneEfsTemplate } from './support/efs-stack.js';
import { waitFor } from './support/wait.js';
import { cfn, settle } from './templates/support.js';

const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
/**
 * A program inside an instance that speaks NFSv4 to the mount target itself (no mount, no halo client): the tests'
 * XDR module and the instance's own python3. `create DIR NAME UID` prints `ok UID:GID` (the new file's owner) or the
 * errno's name.
 */
const RAW_CLIENT = `import errno, sys
sys.path.insert(0, "/root")
from efs_nfs4 import Creator, Rpc
server, op, parent, name, uid = sys.argv[1:6]
made = Creator(Rpc(server)).create(parent.encode(), name.encode(), int(uid), int(uid), 0o644, False, 2)
print(errno.errorcode[-made] if isinstance(made, int) else "ok %d:%d" % (made[4].uid, made[4].gid))
`;
const CLIENT_ACTIONS = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'];

describe('EFS file system policies through the API (PutFileSystemPolicy checks, API calls of role sessions)', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud?.dispose();
  });

  it('the grammar is checked; a policy that locks the caller out of PutFileSystemPolicy needs BypassPolicyLockoutSafetyCheck', () => {
    const fs = cloud.awsOk('efs', 'create-file-system', '--creation-token', 'lockout').FileSystemId;
    const noPrincipal = doc({ Effect: 'Allow', Action: 'elasticfilesystem:ClientMount', Resource: '*' });
    assert.match(
      cloud.awsFails('InvalidPolicyException', 'efs', 'put-file-system-policy', '--file-system-id', fs, '--policy', noPrincipal),
      /Principal/,
    );
    cloud.awsFails(
      'InvalidPolicyException',
      'efs',
      'put-file-system-policy',
      '--file-system-id',
      fs,
      '--policy',
      doc({ Effect: 'Allow', Principal: '*', Action: 'nope' }),
    );
    const lockout = doc({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'elasticfilesystem:*', Resource: '*' });
    const refused = cloud.awsFails('InvalidPolicyException', 'efs', 'put-file-system-policy', '--file-system-id', fs, '--policy', lockout);
    assert.match(refused, /PutFileSystemPolicy/);
    cloud.awsFails('PolicyNotFound', 'efs', 'describe-file-system-policy', '--file-system-id', fs);
    cloud.awsOk('efs', 'put-file-system-policy', '--file-system-id', fs, '--policy', lockout, '--bypass-policy-lockout-safety-check');
    assert.equal(cloud.awsOk('efs', 'describe-file-system-policy', '--file-system-id', fs).Policy, lockout);
  });

  it('the file system policy governs API calls of role sessions too: a deny in it wins, an allow to the role suffices', async () => {
    const account = cloud.awsOk('sts', 'get-caller-identity').Account;
    const fs = cloud.awsOk('efs', 'create-file-system', '--creation-token', 'api').FileSystemId;
    const role = (name: string, identity?: string) => {
      cloud.awsOk(
        'iam',
        'create-role',
        '--role-name',
        name,
        '--assume-role-policy-document',
        doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }),
      );
      if (identity) cloud.awsOk('iam', 'put-role-policy', '--role-name', name, '--policy-name', 'p', '--policy-document', identity);
      return `arn:aws:iam::${account}:role/${name}`;
    };
    const asRole = async (arn: string) => {
      const { Credentials: c } = await new STSClient(cloud.sdk).send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'session' }));
      return new EFSClient({
        ...cloud.sdk,
        credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! },
      });
    };
    const admin = role('efs-admin', doc({ Effect: 'Allow', Action: 'elasticfilesystem:*', Resource: '*' }));
    const viewer = role('efs-viewer');
    const asAdmin = await asRole(admin);
    const asViewer = await asRole(viewer);
    assert.equal((await asAdmin.send(new DescribeFileSystemsCommand({ FileSystemId: fs }))).FileSystems?.[0]?.FileSystemId, fs);
    assert.equal(await errorName(asViewer.send(new DescribeFileSystemsCommand({ FileSystemId: fs }))), 'AccessDeniedException');
    cloud.awsOk(
      'efs',
      'put-file-system-policy',
      '--file-system-id',
      fs,
      '--policy',
      doc(
        { Effect: 'Allow', Principal: { AWS: viewer }, Action: 'elasticfilesystem:DescribeFileSystems', Resource: '*' },
        { Effect: 'Deny', Principal: { AWS: admin }, Action: 'elasticfilesystem:DescribeFileSystems', Resource: '*' },
      ),
    );
    assert.equal((await asViewer.send(new DescribeFileSystemsCommand({ FileSystemId: fs }))).FileSystems?.[0]?.FileSystemId, fs);
    const denied = await asAdmin.send(new DescribeFileSystemsCommand({ FileSystemId: fs })).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.equal(denied?.name, 'AccessDeniedException');
    assert.match(denied?.message ?? '', /explicit deny in a resource-based policy/);
    // The role's own PutFileSystemPolicy with a policy that denies it that action is refused by the lockout check.
    const selfLock = doc({ Effect: 'Deny', Principal: { AWS: admin }, Action: 'elasticfilesystem:PutFileSystemPolicy', Resource: '*' });
    const fs2 = cloud.awsOk('efs', 'create-file-system', '--creation-token', 'api2').FileSystemId;
    assert.equal(
      await errorName(asAdmin.send(new PutFileSystemPolicyCommand({ FileSystemId: fs2, Policy: selfLock }))),
      'InvalidPolicyException',
    );
    await asAdmin.send(new PutFileSystemPolicyCommand({ FileSystemId: fs2, Policy: selfLock, BypassPolicyLockoutSafetyCheck: true }));
    assert.equal(
      await errorName(
        asAdmin.send(
          new PutFileSystemPolicyCommand({ FileSystemId: fs2, Policy: doc({ Effect: 'Allow', Principal: '*', Action: CLIENT_ACTIONS }) }),
        ),
      ),
      'AccessDeniedException',
      'locked out, as it was warned',
    );
  });
});

function template() {
  return oneZoneEfsTemplate(
    '10.61',
    { Encrypted: true },
    {
      WriterRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          },
        },
      },
      WriterProfile: { Type: 'AWS::IAM::InstanceProfile', Properties: { Roles: [{ Ref: 'WriterRole' }] } },
      Writer: efsClientInstance({ IamInstanceProfile: { Ref: 'WriterProfile' } }),
      Anonymous: efsClientInstance(),
    },
    {
      Writer: { Value: { Ref: 'Writer' } },
      Anonymous: { Value: { Ref: 'Anonymous' } },
      WriterRole: { Value: { Ref: 'WriterRole' } },
      WriterRoleArn: { Value: { 'Fn::GetAtt': ['WriterRole', 'Arn'] } },
    },
  );
}

/**
 * EFS's authorization of NFS clients inside real instances: `-o iam` mounts as the instance's role, others as
 * anonymous; the file system policy (and the role's policies) decide ClientMount (refused: the mount helper's
 * "access denied by server"), ClientWrite (without it: a read-only mount, EROFS) and ClientRootAccess (without it:
 * root is squashed to 65534). Needs root.
 */
describe(
  'EFS file system policies enforced at mount, inside instances',
  { skip: ROOT ? false : 'needs root: namespaces, nftables, FUSE' },
  () => {
    let cloud: TestCloud;
    let out: Record<string, string> = {};
    const PATH = 'export PATH=/run/halo/bin:/usr/sbin:/usr/bin:/sbin:/bin;';
    const sh = (id: string, cmd: string) => inInstance(id, `${PATH} ${cmd}`);
    const ok = (id: string, cmd: string) => {
      const r = sh(id, cmd);
      assert.equal(r.status, 0, `${cmd} in ${id}: ${r.stdout}${r.stderr}`);
      return r.stdout.trim();
    };
    const refused = (id: string, cmd: string) => {
      const r = sh(id, cmd);
      assert.notEqual(r.status, 0, `${cmd} in ${id} should fail: ${r.stdout}`);
      return r.stderr.trim();
    };
    const putPolicy = (...statements: object[]) =>
      cloud.awsOk('efs', 'put-file-system-policy', '--file-system-id', out.FileSystem, '--policy', doc(...statements));
    const setRolePolicy = (...statements: object[]) =>
      cloud.awsOk('iam', 'put-role-policy', '--role-name', out.WriterRole, '--policy-name', 'efs', '--policy-document', doc(...statements));
    const efsMount = (id: string, opts: string, dir: string) => `mkdir -p ${dir} && mount -t efs -o ${opts} ${out.FileSystem}:/ ${dir}`;
    const readConsole = (id: string) => consoleOf(cloud.home, id);

    before(async () => {
      await ensureImage(process.env.HALO_IMAGE_CACHE as string);
      cloud = await TestCloud.start({ timeScale: 60, profile: 'fast' });
      cloud.awsOk(
        'cloudformation',
        'create-stack',
        '--stack-name',
        'efs-policies',
        '--template-body',
        template(),
        '--capabilities',
        'CAPABILITY_IAM',
      );
      const stack = await settle(cfn(cloud), 'efs-policies');
      assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
      out = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
      for (const id of [out.Writer, out.Anonymous])
        await waitFor(`boot of ${id}`, () => (/boot finished/.test(readConsole(id)) ? true : undefined), 120_000);
    });
    after(async () => {
      if (cloud) await disposeAndCheckHost(cloud);
    });

    it("without a policy any client has full access; `iam` needs the instance's role and `tls`, as the mount helper says", () => {
      ok(out.Anonymous, efsMount(out.Anonymous, 'tls', '/mnt/a'));
      ok(
        out.Anonymous,
        'echo root only > /mnt/a/secret && chmod 600 /mnt/a/secret && mkdir /mnt/a/shared && chmod 777 /mnt/a/shared && chown 0:0 /mnt/a/secret',
      );
      assert.equal(ok(out.Anonymous, 'stat -c %u:%a /mnt/a/secret'), '0:600');
      ok(out.Anonymous, 'umount /mnt/a');
      assert.match(
        refused(out.Anonymous, efsMount(out.Anonymous, 'tls,iam', '/mnt/a')),
        /AWS Access Key ID and Secret Access Key are not found/,
      );
      assert.match(refused(out.Writer, efsMount(out.Writer, 'iam', '/mnt/w')), /The "tls" option is required when mounting via "iam"/);
      ok(out.Writer, efsMount(out.Writer, 'tls,iam', '/mnt/w'));
      assert.equal(ok(out.Writer, 'cat /mnt/w/secret'), 'root only');
      ok(out.Writer, 'umount /mnt/w');
      ok(out.Anonymous, efsMount(out.Anonymous, 'tls,ro', '/mnt/a'));
      assert.match(refused(out.Anonymous, 'touch /mnt/a/shared/x'), /Read-only file system/, '`ro` asked: a read-only mount');
      ok(out.Anonymous, 'umount /mnt/a');
    });

    it('a read-only policy for everyone: mounts work, writes fail with EROFS, root is squashed; the role granted ClientWrite in the policy writes', () => {
      putPolicy(
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'elasticfilesystem:ClientMount',
          Resource: out.FileSystemArn,
          Condition: { Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' } },
        },
        {
          Effect: 'Allow',
          Principal: { AWS: out.WriterRoleArn },
          Action: 'elasticfilesystem:ClientWrite',
          Resource: out.FileSystemArn,
          Condition: { Bool: { 'aws:SecureTransport': 'true' } },
        },
      );
      ok(out.Anonymous, efsMount(out.Anonymous, 'tls', '/mnt/a'));
      assert.match(ok(out.Anonymous, 'grep " /mnt/a " /proc/mounts'), / fuse\.nfs4 rw,/, 'the server refuses the writes, as on EFS');
      assert.match(refused(out.Anonymous, 'echo x > /mnt/a/shared/new'), /Read-only file system/);
      assert.match(refused(out.Anonymous, 'cat /mnt/a/secret'), /Permission denied/, 'root reads as nobody');
      assert.equal(ok(out.Anonymous, 'ls /mnt/a'), 'secret\nshared');
      ok(out.Anonymous, 'umount /mnt/a');

      ok(out.Writer, efsMount(out.Writer, 'tls,iam', '/mnt/w'));
      ok(out.Writer, 'echo from the role > /mnt/w/shared/by-role');
      assert.equal(ok(out.Writer, 'stat -c %u:%g /mnt/w/shared/by-role'), '65534:65534', 'root is squashed without ClientRootAccess');
      assert.match(refused(out.Writer, 'cat /mnt/w/secret'), /Permission denied/);
      ok(out.Writer, 'umount /mnt/w');
      // The same instance without `iam` is anonymous: read-only.
      ok(out.Writer, efsMount(out.Writer, 'tls', '/mnt/w'));
      assert.match(refused(out.Writer, 'echo x > /mnt/w/shared/anon'), /Read-only file system/);
      assert.equal(ok(out.Writer, 'cat /mnt/w/shared/by-role'), 'from the role');
      ok(out.Writer, 'umount /mnt/w');
    });

    it("the role's identity policy counts too: ClientRootAccess from it lifts the squash; an explicit deny in it refuses the mount", () => {
      setRolePolicy({ Effect: 'Allow', Action: 'elasticfilesystem:ClientRootAccess', Resource: out.FileSystemArn });
      ok(out.Writer, efsMount(out.Writer, 'tls,iam', '/mnt/w'));
      ok(out.Writer, 'echo as root > /mnt/w/by-root');
      assert.equal(ok(out.Writer, 'stat -c %u /mnt/w/by-root; cat /mnt/w/secret'), '0\nroot only');
      ok(out.Writer, 'umount /mnt/w');
      setRolePolicy({ Effect: 'Deny', Action: 'elasticfilesystem:ClientMount', Resource: '*' });
      assert.match(
        refused(out.Writer, efsMount(out.Writer, 'tls,iam', '/mnt/w')),
        /mount\.nfs4: access denied by server while mounting 127\.0\.0\.1:\//,
      );
      ok(out.Writer, efsMount(out.Writer, 'tls', '/mnt/w'));
      ok(out.Writer, 'umount /mnt/w');
    });

    it('no anonymous access, TLS enforced, and access only through one access point: the conditions EFS knows are evaluated', () => {
      const ap = cloud.awsOk(
        'efs',
        'create-access-point',
        '--file-system-id',
        out.FileSystem,
        '--root-directory',
        'Path=/shared',
      ).AccessPointId;
      const apArn = cloud.awsOk('efs', 'describe-access-points', '--access-point-id', ap).AccessPoints[0].AccessPointArn;
      putPolicy(
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: CLIENT_ACTIONS,
          Resource: '*',
          Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': apArn } },
        },
        { Effect: 'Deny', Principal: { AWS: '*' }, Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      );
      assert.match(
        refused(out.Anonymous, efsMount(out.Anonymous, 'tls', '/mnt/a')),
        /access denied by server while mounting 127\.0\.0\.1:\//,
      );
      assert.match(
        refused(out.Anonymous, `mkdir -p /mnt/a && mount -t nfs4 -o nfsvers=4.1 ${out.TargetIp}:/ /mnt/a`),
        new RegExp(`access denied by server while mounting ${out.TargetIp.replace(/\./g, '\\.')}:/`),
        'no TLS: denied',
      );
      assert.match(
        refused(out.Anonymous, efsMount(out.Anonymous, 'noresvport', '/mnt/a')),
        new RegExp(`access denied by server while mounting ${out.FileSystem}\\.efs\\.us-east-1\\.amazonaws\\.com:/`),
      );
      ok(out.Anonymous, efsMount(out.Anonymous, `tls,accesspoint=${ap}`, '/mnt/a'));
      ok(out.Anonymous, 'echo through the access point > /mnt/a/ap-file && ls /mnt/a/by-role');
      ok(out.Anonymous, 'umount /mnt/a');
      cloud.awsOk('efs', 'delete-file-system-policy', '--file-system-id', out.FileSystem);
      ok(out.Anonymous, `mount -t nfs4 -o nfsvers=4.1 ${out.TargetIp}:/ /mnt/a`);
      assert.equal(ok(out.Anonymous, 'cat /mnt/a/shared/ap-file'), 'through the access point', 'the default policy is back: full access');
      ok(out.Anonymous, 'umount /mnt/a');
    });

    it('the NFS server holds every client to its grants, a program speaking NFS itself too, and applies a policy change to live mounts', () => {
      // The server's NFSv4 root holds the file system's export at /fs-… (and each access point's at /fsap-…).
      const raw = (id: string, parent: string, name: string, uid: number) =>
        ok(id, `python3 /root/nfs-raw.py ${out.TargetIp} create /${out.FileSystem}${parent} ${name} ${uid}`);
      for (const id of [out.Writer, out.Anonymous]) {
        ok(id, INSTALL_NFS4_MODULE);
        ok(id, `echo ${Buffer.from(RAW_CLIENT).toString('base64')} | base64 -d > /root/nfs-raw.py`);
      }
      // The deny of the test before goes.
      setRolePolicy({ Effect: 'Allow', Action: 'elasticfilesystem:DescribeMountTargets', Resource: '*' });
      // Nothing mounted, the default policy: an address with no mount gets what anonymous clients get: everything.
      assert.equal(raw(out.Anonymous, '/shared', 'raw-default', 0), 'ok 0:0');
      putPolicy(
        { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'elasticfilesystem:ClientMount', Resource: out.FileSystemArn },
        { Effect: 'Allow', Principal: { AWS: out.WriterRoleArn }, Action: 'elasticfilesystem:ClientWrite', Resource: out.FileSystemArn },
      );
      assert.equal(raw(out.Anonymous, '/shared', 'raw-anonymous', 1000), 'EROFS', 'read-only for anonymous clients');
      assert.equal(raw(out.Writer, '/shared', 'raw-writer', 1000), 'EROFS', 'not mounted with iam: anonymous');
      ok(out.Writer, efsMount(out.Writer, 'tls,iam', '/mnt/w'));
      assert.equal(raw(out.Writer, '/shared', 'raw-writer', 1000), 'ok 1000:1000', "the role's grant holds for its instance's address");
      assert.equal(raw(out.Writer, '/shared', 'raw-root', 0), 'ok 65534:65534', 'root squashed: no ClientRootAccess');
      assert.equal(raw(out.Anonymous, '/shared', 'raw-anonymous', 1000), 'EROFS', 'other addresses are still anonymous');

      // A live mount follows the policy: write taken away, given back, taken away again.
      ok(out.Anonymous, efsMount(out.Anonymous, 'tls', '/mnt/a'));
      assert.match(refused(out.Anonymous, 'echo x > /mnt/a/shared/live-1'), /Read-only file system/);
      putPolicy({ Effect: 'Allow', Principal: { AWS: '*' }, Action: CLIENT_ACTIONS, Resource: out.FileSystemArn });
      ok(out.Anonymous, 'echo now allowed > /mnt/a/shared/live-1');
      assert.equal(ok(out.Anonymous, 'stat -c %u /mnt/a/shared/live-1'), '0', 'ClientRootAccess granted: root is root');
      putPolicy({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'elasticfilesystem:ClientMount', Resource: out.FileSystemArn });
      assert.match(refused(out.Anonymous, 'echo x > /mnt/a/shared/live-2'), /Read-only file system/);
      assert.match(refused(out.Writer, 'echo x > /mnt/w/shared/live-3'), /Read-only file system/, 'the role lost its grant too');
      assert.equal(ok(out.Anonymous, 'cat /mnt/a/shared/live-1'), 'now allowed');
      ok(out.Anonymous, 'umount /mnt/a');
      ok(out.Writer, 'umount /mnt/w');
      cloud.awsOk('efs', 'delete-file-system-policy', '--file-system-id', out.FileSystem);
      assert.equal(raw(out.Anonymous, '/shared', 'raw-after', 1000), 'ok 1000:1000', 'the default policy again');
    });
  },
);
